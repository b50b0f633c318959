"""Demo data for a fresh install: a reseller with a ready organization, products and a receipt.

The organization's CSD is a generated test certificate (never a real SAT one), so everything it
issues is a test document.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.cfdi.testcsd import make_test_credentials
from portal.models.organizations import Organization
from portal.models.receipts import Receipt
from portal.models.tenancy import Tenant
from portal.services import accounts, api_keys, products, receipts
from portal.services import organizations as orgs
from portal.statuses import ReceiptStatus

DEMO_RFC, DEMO_LEGAL_NAME = "EKU9003173C9", "ESCUELA KEMPER URGATE"
DEMO_DOMAIN = "demo"
PRODUCTS = [
    {"description": "Café americano", "product_key": "50201706", "price": 45, "sku": "CAF-01"},
    {"description": "Pan dulce", "product_key": "50181900", "price": 18, "sku": "PAN-01"},
    {
        "description": "Servicio de impresión",
        "product_key": "82121500",
        "price": 116,
        "unit_key": "E48",
        "unit_name": "Servicio",
        "sku": "IMP-01",
    },
]


@dataclass
class Seeded:
    """What the demo consists of."""

    organization: Organization
    test_key: str
    receipt_key: str


def seed(session: Session, email: str, password: str) -> Seeded:
    """Create whatever part of the demo is missing (safe to run again)."""
    account = accounts.find_by_email(session, email)
    if account is None:
        account, _key = accounts.create_account(session, email, password, "Distribuidor Demo")
    organization = session.scalar(orgs.owned_query(account).limit(1))
    if organization is None:
        organization = _organization(session, account)
    tenant = Tenant(organization, livemode=False, account=account)
    receipt = session.scalar(
        select(Receipt).where(
            Receipt.organization_id == organization.id,
            Receipt.livemode.is_(False),
            Receipt.status == ReceiptStatus.OPEN,
        )
    )
    if receipt is None:
        receipt = receipts.create(
            session,
            tenant,
            {
                "payment_form": "01",
                "items": [
                    {"quantity": 2, "product": PRODUCTS[0]},
                    {"quantity": 1, "product": PRODUCTS[1]},
                ],
            },
        )
    return Seeded(organization, api_keys.test_key(session, organization), receipt.key)


def _organization(session: Session, account: object) -> Organization:
    organization = orgs.create_organization(session, account, "Cafetería Demo")
    csd = make_test_credentials(DEMO_RFC, DEMO_LEGAL_NAME)
    orgs.upload_certificate(organization, csd.cer_der, csd.key_der, csd.password)
    orgs.update_legal(
        organization,
        {
            "name": "Cafetería Demo",
            "legal_name": DEMO_LEGAL_NAME,
            "tax_system": "601",
            "address": {
                "zip": "42501",
                "street": "Av. Juárez",
                "exterior": "10",
                "city": "Pachuca",
                "state": "Hidalgo",
            },
            "support_email": "ayuda@cafeteria-demo.mx",
        },
    )
    if orgs.domain_problem(session, DEMO_DOMAIN, organization) is None:
        orgs.set_domain(session, organization, DEMO_DOMAIN)
    tenant = Tenant(organization, livemode=False)
    for product in PRODUCTS:
        products.create_product(session, tenant, product)
    return organization
