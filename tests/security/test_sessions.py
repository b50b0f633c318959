"""Issue 15.6: signing out or changing the password ends the account's other sessions; a new
user key never travels in the session cookie; pages showing secrets are ``no-store``; edit links
and receipt pages stop with their organization."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.sessions import SecureCookieSessionInterface

from portal.models.accounts import Account
from portal.services import customers, support
from portal.services import organizations as orgs
from portal.services.audit import StaffActor
from portal.tenancy import Tenant
from tests.admin.helpers import code_for, make_staff, sign_in_staff, totp_for
from tests.fixtures.factories import PASSWORD

NEW_PASSWORD = "otra frase secreta bastante larga"
SIGNUP = {"name": "Ana", "email": "ana@example.com", "password": PASSWORD, "confirm": PASSWORD}


def _signed_in_client(app: Any, email: str, remember: bool = False) -> Any:
    browser = app.test_client()
    data = {"email": email, "password": PASSWORD, **({"remember": "y"} if remember else {})}
    assert browser.post("/login", data=data).status_code == 302
    assert browser.get("/dashboard/account").status_code == 200
    return browser


def _signed_in(browser: Any) -> bool:
    return browser.get("/dashboard/account").status_code == 200


def test_logout_ends_every_session_of_the_account(app, db, make_account):
    account, _key = make_account(email="ana@example.com")
    laptop, phone = _signed_in_client(app, account.email), _signed_in_client(app, account.email)
    remembered = _signed_in_client(app, account.email, remember=True)
    remembered.delete_cookie("session")  # only the remember-me cookie is left
    assert _signed_in(remembered)

    assert laptop.post("/logout").status_code == 302
    assert not _signed_in(laptop)
    assert not _signed_in(phone)
    assert not _signed_in(remembered)
    assert _signed_in(_signed_in_client(app, account.email))  # signing in again works


def test_password_change_ends_the_other_sessions_and_keeps_this_one(app, db, make_account):
    account, _key = make_account(email="ana@example.com")
    laptop, phone = _signed_in_client(app, account.email), _signed_in_client(app, account.email)
    changed = laptop.post(
        "/dashboard/account/password",
        data={
            "pw-current_password": PASSWORD,
            "pw-password": NEW_PASSWORD,
            "pw-confirm": NEW_PASSWORD,
        },
    )
    assert changed.status_code == 302, changed.get_data(as_text=True)
    assert _signed_in(laptop)
    assert not _signed_in(phone)


def _staff_browser(app: Any, staff: Any, code: str) -> Any:
    browser = app.test_client()
    browser.post("/admin/login", data={"email": staff.email, "password": PASSWORD})
    assert browser.post("/admin/2fa", data={"code": code}).status_code == 302
    assert browser.get("/admin/").status_code == 200
    return browser


def test_staff_sign_out_ends_their_other_console_sessions(app, client, db, make_account):
    staff = make_staff(make_account)
    codes = sign_in_staff(client, db, staff)
    other = _staff_browser(app, staff, codes[0])
    assert client.post("/admin/logout").status_code == 302
    assert other.get("/admin/").status_code != 200


def _decoded_cookies(app: Any, browser: Any) -> list[str]:
    """Every cookie of the browser, the session cookie decoded (it is only signed)."""
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    values = []
    for name in ("session", "remember_token"):
        cookie = browser.get_cookie(name)
        if cookie is None:
            continue
        values.append(cookie.value)
        if name == "session":
            values.append(repr(serializer.loads(cookie.value)))
    return values


def _set_cookies(response: Any) -> str:
    return " ".join(response.headers.getlist("Set-Cookie"))


def test_a_new_user_key_is_never_stored_in_the_session_cookie(app, db):
    browser = app.test_client()
    signup = browser.post("/signup", data=SIGNUP)
    key = re.search(r"sk_user_[A-Za-z0-9]{32}", signup.get_data(as_text=True)).group(0)
    cookies = _decoded_cookies(app, browser)
    assert cookies and not any(key in value or "sk_user_" in value for value in cookies)
    assert "sk_user_" not in _set_cookies(signup)

    renewed = browser.post("/dashboard/account/user-key")
    new_key = re.search(r"sk_user_[A-Za-z0-9]{32}", renewed.get_data(as_text=True)).group(0)
    assert new_key != key
    cookies = _decoded_cookies(app, browser)
    assert not any("sk_user_" in value for value in cookies), cookies
    assert new_key not in browser.get("/dashboard/account").get_data(as_text=True)


def _no_store(response: Any) -> bool:
    return "no-store" in response.headers.get("Cache-Control", "")


def test_pages_that_show_secrets_are_not_stored(app, db, make_organization):
    browser = app.test_client()
    signup = browser.post("/signup", data=SIGNUP)
    assert "sk_user_" in signup.get_data(as_text=True) and _no_store(signup)
    assert _no_store(browser.post("/dashboard/account/user-key"))
    account = db.query(Account).filter_by(email=SIGNUP["email"]).one()
    org, test_key = make_organization(account=account)
    base = f"/dashboard/o/{org.id}"
    for path in ("/keys/test/reveal", "/keys/live"):
        shown = browser.post(base + path)
        assert shown.status_code == 200 and _no_store(shown), path
    api_key = browser.get(
        f"/v2/organizations/{org.id}/apikeys/test", headers={"Authorization": f"Bearer {test_key}"}
    )
    assert _no_store(api_key)

    from portal.services.accounts import make_reset_token

    reset = app.test_client().get(f"/password/reset/{make_reset_token(account)}")
    assert reset.status_code == 200 and _no_store(reset)

    secret = _customer_with_edit_link(db, org)
    tax_info = app.test_client().get(f"/tax-info/{secret}")
    assert tax_info.status_code == 200 and _no_store(tax_info)


def test_the_second_factor_secret_and_recovery_codes_are_not_stored(app, db, make_account):
    staff = make_staff(make_account)
    browser = app.test_client()
    browser.post("/admin/login", data={"email": staff.email, "password": PASSWORD})
    setup = browser.get("/admin/2fa/setup")
    secret = totp_for(db, staff).secret
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in setup.get_data(
        as_text=True
    )
    assert _no_store(setup)
    codes = browser.post("/admin/2fa/setup", data={"code": code_for(db, staff)})
    assert re.search(r"<code>[a-z2-9]{5}-[a-z2-9]{5}</code>", codes.get_data(as_text=True))
    assert _no_store(codes)


def _customer_with_edit_link(db: Any, org: Any) -> str:
    data = {"legal_name": "Cliente", "email": "c@example.com"}
    _customer, link = customers.create_customer(db, Tenant(org, False), data, edit_link=True)
    db.commit()
    return link.secret


def _staff_actor(make_account: Any) -> StaffActor:
    return StaffActor(make_staff(make_account).id, "127.0.0.1")


def test_edit_links_stop_when_the_organization_is_suspended_or_deleted(
    client, db, make_organization, make_account
):
    org, _key = make_organization()
    secret = _customer_with_edit_link(db, org)
    assert client.get(f"/tax-info/{secret}").status_code == 200
    staff = _staff_actor(make_account)
    support.suspend_organization(db, staff, org, "Fraude reportado por el SAT")
    db.commit()
    assert client.get(f"/tax-info/{secret}").status_code == 410
    assert client.post(f"/tax-info/{secret}", data={"tax_id": "XAXX010101000"}).status_code == 410
    support.reactivate_organization(db, staff, org)
    db.commit()
    assert client.get(f"/tax-info/{secret}").status_code == 200
    orgs.delete_organization(db, org)
    db.commit()
    assert client.get(f"/tax-info/{secret}").status_code == 410


@pytest.mark.parametrize("how", ["suspended", "deleted"])
def test_receipt_pages_stop_when_the_organization_is_suspended_or_deleted(
    client, db, make_organization, make_receipt, make_account, how
):
    org, key = make_organization(domain="tacos-ana")
    receipt = make_receipt(key)
    page = f"/tacos-ana/{receipt['key']}"
    answer = client.get(page)
    assert answer.status_code == 200 and _no_store(answer)
    if how == "suspended":
        support.suspend_organization(db, _staff_actor(make_account), org, "Fraude reportado")
    else:
        orgs.delete_organization(db, org)
    db.commit()
    assert client.get(page).status_code == 404
    assert client.get("/tacos-ana").status_code == 404
