"""A customer's contacts (emails and phones) and its company names (tax identities).

Contacts: add, edit, lock/unlock, delete; a locked contact is refused any change (409) until it
is unlocked. Company names: each one's tax data passes the same SAT receiver rules as a
customer's (``portal.cfdi.rules.check_receiver``); exactly one per customer is the default, held
by a partial unique index and by locking the customer's row while the default moves.
"""

from __future__ import annotations

from typing import Any, TypeVar
from urllib.parse import quote

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.cfdi import rules
from portal.errors import Conflict, NotFound, Problem, ValidationError
from portal.models.base import iso, utcnow
from portal.models.contacts import CustomerCompanyName, CustomerEmail, CustomerPhone
from portal.models.customers import Customer
from portal.schemas import contacts as shapes

C = TypeVar("C", CustomerEmail, CustomerPhone)
NOT_FOUND = {
    CustomerEmail: "El correo indicado no existe para este cliente.",
    CustomerPhone: "El teléfono indicado no existe para este cliente.",
    CustomerCompanyName: "La razón social indicada no existe para este cliente.",
}
MAX_CONTACTS = 50
# Paths of the receiver rules (on a customer) → the company name's own fields.
TAX_PATHS = {"legal_name": "name"}


def _owned(session: Session, model: type[Any], customer: Customer, object_id: str) -> Any:
    """The customer's row of ``model`` with this id, or 404."""
    row = session.scalar(
        select(model).where(model.id == str(object_id), model.customer_id == customer.id)
    )
    if row is None:
        raise NotFound(NOT_FOUND[model])
    return row


# Contacts ---------------------------------------------------------------------------------


def list_contacts(session: Session, model: type[C], customer: Customer) -> list[C]:
    """The customer's emails or phones, oldest first."""
    query = select(model).where(model.customer_id == customer.id)
    return list(session.scalars(query.order_by(model.created_at, model.id)))


def add_contact(session: Session, model: type[C], customer: Customer, data: Any) -> C:
    """Add an email or phone (from its parsed ``EmailIn``/``PhoneIn``)."""
    count = len(list_contacts(session, model, customer))
    if count >= MAX_CONTACTS:
        raise ValidationError(
            f"Un cliente admite como máximo {MAX_CONTACTS} de estos contactos.", "too_many_items"
        )
    contact = model(customer_id=customer.id, **data.model_dump())
    session.add(contact)
    session.flush()
    return contact


def get_contact(session: Session, model: type[C], customer: Customer, contact_id: str) -> C:
    """One email or phone of the customer, or 404."""
    return _owned(session, model, customer, contact_id)


def _unlocked(contact: CustomerEmail | CustomerPhone) -> None:
    if contact.is_locked:
        raise Conflict(
            "El contacto está bloqueado; desbloquéalo (toggle-lock) para cambiarlo o borrarlo.",
            "contact_locked",
        )


def update_contact(session: Session, contact: C, data: Any) -> C:
    """Change the fields sent (``model_fields_set``) of an unlocked contact."""
    _unlocked(contact)
    for key in data.model_fields_set:
        setattr(contact, key, getattr(data, key))
    contact.updated_at = utcnow()
    session.flush()
    return contact


def toggle_lock(session: Session, contact: C) -> C:
    """Lock an unlocked contact or unlock a locked one."""
    contact.is_locked = not contact.is_locked
    contact.updated_at = utcnow()
    session.flush()
    return contact


def delete_contact(session: Session, contact: C) -> C:
    """Delete an unlocked contact."""
    _unlocked(contact)
    session.delete(contact)
    session.flush()
    return contact


def replace_contacts(
    session: Session, model: type[C], customer: Customer, entries: list[dict[str, Any]]
) -> None:
    """The customer object's ``emails``/``phones`` array: its entries replace the unlocked
    contacts (locked ones stay, as they cannot change)."""
    for contact in list_contacts(session, model, customer):
        if not contact.is_locked:
            session.delete(contact)
    for entry in entries:
        session.add(model(customer_id=customer.id, **entry))
    session.flush()


def _contact_dict(contact: CustomerEmail | CustomerPhone) -> dict[str, Any]:
    return {
        "id": contact.id,
        "customer_id": contact.customer_id,
        "name": contact.name,
        "role": contact.role,
        "notes": contact.notes,
        "is_locked": contact.is_locked,
        "created_at": iso(contact.created_at),
        "updated_at": iso(contact.updated_at),
    }


