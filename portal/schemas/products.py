"""Products (``/v2/products``): what is sent and what is answered."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from portal.cfdi import catalogs
from portal.cfdi import types as cfdi
from portal.cfdi.reading import Codes, refusal
from portal.schemas import ApiModel
from portal.schemas.common import ListQuery, Owned
from portal.schemas.fields import (
    Items,
    Text,
    read_boolean,
    read_catalog_code,
    read_choice,
    read_decimal,
)

ZERO = Decimal(0)
TAX_OBJECTS = [code for code, _label in catalogs.options("tax_object")]

PRODUCT_EXAMPLE = {"description": "Ukelele", "product_key": "60131324", "price": 345.6}


TAX_TYPES = tuple(cfdi.TAX_CODES)
IEPS_MODES = ("sum_before_taxes", "break_down", "unconsidered")
MAX_TAXES = 10
Number = WithJsonSchema({"type": "number", "minimum": 0})


def _object(value: Any) -> Any:
    if not isinstance(value, dict):
        raise refusal("invalid_type", "Se esperaba un objeto JSON.")
    return value


class TaxIn(ApiModel):
    """Un impuesto trasladado o retenido (por omisión: IVA 16 % trasladado)."""

    type: Annotated[str | None, Field(json_schema_extra={"enum": list(TAX_TYPES)})] = None
    factor: Annotated[str | None, Field(json_schema_extra={"enum": list(cfdi.FACTORS)})] = None
    rate: Annotated[Decimal | None, Number, Field(validate_default=True)] = None
    withholding: bool | None = None
    ieps_mode: Annotated[str | None, Field(json_schema_extra={"enum": list(IEPS_MODES)})] = None

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, value: Any) -> Any:
        return _object(value)

    @field_validator("type", mode="before")
    @classmethod
    def _type(cls, value: Any) -> str | None:
        return read_choice(value, list(TAX_TYPES))

    @field_validator("factor", mode="before")
    @classmethod
    def _factor(cls, value: Any) -> str | None:
        return read_choice(value, list(cfdi.FACTORS))

    @field_validator("rate", mode="before")
    @classmethod
    def _rate(cls, value: Any, info: ValidationInfo) -> Decimal | None:
        kind, factor = info.data.get("type") or "IVA", info.data.get("factor") or "Tasa"
        return read_decimal(value, required=factor != "Exento" and kind != "IVA", minimum=ZERO)

    @field_validator("withholding", mode="before")
    @classmethod
    def _withholding(cls, value: Any) -> bool | None:
        return read_boolean(value)

    @field_validator("ieps_mode", mode="before")
    @classmethod
    def _ieps_mode(cls, value: Any, info: ValidationInfo) -> str | None:
        if (info.data.get("type") or "IVA") != "IEPS":
            return None  # read only for IEPS
        return read_choice(value, list(IEPS_MODES))

    def stored(self) -> dict[str, Any]:
        """The tax as the product keeps it (the rate as text, defaults filled in)."""
        kind, factor, rate = self.type or "IVA", self.factor or "Tasa", self.rate
        if rate is None and "rate" not in self.model_fields_set:
            rate = Decimal("0.16") if kind == "IVA" and factor != "Exento" else ZERO
        tax = {
            "type": kind,
            "rate": str(rate or 0),
            "withholding": bool(self.withholding),
            "factor": factor,
        }
        if kind == "IEPS" and "ieps_mode" in self.model_fields_set:
            tax["ieps_mode"] = self.ieps_mode
        return tax


class LocalTaxIn(ApiModel):
    """Un impuesto local (cedular, ISH…)."""

    rate: Annotated[Decimal, Number, BeforeValidator(lambda v: read_decimal(v, True, ZERO))]
    type: Text(required=True, max_len=100)
    withholding: Annotated[bool | None, BeforeValidator(read_boolean)] = None

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, value: Any) -> Any:
        return _object(value)

    def stored(self) -> dict[str, Any]:
        """The local tax as the product keeps it."""
        return {"type": self.type, "rate": str(self.rate), "withholding": bool(self.withholding)}


def _taxes(element: Any) -> Any:
    return Items(element, max_items=MAX_TAXES)


class ProductUpdate(ApiModel):
    """Los campos de un producto que se cambian (uno enviado no puede ir vacío)."""

    description: Text(required=True, max_len=1000) = None
    product_key: Annotated[
        str,
        BeforeValidator(lambda v: read_catalog_code(v, "product_key", "c_ClaveProdServ", True)),
        Field(json_schema_extra={"pattern": r"^\d{8}$"}),
    ] = None
    price: Annotated[Decimal, Number, BeforeValidator(lambda v: read_decimal(v, True, ZERO))] = None
    tax_included: Annotated[bool | None, BeforeValidator(read_boolean)] = None
    taxability: Annotated[
        str | None,
        BeforeValidator(lambda v: read_choice(v, TAX_OBJECTS)),
        Codes("tax_object"),
    ] = None
    taxes: _taxes(TaxIn) = None
    local_taxes: _taxes(LocalTaxIn) = None
    unit_key: Annotated[
        str | None, BeforeValidator(lambda v: read_catalog_code(v, "unit", "c_ClaveUnidad"))
    ] = None
    unit_name: Text(max_len=100) = None
    sku: Text(max_len=100) = None


class ProductIn(ProductUpdate):
    """Un producto o servicio (los impuestos: IVA 16 % trasladado si no se indican)."""

    model_config = ConfigDict(json_schema_extra={"examples": [PRODUCT_EXAMPLE]})

    description: Text(required=True, max_len=1000)
    product_key: Annotated[
        str,
        BeforeValidator(lambda v: read_catalog_code(v, "product_key", "c_ClaveProdServ", True)),
        Field(json_schema_extra={"pattern": r"^\d{8}$"}),
    ]
    price: Annotated[Decimal, Number, BeforeValidator(lambda v: read_decimal(v, True, ZERO))]


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
