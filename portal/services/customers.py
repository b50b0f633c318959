"""Customers: create, edit, search, delete, SAT receiver checks and tax-info edit links.

A customer is checked with the CFDI 4.0 receiver rules (``portal.cfdi.rules.check_receiver``)
on every create and edit. With an edit link the fiscal fields may stay empty until the customer
fills them in at ``/tax-info/<secret>``; only the secret's SHA-256 hash is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, object_session

from portal import hosts, settings
from portal.cfdi import rules
from portal.cfdi import types as cfdi
from portal.errors import Problem, ValidationError
from portal.models.base import utcnow
from portal.models.contacts import CustomerEmail, CustomerPhone
from portal.models.customers import Customer
from portal.models.organizations import Organization
from portal.models.tenancy import Tenant, scoped_get, scoped_select
from portal.schemas import answer, parse, parse_partial
from portal.schemas import customers as schema
from portal.services import contacts, mail, mail_limits

EDIT_LINK_DAYS = 7
MEXICO = "MEX"
CONTACT_MODELS = {"emails": CustomerEmail, "phones": CustomerPhone}
# With an edit link the customer fills these in later, so their absence is no problem yet.
REQUIRED_CODES = frozenset(
    {
        rules.TAX_ID_REQUIRED,
        rules.LEGAL_NAME_REQUIRED,
        rules.TAX_SYSTEM_REQUIRED,
        rules.ZIP_REQUIRED,
    }
)
# What the customer may fill in through an edit link (the merchant's own fields stay out).
MERCHANT_FIELDS = frozenset({"external_id", "emails", "phones"})


@dataclass
class EditLink:
    """A freshly issued edit link: the secret (shown once) and its expiry."""

    secret: str
    expires_at: datetime


# Reading input ----------------------------------------------------------------------------


def read_fields(data: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """The customer fields present in ``data``, typed, and the problems found reading them
    (a wrong field reads as None, so that the receiver rules still judge the rest)."""
    sent, problems = parse_partial(schema.CustomerIn, data)
    return (sent.fields() if sent is not None else {}), problems


# Receiver rules ---------------------------------------------------------------------------


def is_foreign(customer: Customer) -> bool:
    """Whether the customer resides outside Mexico (billed as XEXX010101000)."""
    return (customer.address or {}).get("country", MEXICO) != MEXICO


def receiver_problems(customer: Customer, issuer_zip: str | None = None) -> list[Problem]:
    """Every SAT receiver problem of the customer, with the customer object's paths."""
    address = customer.address or {}
    foreign = is_foreign(customer)
    problems = rules.check_receiver(
        rules.GENERIC_FOREIGN if foreign else customer.tax_id,
        customer.legal_name,
        customer.tax_system,
        address.get("zip"),
        customer.default_invoice_use or "S01",
        issuer_zip=issuer_zip,
        foreign_tax_id=customer.tax_id if foreign else None,
        country=address.get("country", MEXICO),
    )
    # Facturapi: a foreign customer's own tax id is optional.
    optional = {rules.GENERIC_RFC_FOREIGN_TAX_ID_REQUIRED} if foreign else set()
    return [_customer_path(p) for p in problems if p.code not in optional]


def _customer_path(problem: Problem) -> Problem:
    path = (problem.path or "").removeprefix("customer.")
    return Problem(problem.message, problem.code, "default_invoice_use" if path == "use" else path)


def _apply(customer: Customer, fields: dict[str, Any]) -> None:
    for key, value in fields.items():
        if key in CONTACT_MODELS:
            continue  # stored as rows by ``_store_contacts``
        setattr(customer, key, value)
    customer.address = {key: value for key, value in (customer.address or {}).items() if value}
    if customer.legal_name:
        customer.legal_name = rules.normalize_legal_name(customer.legal_name)
    if is_foreign(customer) and not customer.tax_system:
        customer.tax_system = rules.GENERIC_TAX_SYSTEM


def _store_contacts(session: Session, customer: Customer, fields: dict[str, Any]) -> None:
    """The ``emails``/``phones`` arrays sent replace the customer's unlocked contacts."""
    for key, model in CONTACT_MODELS.items():
        if key in fields:
            contacts.replace_contacts(session, model, customer, fields[key] or [])


def _save(customer: Customer, tenant: Tenant, problems: list[Problem], relaxed: bool) -> None:
    """Check the whole customer; with an edit link missing fiscal data is no problem yet."""
    issuer_zip = (tenant.organization.address or {}).get("zip")
    found = receiver_problems(customer, issuer_zip)
    if relaxed:
        found = [p for p in found if p.code not in REQUIRED_CODES]
    if problems or found:
        raise ValidationError.from_problems(problems + found)


