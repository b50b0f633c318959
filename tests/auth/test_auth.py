"""Sign-up, login throttling, logout, password reset, account changes."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.models.accounts import Account
from portal.models.mail import OutboxEmail
from tests.fixtures.factories import PASSWORD

GOOD = "una frase secreta larga"


def _signup(client, **overrides):
    data = {"name": "Ana", "email": "ana@example.com", "password": GOOD, "confirm": GOOD}
    return client.post("/signup", data={**data, **overrides})


def test_signup_creates_account_with_hashed_password_and_shows_user_key_once(client, db):
    response = _signup(client)
    assert response.status_code == 200  # the account page, key included, on this answer only
    account = db.scalar(select(Account).where(Account.email == "ana@example.com"))
    assert account.password_hash.startswith("$argon2id$")
    page = response.get_data(as_text=True)
    key = re.search(r"sk_user_[A-Za-z0-9]{32}", page).group(0)
    assert account.user_key_hash != key and key not in account.user_key_hash
    again = client.get("/dashboard/account").get_data(as_text=True)
    assert key not in again and account.user_key_prefix in again


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"password": "short", "confirm": "short"}, "al menos 10 caracteres"),
        ({"password": "1234567890", "confirm": "1234567890"}, "demasiado fácil"),
        ({"confirm": "otra cosa distinta"}, "no coinciden"),
        ({"email": "not-an-email"}, "no es válido"),
        ({"email": "a" * 250 + "@x.mx"}, "como máximo 254 caracteres"),
        ({"name": ""}, "Escribe tu nombre"),
        ({"name": "n" * 121}, "como máximo 120 caracteres"),
    ],
)
def test_signup_bad_input_gets_a_message_and_creates_nothing(client, db, overrides, message):
    response = _signup(client, **overrides)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.scalar(select(Account)) is None


def test_signup_with_a_taken_email_says_so(client, make_account, db):
    make_account(email="ana@example.com")
    response = _signup(client, email="ANA@example.com ")
    assert response.status_code == 400
    assert "Ya existe una cuenta con este correo" in response.get_data(as_text=True)
    assert len(db.scalars(select(Account)).all()) == 1


def test_login_and_logout(client, make_account):
    make_account(email="bo@example.com")
    response = client.post("/login", data={"email": "Bo@Example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/dashboard/").status_code == 200
    client.post("/logout")
    assert client.get("/dashboard/").status_code == 302


def test_wrong_password_and_unknown_email_get_the_same_message(client, make_account):
    make_account(email="bo@example.com")
    wrong = client.post("/login", data={"email": "bo@example.com", "password": "nope nope nope"})
    unknown = client.post("/login", data={"email": "who@example.com", "password": "nope nope"})
    assert wrong.status_code == unknown.status_code == 400
    message = "El correo o la contraseña no son correctos."
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)


def test_login_is_throttled_per_account(client, make_account):
    make_account(email="bo@example.com")
    for _ in range(5):
        client.post("/login", data={"email": "bo@example.com", "password": "wrong password"})
    response = client.post("/login", data={"email": "bo@example.com", "password": PASSWORD})
    assert "Demasiadas solicitudes" in response.get_data(as_text=True)
    assert client.get("/dashboard/").status_code == 302


def test_login_is_throttled_per_ip_across_accounts(client, make_account):
    make_account(email="bo@example.com")
    for n in range(30):
        client.post("/login", data={"email": f"x{n}@example.com", "password": "wrong pass"})
    response = client.post("/login", data={"email": "bo@example.com", "password": PASSWORD})
    assert "Demasiadas solicitudes" in response.get_data(as_text=True)


def test_remember_me_sets_a_lasting_cookie(client, make_account):
    make_account(email="bo@example.com")
    client.post("/login", data={"email": "bo@example.com", "password": PASSWORD, "remember": "y"})
    assert client.get_cookie("remember_token") is not None


def test_login_redirect_target_must_be_local(client, make_account):
    make_account(email="bo@example.com")
    response = client.post(
        "/login?next=//evil.example/x", data={"email": "bo@example.com", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/dashboard/"


def _reset_link(db) -> str:
    email = db.scalar(select(OutboxEmail).where(OutboxEmail.kind == "password_reset"))
    return re.search(r"http://\S+/password/reset/\S+", email.text_body).group(0)


def test_password_reset_by_email_is_single_use(client, make_account, db):
    make_account(email="bo@example.com")
    client.post("/password/forgot", data={"email": "bo@example.com"})
    path = _reset_link(db).split("localhost", 1)[1]
    response = client.post(path, data={"password": GOOD, "confirm": GOOD})
    assert response.status_code == 302
    assert (
        client.post("/login", data={"email": "bo@example.com", "password": GOOD}).status_code == 302
    )
    reused = client.post(path, data={"password": GOOD + "x", "confirm": GOOD + "x"})
    assert reused.status_code == 400 and "ya se usó" in reused.get_data(as_text=True)


def test_password_reset_token_expires(client, make_account, db, app, monkeypatch):
    from portal.services import accounts

    account, _key = make_account(email="bo@example.com")
    with app.test_request_context():
        token = accounts.make_reset_token(account)
    monkeypatch.setattr(accounts, "RESET_MAX_AGE", -1)
    response = client.post(f"/password/reset/{token}", data={"password": GOOD, "confirm": GOOD})
    assert response.status_code == 400
    assert "caducó" in response.get_data(as_text=True)


def test_forgot_password_does_not_reveal_accounts(client, db):
    response = client.post(
        "/password/forgot", data={"email": "nobody@example.com"}, follow_redirects=True
    )
    assert "Si hay una cuenta con ese correo" in response.get_data(as_text=True)
    assert db.scalar(select(OutboxEmail)) is None


def test_change_password_ends_other_sessions(client, app, make_account, login_as):
    account, _key = make_account(email="bo@example.com")
    other = app.test_client()
    other.post("/login", data={"email": "bo@example.com", "password": PASSWORD})
    login_as(account)
    response = client.post(
        "/dashboard/account/password",
        data={"pw-current_password": PASSWORD, "pw-password": GOOD, "pw-confirm": GOOD},
    )
    assert response.status_code == 302
    assert client.get("/dashboard/").status_code == 200
    assert other.get("/dashboard/").status_code == 302


def test_change_password_needs_the_current_one(client, make_account, login_as):
    account, _key = make_account()
    login_as(account)
    response = client.post(
        "/dashboard/account/password",
        data={"pw-current_password": "wrong wrong", "pw-password": GOOD, "pw-confirm": GOOD},
    )
    assert response.status_code == 400
    assert "La contraseña actual no es correcta" in response.get_data(as_text=True)


def test_change_email(client, make_account, login_as, db):
    account, _key = make_account(email="bo@example.com")
    make_account(email="taken@example.com")
    login_as(account)
    taken = client.post(
        "/dashboard/account/email", data={"em-email": "taken@example.com", "em-password": PASSWORD}
    )
    assert "Ya existe una cuenta" in taken.get_data(as_text=True)
    client.post(
        "/dashboard/account/email", data={"em-email": "new@example.com", "em-password": PASSWORD}
    )
    db.expire_all()
    assert db.get(Account, account.id).email == "new@example.com"


def test_forms_refuse_a_missing_or_forged_csrf_token(client, app, monkeypatch, db):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    missing = _signup(client)
    forged = _signup(client, csrf_token="forged")
    for response in (missing, forged):
        assert response.status_code == 400
        assert "El formulario caducó" in response.get_data(as_text=True)
    assert db.scalar(select(Account)) is None


def test_dashboard_needs_login(client):
    response = client.get("/dashboard/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
