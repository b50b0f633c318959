"""A customer's emails, phones and company names (razones sociales) under /v2/customers/{id}."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from portal import schemas
from portal.api import bp
from portal.api.auth import organization_key_required
from portal.api.common import json_body
from portal.extensions import db
from portal.models.contacts import CustomerEmail, CustomerPhone
from portal.models.customers import Customer
from portal.schemas import contacts as shapes
from portal.services import contacts, customers
from portal.tenancy import current_tenant

ONE = "/customers/<customer_id>"
TAGS = ["customers"]
KINDS: dict[str, tuple[type[Any], Any, Any, Any]] = {
    "emails": (CustomerEmail, shapes.EmailIn, shapes.EmailUpdate, contacts.email_dict),
    "phones": (CustomerPhone, shapes.PhoneIn, shapes.PhoneUpdate, contacts.phone_dict),
}


def _customer(customer_id: str) -> Customer:
    return customers.get_customer(db.session, current_tenant(), customer_id)


def _issuer_zip() -> str | None:
    return (current_tenant().organization.address or {}).get("zip")


def _body(model: type[schemas.M]) -> schemas.M:
    return schemas.parse(model, json_body())


def _done(body: dict[str, Any]):
    db.session.commit()
    return jsonify(body)


# Emails and phones ------------------------------------------------------------------------


def _list(kind: str, customer_id: str):
    model, _, _, to_dict = KINDS[kind]
    rows = contacts.list_contacts(db.session, model, _customer(customer_id))
    return jsonify({"success": True, kind: [to_dict(row) for row in rows]})


def _add(kind: str, customer_id: str):
    model, shape, _, to_dict = KINDS[kind]
    customer = _customer(customer_id)
    return _done(to_dict(contacts.add_contact(db.session, model, customer, _body(shape))))


def _contact(kind: str, customer_id: str, contact_id: str) -> Any:
    return contacts.get_contact(db.session, KINDS[kind][0], _customer(customer_id), contact_id)


def _update(kind: str, customer_id: str, contact_id: str):
    contact = _contact(kind, customer_id, contact_id)
    changed = contacts.update_contact(db.session, contact, _body(KINDS[kind][2]))
    return _done(KINDS[kind][3](changed))


def _toggle_lock(kind: str, customer_id: str, contact_id: str):
    contact = _contact(kind, customer_id, contact_id)
    return _done(KINDS[kind][3](contacts.toggle_lock(db.session, contact)))


def _delete(kind: str, customer_id: str, contact_id: str):
    contact = _contact(kind, customer_id, contact_id)
    body = KINDS[kind][3](contact)
    contacts.delete_contact(db.session, contact)
    return _done(body)


@bp.get(f"{ONE}/emails")
@organization_key_required
@schemas.operation(response=shapes.EmailList, summary="Listar correos", tags=TAGS)
def list_emails(customer_id: str):
    """The customer's emails."""
    return _list("emails", customer_id)


@bp.post(f"{ONE}/emails")
@organization_key_required
@schemas.operation(
    body=shapes.EmailIn, response=shapes.EmailOut, summary="Agregar correo", tags=TAGS
)
def add_email(customer_id: str):
    """Add an email to the customer."""
    return _add("emails", customer_id)


@bp.put(f"{ONE}/emails/<email_id>")
@organization_key_required
@schemas.operation(
    body=shapes.EmailUpdate, response=shapes.EmailOut, summary="Editar correo", tags=TAGS
)
def update_email(customer_id: str, email_id: str):
    """Change an unlocked email."""
    return _update("emails", customer_id, email_id)


@bp.post(f"{ONE}/emails/<email_id>/toggle-lock")
@organization_key_required
@schemas.operation(response=shapes.EmailOut, summary="Bloquear/desbloquear correo", tags=TAGS)
def toggle_email_lock(customer_id: str, email_id: str):
    """Lock or unlock an email."""
    return _toggle_lock("emails", customer_id, email_id)


@bp.delete(f"{ONE}/emails/<email_id>")
@organization_key_required
@schemas.operation(response=shapes.EmailOut, summary="Eliminar correo", tags=TAGS)
def delete_email(customer_id: str, email_id: str):
    """Delete an unlocked email."""
    return _delete("emails", customer_id, email_id)


@bp.get(f"{ONE}/phones")
@organization_key_required
@schemas.operation(response=shapes.PhoneList, summary="Listar teléfonos", tags=TAGS)
def list_phones(customer_id: str):
    """The customer's phones."""
    return _list("phones", customer_id)


