"""The self-invoice page issues income invoices (type I): it never offers payroll's CN01 nor
payments' CP01, even when the organization's list names them, and refuses them when posted."""

from __future__ import annotations

import pytest

from tests.fixtures.receipts import BUYER


@pytest.fixture
def shop(make_organization, make_receipt):
    org, key = make_organization(domain="kemper")
    return org, key, make_receipt(key)


def test_the_use_list_never_offers_cn01_or_cp01(client, shop, db) -> None:
    org, _, receipt = shop
    org.self_invoice_uses = ["G03", "CN01", "CP01"]
    db.commit()
    html = client.get(f"/kemper/{receipt['key']}").get_data(as_text=True)
    assert 'value="G03"' in html
    assert 'value="CN01"' not in html and 'value="CP01"' not in html


def test_all_uses_offered_by_default_are_invoice_uses(client, shop) -> None:
    _, _, receipt = shop
    html = client.get(f"/kemper/{receipt['key']}").get_data(as_text=True)
    assert 'value="G03"' in html and 'value="S01"' in html and 'value="D01"' in html
    assert 'value="CN01"' not in html and 'value="CP01"' not in html


def test_posting_a_payroll_use_is_refused_next_to_the_field(client, shop) -> None:
    _, _, receipt = shop
    buyer = {**BUYER, "tax_system": "605", "tax_id": "GODE561231GR8",
             "legal_name": "EMILIO GOMEZ DIAZ", "use": "CN01"}  # fmt: skip
    response = client.post(f"/kemper/{receipt['key']}", data=buyer)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="use-err"' in html and "nómina" in html
