"""End customers in a real browser: a receipt's QR code to an invoice, and a tax-info edit link."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import update

from portal.cfdi import pdf
from portal.cfdi.pac import verify_seal, verify_tfd
from portal.database import set_write_intent
from portal.models.base import utcnow
from portal.models.invoices import LocalPacCredential
from portal.models.receipts import Receipt
from tests.fixtures.browser import screenshot
from tests.fixtures.receipts import BUYER, RECEIPT_ITEM


def _api(page, key, method, path, body=None):
    """Call the live server's API like a merchant's system would."""
    response = page.request.fetch(
        f"/v2{path}", method=method, data=body, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.ok, response.text()
    return response.json()


def _settle(db):
    # The test's own session must not hold SQLite's write lock while the server works.
    db.rollback()
    set_write_intent(False)


def test_receipt_qr_to_invoice(page, live_server, make_organization, smtp_server, db, org_csd):
    mailbox = smtp_server()
    org, key = make_organization(domain="kemper")
    org.self_invoice_support_email = "ayuda@kemper.mx"
    db.commit()
    _settle(db)
    receipt = _api(page, key, "POST", "/receipts", {"items": [RECEIPT_ITEM], "payment_form": "01"})
    ticket = page.request.get(
        f"/v2/receipts/{receipt['id']}/pdf", headers={"Authorization": f"Bearer {key}"}
    )
    assert ticket.body().startswith(b"%PDF")
    # The ticket's QR code encodes the self-invoice URL (the one we open next).
    assert pdf.receipt_context(receipt)["url"] == receipt["self_invoice_url"]
    assert receipt["self_invoice_url"] == f"{live_server}/kemper/{receipt['key']}"

    page.goto(receipt["self_invoice_url"])
    expect(page.get_by_role("heading", name="Factura tu compra")).to_be_visible()
    expect(page.get_by_text("Ukelele")).to_be_visible()
    screenshot(page, "selfinvoice-form")

    page.get_by_label("RFC").fill("ure18042")
    expect(page.locator("#tax_id")).to_have_value("URE18042")  # upper-cased as typed
    page.get_by_label("Código postal").fill("123")
    page.get_by_label("Correo para recibir").fill("no-es-correo")
    page.get_by_role("button", name="Revisar mi factura").click()
    expect(page.locator("#tax_id-err")).to_be_visible()
    expect(page.locator("#legal_name-err")).to_be_visible()
    expect(page.locator("#email-err")).to_be_visible()
    screenshot(page, "selfinvoice-errors")

    page.get_by_label("RFC").fill(BUYER["tax_id"])
    expect(page.locator("#rfc-live")).to_contain_text("12 caracteres")
    expect(page.locator("#tax_system option[value='605']")).to_be_hidden()  # individuals only
    page.get_by_label("Nombre o razón social").fill(BUYER["legal_name"])
    page.locator("#tax_system").select_option("601")
    expect(page.locator("#use option[value='D01']")).to_be_disabled()  # not for regime 601
    page.get_by_label("Código postal").fill(BUYER["zip"])
    page.locator("#use").select_option("G03")
    page.get_by_label("Correo para recibir").fill(BUYER["email"])
    page.get_by_role("button", name="Revisar mi factura").click()
    expect(page.get_by_role("heading", name="Confirma tu factura")).to_be_visible()
    expect(page.get_by_text("UNIVERSIDAD ROBÓTICA ESPAÑOLA")).to_be_visible()
    screenshot(page, "selfinvoice-confirm")

    page.get_by_role("button", name="Emitir mi factura").click()
    expect(page.get_by_role("heading", name="¡Listo! Tu factura está emitida")).to_be_visible()
    screenshot(page, "selfinvoice-result")
    with page.expect_download() as pdf_download:
        page.get_by_role("link", name="Descargar PDF").click()
    assert open(pdf_download.value.path(), "rb").read().startswith(b"%PDF")
    with page.expect_download() as xml_download:
        page.get_by_role("link", name="Descargar XML").click()
    xml = open(xml_download.value.path(), "rb").read()
    verify_seal(xml, org_csd.cer_der)
    verify_tfd(xml, db.get(LocalPacCredential, "default").cer_der)

    messages = mailbox.wait_for(1)
    assert messages and messages[0]["To"] == BUYER["email"]
    names = {part.get_filename() for part in messages[0].iter_attachments()}
    assert any(n.endswith(".pdf") for n in names) and any(n.endswith(".xml") for n in names)

    page.goto(receipt["self_invoice_url"])
    expect(page.get_by_role("heading", name="Esta compra ya fue facturada")).to_be_visible()
    screenshot(page, "selfinvoice-already-invoiced")
    page.get_by_label("RFC").fill(BUYER["tax_id"])
    page.get_by_role("button", name="Ver mi factura").click()
    expect(page.get_by_role("link", name="Descargar XML")).to_be_visible()

    late = _api(page, key, "POST", "/receipts", {"items": [RECEIPT_ITEM], "payment_form": "01"})
    db.rollback()
    set_write_intent(True)  # a write transaction from the start (SQLite: BEGIN IMMEDIATE)
    db.execute(
        update(Receipt).where(Receipt.id == late["id"]).values(expires_at=utcnow() - timedelta(1))
    )
    db.commit()
    _settle(db)
    page.goto(late["self_invoice_url"])
    expect(
        page.get_by_role("heading", name="El plazo para facturar esta compra terminó")
    ).to_be_visible()
    expect(page.get_by_text("ayuda@kemper.mx").first).to_be_visible()
    screenshot(page, "selfinvoice-expired")

    page.goto("/kemper/NoExiste123")
    expect(page.get_by_role("heading", name="Revisa la clave")).to_be_visible()  # its own page
    expect(page.get_by_label("Clave del recibo")).to_have_value("NoExiste123")
    screenshot(page, "selfinvoice-not-found")
    page.goto("/kemper")
    screenshot(page, "selfinvoice-key")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Invoice your purchase")).to_be_visible()
    screenshot(page, "selfinvoice-key-english")


def test_customer_edit_link(page, make_organization, db):
    _, key = make_organization(domain="kemper")
    _settle(db)
    customer = _api(page, key, "POST", "/customers?createEditLink=true", {"email": "c@example.com"})
    page.goto(customer["edit_link"])
    expect(page.get_by_role("heading", name="Actualiza tus datos fiscales")).to_be_visible()
    page.get_by_label("RFC").fill("AAA")
    page.get_by_role("button", name="Guardar mis datos").click()
    expect(page.locator("#tax_id-err")).to_be_visible()
    screenshot(page, "taxinfo-errors")
    page.get_by_label("RFC").fill(BUYER["tax_id"])
    page.get_by_label("Nombre o razón social").fill(BUYER["legal_name"])
    page.locator("#tax_system").select_option("601")
    page.get_by_label("Código postal").fill(BUYER["zip"])
    page.locator("#use").select_option("G03")
    page.get_by_role("button", name="Guardar mis datos").click()
    expect(
        page.get_by_role("heading", name="¡Gracias! Guardamos tus datos fiscales")
    ).to_be_visible()
    screenshot(page, "taxinfo-done")
    stored = _api(page, key, "GET", f"/customers/{customer['id']}")
    assert stored["tax_id"] == BUYER["tax_id"] and stored["address"]["zip"] == BUYER["zip"]
    page.goto(customer["edit_link"])
    expect(page.get_by_role("heading", name="Este enlace ya no funciona")).to_be_visible()
    screenshot(page, "taxinfo-used")


def test_dashboard_point_of_sale_and_qr(page, make_account, make_organization, db):
    from tests.fixtures.factories import PASSWORD

    account, _ = make_account()
    org, _ = make_organization(account=account, domain="kemper")
    _settle(db)
    page.goto("/login")
    page.get_by_label("Correo electrónico").fill(account.email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    page.goto(f"/dashboard/o/{org.id}/receipts")
    expect(page.get_by_role("heading", name="Aún no tienes recibos")).to_be_visible()
    page.get_by_role("link", name="Nuevo recibo").click()
    page.locator("#items-0-description").fill("Café americano")
    page.locator("#items-0-quantity").fill("2")
    page.locator("#items-0-price").fill("45")
    screenshot(page, "dashboard-receipt-form")
    page.get_by_role("button", name="Emitir recibo").click()
    qr_image = page.locator("img.receipt-qr")
    expect(qr_image).to_be_visible()
    assert qr_image.bounding_box()["width"] >= 240  # big enough to scan from the screen
    screenshot(page, "dashboard-receipt")
    page.get_by_role("link", name="Recibos", exact=True).click()
    expect(page.get_by_text("Café").or_(page.locator("code")).first).to_be_visible()
    screenshot(page, "dashboard-receipts")
    page.get_by_role("link", name="Factura global", exact=True).click()
    expect(page.get_by_role("heading", name="Qué incluirá")).to_be_visible()
    screenshot(page, "dashboard-global-invoice")
    page.goto(f"/dashboard/o/{org.id}/receipts/portal-preview")
    expect(page.get_by_text("Vista previa")).to_be_visible()
    screenshot(page, "dashboard-portal-preview")
