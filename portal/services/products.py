"""Products: create, edit, search, delete, with Facturapi's defaults and SAT catalog checks.

Taxes keep Facturapi's meaning: omitted or null is IVA 16 % transferred, ``[]`` is no taxes.
Taxability (ObjetoImp) defaults to "02" when there are taxes and "01" when there are none.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, or_
from sqlalchemy.orm import Session

from portal.cfdi import catalogs
from portal.cfdi import types as cfdi
from portal.models.base import utcnow
from portal.models.products import Product
from portal.models.tenancy import Tenant, scoped_get, scoped_select
from portal.schemas import parse
from portal.schemas.products import ProductIn, ProductUpdate

DEFAULT_TAX = {"type": "IVA", "rate": "0.16", "withholding": False, "factor": "Tasa"}
DEFAULTS: dict[str, Any] = {"tax_included": True, "unit_key": "H87"}
REQUIRED = ("description", "product_key", "price")
FIELDS = tuple(ProductUpdate.model_fields)


def read_fields(data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """The product fields present in ``data``, typed and checked; raises every problem."""
    product = parse(ProductUpdate if partial else ProductIn, data)
    # Required fields are read on create even when absent; on edit a sent one may not be empty.
    sent = product.model_fields_set | (set() if partial else set(REQUIRED))
    fields = {key: getattr(product, key) for key in FIELDS if key in sent}
    if "taxes" in fields and product.taxes is not None:
        fields["taxes"] = [tax.stored() for tax in product.taxes]
    if "local_taxes" in fields:
        fields["local_taxes"] = [tax.stored() for tax in product.local_taxes or []]
    return fields


def _apply(product: Product, fields: dict[str, Any]) -> None:
    for key, value in fields.items():
        if key == "taxes" and value is None:
            value = [dict(DEFAULT_TAX)]
        elif value is None and key in DEFAULTS:
            value = DEFAULTS[key]
        setattr(product, key, value)
    if fields.get("unit_name") is None and ("unit_key" in fields or "unit_name" in fields):
        # No name given: SAT's name for the key (H87 "Pieza", KGM "Kilogramo"), never a fixed one.
        product.unit_name = catalogs.unit_name(product.unit_key)
    derive = "taxes" in fields or "taxability" in fields or not product.taxability
    if fields.get("taxability") is None and derive:
        product.taxability = "02" if product.taxes else "01"


def create_product(session: Session, tenant: Tenant, data: dict[str, Any]) -> Product:
    """A new product in the tenant's environment, with Facturapi's defaults."""
    fields = read_fields(data, partial=False)
    product = Product(organization_id=tenant.organization.id, livemode=tenant.livemode)
    _apply(product, {**DEFAULTS, "taxes": None, "local_taxes": [], **fields})
    session.add(product)
    session.flush()
    return product


def update_product(session: Session, product: Product, data: dict[str, Any]) -> None:
    """Change only the fields sent."""
    fields = read_fields(data, partial=True)
    _apply(product, fields)
    product.updated_at = utcnow()
    session.flush()


def delete_product(product: Product) -> None:
    """Hide the product; invoices keep their own copy of its data."""
    product.deleted_at = utcnow()


def search(tenant: Tenant, q: str | None = None, sku: str | None = None) -> Select[tuple[Product]]:
    """The tenant's products matching ``q`` (description, SKU, key) and ``sku``, newest first."""
    query = scoped_select(Product, tenant)
    if q and q.strip():
        like = f"%{q.strip().lower()}%"
        query = query.where(
            or_(
                func.lower(Product.description).like(like),
                func.lower(Product.sku).like(like),
                Product.product_key.like(like),
            )
        )
    if sku and sku.strip():
        query = query.where(Product.sku == sku.strip())
    return query.order_by(Product.created_at.desc(), Product.id.desc())


def get_product(session: Session, tenant: Tenant, product_id: str) -> Product:
    """The tenant's product with this id, or 404."""
    return scoped_get(session, Product, product_id, tenant, "El producto no existe.")


def to_cfdi(product: Product) -> cfdi.Product:
    """The fiscal engine's product for a stored one (``taxes`` always explicit)."""
    return cfdi.Product(
        description=product.description,
        product_key=product.product_key,
        price=Decimal(product.price),
        tax_included=product.tax_included,
        taxability=product.taxability,
        taxes=[
            cfdi.Tax(
                t["type"],
                Decimal(t["rate"]),
                t.get("withholding", False),
                t.get("factor", "Tasa"),
                t.get("ieps_mode"),
            )
            for t in product.taxes
        ],
        local_taxes=[
            cfdi.LocalTax(t["type"], Decimal(t["rate"]), t.get("withholding", False))
            for t in product.local_taxes
        ],
        unit_key=product.unit_key,
        unit_name=product.unit_name,
        sku=product.sku,
    )
