"""Issue 15.1: every absolute link comes from PUBLIC_BASE_URL, whatever Host or X-Forwarded-*
say; TRUSTED_PROXIES lets X-Forwarded-For (only) name the client behind a proxy."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, request
from sqlalchemy import select

from portal.config import ConfigError, load_config
from portal.links import install_proxy_fix, parse_trusted_proxies
from portal.models.accounts import Account
from portal.models.mail import OutboxEmail

BASE = "http://localhost"  # the tests' PUBLIC_BASE_URL
EVIL = "evil.example"
FORGED = {
    "X-Forwarded-Host": EVIL,
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Port": "8443",
    "X-Forwarded-Prefix": "/phish",
    "X-Forwarded-Server": EVIL,
    "Forwarded": f"host={EVIL};proto=https",
    "X-Original-Host": EVIL,
}
URL = re.compile(r"(?:https?:)?//[^\s\"'<>]+|https?://[^\s\"'<>]+")


@pytest.fixture(params=["direct", "behind-one-proxy"])
def forged(request: Any, app: Any, monkeypatch: Any) -> dict[str, Any]:
    """Request options with a forged Host and X-Forwarded-*, straight or through a trusted proxy."""
    options: dict[str, Any] = {"base_url": f"http://{EVIL}", "headers": dict(FORGED)}
    if request.param == "behind-one-proxy":
        monkeypatch.setattr(app, "wsgi_app", app.wsgi_app)  # restored after the test
        monkeypatch.setitem(app.config, "TRUSTED_PROXIES", 1)
        install_proxy_fix(app)
        options["environ_base"] = {"REMOTE_ADDR": "10.0.0.2"}
        options["headers"]["X-Forwarded-For"] = "203.0.113.7"
    return options


def _links(text: str) -> list[str]:
    return URL.findall(text)


def _assert_only_public_links(text: str, expected_path: str) -> None:
    links = _links(text)
    assert any(link.startswith(BASE + expected_path) for link in links), (expected_path, links)
    for link in links:
        assert EVIL not in link and "phish" not in link, link
        if "sat.gob.mx" not in link and "w3.org" not in link:
            assert link.startswith(BASE + "/"), link


def _emails(db: Any, kind: str) -> list[OutboxEmail]:
    db.expire_all()
    return db.scalars(select(OutboxEmail).where(OutboxEmail.kind == kind)).all()


def test_password_reset_link_ignores_a_forged_host(client, db, make_account, forged):
    account, _key = make_account(email="ana@example.com")
    response = client.post("/password/forgot", data={"email": account.email}, **forged)
    assert response.status_code == 302
    (email,) = _emails(db, "password_reset")
    _assert_only_public_links(email.text_body, "/password/reset/")
    _assert_only_public_links(email.html_body, "/password/reset/")


def test_edit_links_ignore_a_forged_host(client, db, make_organization, forged):
    _org, key = make_organization()
    auth = {"Authorization": f"Bearer {key}", **forged["headers"]}
    options = {**forged, "headers": auth}
    body = {"legal_name": "Cliente", "email": "cliente@example.com"}
    created = client.post("/v2/customers?createEditLink=true", json=body, **options)
    assert created.status_code == 200, created.json
    assert created.json["edit_link"].startswith(f"{BASE}/tax-info/")
    customer_id = created.json["id"]
    sent = client.post(f"/v2/customers/{customer_id}/email-edit-link", json={}, **options)
    assert sent.status_code == 200, sent.json
    (email,) = _emails(db, "customer_edit_link")
    _assert_only_public_links(email.text_body, "/tax-info/")
    _assert_only_public_links(email.html_body, "/tax-info/")


def test_dashboard_edit_link_email_ignores_a_forged_host(client, db, make_organization, forged):
    from portal.services import customers
    from portal.tenancy import Tenant

    org, _key = make_organization()
    data = {"legal_name": "Cliente", "email": "c@example.com"}
    customer, _link = customers.create_customer(db, Tenant(org, False), data, edit_link=True)
    db.commit()
    with client.session_transaction(base_url=f"http://{EVIL}") as session:  # the forged host's
        session["_user_id"] = db.get(Account, org.account_id).get_id()
    path = f"/dashboard/o/{org.id}/customers/{customer.id}/edit-link"
    response = client.post(path, data={}, follow_redirects=True, **forged)
    assert response.status_code == 200, response.get_data(as_text=True)[-3000:]
    (email,) = _emails(db, "customer_edit_link")
    _assert_only_public_links(email.text_body, "/tax-info/")


def test_receipt_urls_emails_and_ticket_ignore_a_forged_host(
    client, db, make_organization, receipt_body, forged
):
    _org, key = make_organization(domain="tacos-ana")
    options = {**forged, "headers": {"Authorization": f"Bearer {key}", **forged["headers"]}}
    created = client.post("/v2/receipts", json=receipt_body(), **options)
    assert created.status_code == 200, created.json
    receipt = created.json
    assert receipt["self_invoice_url"] == f"{BASE}/tacos-ana/{receipt['key']}"
    listed = client.get(f"/v2/receipts/{receipt['id']}", **options).json
    assert listed["self_invoice_url"] == receipt["self_invoice_url"]
    mailed = client.post(
        f"/v2/receipts/{receipt['id']}/email", json={"email": "c@example.com"}, **options
    )
    assert mailed.status_code == 200, mailed.json
    (email,) = _emails(db, "receipt")
    _assert_only_public_links(email.text_body, f"/tacos-ana/{receipt['key']}")
    ticket = client.get(f"/v2/receipts/{receipt['id']}/pdf", **options)
    assert ticket.status_code == 200
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=ticket.data, capture_output=True, check=True
    ).stdout.decode()
    assert EVIL not in text


def test_trusted_proxies_is_a_count_or_a_list_of_networks(monkeypatch):
    assert parse_trusted_proxies("") == 0 and parse_trusted_proxies("2") == 2
    networks = parse_trusted_proxies("10.0.0.0/8, 192.0.2.1")
    assert [str(n) for n in networks] == ["10.0.0.0/8", "192.0.2.1/32"]
    with pytest.raises(ValueError):
        parse_trusted_proxies("not-an-address")
    monkeypatch.setenv("TRUSTED_PROXIES", "1")
    assert load_config({"SECRET_KEY": "x", "ENCRYPTION_KEY": "y"})["TRUSTED_PROXIES"] == 1
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.0/8,nginx")
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        load_config({"SECRET_KEY": "x", "ENCRYPTION_KEY": "y"})


def _echo_app(trusted: Any) -> Flask:
    echo = Flask("echo")
    echo.config["TRUSTED_PROXIES"] = trusted

    @echo.route("/")
    def who() -> dict[str, str]:
        return {"addr": request.remote_addr, "host": request.host, "scheme": request.scheme}

    install_proxy_fix(echo)
    return echo


@pytest.mark.parametrize(
    ("trusted", "peer", "forwarded_for", "client_addr"),
    [
        (0, "203.0.113.7", "198.51.100.1", "203.0.113.7"),  # no proxy: the header is a lie
        (1, "10.0.0.2", "198.51.100.1", "198.51.100.1"),
        (1, "10.0.0.2", "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # a spoofed first hop
        ("10.0.0.0/8", "10.0.0.2", "6.6.6.6, 198.51.100.1, 10.0.0.9", "198.51.100.1"),
        ("10.0.0.0/8", "203.0.113.7", "198.51.100.1", "203.0.113.7"),  # not from the proxy
        (["10.0.0.2"], "10.0.0.2", "2001:db8::1", "2001:db8::1"),
    ],
)
def test_only_the_client_address_comes_from_trusted_proxies(
    trusted, peer, forwarded_for, client_addr
):
    echo = _echo_app(trusted).test_client()
    answer = echo.get(
        "/",
        base_url="http://portal.example",
        environ_base={"REMOTE_ADDR": peer},
        headers={"X-Forwarded-For": forwarded_for, **FORGED},
    ).json
    assert answer == {"addr": client_addr, "host": "portal.example", "scheme": "http"}


REQUEST_DERIVED = re.compile(
    r"_external\s*=\s*True|request\.(host_url|url_root|host\b|base_url|url\b|root_url)"
    r"|environ\[.HTTP_HOST|X-Forwarded-Host"
)


def test_no_code_builds_a_link_from_the_request():
    """The class of bug, not only the instance: nothing reads the request's host for a link."""
    root = Path(__file__).resolve().parents[2]
    offenders = [
        f"{path.relative_to(root)}:{number}: {line.strip()}"
        for folder in ("portal", "templates")
        for path in sorted((root / folder).rglob("*"))
        if path.suffix in {".py", ".html", ".txt"}
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if REQUEST_DERIVED.search(line) and not line.lstrip().startswith(("#", '"""', "``"))
    ]
    assert offenders == []
