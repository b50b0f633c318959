"""The receiver of an invoice given by customer id, with its company name (razón social).

``customer`` may be an id or ``{"id", "company_name_id"}``: the invoice copies the customer's
data with the tax identity named, or its default one; an inactive identity is refused (400 at
``customer.company_name_id``). A customer without company names is billed with its own data.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, object_session

from portal.cfdi import types as cfdi
from portal.errors import ValidationError
from portal.models.tenancy import Tenant
from portal.services import contacts, customers


def _reference(value: Any) -> tuple[str, str | None] | None:
    """(customer id, company name id) when ``customer`` names a stored customer."""
    if isinstance(value, str):
        return value, None
    if not isinstance(value, dict) or "id" not in value:
        return None
    ids = (value.get("id"), value.get("company_name_id"))
    for key, given in zip(("id", "company_name_id"), ids, strict=True):
        if given is not None and not isinstance(given, str):
            raise ValidationError(
                f"El campo customer.{key} debe ser texto.", "invalid_type", path=f"customer.{key}"
            )
    if ids[0] is None:
        raise ValidationError(
            "El campo customer.id es obligatorio.", "required", path="customer.id"
        )
    return ids[0], ids[1]


def receiver(session: Session, tenant: Tenant, value: Any) -> tuple[str, cfdi.Customer] | None:
    """(customer id, its receiver data with the company name chosen) for a customer given by
    id; None for an inline customer."""
    reference = _reference(value)
    if reference is None:
        return None
    customer = customers.get_customer(session, tenant, reference[0])
    session = object_session(customer)
    company = session and contacts.receiver_for_invoice(session, customer, reference[1])
    if not company:
        return customer.id, customers.to_cfdi(customer)
    return customer.id, cfdi.Customer(
        legal_name=company.name,
        tax_id=company.tax_id,
        tax_system=company.tax_system,
        address=cfdi.Address(**{"country": customers.MEXICO, **(company.address or {})}),
        email=company.billing_email or customer.email,
    )