def email_dict(contact: CustomerEmail) -> dict[str, Any]:
    """The API's email object."""
    body = {"email_id": contact.id, "email": contact.email}
    return {**body, "is_for_invoicing": contact.is_for_invoicing, **_contact_dict(contact)}


def phone_dict(contact: CustomerPhone) -> dict[str, Any]:
    """The API's phone object (E.164)."""
    body = {"phone_id": contact.id, "phone": contact.phone, "extension": contact.extension}
    return {**body, "is_whatsapp": contact.is_whatsapp, **_contact_dict(contact)}


def invoicing_emails(session: Session, customer_id: str | None) -> list[str]:
    """The addresses of the customer's contacts marked ``is_for_invoicing``."""
    if not customer_id:
        return []
    query = select(CustomerEmail.email).where(
        CustomerEmail.customer_id == customer_id, CustomerEmail.is_for_invoicing.is_(True)
    )
    return list(dict.fromkeys(session.scalars(query.order_by(CustomerEmail.created_at))))


def whatsapp_links(session: Session, customer_id: str | None, message: str) -> list[dict[str, str]]:
    """«Share by WhatsApp» links (wa.me) to the customer's ``is_whatsapp`` numbers."""
    if not customer_id:
        return []
    query = select(CustomerPhone).where(
        CustomerPhone.customer_id == customer_id, CustomerPhone.is_whatsapp.is_(True)
    )
    return [
        {
            "phone": phone.phone,
            "name": phone.name or "",
            "url": f"https://wa.me/{phone.phone.lstrip('+')}?text={quote(message)}",
        }
        for phone in session.scalars(query.order_by(CustomerPhone.created_at))
    ]


# Company names ----------------------------------------------------------------------------


def list_company_names(session: Session, customer: Customer) -> list[CustomerCompanyName]:
    """The customer's company names, the default first, then oldest first."""
    query = select(CustomerCompanyName).where(CustomerCompanyName.customer_id == customer.id)
    order = (CustomerCompanyName.is_default.desc(), CustomerCompanyName.created_at)
    return list(session.scalars(query.order_by(*order)))


def get_company_name(
    session: Session, customer: Customer, company_name_id: str
) -> CustomerCompanyName:
    """One company name of the customer, or 404."""
    return _owned(session, CustomerCompanyName, customer, company_name_id)


def tax_problems(company: CustomerCompanyName, issuer_zip: str | None) -> list[Problem]:
    """The SAT receiver rules of a customer, applied to one company name (its paths)."""
    zip_code = (company.address or {}).get("zip")
    problems = rules.check_receiver(
        company.tax_id, company.name, company.tax_system, zip_code, "S01", issuer_zip=issuer_zip
    )
    renamed = []
    if rules.normalize_tax_id(company.tax_id) in rules.GENERIC_RFCS:
        message = "Una razón social necesita el RFC propio del cliente, no uno genérico."
        renamed.append(Problem(message, "generic_rfc_not_allowed", "tax_id"))
    for problem in problems:
        path = (problem.path or "").removeprefix("customer.")
        renamed.append(Problem(problem.message, problem.code, TAX_PATHS.get(path, path)))
    return renamed


def _checked(session: Session, company: CustomerCompanyName, issuer_zip: str | None) -> None:
    company.tax_id = (company.tax_id or "").strip().upper()
    company.name = rules.normalize_legal_name(company.name)
    problems = tax_problems(company, issuer_zip)
    if problems:
        if company in session:
            session.expire(company)
        raise ValidationError.from_problems(problems)


def _lock_customer(session: Session, customer: Customer) -> None:
    """Serialise default changes of one customer (row lock on PostgreSQL; SQLite's writers
    already queue with ``BEGIN IMMEDIATE``)."""
    session.execute(select(Customer.id).where(Customer.id == customer.id).with_for_update())


def _make_default(session: Session, customer: Customer, company: CustomerCompanyName) -> None:
    if not company.is_active:
        raise ValidationError(
            "Una razón social inactiva no puede ser la predeterminada.",
            "inactive",
            path="is_default",
        )
    others = CustomerCompanyName.customer_id == customer.id
    session.execute(
        update(CustomerCompanyName)
        .where(others, CustomerCompanyName.id != company.id, CustomerCompanyName.is_default)
        .values(is_default=False)
        .execution_options(synchronize_session="fetch")
    )
    company.is_default = True
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(
            "Otra solicitud cambió la razón social predeterminada; intenta de nuevo.",
            "default_conflict",
        ) from None


