"""Issue 14 in a browser: an organization in Tijuana (22000, Pacific time) issues from the
dashboard to the general public's RFC with a buyer's name (a nominative sale, CFDI40146 allows
it), is told what PUBLICO EN GENERAL needs (a global invoice), invoices a foreign customer
(XEXX010101000 with ResidenciaFiscal and NumRegIdTrib), and its self-invoice page explains the
generic RFC. Screenshots at 390 px and 1280 px land in test-artifacts/."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from lxml import etree
from playwright.sync_api import expect
from sqlalchemy import select

from portal.database import set_write_intent
from portal.models.invoices import Invoice
from portal.services import organizations as orgs
from tests.fixtures.browser import screenshot
from tests.fixtures.factories import LEGAL, PASSWORD
from tests.fixtures.receipts import RECEIPT_ITEM

CFDI = "{http://www.sat.gob.mx/cfd/4}"
TIJUANA = ZoneInfo("America/Tijuana")
FOREIGN = {
    "legal_name": "Acme Corporation",
    "tax_id": "123456789",
    "tax_system": "616",
    "address": {"country": "USA"},
}


def _sign_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()


def _api(page, key, path, body):
    response = page.request.post(
        f"/v2{path}", data=body, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.ok, response.text()
    return response.json()


def _line(page, description: str, price: str) -> None:
    page.locator("#items-0-description").fill(description)
    page.locator("#items-0-product_key").fill("60131324")
    page.locator("#items-0-quantity").fill("1")
    page.locator("#items-0-price").fill(price)


def _receiver(page, rfc: str, name: str) -> None:
    page.get_by_label("RFC", exact=True).fill(rfc)
    page.get_by_label("Nombre o razón social").fill(name)
    page.get_by_label("Régimen fiscal").select_option("616")
    page.get_by_label("Código postal fiscal").fill("22000")
    page.locator("#use").select_option("S01")


def _stamped_receptor(db, folio: int) -> etree._Element:
    db.rollback()
    invoice = db.scalars(select(Invoice).where(Invoice.folio_number == folio)).one()
    root = etree.fromstring(invoice.xml)
    db.rollback()
    return root


def _tijuana_org(make_account, make_organization, db, email):
    account, _key = make_account(email=email)
    org, key = make_organization(account=account, domain="tijuana")
    orgs.update_legal(org, {**LEGAL, "address": {**LEGAL["address"], "zip": "22000"}})
    db.commit()
    db.rollback()
    set_write_intent(False)
    return org, key


def test_border_zone_generic_and_foreign_receivers_from_the_dashboard(
    page, make_account, make_organization, db
):
    org, key = _tijuana_org(make_account, make_organization, db, "tijuana@example.com")
    _sign_in(page, "tijuana@example.com")

    # PUBLICO EN GENERAL without a global invoice: the form says what is needed.
    page.goto(f"/dashboard/o/{org.id}/invoices/new")
    _receiver(page, "XAXX010101000", "PUBLICO EN GENERAL")
    _line(page, "Ukelele", "345.60")
    page.get_by_role("button", name="Timbrar", exact=True).click()
    expect(page.get_by_text("factura global")).to_be_visible()
    screenshot(page, "issuance-public-general-refused")

    # The same RFC with the buyer's name is a nominative sale, stamped in Pacific time.
    page.goto(f"/dashboard/o/{org.id}/invoices/new")
    _receiver(page, "XAXX010101000", "MARIA LOPEZ")
    _line(page, "Ukelele", "345.60")
    page.get_by_role("button", name="Timbrar", exact=True).click()
    expect(page.get_by_text("Vigente")).to_be_visible()
    now = datetime.now(TIJUANA)
    shown = {
        format_datetime(now - timedelta(minutes=m), "d MMM y HH:mm", locale="es") + " (Tijuana)"
        for m in range(3)
    }
    fecha = page.locator("dt", has_text="Fecha").locator("xpath=following-sibling::dd[1]")
    assert fecha.inner_text().strip() in shown  # Pacific time, its zone named
    screenshot(page, "issuance-nominative-tijuana")
    root = _stamped_receptor(db, 1)
    receptor = root.find(f"{CFDI}Receptor")
    assert (receptor.get("Rfc"), receptor.get("Nombre")) == ("XAXX010101000", "MARIA LOPEZ")
    assert root.get("LugarExpedicion") == "22000"
    fecha_xml = datetime.fromisoformat(root.get("Fecha"))
    assert format_datetime(fecha_xml, "d MMM y HH:mm", locale="es") + " (Tijuana)" in shown

    # A foreign customer saved once, then invoiced from the form.
    foreign = _api(page, key, "/customers", FOREIGN)
    page.goto(f"/dashboard/o/{org.id}/invoices/new")
    page.locator("#customer_id").select_option(foreign["id"])
    expect(page.locator("#tax_id")).to_be_hidden()  # no empty RFC fields beside a saved one
    page.locator("#use").select_option("S01")
    _line(page, "Ukelele de exportación", "1000")
    screenshot(page, "issuance-foreign-form")
    page.get_by_role("button", name="Timbrar", exact=True).click()
    expect(page.get_by_text("Vigente")).to_be_visible()
    screenshot(page, "issuance-foreign-detail")
    receptor = _stamped_receptor(db, 2).find(f"{CFDI}Receptor")
    assert receptor.get("Rfc") == "XEXX010101000"
    assert (receptor.get("ResidenciaFiscal"), receptor.get("NumRegIdTrib")) == ("USA", "123456789")


def test_self_invoice_page_explains_the_generic_rfc(page, make_account, make_organization, db):
    _org, key = _tijuana_org(make_account, make_organization, db, "autofactura@example.com")
    receipt = _api(page, key, "/receipts", {"items": [RECEIPT_ITEM], "payment_form": "01"})
    page.goto(receipt["self_invoice_url"])
    expect(page.get_by_role("heading", name="Factura tu compra")).to_be_visible()
    now = datetime.now(TIJUANA)
    times = [
        format_datetime(now - timedelta(minutes=m), "d MMM y HH:mm", locale="es") + " (Tijuana)"
        for m in range(3)
    ]
    purchase = page.get_by_text("Folio 1").inner_text()
    assert any(t in purchase for t in times), purchase  # the purchase in Pacific time
    page.get_by_label("RFC").fill("XAXX010101000")
    screenshot(page, "issuance-selfinvoice-generic")
    page.get_by_label("Nombre o razón social").fill("PUBLICO EN GENERAL")
    page.get_by_role("button", name="Revisar mi factura").click()
    expect(page.locator("#tax_id-err")).to_contain_text("factura global que el comercio")
    screenshot(page, "issuance-selfinvoice-generic-submitted")
    page.get_by_label("RFC").fill("XEXX010101000")
    page.get_by_role("button", name="Revisar mi factura").click()
    expect(page.locator("#tax_id-err")).to_contain_text("País de residencia fiscal")

    # As the hint says: the country and the foreign tax id, stamped in Tijuana.
    page.get_by_label("País de residencia fiscal").fill("USA")
    page.get_by_label("RFC").fill("123456789")
    page.get_by_label("Nombre o razón social").fill("Acme Trading Inc")
    page.get_by_label("Código postal").fill("90210")
    page.get_by_label("Correo para recibir").fill("ap@acme.example")
    page.get_by_role("button", name="Revisar mi factura").click()
    expect(page.get_by_role("heading", name="Confirma tu factura")).to_be_visible()
    screenshot(page, "issuance-selfinvoice-foreign-confirm")
    page.get_by_role("button", name="Emitir mi factura").click()
    expect(page.get_by_role("heading", name="¡Listo! Tu factura está emitida")).to_be_visible()
    screenshot(page, "issuance-selfinvoice-foreign-done")
    root = _stamped_receptor(db, 1)
    receptor = root.find(f"{CFDI}Receptor")
    assert (receptor.get("Rfc"), receptor.get("ResidenciaFiscal")) == ("XEXX010101000", "USA")
    assert receptor.get("DomicilioFiscalReceptor") == root.get("LugarExpedicion") == "22000"
