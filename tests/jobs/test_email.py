"""Email through a real SMTP server (aiosmtpd): every kind, attachments, TLS, auth, retries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from portal.models.base import utcnow
from portal.models.events import WebhookDelivery
from portal.models.mail import OutboxEmail
from portal.services import events, webhooks
from portal.services import mail as mail_service
from tests.fixtures.invoices import CUSTOMER

LOGIN = ("mailer", "s3cret-pass")


def _attachments(message: Any) -> list[tuple[str, str, bytes]]:
    return [
        (part.get_filename(), part.get_content_type(), part.get_content())
        for part in message.iter_attachments()
    ]


def _send_every_kind(
    db: Any, client: Any, api: Any, make_organization: Any, app: Any, receiver: Any, bodies: Any
) -> Any:
    """Cause one message of each kind, through the code paths that send them."""
    invoice_body, receipt_body = bodies
    org, key = make_organization(domain="kemper")
    org_api = api(key)
    invoice = org_api.post("/invoices", json=invoice_body()).json
    assert org_api.post(f"/invoices/{invoice['id']}/email").status_code == 200
    receipt = org_api.post("/receipts", json=receipt_body()).json
    assert org_api.post(f"/receipts/{receipt['id']}/email", json={"email": "r@example.com"}).json
    customer = org_api.post("/customers", json=CUSTOMER).json
    assert org_api.post(f"/customers/{customer['id']}/email-edit-link", json={}).status_code == 200
    from portal.models.accounts import Account
    from portal.services import accounts

    account = db.get(Account, org.account_id)
    with app.test_request_context():
        accounts.send_password_reset(db, account)
    db.commit()
    # A webhook that exhausted its retries: its last attempt fails and the reseller is told.
    webhooks.create_webhook(
        db, org.id, False, {"url": receiver.url, "enabled_events": ["invoice.status_updated"]}
    )
    receiver.statuses = [500]
    events.record(db, org.id, False, "invoice.status_updated", {"type": "invoice", "object": {}})
    delivery = db.scalar(select(WebhookDelivery))
    delivery.attempts = len(webhooks.RETRY_DELAYS)
    db.commit()
    return invoice, account


def test_every_kind_arrives_over_starttls_with_auth(
    db: Any,
    client: Any,
    api: Any,
    app: Any,
    make_organization: Any,
    receiver: Any,
    smtp_server: Any,
    invoice_body: Any,
    receipt_body: Any,
) -> None:
    server = smtp_server(tls=True, login=LOGIN)
    invoice, account = _send_every_kind(
        db, client, api, make_organization, app, receiver, (invoice_body, receipt_body)
    )
    messages = {m["Subject"]: m for m in server.wait_for(5)}
    sent = db.scalars(select(OutboxEmail)).all()
    assert [e.status for e in sent] == ["sent"] * 5
    by_kind = {e.kind: messages[e.subject] for e in sent}
    assert sorted(by_kind) == [
        "customer_edit_link",
        "invoice",
        "password_reset",
        "receipt",
        "webhook_failing",
    ]
    invoice_files = _attachments(by_kind["invoice"])
    assert [(name.rsplit(".", 1)[1], kind) for name, kind, _ in invoice_files] == [
        ("pdf", "application/pdf"),
        ("xml", "application/xml"),
    ]
    assert (
        invoice_files[0][2].startswith(b"%PDF") and invoice["uuid"].encode() in invoice_files[1][2]
    )
    [(_, receipt_type, receipt_pdf)] = _attachments(by_kind["receipt"])
    assert receipt_type == "application/pdf" and receipt_pdf.startswith(b"%PDF")
    assert "/tax-info/" in by_kind["customer_edit_link"].get_body(("plain",)).get_content()
    assert "http://localhost/" in by_kind["password_reset"].get_body(("plain",)).get_content()
    failing = by_kind["webhook_failing"]
    assert (
        failing["To"] == account.email
        and receiver.url in failing.get_body(("plain",)).get_content()
    )
    for message in by_kind.values():  # every message has a text part and an HTML alternative
        assert message.get_body(("html",)) is not None and message.get_body(("plain",)) is not None


def test_plain_smtp_without_tls(db: Any, app: Any, smtp_server: Any, make_account: Any) -> None:
    server = smtp_server()
    account, _ = make_account()
    with app.test_request_context():
        from portal.services import accounts

        accounts.send_password_reset(db, account)
    db.commit()
    [message] = server.wait_for(1)
    assert message["To"] == account.email


def test_smtp_failures_are_retried_later(
    db: Any, app: Any, smtp_server: Any, make_account: Any, monkeypatch: Any
) -> None:
    from portal.jobs import mail as mail_jobs
    from portal.jobs.mail import sweep_emails

    account, _ = make_account()
    monkeypatch.setitem(app.config, "MAIL_URL", "smtp://127.0.0.1:9?tls=0")  # nothing listens
    with app.test_request_context():
        from portal.services import accounts

        accounts.send_password_reset(db, account)
    db.commit()
    email = db.scalar(select(OutboxEmail))
    db.refresh(email)
    assert email.status == "pending" and email.attempts == 1 and "Connection" in email.last_error
    server = smtp_server()
    sweep_emails()
    assert server.messages == []  # not due yet
    later = utcnow() + timedelta(seconds=mail_service.RETRY_DELAYS[0] + 1)
    monkeypatch.setattr(mail_service, "utcnow", lambda: later)
    monkeypatch.setattr(mail_jobs, "utcnow", lambda: later)
    sweep_emails()
    assert len(server.wait_for(1)) == 1
    db.rollback()  # end the test's read snapshot
    db.refresh(email)
    assert email.status == "sent" and email.attempts == 2


def test_without_mail_url_messages_are_kept(db: Any, app: Any, make_account: Any) -> None:
    account, _ = make_account()
    assert not app.config["MAIL_URL"]
    with app.test_request_context():
        from portal.services import accounts

        accounts.send_password_reset(db, account)
    db.commit()
    assert db.scalar(select(OutboxEmail.status)) == "kept"
