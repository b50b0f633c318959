"""In a browser: a period with receipts in pesos and dollars gets one global invoice per
currency, each in its receipts' currency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.e2e.test_invoices import _sign_in
from tests.e2e.test_self_invoice import _settle
from tests.fixtures.browser import screenshot


def test_global_invoice_per_currency(page, make_account, make_organization, make_receipt, db):
    account, _ = make_account(email="global@example.com")
    org, key = make_organization(account=account)
    org.receipts_periodicity = "day"
    db.commit()
    yesterday = (datetime.now(ZoneInfo("America/Mexico_City")) - timedelta(days=1)).replace(hour=9)
    date = yesterday.astimezone(UTC).isoformat()
    make_receipt(key, date=date)
    make_receipt(key, date=date, currency="USD", exchange="17.5")
    _settle(db)  # the test's session must not hold SQLite's write lock while the server works
    _sign_in(page, "global@example.com")
    page.goto(f"/dashboard/o/{org.id}/receipts/global")
    expect(
        page.get_by_text("Hay recibos en varias monedas (MXN, USD)", exact=False)
    ).to_be_visible()
    screenshot(page, "global-mixed-currencies")
    page.get_by_label("Moneda").select_option("USD")
    page.get_by_role("button", name="Ver periodo anterior").click()
    expect(page.locator("strong", has_text="USD")).to_be_visible()
    screenshot(page, "global-usd")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Emitir factura global").click()
    expect(page.get_by_text("Emitimos la factura global.")).to_be_visible()
    screenshot(page, "global-usd-issued")
