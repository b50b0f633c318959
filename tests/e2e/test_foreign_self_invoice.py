"""A customer abroad on the self-invoice page in a real browser (phone and desktop): country,
foreign tax id and a US zip (90210) are accepted; the invoice goes to XEXX010101000."""

from __future__ import annotations

from lxml import etree
from playwright.sync_api import expect

from portal.database import set_write_intent
from tests.fixtures.browser import screenshot
from tests.fixtures.receipts import RECEIPT_ITEM
from tests.fixtures.sat_checks import verify_issuer_seal, xsd_problems


def test_a_customer_abroad_self_invoices(page, live_server, make_organization, db) -> None:
    org, key = make_organization(domain="kemper")
    db.commit()
    db.rollback()
    set_write_intent(False)
    response = page.request.post(
        "/v2/receipts",
        data={"items": [RECEIPT_ITEM], "payment_form": "01"},
        headers={"Authorization": f"Bearer {key}"},
    )
    receipt = response.json()
    page.goto(receipt["self_invoice_url"])
    page.get_by_label("RFC").fill("123456789")
    page.get_by_label("Nombre o razón social").fill("Acme Trading Inc")
    page.get_by_label("Código postal").fill("90210")
    page.get_by_label("País de residencia fiscal").fill("USA")
    page.get_by_label("Correo para recibir").fill("ap@acme.example")
    screenshot(page, "selfinvoice-foreign-form")
    page.get_by_role("button", name="Revisar mi factura").click()
    expect(page.get_by_role("heading", name="Confirma tu factura")).to_be_visible()
    expect(page.get_by_text("90210")).to_be_visible()
    expect(page.get_by_text("USA · Estados Unidos")).to_be_visible()
    screenshot(page, "selfinvoice-foreign-confirm")
    page.get_by_role("button", name="Emitir mi factura").click()
    expect(page.get_by_role("heading", name="¡Listo! Tu factura está emitida")).to_be_visible()
    with page.expect_download() as xml_download:
        page.get_by_role("link", name="Descargar XML").click()
    xml = open(xml_download.value.path(), "rb").read()
    assert xsd_problems(xml) == []
    verify_issuer_seal(xml)
    receptor = etree.fromstring(xml).find("{http://www.sat.gob.mx/cfd/4}Receptor")
    assert receptor.get("Rfc") == "XEXX010101000" and receptor.get("ResidenciaFiscal") == "USA"


def test_the_dashboard_saves_a_customer_abroad(page, make_account, make_organization) -> None:
    """The customer form takes a foreign tax id, country and a US zip, and keeps the zip."""
    from tests.fixtures.factories import PASSWORD

    account, _key = make_account(email="ana@example.com")
    org, _key = make_organization(account=account)
    page.goto("/login")
    page.get_by_label("Correo electrónico").fill("ana@example.com")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    page.goto(f"/dashboard/o/{org.id}/customers/new")
    page.get_by_label("RFC (o número fiscal si es extranjero)").fill("123456789")
    page.get_by_label("Nombre o razón social (sin régimen societario)").fill("Acme Trading Inc")
    page.get_by_label("Código postal").fill("90210")
    page.get_by_label("País (clave de 3 letras)").fill("USA")
    page.get_by_text("Domicilio (opcional)").click()
    page.get_by_label("Estado").fill("CA")
    page.get_by_label("Calle").fill("Rodeo Dr 1")
    screenshot(page, "customer-form-foreign")
    page.get_by_role("button", name="Guardar cliente").click()
    expect(page.get_by_text("Guardamos el cliente.")).to_be_visible()
    expect(page.get_by_label("Código postal")).to_have_value("90210")
    screenshot(page, "customer-saved-foreign")
