"""A customer's emails, phones and company names (razones sociales) under /v2/customers/{id}."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Kind:
    """One kind of contact (``emails`` or ``phones``): its rows, shapes and Spanish name."""

    name: str
    model: type[Any]
    new: type[schemas.ApiModel]
    change: type[schemas.ApiModel]
    shown: type[schemas.ApiModel]
    listed: type[schemas.ApiModel]
    to_dict: Callable[[Any], dict[str, Any]]
    label: str
    labels: str


KINDS = (
    Kind(
        "emails",
        CustomerEmail,
        shapes.EmailIn,
        shapes.EmailUpdate,
        shapes.EmailOut,
        shapes.EmailList,
        contacts.email_dict,
        "correo",
        "correos",
    ),
    Kind(
        "phones",
        CustomerPhone,
        shapes.PhoneIn,
        shapes.PhoneUpdate,
        shapes.PhoneOut,
        shapes.PhoneList,
        contacts.phone_dict,
        "teléfono",
        "teléfonos",
    ),
)


def _customer(customer_id: str) -> Customer:
    return customers.get_customer(db.session, current_tenant(), customer_id)


def _issuer_zip() -> str | None:
    return (current_tenant().organization.address or {}).get("zip")


def _body(model: type[schemas.M]) -> schemas.M:
    return schemas.parse(model, json_body())


def _done(body: dict[str, Any]):
    db.session.commit()
    return jsonify(body)


# Emails and phones: one set of views, registered once per kind ----------------------------


def _contact_views(kind: Kind) -> None:
    """List, add, edit, lock and delete the customer's contacts of one kind."""
    one = kind.name.removesuffix("s")

    def contact(customer_id: str, ids: dict[str, str]) -> Any:
        """The contact the path names (``<email_id>`` or ``<phone_id>``)."""
        found = ids[f"{one}_id"]
        return contacts.get_contact(db.session, kind.model, _customer(customer_id), found)

    def listing(customer_id: str):
        rows = contacts.list_contacts(db.session, kind.model, _customer(customer_id))
        return jsonify({"success": True, kind.name: [kind.to_dict(row) for row in rows]})

    def add(customer_id: str):
        added = contacts.add_contact(
            db.session, kind.model, _customer(customer_id), _body(kind.new)
        )
        return _done(kind.to_dict(added))

    def update(customer_id: str, **ids: str):
        found = contact(customer_id, ids)
        return _done(kind.to_dict(contacts.update_contact(db.session, found, _body(kind.change))))

    def toggle_lock(customer_id: str, **ids: str):
        found = contact(customer_id, ids)
        return _done(kind.to_dict(contacts.toggle_lock(db.session, found)))

    def delete(customer_id: str, **ids: str):
        found = contact(customer_id, ids)
        body = kind.to_dict(found)
        contacts.delete_contact(db.session, found)
        return _done(body)

    path, item = f"{ONE}/{kind.name}", f"{ONE}/{kind.name}/<{one}_id>"
    views = (
        ("GET", path, listing, f"list_{kind.name}", None, kind.listed, f"Listar {kind.labels}"),
        ("POST", path, add, f"add_{one}", kind.new, kind.shown, f"Agregar {kind.label}"),
        ("PUT", item, update, f"update_{one}", kind.change, kind.shown, f"Editar {kind.label}"),
        (
            "POST",
            f"{item}/toggle-lock",
            toggle_lock,
            f"toggle_{one}_lock",
            None,
            kind.shown,
            f"Bloquear/desbloquear {kind.label}",
        ),
        ("DELETE", item, delete, f"delete_{one}", None, kind.shown, f"Eliminar {kind.label}"),
    )
    for method, rule, view, name, body, response, summary in views:
        view.__name__ = view.__qualname__ = name
        view.__doc__ = f"{summary} del cliente."
        described = schemas.operation(body=body, response=response, summary=summary, tags=TAGS)
        guarded = organization_key_required(described(view))
        bp.add_url_rule(rule, endpoint=name, view_func=guarded, methods=[method])


for _kind in KINDS:
    _contact_views(_kind)


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
