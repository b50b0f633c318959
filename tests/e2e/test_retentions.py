"""In a browser: a merchant stamps a retention from the form (after fixing what it refuses)
and finds it in the list with its PDF."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.test_invoices import _sign_in
from tests.e2e.test_self_invoice import _settle
from tests.fixtures.browser import screenshot

pytestmark = pytest.mark.e2e


def test_retention_from_the_form(page, make_account, make_organization, db):
    account, _ = make_account(email="retenciones@example.com")
    org, _ = make_organization(account=account)
    _settle(db)
    _sign_in(page, "retenciones@example.com")
    page.goto(f"/dashboard/o/{org.id}/retentions/new")
    page.get_by_label("Nombre o razón social").fill("Universidad Robótica Española")
    page.get_by_label("RFC").fill("URE180429TM6")
    page.get_by_label("Código postal fiscal").fill("86991")
    page.get_by_label("Folio interno").fill("E2E1")
    page.get_by_label("Monto de la operación").fill("9000")  # ≠ gravado + exento: SAT refuses
    page.get_by_label("Monto gravado").fill("10000")
    page.get_by_label("Monto exento").fill("0")
    page.get_by_label("Base de la retención").fill("10000")
    page.get_by_label("Monto retenido").fill("1000")
    page.get_by_role("button", name="Timbrar retención").click()
    expect(page.locator("#monto_tot_operacion-err")).to_contain_text("MontoTotOperacion")
    screenshot(page, "retention-form-error")
    page.get_by_label("Monto de la operación").fill("10000")
    page.get_by_role("button", name="Timbrar retención").click()
    expect(page.get_by_text("Retención timbrada.")).to_be_visible()
    expect(page.get_by_text("E2E1")).to_be_visible()
    screenshot(page, "retention-list")