def _apply_checked(
    session: Session,
    customer: Customer,
    fields: dict[str, Any],
    tenant: Tenant,
    problems: list[Problem],
    relaxed: bool,
) -> None:
    """Apply the changes to a stored customer, or leave it untouched when they are refused."""
    _apply(customer, fields)
    try:
        _save(customer, tenant, problems, relaxed)
    except ValidationError:
        session.expire(customer)
        raise


# Use cases --------------------------------------------------------------------------------


def create_customer(
    session: Session, tenant: Tenant, data: dict[str, Any], *, edit_link: bool = False
) -> tuple[Customer, EditLink | None]:
    """A new customer in the tenant's environment; with ``edit_link`` every field is optional."""
    fields, problems = read_fields(data)
    customer = Customer(organization_id=tenant.organization.id, livemode=tenant.livemode)
    customer.address = {}
    _apply(customer, fields)
    _save(customer, tenant, problems, relaxed=edit_link)
    session.add(customer)
    session.flush()
    _store_contacts(session, customer, fields)
    return customer, issue_edit_link(customer) if edit_link else None


def record_for_invoice(session: Session, tenant: Tenant, inline: Any) -> str | None:
    """The customer record of an invoice's inline customer, as Facturapi keeps one: the
    environment's newest customer with the same RFC (and name, for SAT's generic RFCs, which
    many customers share), or a new one from the inline data. None when the data has no RFC
    or would not make a valid customer (the invoice's own checks then answer for it)."""
    if not isinstance(inline, dict) or not isinstance(inline.get("tax_id"), str):
        return None
    tax_id = inline["tax_id"].strip().upper()
    if not tax_id:
        return None
    query = search(tenant).where(Customer.tax_id == tax_id)
    if tax_id in rules.GENERIC_RFCS:
        query = query.where(Customer.legal_name == inline.get("legal_name"))
    found = session.scalar(query.limit(1))
    if found is not None:
        return found.id
    try:
        with session.begin_nested():
            customer, _ = create_customer(session, tenant, inline)
    except ValidationError:
        return None
    return customer.id


def update_customer(
    session: Session,
    tenant: Tenant,
    customer: Customer,
    data: dict[str, Any],
    *,
    edit_link: bool = False,
) -> EditLink | None:
    """Change only the fields sent; the result must still be a valid receiver (missing data
    is tolerated while an edit link is pending or requested)."""
    fields, problems = read_fields(data)
    if "address" in fields:
        fields["address"] = {**(customer.address or {}), **fields["address"]}
    pending = customer.edit_link_hash is not None
    _apply_checked(session, customer, fields, tenant, problems, relaxed=edit_link or pending)
    _store_contacts(session, customer, fields)
    customer.updated_at = utcnow()
    session.flush()
    return issue_edit_link(customer) if edit_link else None


def delete_customer(customer: Customer) -> None:
    """Hide the customer (its invoices keep their own copy) and revoke its edit link."""
    customer.deleted_at = utcnow()
    customer.edit_link_hash = customer.edit_link_expires_at = None


def search(tenant: Tenant, q: str | None = None) -> Select[tuple[Customer]]:
    """The tenant's customers matching ``q`` (name, RFC, email, external id), newest first."""
    query = scoped_select(Customer, tenant)
    if q and q.strip():
        like = f"%{q.strip().lower()}%"
        query = query.where(
            or_(
                func.lower(Customer.legal_name).like(like),
                func.lower(Customer.tax_id).like(like),
                func.lower(Customer.email).like(like),
                func.lower(Customer.external_id).like(like),
            )
        )
    return query.order_by(Customer.created_at.desc(), Customer.id.desc())


def get_customer(session: Session, tenant: Tenant, customer_id: str) -> Customer:
    """The tenant's customer with this id, or 404."""
    return scoped_get(session, Customer, customer_id, tenant, "El cliente no existe.")


def to_cfdi(customer: Customer) -> cfdi.Customer:
    """The fiscal engine's receiver for a stored customer (foreign ones keep their own tax id)."""
    address = dict(customer.address or {})
    return cfdi.Customer(
        legal_name=customer.legal_name or "",
        tax_id=customer.tax_id or "",
        tax_system=customer.tax_system,
        address=cfdi.Address(**{"country": MEXICO, **address}),
        email=customer.email,
    )


