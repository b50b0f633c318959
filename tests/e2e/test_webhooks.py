"""In a browser: add a webhook, see a signed delivery and its attempts, resend, read activity
and the development mailbox."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from portal.services import events
from portal.services.mail import attachment, queue_email
from tests.fixtures.browser import screenshot
from tests.fixtures.factories import PASSWORD

DATA = {"type": "invoice", "object": {"id": "inv1", "status": "valid"}}


def test_webhooks_activity_and_mailbox(
    page: Any, db: Any, make_account: Any, make_organization: Any, receiver: Any
) -> None:
    account, _ = make_account(email="hooks@example.com")
    org, _ = make_organization(account=account)
    org_id, account_id = org.id, account.id
    page.goto("/login")
    page.get_by_label("Correo electrónico").fill("hooks@example.com")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()

    page.goto(f"/dashboard/o/{org_id}/webhooks")
    page.get_by_label("URL").fill("http://10.0.0.5/hook")
    page.get_by_role("button", name="Crear webhook").click()
    expect(page.get_by_text("dirección privada")).to_be_visible()
    screenshot(page, "webhooks-refused")
    page.get_by_label("URL").fill(receiver.url)
    page.get_by_role("button", name="Crear webhook").click()
    expect(page.get_by_text("Creamos el webhook")).to_be_visible()
    expect(page.locator("code.secret")).to_contain_text("whsec_")
    screenshot(page, "webhook-created")
    page.goto(page.url.rsplit("/webhooks", 1)[0] + "/webhooks")
    page.get_by_role("link", name=receiver.url).click()

    receiver.statuses = [500]
    db.rollback()  # a fresh transaction: the live server wrote since the test last read
    events.record(db, org_id, False, "invoice.status_updated", DATA)
    db.commit()
    page.reload()
    expect(page.get_by_text("500", exact=True)).to_be_visible()
    page.get_by_role("button", name="Reenviar").click()
    expect(page.get_by_text("Reenviamos el evento.")).to_be_visible()
    expect(page.get_by_text("Entregado")).to_be_visible()
    screenshot(page, "webhook-deliveries")

    page.goto(f"/dashboard/o/{org_id}/activity")
    expect(page.get_by_text("invoice.status_updated")).to_be_visible()
    screenshot(page, "activity")

    context = {"account": None, "link": "http://localhost/password/reset/abc"}
    db.rollback()
    files = [attachment("factura.xml", "application/xml", b"<cfdi/>")]
    queue_email(
        db,
        "password_reset",
        ["hooks@example.com"],
        "Restablece tu contraseña",
        context,
        files,
        account_id=account_id,
    )
    db.commit()
    page.goto("/dashboard/dev/mailbox")
    expect(page.get_by_role("heading", name="Buzón de desarrollo")).to_be_visible()
    screenshot(page, "mailbox")
    page.get_by_role("link", name="Restablece tu contraseña").click()
    expect(page.get_by_text("http://localhost/password/reset/abc")).to_be_visible()
    screenshot(page, "mailbox-message")
