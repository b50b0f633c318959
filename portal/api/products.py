"""Products of the key's organization and environment."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from portal.api import bp
from portal.api.auth import organization_key_required
from portal.api.common import idempotent, iso, json_body
from portal.extensions import db
from portal.models.products import Product
from portal.pagination import filter_dates, paginate
from portal.services import products
from portal.tenancy import current_tenant


def _rate(tax: dict[str, Any]) -> dict[str, Any]:
    return {**tax, "rate": float(tax["rate"])}


def serialize_product(product: Product) -> dict[str, Any]:
    """The product object of the API (amounts as JSON numbers)."""
    return {
        "id": product.id,
        "created_at": iso(product.created_at),
        "livemode": product.livemode,
        "organization": product.organization_id,
        "description": product.description,
        "product_key": product.product_key,
        "price": float(product.price),
        "tax_included": product.tax_included,
        "taxability": product.taxability,
        "taxes": [_rate(t) for t in product.taxes],
        "local_taxes": [_rate(t) for t in product.local_taxes],
        "unit_key": product.unit_key,
        "unit_name": product.unit_name,
        "sku": product.sku,
    }


@bp.post("/products")
@organization_key_required
def create_product():
    """Register a product (taxes default to IVA 16 % transferred)."""
    tenant = current_tenant()
    product = idempotent(
        "products",
        lambda: products.create_product(db.session, tenant, json_body()),
        lambda found: products.get_product(db.session, tenant, found),
    )
    db.session.commit()
    return jsonify(serialize_product(product))


@bp.get("/products")
@organization_key_required
def list_products():
    """The environment's products, newest first, with ``q``, ``sku`` and date filters."""
    query = products.search(current_tenant(), request.args.get("q"), request.args.get("sku"))
    return paginate(db.session, filter_dates(query, Product.created_at), serialize_product)


@bp.get("/products/<product_id>")
@organization_key_required
def retrieve_product(product_id: str):
    """One product."""
    return jsonify(
        serialize_product(products.get_product(db.session, current_tenant(), product_id))
    )


@bp.put("/products/<product_id>")
@organization_key_required
def update_product(product_id: str):
    """Change the fields sent."""
    product = products.get_product(db.session, current_tenant(), product_id)
    products.update_product(db.session, product, json_body())
    db.session.commit()
    return jsonify(serialize_product(product))


@bp.delete("/products/<product_id>")
@organization_key_required
def delete_product(product_id: str):
    """Delete a product; invoices that use it are kept."""
    product = products.get_product(db.session, current_tenant(), product_id)
    products.delete_product(product)
    db.session.commit()
    return jsonify(serialize_product(product))
