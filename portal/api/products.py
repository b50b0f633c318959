"""Products of the key's organization and environment."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from portal.api import bp
from portal.api.auth import organization_key_required
from portal.api.common import idempotent, json_body
from portal.extensions import db
from portal.models.products import Product
from portal.pagination import filter_dates, paginate
from portal.schemas import answer, operation
from portal.schemas.common import Page
from portal.schemas.products import Product as ProductOut
from portal.schemas.products import ProductIn, ProductQuery, ProductUpdate
from portal.services import products
from portal.tenancy import current_tenant


def serialize_product(product: Product) -> dict[str, Any]:
    """The product object of the API (amounts as JSON numbers)."""
    return answer(ProductOut, product)


@bp.post("/products")
@organization_key_required
@operation(body=ProductIn, response=ProductOut, summary="Crear un producto")
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
@operation(query=ProductQuery, response=Page[ProductOut], summary="Listar productos")
def list_products():
    """The environment's products, newest first, with ``q``, ``sku`` and date filters."""
    query = products.search(current_tenant(), request.args.get("q"), request.args.get("sku"))
    return paginate(db.session, filter_dates(query, Product.created_at), serialize_product)


@bp.get("/products/<product_id>")
@organization_key_required
@operation(response=ProductOut, summary="Obtener un producto")
def retrieve_product(product_id: str):
    """One product."""
    return jsonify(
        serialize_product(products.get_product(db.session, current_tenant(), product_id))
    )


@bp.put("/products/<product_id>")
@organization_key_required
@operation(body=ProductUpdate, response=ProductOut, summary="Editar un producto")
def update_product(product_id: str):
    """Change the fields sent."""
    product = products.get_product(db.session, current_tenant(), product_id)
    products.update_product(db.session, product, json_body())
    db.session.commit()
    return jsonify(serialize_product(product))


@bp.delete("/products/<product_id>")
@organization_key_required
@operation(response=ProductOut, summary="Eliminar un producto")
def delete_product(product_id: str):
    """Delete a product; invoices that use it are kept."""
    product = products.get_product(db.session, current_tenant(), product_id)
    products.delete_product(product)
    db.session.commit()
    return jsonify(serialize_product(product))
