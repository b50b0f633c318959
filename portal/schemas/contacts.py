"""Shapes of a customer's contacts (emails, phones) and company names (razones sociales).

Phones are parsed with ``phonenumbers`` (Mexico when no country code is given) and kept in
E.164; emails are checked with ``email-validator``. Ids are the API's 24-hex-digit strings;
each object also carries the reference's own id key (``email_id``, ``phone_id``,
``company_name_id``) with the same value.
"""

from __future__ import annotations

from typing import Annotated, Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, Field, field_validator
from pydantic_core import PydanticCustomError

from portal.schemas import ApiModel

DEFAULT_REGION = "MX"


def _email(value: str) -> str:
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        raise PydanticCustomError(
            "invalid_email", "El correo de {path} no es una dirección válida."
        ) from None


def e164(value: str) -> str:
    """A phone number in E.164 (``+525512345678``); Mexican when it has no country code."""
    try:
        number = phonenumbers.parse(value, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_possible_number(number):
        raise PydanticCustomError(
            "invalid_phone", "El teléfono de {path} no es un número válido (p. ej. 55 1234 5678)."
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


Email = Annotated[str, Field(max_length=254), AfterValidator(_email)]
Phone = Annotated[str, Field(max_length=40), AfterValidator(e164)]
Text100 = Annotated[str | None, Field(max_length=100)]
Notes = Annotated[str | None, Field(max_length=500)]
Stamp = str | None


def _not_null(value: object) -> object:
    """An edit may leave a field out, but not empty a required one with ``null``."""
    if value is None:
        raise PydanticCustomError("required", "El campo {path} no puede ser null.")
    return value


def _keep(*fields: str) -> Any:
    return field_validator(*fields)(_not_null)


class _ContactIn(ApiModel):
    name: Text100 = None
    role: Text100 = None
    notes: Notes = None


class EmailIn(_ContactIn):
    """Add an email to a customer."""

    email: Email
    is_for_invoicing: bool = True


class EmailUpdate(_ContactIn):
    """Change the fields sent of an email."""

    _required = _keep("email", "is_for_invoicing")

    email: Email | None = None
    is_for_invoicing: bool | None = None


class PhoneIn(_ContactIn):
    """Add a phone to a customer."""

    phone: Phone
    extension: Annotated[str | None, Field(max_length=10, pattern=r"^[0-9]{1,10}$")] = None
    is_whatsapp: bool = False


class PhoneUpdate(_ContactIn):
    """Change the fields sent of a phone."""

    _required = _keep("phone", "is_whatsapp")

    phone: Phone | None = None
    extension: Annotated[str | None, Field(max_length=10, pattern=r"^[0-9]{1,10}$")] = None
    is_whatsapp: bool | None = None


class _ContactOut(ApiModel):
    id: str
    customer_id: str
    name: str | None
    role: str | None
    notes: str | None
    is_locked: bool
    created_at: Stamp
    updated_at: Stamp


class EmailOut(_ContactOut):
    """An email of a customer."""

    email_id: str
    email: str
    is_for_invoicing: bool


class PhoneOut(_ContactOut):
    """A phone of a customer (E.164)."""

    phone_id: str
    phone: str
    extension: str | None
    is_whatsapp: bool


class EmailList(ApiModel):
    """Every email of a customer, oldest first."""

    success: bool = True
    emails: list[EmailOut]


class PhoneList(ApiModel):
    """Every phone of a customer, oldest first."""

    success: bool = True
    phones: list[PhoneOut]


class Address(ApiModel):
    """The fiscal address of a company name; ``zip`` is the registered fiscal zip."""

    zip: Annotated[str | None, Field(max_length=5)] = None
    street: Text100 = None
    exterior: Annotated[str | None, Field(max_length=55)] = None
    interior: Annotated[str | None, Field(max_length=55)] = None
    neighborhood: Text100 = None
    city: Text100 = None
    municipality: Text100 = None
    state: Text100 = None


class CompanyNameIn(ApiModel):
    """Create a company name (tax identity) of a customer."""

    name: Annotated[str, Field(min_length=1, max_length=300)]
    tax_id: Annotated[str, Field(min_length=12, max_length=13)]
    tax_system: Annotated[str, Field(pattern=r"^[0-9]{3}$")]
    billing_email: Email | None = None
    address: Address
    billing_address: Annotated[str | None, Field(max_length=300)] = None
    is_active: bool = True
    is_default: bool = False


class CompanyNameUpdate(ApiModel):
    """Change the fields sent of a company name (the tax data is checked again)."""

    _required = _keep("name", "tax_id", "tax_system", "address", "is_active", "is_default")

    name: Annotated[str | None, Field(min_length=1, max_length=300)] = None
    tax_id: Annotated[str | None, Field(min_length=12, max_length=13)] = None
    tax_system: Annotated[str | None, Field(pattern=r"^[0-9]{3}$")] = None
    billing_email: Email | None = None
    address: Address | None = None
    billing_address: Annotated[str | None, Field(max_length=300)] = None
    is_active: bool | None = None
    is_default: bool | None = None


class ToggleActiveIn(ApiModel):
    """The wanted active status (without it, the status flips)."""

    is_active: bool | None = None


class CompanyNameOut(ApiModel):
    """A company name (razón social) of a customer."""

    id: str
    company_name_id: str
    customer_id: str
    name: str
    tax_id: str
    tax_system: str
    billing_email: str | None
    address: Address
    billing_address: str | None
    is_active: bool
    is_default: bool
    created_at: Stamp
    updated_at: Stamp


class CompanyNameList(ApiModel):
    """Every company name of a customer, the default first."""

    success: bool = True
    company_names: list[CompanyNameOut]
