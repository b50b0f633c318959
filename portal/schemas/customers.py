"""Customers (``/v2/customers``): what is sent and what is answered."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field

from portal.schemas import ApiModel
from portal.schemas.common import RFC, AddressIn, JsonObject, ListQuery, Moment, Owned, codes_of

CUSTOMER_EXAMPLE = {
    "legal_name": "Universidad Robótica Española",
    "tax_id": "URE180429TM6",
    "tax_system": "601",
    "email": "cliente@example.com",
    "address": {"zip": "86991"},
}


class CustomerAddressIn(AddressIn):
    """Domicilio del cliente; el código postal de su país si reside en el extranjero."""

    zip: str | None = Field(  # type: ignore[assignment]
        None,
        max_length=12,
        description="5 dígitos de c_CodigoPostal; el código postal de su país (90210, K1A 0B6) "
        "si el cliente reside en el extranjero (country distinto de MEX).",
    )


class CustomerIn(ApiModel):
    """Datos fiscales de un cliente (receptor del CFDI)."""

    model_config = ConfigDict(json_schema_extra={"examples": [CUSTOMER_EXAMPLE]})

    legal_name: str | None = None
    tax_id: Annotated[str | None, RFC] = None
    tax_system: Annotated[str | None, codes_of("tax_system")] = None
    email: Annotated[str | None, Field(json_schema_extra={"format": "email"})] = None
    phone: str | None = None
    emails: list[JsonObject] | None = None
    phones: list[JsonObject] | None = None
    address: CustomerAddressIn | None = None
    default_invoice_use: Annotated[str | None, codes_of("use")] = None
    external_id: str | None = None


class CustomerQuery(ListQuery):
    """Filtros de la lista de clientes."""


class EditLinkQuery(ApiModel):
    """``?createEditLink=true``: emite una liga de edición."""

    createEditLink: str | None = Field(None, description="`true`: emite una liga de edición.")


class Customer(Owned):
    """Un cliente."""

    legal_name: str | None
    tax_id: str | None
    tax_system: str | None
    email: str | None
    phone: str | None
    emails: list[JsonObject]
    phones: list[JsonObject]
    address: JsonObject
    default_invoice_use: str | None
    external_id: str | None
    # only when ?createEditLink=true issued one
    edit_link: str | None = None
    edit_link_expires_at: Moment | None = None


class TaxInfoProblem(ApiModel):
    """Un problema de los datos fiscales."""

    model_config = ConfigDict(extra="forbid")

    path: str | None
    message: str
    code: str


class TaxInfoValidation(ApiModel):
    """Resultado de validar los datos fiscales contra las reglas del SAT."""

    model_config = ConfigDict(extra="forbid")

    is_valid: bool
    errors: list[TaxInfoProblem]