# Edit links -------------------------------------------------------------------------------


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_edit_link(customer: Customer, now: datetime | None = None) -> EditLink:
    """A new 7-day edit link for the customer; the previous one stops working."""
    secret = secrets.token_urlsafe(32)
    expires_at = (now or utcnow()) + timedelta(days=EDIT_LINK_DAYS)
    customer.edit_link_hash, customer.edit_link_expires_at = _hash(secret), expires_at
    return EditLink(secret, expires_at)


def edit_link_url(base_url: str, link: EditLink) -> str:
    """The public address of an edit link."""
    return f"{base_url.rstrip('/')}/tax-info/{link.secret}"


def email_edit_link(
    session: Session, tenant: Tenant, customer: Customer, email: str | None, base_url: str
) -> EditLink:
    """Issue a new edit link (only its hash is kept) and queue it by email to ``email`` or to
    the customer's address."""
    address = parse(schema.EditLinkEmail, {"email": email or customer.email}).email
    if address is None:
        raise ValidationError(
            "El cliente no tiene correo; indica a quién enviar el enlace.", "required", path="email"
        )
    organization = tenant.organization
    mail_limits.admit(session, organization, tenant.livemode, [address])  # type: ignore[list-item]
    link = issue_edit_link(customer)
    mail.queue_email(
        session,
        "customer_edit_link",
        [address],
        f"{organization.public_name}: actualiza tus datos fiscales",
        {
            "organization_name": organization.public_name,
            "brand_color": f"#{organization.color}",
            "customer_name": customer.legal_name,
            "link": edit_link_url(hosts.tenant_base_url(organization, base_url), link),
            "expires_at": link.expires_at,
        },
        organization_id=organization.id,
    )
    return link


def customer_for_edit_secret(
    session: Session, secret: str, now: datetime | None = None
) -> Customer | None:
    """The customer an unexpired, unrevoked edit link belongs to (for /tax-info/<secret>)."""
    if not secret:
        return None
    customer = session.scalar(
        select(Customer)
        .join(Organization, Organization.id == Customer.organization_id)
        .where(
            Customer.edit_link_hash == _hash(secret),
            Customer.deleted_at.is_(None),
            # A suspended or deleted merchant's links stop with it.
            Organization.suspended_at.is_(None),
            Organization.deleted_at.is_(None),
        )
    )
    if customer is None or customer.edit_link_expires_at is None:
        return None
    return customer if customer.edit_link_expires_at > (now or utcnow()) else None


def complete_edit_link(
    session: Session, tenant: Tenant, customer: Customer, data: dict[str, Any]
) -> None:
    """Save the tax data the customer entered through the link, strictly checked; the link
    is then used up. (The caller writes the ``customer.edit_link_completed`` event.)"""
    fields, problems = read_fields(data)
    fields = {key: value for key, value in fields.items() if key not in MERCHANT_FIELDS}
    if "address" in fields:
        fields["address"] = {**(customer.address or {}), **fields["address"]}
    _apply_checked(session, customer, fields, tenant, problems, relaxed=False)
    customer.edit_link_hash = customer.edit_link_expires_at = None
    customer.updated_at = utcnow()
    session.flush()


def _contact_lists(customer: Customer) -> dict[str, list[dict[str, Any]]]:
    """The customer object's ``emails`` and ``phones`` arrays, read from the contact rows."""
    session = object_session(customer)
    if session is None or customer.id is None:
        return {"emails": [], "phones": []}
    return {
        "emails": [
            contacts.email_dict(c) for c in contacts.list_contacts(session, CustomerEmail, customer)
        ],
        "phones": [
            contacts.phone_dict(c) for c in contacts.list_contacts(session, CustomerPhone, customer)
        ],
    }


def to_dict(customer: Customer, link: EditLink | None = None) -> dict[str, Any]:
    """The customer object of the API; a just-issued edit link is shown this once."""
    body = {
        "id": customer.id,
        "created_at": customer.created_at,
        "livemode": customer.livemode,
        "organization": customer.organization_id,
        "legal_name": customer.legal_name,
        "tax_id": customer.tax_id,
        "tax_system": customer.tax_system,
        "email": customer.email,
        "phone": customer.phone,
        **_contact_lists(customer),
        "address": {"country": MEXICO, **(customer.address or {})},
        "default_invoice_use": customer.default_invoice_use,
        "external_id": customer.external_id,
    }
    if link is not None:
        organization = object_session(customer).get(Organization, customer.organization_id)
        base_url = hosts.tenant_base_url(organization, settings.current().public_base_url)
        body["edit_link"] = edit_link_url(base_url, link)
        body["edit_link_expires_at"] = link.expires_at
    return answer(schema.Customer, body)
