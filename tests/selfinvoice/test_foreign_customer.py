"""Foreign customers on the self-invoice page and the dashboard's customer form: a customer
abroad types its own tax id, country and zip (90210 stays 90210); the CFDI is issued to
XEXX010101000 with ResidenciaFiscal and NumRegIdTrib, and DomicilioFiscalReceptor is the place
of issue (LugarExpedicion), as SAT's CFDI 4.0 rules require for the generic foreign RFC."""

from __future__ import annotations

import re
from typing import Any

import pytest
from lxml import etree
from sqlalchemy import select

from portal.models.accounts import Account
from portal.models.customers import Customer
from portal.models.invoices import Invoice
from tests.fixtures.sat_checks import verify_issuer_seal, xsd_problems

CFDI = "{http://www.sat.gob.mx/cfd/4}"
ABROAD = {
    "tax_id": "123456789",
    "legal_name": "Acme Trading Inc",
    "country": "USA",
    "zip": "90210",
    "tax_system": "",
    "use": "",
    "email": "ap@acme.example",
}


@pytest.fixture
def shop(make_organization: Any, make_receipt: Any) -> Any:
    org, key = make_organization(domain="kemper")
    return org, key, make_receipt(key)


def test_a_visitor_abroad_gets_an_invoice_to_xexx(client: Any, shop: Any, db: Any) -> None:
    org, _, receipt = shop
    page = f"/kemper/{receipt['key']}"
    confirm = client.post(page, data=ABROAD)
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 200, html[:2000]
    assert "90210" in html and "USA" in html and "Emitir mi factura" in html
    done = client.post(page + "/confirm", data=ABROAD)
    assert done.status_code == 302, done.data[:500]
    result = client.get(done.headers["Location"]).get_data(as_text=True)
    xml_link = re.findall(r'href="([^"]+/xml)"', result)[0]
    xml = client.get(xml_link).data
    assert xsd_problems(xml) == []
    verify_issuer_seal(xml)
    root = etree.fromstring(xml)
    receptor = root.find(f"{CFDI}Receptor")
    assert receptor.get("Rfc") == "XEXX010101000"
    assert (receptor.get("ResidenciaFiscal"), receptor.get("NumRegIdTrib")) == ("USA", "123456789")
    assert receptor.get("DomicilioFiscalReceptor") == root.get("LugarExpedicion")
    assert (receptor.get("RegimenFiscalReceptor"), receptor.get("UsoCFDI")) == ("616", "S01")
    invoice = db.scalars(select(Invoice)).one()
    assert invoice.customer["address"]["zip"] == "90210"


def test_a_foreign_visitor_without_tax_id_is_told_so(client: Any, shop: Any) -> None:
    _, _, receipt = shop
    response = client.post(f"/kemper/{receipt['key']}", data={**ABROAD, "tax_id": ""})
    assert response.status_code == 400
    assert "número de identificación fiscal" in response.get_data(as_text=True)


def test_an_unknown_country_is_refused_beside_its_field(client: Any, shop: Any) -> None:
    _, _, receipt = shop
    response = client.post(f"/kemper/{receipt['key']}", data={**ABROAD, "country": "QQQ"})
    assert response.status_code == 400
    assert "QQQ" in response.get_data(as_text=True)


def test_the_dashboard_keeps_a_foreign_customers_zip(
    client: Any, make_organization: Any, login_as: Any, db: Any
) -> None:
    organization, _ = make_organization()
    login_as(db.get(Account, organization.account_id))
    form = {
        "legal_name": "Maple Goods Ltd",
        "tax_id": "987654321RT0001",
        "tax_system": "",
        "default_invoice_use": "S01",
        "zip": "K1A 0B6",
        "country": "CAN",
        "street": "Wellington St 1",
        "state": "ON",
    }
    response = client.post(f"/dashboard/o/{organization.id}/customers/new", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    customer = db.scalars(select(Customer)).one()
    assert customer.address["zip"] == "K1A 0B6" and customer.address["country"] == "CAN"
    assert customer.tax_system == "616"