@bp.post(f"{ONE}/phones")
@organization_key_required
@schemas.operation(
    body=shapes.PhoneIn, response=shapes.PhoneOut, summary="Agregar teléfono", tags=TAGS
)
def add_phone(customer_id: str):
    """Add a phone (stored in E.164) to the customer."""
    return _add("phones", customer_id)


@bp.put(f"{ONE}/phones/<phone_id>")
@organization_key_required
@schemas.operation(
    body=shapes.PhoneUpdate, response=shapes.PhoneOut, summary="Editar teléfono", tags=TAGS
)
def update_phone(customer_id: str, phone_id: str):
    """Change an unlocked phone."""
    return _update("phones", customer_id, phone_id)


@bp.post(f"{ONE}/phones/<phone_id>/toggle-lock")
@organization_key_required
@schemas.operation(response=shapes.PhoneOut, summary="Bloquear/desbloquear teléfono", tags=TAGS)
def toggle_phone_lock(customer_id: str, phone_id: str):
    """Lock or unlock a phone."""
    return _toggle_lock("phones", customer_id, phone_id)


@bp.delete(f"{ONE}/phones/<phone_id>")
@organization_key_required
@schemas.operation(response=shapes.PhoneOut, summary="Eliminar teléfono", tags=TAGS)
def delete_phone(customer_id: str, phone_id: str):
    """Delete an unlocked phone."""
    return _delete("phones", customer_id, phone_id)


# Company names ----------------------------------------------------------------------------


def _company(customer_id: str, company_name_id: str):
    customer = _customer(customer_id)
    return customer, contacts.get_company_name(db.session, customer, company_name_id)


@bp.get(f"{ONE}/company-names")
@organization_key_required
@schemas.operation(response=shapes.CompanyNameList, summary="Listar razones sociales", tags=TAGS)
def list_company_names(customer_id: str):
    """The customer's company names, the default first."""
    rows = contacts.list_company_names(db.session, _customer(customer_id))
    return jsonify(
        {"success": True, "company_names": [contacts.company_name_dict(r) for r in rows]}
    )


@bp.post(f"{ONE}/company-names")
@organization_key_required
@schemas.operation(
    body=shapes.CompanyNameIn,
    response=shapes.CompanyNameOut,
    summary="Agregar razón social",
    tags=TAGS,
)
def create_company_name(customer_id: str):
    """Add a company name (its tax data checked as a customer's)."""
    customer = _customer(customer_id)
    data = _body(shapes.CompanyNameIn)
    company = contacts.create_company_name(db.session, customer, data, _issuer_zip())
    return _done(contacts.company_name_dict(company))


@bp.put(f"{ONE}/company-names/<company_name_id>")
@organization_key_required
@schemas.operation(
    body=shapes.CompanyNameUpdate,
    response=shapes.CompanyNameOut,
    summary="Editar razón social",
    tags=TAGS,
)
def update_company_name(customer_id: str, company_name_id: str):
    """Change the fields sent of a company name."""
    customer, company = _company(customer_id, company_name_id)
    data = _body(shapes.CompanyNameUpdate)
    contacts.update_company_name(db.session, customer, company, data, _issuer_zip())
    return _done(contacts.company_name_dict(company))


@bp.post(f"{ONE}/company-names/<company_name_id>/set-default")
@organization_key_required
@schemas.operation(response=shapes.CompanyNameOut, summary="Razón social predeterminada", tags=TAGS)
def set_default_company_name(customer_id: str, company_name_id: str):
    """Make a company name the customer's only default."""
    customer, company = _company(customer_id, company_name_id)
    contacts.set_default(db.session, customer, company)
    return _done(contacts.company_name_dict(company))


@bp.post(f"{ONE}/company-names/<company_name_id>/toggle-active")
@organization_key_required
@schemas.operation(
    body=shapes.ToggleActiveIn,
    response=shapes.CompanyNameOut,
    summary="Activar/desactivar razón social",
    tags=TAGS,
)
def toggle_active_company_name(customer_id: str, company_name_id: str):
    """Activate or deactivate a company name (the default stays active)."""
    customer, company = _company(customer_id, company_name_id)
    wanted = _body(shapes.ToggleActiveIn).is_active
    contacts.toggle_active(db.session, customer, company, wanted)
    return _done(contacts.company_name_dict(company))
