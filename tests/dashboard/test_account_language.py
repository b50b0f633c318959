"""A person's interface language is kept on the account: it follows them to another browser."""

from __future__ import annotations

from portal.extensions import db
from portal.models.accounts import Account
from tests.fixtures.factories import PASSWORD


def fresh_browser(app, account):
    other = app.test_client()
    with other.session_transaction() as session:
        session["_user_id"] = account.get_id()
        session["_fresh"] = True
    return other


def test_the_language_chosen_on_the_account_page_follows_the_account(
    app, client, make_account, login_as
):
    account = make_account()[0]
    login_as(account)
    page = client.get("/dashboard/account").get_data(as_text=True)
    assert "Idioma" in page and 'value="en"' in page

    answer = client.post("/dashboard/account/language", data={"lang-language": "en"})

    assert answer.status_code == 302
    assert db.session.get(Account, account.id).language == "en"
    elsewhere = fresh_browser(app, account).get("/dashboard/account").get_data(as_text=True)
    assert "My account" in elsewhere and "Mi cuenta" not in elsewhere


def test_a_language_not_offered_is_refused_beside_the_field(client, make_account, login_as):
    account = make_account()[0]
    login_as(account)

    answer = client.post("/dashboard/account/language", data={"lang-language": "fr"})

    assert answer.status_code == 400
    assert 'id="lang-language-err"' in answer.get_data(as_text=True)
    assert db.session.get(Account, account.id).language is None


def test_the_header_switch_saves_the_language_of_a_signed_in_person(
    app, client, make_account, login_as
):
    account = make_account()[0]
    login_as(account)

    client.post("/lang/en")

    assert db.session.get(Account, account.id).language == "en"
    page = fresh_browser(app, account).get("/dashboard/").get_data(as_text=True)
    assert "New organization" in page


def test_without_a_saved_language_the_browser_decides(app, make_account):
    account = make_account()[0]
    page = fresh_browser(app, account).get(
        "/dashboard/account", headers={"Accept-Language": "en-US,en;q=0.9"}
    )
    assert "My account" in page.get_data(as_text=True)


def test_a_remember_me_cookie_alone_brings_the_saved_language(app, client, make_account):
    """A browser that kept only the remember-me cookie (its session gone) is still the
    person's: the saved language is looked up though the session names nobody."""
    account = make_account(email="bo@example.com")[0]
    account.language = "en"
    db.session.commit()
    client.post("/login", data={"email": "bo@example.com", "password": PASSWORD, "remember": "y"})
    token = client.get_cookie("remember_token")
    assert token is not None
    returning = app.test_client()
    returning.set_cookie("remember_token", token.value)

    # A page open to anyone: nothing but the language choice asks who this is.
    page = returning.get("/no-such-page", headers={"Accept-Language": "es-MX"})

    assert page.status_code == 404 and "<title>404 · Invoicing portal" in page.get_data(
        as_text=True
    )
