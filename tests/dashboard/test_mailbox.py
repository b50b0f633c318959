"""The development mailbox: the account's own and its organizations' messages only."""

from __future__ import annotations

from typing import Any

from portal.services.mail import attachment, queue_email

CONTEXT = {"account": None, "link": "http://localhost/reset/x"}


def _message(db: Any, subject: str, **owner: Any) -> Any:
    email = queue_email(
        db,
        "password_reset",
        ["someone@example.com"],
        subject,
        CONTEXT,
        [attachment("factura.xml", "application/xml", b"<cfdi/>")],
        **owner,
    )
    db.commit()
    return email


def test_mailbox_shows_own_and_organization_messages_only(
    db: Any, make_account: Any, make_organization: Any, login_as: Any
) -> None:
    account, _ = make_account()
    org, _ = make_organization(account=account)
    stranger, _ = make_account()
    own = _message(db, "Para la cuenta", account_id=account.id)
    of_org = _message(db, "Para la organización", organization_id=org.id)
    other = _message(db, "Ajeno", account_id=stranger.id)
    client = login_as(account)

    listing = client.get("/dashboard/dev/mailbox").get_data(as_text=True)
    assert "Para la cuenta" in listing and "Para la organización" in listing
    assert "Ajeno" not in listing

    page = client.get(f"/dashboard/dev/mailbox/{own.id}").get_data(as_text=True)
    assert "http://localhost/reset/x" in page and "factura.xml" in page

    html = client.get(f"/dashboard/dev/mailbox/{of_org.id}/html")
    assert html.status_code == 200 and html.mimetype == "text/html"
    assert html.headers["Content-Security-Policy"] == (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
    )
    download = client.get(f"/dashboard/dev/mailbox/{own.id}/attachments/0")
    assert download.data == b"<cfdi/>" and "factura.xml" in download.headers["Content-Disposition"]
    assert client.get(f"/dashboard/dev/mailbox/{own.id}/attachments/1").status_code == 404

    for path in ("", "/html", "/attachments/0"):
        assert client.get(f"/dashboard/dev/mailbox/{other.id}{path}").status_code == 404


def test_mailbox_needs_a_login_and_disappears_with_smtp(
    db: Any, client: Any, app: Any, make_account: Any, login_as: Any, monkeypatch: Any
) -> None:
    assert client.get("/dashboard/dev/mailbox").status_code == 302
    account, _ = make_account()
    monkeypatch.setitem(app.config, "MAIL_URL", "smtp://127.0.0.1:9")
    assert login_as(account).get("/dashboard/dev/mailbox").status_code == 404


def test_the_dashboard_links_the_mailbox_in_development_only(
    app: Any, db: Any, make_account: Any, login_as: Any
) -> None:
    account, _ = make_account()
    client = login_as(account)
    assert 'href="/dashboard/dev/mailbox"' in client.get("/dashboard/").get_data(as_text=True)
    app.config["MAIL_URL"] = "smtp://127.0.0.1:2525"
    try:
        page = client.get("/dashboard/").get_data(as_text=True)
        assert 'href="/dashboard/dev/mailbox"' not in page
    finally:
        app.config["MAIL_URL"] = None
