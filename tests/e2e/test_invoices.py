"""In a browser: build an invoice line by line with running totals, stamp it, watch an async one."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from portal.jobs import invoices as invoice_jobs
from portal.models.invoices import Invoice
from tests.fixtures.browser import screenshot
from tests.fixtures.factories import PASSWORD


def _sign_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()


def _fill_customer(page) -> None:
    page.get_by_label("RFC", exact=True).fill("URE180429TM6")
    page.get_by_label("Nombre o razón social").fill("UNIVERSIDAD ROBOTICA ESPAÑOLA")
    page.get_by_label("Régimen fiscal").select_option("601")
    page.get_by_label("Código postal fiscal").fill("86991")


def _fill_line(page, index: int, description: str, key: str, quantity: str, price: str) -> None:
    page.locator(f"#items-{index}-description").fill(description)
    page.locator(f"#items-{index}-product_key").fill(key)
    page.locator(f"#items-{index}-quantity").fill(quantity)
    page.locator(f"#items-{index}-price").fill(price)


def test_invoice_form_stamps_and_async_page_updates(
    page, make_account, make_organization, db, monkeypatch
):
    account, _key = make_account(email="facturas@example.com")
    org, _key = make_organization(account=account)
    _sign_in(page, "facturas@example.com")
    page.goto(f"/dashboard/o/{org.id}/invoices")
    screenshot(page, "invoices-empty")
    page.get_by_role("link", name="Nueva factura").click()
    page.wait_for_url("**/invoices/new")
    _fill_customer(page)
    _fill_line(page, 0, "Ukelele", "60131324", "2", "345.60")
    page.get_by_role("button", name="Añadir concepto").click()
    _fill_line(page, 1, "Afinación", "72154022", "1", "116")
    expect(page.locator('[data-total="total"]')).to_have_text("807.20 MXN")
    expect(page.locator('[data-total="subtotal"]')).to_have_text("695.86")
    screenshot(page, "invoice-form")
    page.get_by_role("button", name="Timbrar", exact=True).click()
    expect(page.get_by_text("Vigente")).to_be_visible()
    screenshot(page, "invoice-detail")

    page.goto(f"/dashboard/o/{org.id}/invoices")
    expect(page.get_by_role("link", name="1", exact=True)).to_be_visible()
    screenshot(page, "invoices-list")

    stamp_later = invoice_jobs.stamp_invoice
    monkeypatch.setattr(invoice_jobs, "stamp_invoice", lambda invoice_id: None)  # worker busy
    page.goto(f"/dashboard/o/{org.id}/invoices/new")
    _fill_customer(page)
    _fill_line(page, 0, "Ukelele", "60131324", "1", "345.60")
    page.get_by_role("button", name="Timbrar en segundo plano").click()
    expect(page.get_by_text("Timbrando", exact=True)).to_be_visible()
    screenshot(page, "invoice-pending")
    db.rollback()  # a fresh snapshot: the server wrote after this session last read
    pending = db.scalars(select(Invoice).where(Invoice.status == "pending")).one()
    db.rollback()
    stamp_later.call_local(pending.id)  # the worker gets to it; the page notices by itself
    expect(page.get_by_text("Vigente")).to_be_visible(timeout=20000)
