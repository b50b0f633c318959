"""In a browser, what a small business does with the dashboard: an invoice from saved products
with three tax treatments (IVA 16 % included, IVA exempt, IVA 0 % plus), its payment, a credit
note, and its cancellation with a substitute (motive 01)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.e2e.test_invoices import _fill_customer, _sign_in
from tests.fixtures.browser import screenshot

pytestmark = pytest.mark.e2e


def _products(db, org) -> str:
    from portal.services import customers, products
    from portal.tenancy import Tenant
    from tests.fixtures.invoices import CUSTOMER

    tenant = Tenant(org, False)
    customer, _link = customers.create_customer(db, tenant, dict(CUSTOMER))
    for data in (
        {"description": "Ukelele soprano", "product_key": "60131324", "price": 1160,
         "sku": "UK-1"},
        {"description": "Clase de música", "product_key": "86101700", "price": 500,
         "unit_key": "E48", "taxes": [{"type": "IVA", "factor": "Exento"}]},
        {"description": "Tortilla de maíz", "product_key": "50221200", "price": 20,
         "unit_key": "KGM", "tax_included": False, "taxes": [{"type": "IVA", "rate": 0}]},
    ):  # fmt: skip
        products.create_product(db, tenant, data)
    db.commit()
    return customer.id


def _add_product(page, word: str, description: str) -> None:
    page.get_by_label("Agregar un producto guardado").fill(word)
    hit = page.locator("#product-hits li", has_text=description)
    hit.get_by_role("button", name="Agregar").click()


def _cancel(page, motive: str, substitution: str = "") -> None:
    page.get_by_label("Motivo", exact=True).select_option(motive)
    page.get_by_label("Factura que la sustituye (motivo 01)").fill(substitution)
    page.get_by_role("button", name="Cancelar ante el SAT").click()
    expect(page.get_by_text("Factura cancelada ante el SAT.")).to_be_visible()


def test_invoice_payment_credit_note_and_substitution(
    page, make_account, make_organization, db
) -> None:
    email = f"negocio-{page.viewport_name}@example.com"
    account, _key = make_account(email=email)
    org, _key = make_organization(account=account)
    org_id = org.id
    customer_id = _products(db, org)
    page.on("dialog", lambda dialog: dialog.accept())
    _sign_in(page, email)
    page.goto(f"/dashboard/o/{org_id}/invoices/new")
    page.get_by_label("Cliente guardado").select_option(customer_id)
    expect(page.locator("#inline-customer")).to_be_hidden()  # no empty inline fields left
    expect(page.locator("#saved-customer")).to_contain_text("URE180429TM6")
    _add_product(page, "ukel", "Ukelele soprano")
    _add_product(page, "clase", "Clase de música")
    _add_product(page, "50221200", "Tortilla de maíz")  # by its SAT key
    lines = page.locator("#invoice-lines [data-line]")
    expect(lines).to_have_count(3)
    expect(lines.nth(1).locator("select[name$='-iva']")).to_have_value("exento")
    lines.nth(2).locator("input[name$='-quantity']").fill("10")
    expect(lines.nth(0)).to_contain_text("Total del concepto 1,160.00")
    expect(lines.nth(1)).to_contain_text("IVA exento")
    expect(lines.nth(2)).to_contain_text("Total del concepto 200.00")
    expect(page.locator('[data-total="total"]')).to_have_text("1,860.00 MXN")
    page.get_by_role("button", name="Añadir concepto").click()  # a typed line, keys by words
    expect(lines).to_have_count(4)
    page.locator("#items-3-product_key").fill("guitarra")
    expect(page.locator("#items-3-product_key-list option").first).to_have_attribute(
        "value", "60131303"
    )
    lines.nth(3).get_by_role("button", name="Quitar").click()
    expect(lines).to_have_count(3)
    expect(page.locator('[data-total="total"]')).to_have_text("1,860.00 MXN")
    page.get_by_label("Método de pago").select_option("PPD")
    page.get_by_label("Forma de pago", exact=True).select_option("99")
    screenshot(page, "journey-invoice-form")
    page.get_by_role("button", name="Timbrar", exact=True).click()
    expect(page.get_by_text("Factura timbrada.")).to_be_visible()
    table = page.locator("#invoice-lines")
    expect(table).to_contain_text("IVA 16 %: 160.00")
    expect(table).to_contain_text("IVA exento")
    expect(table).to_contain_text("IVA 0 %: 0.00")
    original_url = page.url
    original_uuid = page.locator(".invoice-facts dd.mono").inner_text().strip()
    screenshot(page, "journey-invoice-page")

    today = datetime.now(ZoneInfo("America/Mexico_City")).date().isoformat()
    page.get_by_label("Fecha del pago").fill(today)
    page.get_by_label("Forma de pago").first.select_option("03")
    page.get_by_label("Importe pagado").fill("860.00")
    page.get_by_role("button", name="Emitir complemento de pago").click()
    expect(page.get_by_text("Pago registrado")).to_be_visible()
    expect(page.get_by_text("Saldo: 1,000.00 MXN")).to_be_visible()

    page.get_by_text("Emitir una nota de crédito").click()
    expect(page.locator("#credit-iva")).to_have_value("16")  # the invoice's first line's IVA
    page.get_by_label("Concepto", exact=True).fill("Descuento por pronto pago")
    page.get_by_label("Importe con impuestos").fill("116.00")
    page.get_by_role("button", name="Emitir nota de crédito").click()
    expect(page.get_by_text("emitida.")).to_be_visible()
    screenshot(page, "journey-payment-and-credit-note")

    for section in ("#credit-notes", "#payments"):  # SAT: related documents are cancelled first
        page.goto(original_url)
        page.locator(f"{section} a").first.click()
        _cancel(page, "02")
    page.goto(original_url)
    page.get_by_role("button", name="Crear factura sustituta").click()
    page.wait_for_url("**/edit")
    expect(page.locator("#related-0-documents")).to_have_value(original_uuid)
    page.locator("#items-2-quantity").fill("12")  # the correction
    expect(page.locator('[data-total="total"]')).to_have_text("1,900.00 MXN")
    page.get_by_role("button", name="Timbrar", exact=True).click()
    expect(page.get_by_text("Factura timbrada.")).to_be_visible()
    substitute_uuid = page.locator(".invoice-facts dd.mono").inner_text().strip()

    page.goto(original_url)
    _cancel(page, "01", substitute_uuid)
    facts = page.locator("#cancellation")
    expect(facts).to_contain_text("01 · Comprobante emitido con errores con relación")
    expect(facts).to_contain_text(substitute_uuid)
    expect(facts).to_contain_text(email)
    expect(facts).to_contain_text("(Ciudad de México)")
    screenshot(page, "journey-cancelled")


@pytest.mark.parametrize("width", [390, 1280])
def test_the_form_works_without_javascript(
    browser, live_server, make_account, make_organization, db, width
) -> None:
    email = f"sin-js-{width}@example.com"
    account, _key = make_account(email=email)
    org, _key = make_organization(account=account)
    _products(db, org)
    context = browser.new_context(
        viewport={"width": width, "height": 900},
        base_url=live_server,
        locale="es-MX",
        java_script_enabled=False,
    )
    page = context.new_page()
    page.viewport_name = f"nojs-{width}"
    _sign_in(page, email)
    page.goto(f"/dashboard/o/{org.id}/invoices/new")
    page.get_by_label("Agregar un producto guardado").fill("clase")
    page.get_by_role("button", name="Buscar").click()
    page.locator("#product-hits li", has_text="Clase de música").get_by_role(
        "button", name="Agregar"
    ).click()
    lines = page.locator("#invoice-lines [data-line]")
    expect(lines).to_have_count(1)
    expect(lines.first.locator("select[name$='-iva']")).to_have_value("exento")
    expect(page.get_by_text("Ningún producto guardado coincide.")).to_have_count(0)
    page.get_by_role("button", name="Añadir concepto").click()
    page.locator("#items-1-description").fill("Cuerdas")
    page.locator("#items-1-product_key").fill("cuerdas de guitarra")
    page.locator("#items-1-price").fill("116")
    page.get_by_role("button", name="Revisar").click()
    expect(page.locator("#invoice-lines")).to_contain_text("Total del concepto 500.00")
    expect(page.locator('[data-total="subtotal"]')).to_have_text("600.00")
    suggestion = lines.nth(1).locator(".key-suggestions button").first  # words, not a key yet
    key = suggestion.get_attribute("value")
    suggestion.click()
    expect(page.locator("#items-1-product_key")).to_have_value(key)
    page.get_by_role("button", name="Revisar").click()
    expect(page.locator('[data-total="total"]')).to_have_text("616.00 MXN")
    screenshot(page, "invoice-form-without-javascript")
    _fill_customer(page)
    page.get_by_role("button", name="Timbrar", exact=True).click()
    expect(page.get_by_text("Factura timbrada.")).to_be_visible()
    context.close()
