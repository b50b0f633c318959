"""In a browser: from a PPD invoice's page register payments, see their chain and the balance,
issue a credit note, be told why it cannot be cancelled yet, then cancel it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.fixtures.browser import screenshot
from tests.fixtures.factories import PASSWORD


def _sign_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()


def _pay(page, amount: str) -> None:
    today = datetime.now(ZoneInfo("America/Mexico_City")).date().isoformat()
    page.get_by_label("Fecha del pago").fill(today)
    page.get_by_label("Forma de pago").first.select_option("03")
    page.get_by_label("Importe pagado").fill(amount)
    page.get_by_role("button", name="Emitir complemento de pago").click()


def _cancel(page, motive: str, substitution: str = "") -> None:
    page.get_by_label("Motivo", exact=True).select_option(motive)
    page.get_by_label("Factura que la sustituye (motivo 01)").fill(substitution)
    page.get_by_role("button", name="Cancelar ante el SAT").click()


def test_payments_credit_note_and_cancellation(
    page, make_account, make_organization, api, invoice_body, db
):
    email = f"pagos-{page.viewport_name}@example.com"
    account, _key = make_account(email=email)
    org, key = make_organization(account=account)
    org_id = org.id
    body = invoice_body(payment_method="PPD", payment_form="99")
    ppd = api(key).post("/invoices", json=body).get_json()
    db.rollback()  # the API shares the test's session: end its transaction for the server
    page.on("dialog", lambda dialog: dialog.accept())
    _sign_in(page, email)
    page.goto(f"/dashboard/o/{org_id}/invoices/{ppd['id']}")
    expect(page.get_by_text("Saldo: 691.20 MXN")).to_be_visible()
    screenshot(page, "invoice-ppd")

    _pay(page, "200.00")
    expect(page.get_by_text("Pago registrado")).to_be_visible()
    expect(page.get_by_text("Saldo: 491.20 MXN")).to_be_visible()
    _pay(page, "900.00")  # more than the balance: the rule's reason, beside the amount
    expect(page.locator("#payment-amount-err")).to_contain_text("saldo")
    screenshot(page, "invoice-payment-refused")
    _pay(page, "91.20")
    expect(page.get_by_text("Saldo: 400.00 MXN")).to_be_visible()
    chain = page.locator("#payments table")
    expect(chain.locator("tbody tr")).to_have_count(2)
    expect(chain).to_contain_text("491.20")

    page.get_by_text("Emitir una nota de crédito").click()
    page.get_by_label("Concepto").fill("Descuento por pronto pago")
    page.get_by_label("Importe con impuestos").fill("116.00")
    screenshot(page, "invoice-credit-note-form")
    page.get_by_role("button", name="Emitir nota de crédito").click()
    expect(page.get_by_text("Nota de crédito 4 emitida.")).to_be_visible()
    screenshot(page, "invoice-payments-chain")

    _cancel(page, "02")  # two payments and a credit note are live: refused, all listed
    alert = page.locator("#cancel .alert-error")
    expect(alert).to_contain_text("no permite cancelarla")
    expect(alert.locator("li")).to_have_count(3)
    alert.scroll_into_view_if_needed()
    screenshot(page, "invoice-cancel-related")
    _cancel(page, "01", ppd["uuid"])
    expect(page.locator("#cancel-substitution-err")).to_contain_text("misma")
    screenshot(page, "invoice-cancel-refused")

    for folio in ("4", "3", "2"):  # the credit note, then the payments, from their own pages
        page.goto(f"/dashboard/o/{org_id}/invoices/{ppd['id']}")
        page.get_by_role("link", name=folio, exact=True).first.click()
        expect(page.locator("#references")).to_contain_text(ppd["uuid"])
        if folio == "2":
            screenshot(page, "payment-detail")
        _cancel(page, "02")
        expect(page.get_by_text("Factura cancelada ante el SAT.")).to_be_visible()
    page.goto(f"/dashboard/o/{org_id}/invoices/{ppd['id']}")
    expect(page.get_by_text("Saldo: 691.20 MXN")).to_be_visible()
    _cancel(page, "02")
    expect(page.get_by_text("Factura cancelada ante el SAT.")).to_be_visible()
    expect(page.get_by_role("link", name="Acuse en PDF")).to_be_visible()
    screenshot(page, "invoice-canceled")


def test_substitute_then_cancel_with_motive_01(
    page, make_account, make_organization, api, invoice_body, db
):
    email = f"sustituta-{page.viewport_name}@example.com"
    account, _key = make_account(email=email)
    org, key = make_organization(account=account)
    org_id = org.id
    original = api(key).post("/invoices", json=invoice_body()).get_json()
    db.rollback()  # the API shares the test's session: end its transaction for the server
    page.on("dialog", lambda dialog: dialog.accept())
    _sign_in(page, email)
    page.goto(f"/dashboard/o/{org_id}/invoices/{original['id']}")
    page.get_by_role("button", name="Crear factura sustituta").click()
    page.wait_for_url("**/edit")
    page.locator("#items-0-price").fill("300")  # the correction
    page.get_by_role("button", name="Timbrar", exact=True).click()
    expect(page.get_by_text("Vigente")).to_be_visible()
    expect(page.locator("#references")).to_contain_text("Sustituye a")
    substitute_uuid = page.locator(".invoice-facts dd.mono").inner_text().strip()
    page.get_by_role("link", name="factura 1").click()
    expect(page.locator("#cancel")).to_contain_text(substitute_uuid)
    _cancel(page, "01", substitute_uuid)
    expect(page.get_by_text("Factura cancelada ante el SAT.")).to_be_visible()
    expect(page.locator("#cancellation")).to_contain_text(f"Sustituida por{substitute_uuid}")
    screenshot(page, "invoice-canceled-01")
