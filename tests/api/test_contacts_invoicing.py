"""Contacts and company names at work: invoices to a stored customer use its default (or the
named) company name, refuse an inactive one, and their emails reach the invoicing contacts."""

from __future__ import annotations

from typing import Any

import pytest
from lxml import etree
from sqlalchemy import select

from portal.models.mail import OutboxEmail
from tests.api.test_contacts import INDIVIDUAL, UNIVERSIDAD
from tests.fixtures.invoices import CUSTOMER, ITEM

CFDI = "{http://www.sat.gob.mx/cfd/4}"


@pytest.fixture
def org_api(make_organization: Any, api: Any) -> Any:
    organization, key = make_organization()
    client = api(key)
    client.organization = organization
    return client


@pytest.fixture
def customer(org_api: Any) -> str:
    return org_api.post("/customers", json=CUSTOMER).json["id"]


def _invoice(org_api: Any, customer: Any) -> Any:
    body = {"customer": customer, "items": [ITEM], "payment_form": "03", "use": "G03"}
    return org_api.post("/invoices", json=body)


def _receiver(org_api: Any, invoice: dict[str, Any]) -> dict[str, str]:
    xml = org_api.get(f"/invoices/{invoice['id']}/xml").data
    return dict(etree.fromstring(xml).find(f"{CFDI}Receptor").attrib)


def test_invoices_use_the_default_or_the_named_company_name(org_api: Any, customer: str) -> None:
    plain = _invoice(org_api, customer)
    assert plain.status_code == 200, plain.json
    assert _receiver(org_api, plain.json)["Rfc"] == "URE180429TM6"  # no company names: own data

    names = f"/customers/{customer}/company-names"
    school = org_api.post(names, json={**INDIVIDUAL, "is_default": True}).json
    other = org_api.post(names, json=UNIVERSIDAD | {"is_default": False}).json

    by_default = _invoice(org_api, customer)
    assert by_default.status_code == 200, by_default.json
    receptor = _receiver(org_api, by_default.json)
    assert (receptor["Rfc"], receptor["Nombre"]) == ("EKU9003173C9", "ESCUELA KEMPER URGATE")
    assert receptor["DomicilioFiscalReceptor"] == "42501"
    assert by_default.json["customer"]["id"] == customer

    named = _invoice(org_api, {"id": customer, "company_name_id": other["id"]})
    assert named.status_code == 200, named.json
    assert _receiver(org_api, named.json)["Rfc"] == "URE180429TM6"

    org_api.post(f"{names}/{other['id']}/toggle-active", json={"is_active": False})
    refused = _invoice(org_api, {"id": customer, "company_name_id": other["id"]})
    assert refused.status_code == 400
    assert refused.json["path"] == "customer.company_name_id"
    unknown = _invoice(org_api, {"id": customer, "company_name_id": "0" * 24})
    assert unknown.status_code == 400 and unknown.json["path"] == "customer.company_name_id"
    assert school["is_default"] is True


def test_invoice_email_goes_to_the_invoicing_contacts(org_api: Any, customer: str, db: Any) -> None:
    emails = f"/customers/{customer}/emails"
    org_api.post(emails, json={"email": "cxp@example.com", "is_for_invoicing": True})
    org_api.post(emails, json={"email": "ventas@example.com", "is_for_invoicing": False})
    invoice = _invoice(org_api, customer).json
    assert org_api.post(f"/invoices/{invoice['id']}/email").status_code == 200
    org_api.post(f"/invoices/{invoice['id']}/email", json={"email": "solo@example.com"})
    sent = db.scalars(select(OutboxEmail).order_by(OutboxEmail.created_at)).all()
    assert [email.to for email in sent] == [
        ["cliente@example.com", "cxp@example.com"],
        ["solo@example.com"],
    ]
