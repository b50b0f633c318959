"""The dashboard's invoice form offers only the CFDI uses SAT allows on an invoice (no CN01, no
CP01), each tagged with the regimes that may use it (CFDI40161), and the server refuses the rest."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from portal.models.accounts import Account
from portal.models.invoices import Invoice
from tests.dashboard.test_invoices import FORM


@pytest.fixture
def org(make_organization: Any, login_as: Any, db: Any) -> Any:
    organization, _key = make_organization()
    login_as(db.get(Account, organization.account_id))
    return organization


def _uses(html: str) -> dict[str, str]:
    select_html = html[html.index('<select id="use"') :]
    select_html = select_html[: select_html.index("</select>")]
    return dict(re.findall(r'<option value="([A-Z0-9]+)" data-regimes="([0-9 ]+)"', select_html))


def test_the_use_select_offers_only_invoice_uses_with_their_regimes(client, org) -> None:
    html = client.get(f"/dashboard/o/{org.id}/invoices/new").get_data(as_text=True)
    uses = _uses(html)
    assert "CN01" not in uses and "CP01" not in uses
    assert {"G03", "S01", "D01"} <= set(uses)
    assert "601" in uses["G03"].split() and "601" not in uses["D01"].split()
    assert uses["S01"].split().count("616") == 1


@pytest.mark.parametrize(("use", "code"), [("CN01", "use_not_allowed_for_type"),
                                           ("D01", "use_not_allowed_for_tax_system")])  # fmt: skip
def test_a_use_the_rules_refuse_is_explained_and_nothing_is_stamped(client, org, db, use, code):
    response = client.post(
        f"/dashboard/o/{org.id}/invoices/new", data={**FORM, "action": "stamp", "use": use}
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "<strong>Uso del CFDI</strong>:" in html  # the form's label, never the API's path
    assert "<code>use</code>" not in html
    assert db.scalar(select(func.count()).select_from(Invoice)) == 0


def test_customer_default_use_and_self_invoice_uses_lists_exclude_other_types(client, org) -> None:
    from portal.dashboard.catalog_forms import CustomerForm
    from portal.dashboard.org.forms import ReceiptSettingsForm

    with client.application.test_request_context():
        customer_uses = [
            code for code, _ in CustomerForm(meta={"csrf": False}).default_invoice_use.choices
        ]
        offered = [
            code for code, _ in ReceiptSettingsForm(meta={"csrf": False}).allowed_cfdi_uses.choices
        ]
    for uses in (customer_uses, offered):
        assert "G03" in uses and "CN01" not in uses and "CP01" not in uses
