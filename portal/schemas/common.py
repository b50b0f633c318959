"""Shapes every resource shares: the tenant-owned object, lists, filters, errors, addresses.

A model's docstring is its description in the API reference, so it is written in Spanish.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    AliasChoices,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
)

from portal.cfdi.reading import THREE_LETTERS
from portal.errors import ERROR_TYPES
from portal.schemas import ApiModel, iso
from portal.schemas.fields import Recipients, Text, read_query_integer, read_query_moment

T = TypeVar("T")
JsonObject = dict[str, Any]
Moment = Annotated[
    datetime,
    PlainSerializer(iso, return_type=str, when_used="json"),
    Field(json_schema_extra={"format": "date-time"}),
]


# Street address fields of Facturapi's address object and their length limits (zip apart).
ADDRESS_FIELDS = {
    "street": 100,
    "exterior": 55,
    "interior": 55,
    "neighborhood": 100,
    "city": 100,
    "municipality": 100,
    "state": 100,
}


class AddressLines(ApiModel):
    """The street lines of an address (each kind of address adds its own postal code)."""

    street: Text(max_len=ADDRESS_FIELDS["street"]) = None
    exterior: Text(max_len=ADDRESS_FIELDS["exterior"]) = None
    interior: Text(max_len=ADDRESS_FIELDS["interior"]) = None
    neighborhood: Text(max_len=ADDRESS_FIELDS["neighborhood"]) = None
    city: Text(max_len=ADDRESS_FIELDS["city"]) = None
    municipality: Text(max_len=ADDRESS_FIELDS["municipality"]) = None
    state: Text(max_len=ADDRESS_FIELDS["state"]) = None


RFC_PATTERN = r"^[A-Z&Ñ]{3,4}\d{2}(0[1-9]|1[012])(0[1-9]|[12]\d|3[01])[A-Z0-9]{2}[0-9A]$"
RFC = Field(json_schema_extra={"pattern": RFC_PATTERN})
ZIP = Field(json_schema_extra={"pattern": r"^\d{5}$"})


class Answer(ApiModel):
    """Un objeto de respuesta: exactamente estos campos."""

    model_config = ConfigDict(extra="forbid")


class Owned(Answer):
    """Un objeto de la organización: id, fecha de creación, entorno y organización."""

    id: str
    created_at: Moment
    livemode: bool
    organization: str = Field(validation_alias=AliasChoices("organization_id", "organization"))


class Page(Answer, Generic[T]):
    """Una página de resultados."""

    page: int = Field(ge=1)
    total_pages: int = Field(ge=1)
    total_results: int = Field(ge=0)
    data: list[T]


class Ok(Answer):
    """Hecho."""

    ok: bool = Field(json_schema_extra={"const": True})


class Problem(Answer):
    """Un problema de la solicitud: qué, dónde (`path`) y qué regla (`code`)."""

    message: str
    code: str
    path: str | None
    source: str | None


class Error(Answer):
    """El cuerpo de error (el que leen los SDK de Facturapi)."""

    ok: bool = Field(json_schema_extra={"const": False})
    message: str
    status: int
    code: str
    path: str | None
    errors: list[Problem]
    type: Literal[ERROR_TYPES]  # type: ignore[valid-type]
    param: str | None = Field(description="El mismo campo que `path`.")
    doc_url: str = Field(description="La página de ayuda de este `code`.")
    request_id: str = Field(description="El `X-Facturapi-Log-Id` de la solicitud.")


DEFAULT_LIMIT, MAX_LIMIT = 50, 100
QueryMoment = Annotated[
    datetime | None,
    BeforeValidator(read_query_moment),
    Field(json_schema_extra={"format": "date-time"}),
]


class PageQuery(ApiModel):
    """Paginación: `page` desde 1, `limit` de 1 a 100."""

    page: Annotated[
        int | None,
        BeforeValidator(lambda value: read_query_integer(value, 1)),
        Field(json_schema_extra={"minimum": 1}),
    ] = Field(None, description="Página, desde 1.")
    limit: Annotated[
        int | None,
        BeforeValidator(lambda value: read_query_integer(value, 1, MAX_LIMIT)),
        Field(json_schema_extra={"minimum": 1, "maximum": MAX_LIMIT}),
    ] = Field(None, description=f"Resultados por página (1 a {MAX_LIMIT}, {DEFAULT_LIMIT}).")


class TextQuery(ApiModel):
    """Búsqueda por palabras."""

    q: str | None = Field(None, description="Texto a buscar.")


class SearchQuery(TextQuery, PageQuery):
    """Búsqueda por palabras, paginada."""


class DateFilters(ApiModel):
    """Filtros por fecha de creación (``date[gt]``, ``date[gte]``, ``date[lt]``, ``date[lte]``)."""

    date_gt: QueryMoment = Field(None, alias="date[gt]", description="Creados después de.")
    date_gte: QueryMoment = Field(None, alias="date[gte]", description="Creados desde.")
    date_lt: QueryMoment = Field(None, alias="date[lt]", description="Creados antes de.")
    date_lte: QueryMoment = Field(None, alias="date[lte]", description="Creados hasta.")


class ListQuery(SearchQuery, DateFilters):
    """Búsqueda con filtros por fecha de creación."""


class AddressIn(ApiModel):
    """Un domicilio (los números se leen como texto)."""

    zip: Annotated[str | None, ZIP] = None
    street: str | None = None
    exterior: str | None = None
    interior: str | None = None
    neighborhood: str | None = None
    city: str | None = None
    municipality: str | None = None
    state: str | None = None
    country: Annotated[str | None, THREE_LETTERS] = None


class EmailIn(ApiModel):
    """A qué correo(s) enviar el documento (por omisión, al del cliente)."""

    email: str | list[str] | None = None


MAX_RECIPIENTS = 10


def Addressees(document: str) -> Any:  # noqa: N802
    """Up to ten addresses to send ``document`` («la factura») to; none: the customer's."""
    too_many = f"Puedes enviar {document} a {MAX_RECIPIENTS} correos como máximo."
    return Recipients(MAX_RECIPIENTS, too_many, "too_many_items", least=0, each="email")


class SendByEmail(ApiModel):
    """A qué correo(s) enviar la factura: uno o una lista de hasta 10 (por omisión, al del
    cliente)."""

    email: Addressees("la factura") = Field(default_factory=list)