def create_company_name(
    session: Session, customer: Customer, data: shapes.CompanyNameIn, issuer_zip: str | None
) -> CustomerCompanyName:
    """Add a checked company name; the customer's first one is the default."""
    _lock_customer(session, customer)
    values = data.model_dump()
    values["address"] = data.address.model_dump(exclude_none=True)
    wants_default = values.pop("is_default")
    company = CustomerCompanyName(customer_id=customer.id, is_default=False, **values)
    _checked(session, company, issuer_zip)
    session.add(company)
    session.flush()
    first = len(list_company_names(session, customer)) == 1
    if wants_default or first:
        _make_default(session, customer, company)
    return company


def update_company_name(
    session: Session,
    customer: Customer,
    company: CustomerCompanyName,
    data: shapes.CompanyNameUpdate,
    issuer_zip: str | None,
) -> CustomerCompanyName:
    """Change the fields sent; the tax data is checked again."""
    _lock_customer(session, customer)
    sent = data.model_fields_set - {"is_default", "is_active"}
    for key in sent:
        value = getattr(data, key)
        if key == "address":
            value = {**(company.address or {}), **value.model_dump(exclude_unset=True)}
        setattr(company, key, value)
    _checked(session, company, issuer_zip)
    if data.is_active is not None:
        _set_active(company, data.is_active)
    if data.is_default:
        _make_default(session, customer, company)
    elif data.is_default is False and company.is_default:
        raise ValidationError(_NO_DEFAULT, "default_required", path="is_default")
    company.updated_at = utcnow()
    session.flush()
    return company


_NO_DEFAULT = (
    "El cliente debe conservar una razón social predeterminada; marca otra como "
    "predeterminada (set-default) en su lugar."
)


def _set_active(company: CustomerCompanyName, active: bool) -> None:
    if not active and company.is_default:
        raise ValidationError(
            "La razón social predeterminada no puede desactivarse; elige antes otra "
            "predeterminada.",
            "default_required",
            path="is_active",
        )
    company.is_active = active


def set_default(
    session: Session, customer: Customer, company: CustomerCompanyName
) -> CustomerCompanyName:
    """Make this company name the customer's only default."""
    _lock_customer(session, customer)
    session.refresh(company)
    _make_default(session, customer, company)
    company.updated_at = utcnow()
    session.flush()
    return company


def toggle_active(
    session: Session, customer: Customer, company: CustomerCompanyName, active: bool | None
) -> CustomerCompanyName:
    """Activate or deactivate (``active`` None: flip); the default stays active."""
    _lock_customer(session, customer)
    _set_active(company, (not company.is_active) if active is None else active)
    company.updated_at = utcnow()
    session.flush()
    return company


def company_name_dict(company: CustomerCompanyName) -> dict[str, Any]:
    """The API's company name object."""
    return {
        "id": company.id,
        "company_name_id": company.id,
        "customer_id": company.customer_id,
        "name": company.name,
        "tax_id": company.tax_id,
        "tax_system": company.tax_system,
        "billing_email": company.billing_email,
        "address": company.address or {},
        "billing_address": company.billing_address,
        "is_active": company.is_active,
        "is_default": company.is_default,
        "created_at": iso(company.created_at),
        "updated_at": iso(company.updated_at),
    }


def receiver_for_invoice(
    session: Session, customer: Customer, company_name_id: str | None
) -> CustomerCompanyName | None:
    """The tax identity an invoice to this customer uses: the one named, else the default
    (None when the customer has no company names: the customer's own data is used)."""
    if company_name_id is None:
        query = select(CustomerCompanyName).where(
            CustomerCompanyName.customer_id == customer.id, CustomerCompanyName.is_default
        )
        return session.scalar(query)
    company = session.scalar(
        select(CustomerCompanyName).where(
            CustomerCompanyName.id == str(company_name_id),
            CustomerCompanyName.customer_id == customer.id,
        )
    )
    if company is None:
        raise ValidationError(NOT_FOUND[CustomerCompanyName], "not_found", path=_INVOICE_PATH)
    if not company.is_active:
        raise ValidationError(
            "La razón social indicada está inactiva; actívala o elige otra.",
            "inactive_company_name",
            path=_INVOICE_PATH,
        )
    return company


_INVOICE_PATH = "customer.company_name_id"
