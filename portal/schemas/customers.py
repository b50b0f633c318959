"""Customers (``/v2/customers``): what is sent and what is answered."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from portal.cfdi.reading import Codes, refusal
from portal.schemas import ApiModel, contacts
from portal.schemas.common import (
    RFC,
    AddressLines,
    JsonObject,
    ListQuery,
    Moment,
    Owned,
)
from portal.schemas.fields import Boolean, Email, Items, Phone, Text, read_object, read_text

CUSTOMER_EXAMPLE = {
    "legal_name": "Universidad Robótica Española",
    "tax_id": "URE180429TM6",
    "tax_system": "601",
    "email": "cliente@example.com",
    "address": {"zip": "86991"},
}


MAX_CONTACTS = 20


def _an_object(value: Any) -> Any:
    if not isinstance(value, dict):
        raise refusal("invalid_type", "Se esperaba un objeto JSON.")
    return value


def _contact_phone(value: Any) -> str | None:
    """A contact's phone, kept in E.164 (Mexican unless it has a country code)."""
    raw = read_text(value, required=True, max_len=40)
    try:
        return contacts.e164(raw or "")
    except PydanticCustomError:
        raise refusal("invalid_phone", f"El teléfono «{raw}» no es un número válido.") from None


class _Contact(ApiModel):
    """Lo que describe a un contacto: nombre, puesto y notas."""

    name: Text(max_len=100) = None
    role: Text(max_len=100) = None
    notes: Text(max_len=500) = None

    def stored(self) -> dict[str, Any]:
        """The contact as the customer's contact rows take it."""
        return self.model_dump()


class ContactEmailIn(_Contact):
    """Un correo más del cliente (o sólo la dirección, como texto)."""

    email: Email(required=True)
    is_for_invoicing: Boolean = None

    @model_validator(mode="before")
    @classmethod
    def _read(cls, value: Any) -> Any:
        return _an_object({"email": value} if isinstance(value, str) else value)

    def stored(self) -> dict[str, Any]:
        return {**super().stored(), "is_for_invoicing": self.is_for_invoicing is not False}


class ContactPhoneIn(_Contact):
    """Un teléfono más del cliente (o sólo el número, como texto)."""

    phone: Annotated[str, BeforeValidator(_contact_phone), Field(json_schema_extra=None)]
    extension: Text(max_len=10) = None
    is_whatsapp: Boolean = None

    @model_validator(mode="before")
    @classmethod
    def _read(cls, value: Any) -> Any:
        return _an_object({"phone": value} if isinstance(value, str) else value)

    def stored(self) -> dict[str, Any]:
        return {**super().stored(), "is_whatsapp": bool(self.is_whatsapp)}


class CustomerAddressIn(AddressLines):
    """Domicilio del cliente; el código postal de su país si reside en el extranjero."""

    # 5 digits of c_CodigoPostal (the receiver rules check it); a foreign customer's own
    # postal code (Comercio Exterior's CodigoPostal) may be up to 12.
    zip: Annotated[
        Text(max_len=12),
        Field(
            description="5 dígitos de c_CodigoPostal; el código postal de su país (90210, "
            "K1A 0B6) si el cliente reside en el extranjero (country distinto de MEX)."
        ),
    ] = None
    country: Text(upper=True, pattern="[A-Za-z]{3}") = None


def _contact_list(element: Any) -> Any:
    return Items(element, max_items=MAX_CONTACTS)


class CustomerIn(ApiModel):
    """Datos fiscales de un cliente (receptor del CFDI); las reglas del SAT del receptor se
    revisan después, sobre el cliente completo."""

    model_config = ConfigDict(json_schema_extra={"examples": [CUSTOMER_EXAMPLE]})

    legal_name: Text(max_len=300) = None
    tax_id: Annotated[Text(max_len=40, upper=True), RFC] = None
    tax_system: Annotated[Text(max_len=3), Codes("tax_system")] = None
    default_invoice_use: Annotated[Text(max_len=4, upper=True), Codes("use")] = None
    email: Email() = None
    phone: Phone() = None
    external_id: Text(max_len=255) = None
    emails: _contact_list(ContactEmailIn) = None
    phones: _contact_list(ContactPhoneIn) = None
    address: Annotated[CustomerAddressIn | None, BeforeValidator(read_object)] = None

    @model_validator(mode="before")
    @classmethod
    def _read(cls, value: Any) -> Any:
        return _an_object(value)

    def fields(self) -> dict[str, Any]:
        """The fields sent, as the customer keeps them (a field sent empty or wrong: None;
        the contacts as rows to store; the address with only the keys sent)."""
        fields = {
            key: getattr(self, key)
            for key in type(self).model_fields
            if key in self.model_fields_set
        }
        for key in ("emails", "phones"):
            if key in fields:
                fields[key] = [contact.stored() for contact in fields[key] or []]
        if "address" in fields:
            address = self.address
            fields["address"] = address.model_dump(exclude_unset=True) if address else {}
        return fields


class EditLinkEmail(ApiModel):
    """A quién enviar la liga de edición (por omisión, al correo del cliente)."""

    email: Email() = None


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
