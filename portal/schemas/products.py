"""Products (``/v2/products``): what is sent and what is answered."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field

from portal.schemas import ApiModel
from portal.schemas.common import ListQuery, Owned

PRODUCT_EXAMPLE = {"description": "Ukelele", "product_key": "60131324", "price": 345.6}


class TaxIn(ApiModel):
    """Un impuesto del producto."""

    type: str | None = None
    rate: float | None = None
    factor: str | None = None
    withholding: bool | None = None
    ieps_mode: str | None = None


class ProductIn(ApiModel):
    """Un producto o servicio (los impuestos: IVA 16 % trasladado si no se indican)."""

    model_config = ConfigDict(json_schema_extra={"examples": [PRODUCT_EXAMPLE]})

    description: str | None = None
    product_key: Annotated[str | None, Field(json_schema_extra={"pattern": r"^\d{8}$"})] = None
    price: Annotated[float | None, Field(json_schema_extra={"minimum": 0})] = None
    tax_included: bool | None = None
    taxability: str | None = None
    taxes: list[TaxIn] | None = None
    local_taxes: list[TaxIn] | None = None
    unit_key: str | None = None
    unit_name: str | None = None
    sku: str | None = None


class ProductQuery(ListQuery):
    """Filtros de la lista de productos."""

    sku: str | None = Field(None, description="SKU.")


class Tax(ApiModel):
    """Un impuesto del producto: tipo, tasa o cuota y los demás datos con que se guardó."""

    model_config = ConfigDict(extra="allow")

    type: str
    rate: float


class Product(Owned):
    """Un producto."""

    description: str
    product_key: str
    price: float
    tax_included: bool
    taxability: str
    taxes: list[Tax]
    local_taxes: list[Tax]
    unit_key: str
    unit_name: str | None
    sku: str | None
