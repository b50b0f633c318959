"""In a browser: the invoice form's CFDI uses follow the receiver's regime (CFDI40161)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.test_invoices import _sign_in
from tests.fixtures.browser import screenshot


def test_uses_follow_the_regime(page, make_account, make_organization) -> None:
    account, _key = make_account(email="usos@example.com")
    org, _key = make_organization(account=account)
    _sign_in(page, "usos@example.com")
    page.goto(f"/dashboard/o/{org.id}/invoices/new")
    use = page.locator("#use")
    expect(use.locator('option[value="CN01"]')).to_have_count(0)
    expect(use.locator('option[value="CP01"]')).to_have_count(0)
    page.get_by_label("Régimen fiscal").select_option("601")
    expect(use.locator('option[value="D01"]')).to_be_disabled()
    expect(use.locator('option[value="G03"]')).to_be_enabled()
    page.get_by_label("Régimen fiscal").select_option("605")
    expect(use.locator('option[value="G03"]')).to_be_disabled()
    expect(use.locator('option[value="D01"]')).to_be_enabled()
    assert use.input_value() != "G03"  # a use the regime cannot take is not left selected
    use.focus()
    screenshot(page, "invoice-uses-605")
