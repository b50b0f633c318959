"""Customers of the key's organization and environment."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request

from portal.api import bp
from portal.api.auth import organization_key_required
from portal.api.common import idempotent, json_body
from portal.extensions import db
from portal.models.customers import Customer
from portal.pagination import filter_dates, paginate
from portal.schemas import operation
from portal.schemas.common import EmailIn, Ok, Page
from portal.schemas.customers import Customer as CustomerOut
from portal.schemas.customers import (
    CustomerIn,
    CustomerQuery,
    EditLinkQuery,
    TaxInfoValidation,
)
from portal.services import customers
from portal.tenancy import current_tenant


def _wants_edit_link() -> bool:
    return request.args.get("createEditLink", "").lower() in ("true", "1")


@bp.post("/customers")
@organization_key_required
@operation(body=CustomerIn, query=EditLinkQuery, response=CustomerOut, summary="Crear un cliente")
def create_customer():
    """Register a customer (``?createEditLink=true`` makes every field optional); a retry
    with the same ``Idempotency-Key`` gets it again (without a new edit link)."""
    tenant = current_tenant()
    issued: list[Any] = []

    def create() -> Any:
        customer, link = customers.create_customer(
            db.session, tenant, json_body(), edit_link=_wants_edit_link()
        )
        issued.append(link)
        return customer

    customer = idempotent(
        "customers", create, lambda found: customers.get_customer(db.session, tenant, found)
    )
    db.session.commit()
    return jsonify(customers.to_dict(customer, issued[0] if issued else None))


@bp.get("/customers")
@organization_key_required
@operation(query=CustomerQuery, response=Page[CustomerOut], summary="Listar clientes")
def list_customers():
    """The environment's customers, newest first, with ``q`` and date filters."""
    query = customers.search(current_tenant(), request.args.get("q"))
    return paginate(db.session, filter_dates(query, Customer.created_at), customers.to_dict)


@bp.get("/customers/<customer_id>")
@organization_key_required
@operation(response=CustomerOut, summary="Obtener un cliente")
def retrieve_customer(customer_id: str):
    """One customer."""
    return jsonify(
        customers.to_dict(customers.get_customer(db.session, current_tenant(), customer_id))
    )


@bp.put("/customers/<customer_id>")
@organization_key_required
@operation(body=CustomerIn, query=EditLinkQuery, response=CustomerOut, summary="Editar un cliente")
def update_customer(customer_id: str):
    """Change the fields sent (``?createEditLink=true`` issues a new edit link)."""
    tenant = current_tenant()
    customer = customers.get_customer(db.session, tenant, customer_id)
    link = customers.update_customer(
        db.session, tenant, customer, json_body(), edit_link=_wants_edit_link()
    )
    db.session.commit()
    return jsonify(customers.to_dict(customer, link))


@bp.delete("/customers/<customer_id>")
@organization_key_required
@operation(response=CustomerOut, summary="Eliminar un cliente")
def delete_customer(customer_id: str):
    """Delete a customer; its invoices are kept."""
    customer = customers.get_customer(db.session, current_tenant(), customer_id)
    customers.delete_customer(customer)
    db.session.commit()
    return jsonify(customers.to_dict(customer))


@bp.get("/customers/<customer_id>/tax-info-validation")
@organization_key_required
@operation(response=TaxInfoValidation, summary="Validar los datos fiscales")
def validate_customer_tax_info(customer_id: str):
    """Check the stored customer against SAT's receiver rules, reporting every problem."""
    tenant = current_tenant()
    customer = customers.get_customer(db.session, tenant, customer_id)
    problems = customers.receiver_problems(customer, (tenant.organization.address or {}).get("zip"))
    errors = [{"path": p.path, "message": p.message, "code": p.code} for p in problems]
    return jsonify({"is_valid": not problems, "errors": errors})


@bp.post("/customers/<customer_id>/email-edit-link")
@organization_key_required
@operation(body=EmailIn, response=Ok, summary="Enviar liga de edición")
def email_edit_link(customer_id: str):
    """Send the customer a new edit link by email (to ``email`` or the customer's address)."""
    tenant = current_tenant()
    customer = customers.get_customer(db.session, tenant, customer_id)
    email = json_body().get("email")
    base_url = current_app.config["PUBLIC_BASE_URL"]
    customers.email_edit_link(db.session, tenant, customer, email, base_url)
    db.session.commit()
    return jsonify({"ok": True})
