"""Issue 15.4: ``next=`` (and the Referer the language switch returns to) only ever leads to a
path on this site, read the way a browser reads a Location header."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urljoin, urlsplit

import pytest

from portal.services import staff as staff_auth
from tests.admin.helpers import make_staff, sign_in_staff
from tests.fixtures.factories import PASSWORD

HOST = "localhost"
PRINTABLE = "".join(map(chr, range(0x21, 0x7F)))
# Known open-redirect bypasses (OWASP, PortSwigger, the browsers' URL parsing rules).
BYPASSES = [
    "https://evil.example/x",
    "http:evil.example",
    "https:evil.example",
    "//evil.example/x",
    "///evil.example/x",
    "////evil.example/x",
    "/\\evil.example/x",
    "\\\\evil.example/x",
    "\\/evil.example/x",
    "/\t/evil.example/x",
    "/\n/evil.example/x",
    "/\r\n/evil.example/x",
    "\t//evil.example/x",
    " //evil.example/x",
    "\x01//evil.example/x",
    "/%2F/evil.example/x",
    "/%2f%2fevil.example/x",
    "%2F%2Fevil.example/x",
    "/%252F%252Fevil.example/x",
    "/%5Cevil.example/x",
    "/%5C%5Cevil.example/x",
    "/%09/evil.example/x",
    "/%0A/evil.example/x",
    "//%65vil.example/x",
    "//evil.example%2F@localhost/x",
    "//localhost@evil.example/x",
    "http://localhost@evil.example/x",
    "https://localhost.evil.example/x",
    "javascript:alert(document.domain)",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "/／evil.example",
    "／／evil.example/x",
    "。/evil.example",
]


def _where_the_browser_goes(location: str, base: str) -> tuple[str, str, str]:
    """(scheme, host, path) a browser would open for this Location, leniently parsed."""
    cleaned = re.sub(r"[\t\n\r]", "", location).strip("".join(map(chr, range(0x21))))
    cleaned = cleaned.replace("\\", "/")
    target = urlsplit(urljoin(base, cleaned))
    return target.scheme.lower(), (target.hostname or ""), target.path


def _assert_stays_on_this_site(response: Any, base: str) -> None:
    assert response.status_code in (301, 302, 303, 307, 308), response.status_code
    location = response.headers["Location"]
    scheme, host, path = _where_the_browser_goes(location, base)
    assert (scheme, host) == ("http", HOST), location
    decoded = path
    for _round in range(3):  # a proxy that decodes %2F must not find a second slash either
        decoded = unquote(decoded).replace("\\", "/")
        assert not decoded.startswith("//"), location


@pytest.fixture
def reseller(make_account: Any) -> Any:
    account, _key = make_account(email="bo@example.com")
    return account


@pytest.mark.parametrize("target", BYPASSES)
def test_reseller_login_next_stays_on_this_site(client, reseller, target):
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": reseller.email, "password": PASSWORD},
    )
    _assert_stays_on_this_site(response, "http://localhost/login")


def test_reseller_login_follows_a_path_on_this_site(client, reseller):
    target = "/dashboard/account?tab=keys"
    response = client.post(
        "/login", query_string={"next": target}, data={"email": reseller.email, "password": "x"}
    )
    assert response.status_code == 400  # a wrong password: no redirect at all
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": reseller.email, "password": PASSWORD},
    )
    assert response.headers["Location"] == target


@pytest.fixture
def staff(make_account: Any, client: Any, db: Any) -> Any:
    """A staff member whose authenticator is set up (then signed out)."""
    member = make_staff(make_account)
    sign_in_staff(client, db, member)
    client.post("/admin/logout")
    return member


def _staff_sign_in(client: Any, db: Any, staff: Any, target: str) -> Any:
    """Password (with ``next``), then a fresh recovery code on the page it leads to."""
    first = client.post(
        "/admin/login",
        query_string={"next": target},
        data={"email": staff.email, "password": PASSWORD},
    )
    _assert_stays_on_this_site(first, "http://localhost/admin/login")
    step = urlsplit(first.headers["Location"])
    assert step.path == "/admin/2fa"
    carried = parse_qs(step.query).get("next", [])
    code = staff_auth.new_recovery_codes(db, staff)[0]
    db.commit()
    return client.post(
        "/admin/2fa", query_string={"next": carried or [target]}, data={"code": code}
    )


@pytest.mark.parametrize("target", BYPASSES + ["/dashboard/", "/"])
def test_staff_sign_in_next_stays_in_the_console(client, db, staff, target):
    response = _staff_sign_in(client, db, staff, target)
    _assert_stays_on_this_site(response, "http://localhost/admin/2fa")
    assert urlsplit(response.headers["Location"]).path.startswith("/admin/")


def test_staff_sign_in_follows_a_console_path(client, db, staff):
    response = _staff_sign_in(client, db, staff, "/admin/audit?staff=x")
    assert response.headers["Location"] == "/admin/audit?staff=x"


@pytest.fixture
def organization_client(client: Any, make_organization: Any, login_as: Any) -> Any:
    org, _key = make_organization()
    from portal.extensions import db
    from portal.models.accounts import Account

    login_as(db.session.get(Account, org.account_id))
    client.base = f"/dashboard/o/{org.id}"
    return client


@pytest.mark.parametrize("target", BYPASSES + ["/admin/", "/login"])
def test_environment_switch_next_stays_in_the_dashboard(organization_client, target):
    base = organization_client.base
    response = organization_client.post(f"{base}/env", data={"live": "1", "next": target})
    _assert_stays_on_this_site(response, f"http://localhost{base}/env")
    assert urlsplit(response.headers["Location"]).path.startswith("/dashboard/")


def test_environment_switch_returns_to_the_page_it_came_from(organization_client):
    base = organization_client.base
    response = organization_client.post(f"{base}/env", data={"live": "1", "next": f"{base}/keys"})
    assert response.headers["Location"] == f"{base}/keys"


@pytest.mark.parametrize("target", BYPASSES)
def test_language_switch_returns_only_to_this_site(client, db, target):
    for referrer in (f"http://localhost{target}", target, f"http://evil.example/{target}"):
        # A browser sends the Referer percent-encoded (no raw controls or non-ASCII).
        response = client.post("/lang/en", headers={"Referer": quote(referrer, safe=PRINTABLE)})
        _assert_stays_on_this_site(response, "http://localhost/lang/en")


def test_language_switch_returns_to_the_page_it_was_asked_from(client, db):
    response = client.post("/lang/en", headers={"Referer": "http://localhost/login?next=/x"})
    assert response.headers["Location"] == "/login?next=/x"
