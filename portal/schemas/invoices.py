"""Invoices (``/v2/invoices``), payment complements included."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, Field, SkipValidation, WithJsonSchema

from portal.cfdi.documents import CANCEL_MOTIVES
from portal.cfdi.types import InvoiceBody, Item
from portal.schemas import ApiModel
from portal.schemas.common import (
    JsonObject,
    ListQuery,
    Moment,
    TextQuery,
)
from portal.schemas.customers import CUSTOMER_EXAMPLE
from portal.schemas.fields import Choice, Folio, Items, Series, Text, read_object
from portal.schemas.organizations import PdfSwitches
from portal.schemas.products import PRODUCT_EXAMPLE
from portal.statuses import InvoiceStatus

Schema = dict[str, Any]

INVOICE_EXAMPLE = {
    "customer": CUSTOMER_EXAMPLE,
    "items": [{"quantity": 2, "product": PRODUCT_EXAMPLE}],
    "payment_form": "03",
    "use": "G03",
}
TYPES = ("I", "E", "P", "N", "T")
CREATE_STATUSES = (InvoiceStatus.PENDING, InvoiceStatus.DRAFT)
MAX_ITEMS = 5000


def echoed(shape: Schema) -> Any:
    """A field a draft answers as its body sent it (drafts keep their body unchecked until they
    are stamped): described as ``shape``, passed through as it is."""
    return Annotated[Any, WithJsonSchema(shape)]


OBJECTS: Schema = {"type": "array", "items": {"type": "object"}}
TEXT: Schema = {"type": ["string", "null"]}


class InvoiceMeta(ApiModel):
    """Lo que una factura dice de sí misma (estado, identificadores, tipo, folio, opciones del
    PDF) y cuántos conceptos lleva; el resto lo revisan las reglas del CFDI."""

    status: Choice(CREATE_STATUSES) = Field(None, description="`draft`: guardar sin timbrar.")
    external_id: Text(max_len=255) = None
    idempotency_key: Text(max_len=64) = None
    type: Choice(TYPES) = None
    series: Series = None
    folio_number: Folio = None
    # Each concept is read by the engine (``cfdi.types.Item``), with its paths and messages.
    items: Items(SkipValidation[Item], max_items=MAX_ITEMS) = None
    pdf_options: Annotated[PdfSwitches | None, BeforeValidator(read_object)] = None  # type: ignore[valid-type]
    pdf_custom_section: str | None = None


class InvoiceIn(InvoiceMeta, InvoiceBody):
    """Una factura (I, E) o un complemento de pago (P)."""

    # The docstring above is the API reference's text. The fields: what an invoice says of
    # itself (InvoiceMeta) and what the engine reads for the CFDI (cfdi.types.InvoiceBody).

    model_config = ConfigDict(json_schema_extra={"examples": [INVOICE_EXAMPLE]})


class CreateInvoiceQuery(ApiModel):
    """Opciones de la creación."""

    async_: str | None = Field(None, alias="async", description="`true`: timbrar después.")


class InvoiceFilters(TextQuery):
    """Filtros de la lista de facturas (sin fechas ni paginación)."""

    type: Choice(TYPES) = Field(None, description="Tipo de comprobante (I, E, P…).")
    payment_method: Choice(("PUE", "PPD")) = Field(None, description="PUE o PPD.")
    status: Choice(InvoiceStatus) = Field(None, description="Estado.")
    customer: str | None = Field(None, description="Id del cliente.")


class InvoiceQuery(InvoiceFilters, ListQuery):
    """Filtros de la lista de facturas: los propios, texto, fechas y paginación."""


class CancelQuery(ApiModel):
    """Motivo de la cancelación."""

    motive: Choice(CANCEL_MOTIVES, required=True) = Field(
        None,
        validate_default=True,  # absent is refused too (a draft is deleted before it is read)
        description="Motivo de cancelación (01 a 04). 04 sólo para una factura global o una "
        "nominativa relacionada con ella. Con documentos relacionados vigentes (pagos, notas de "
        "crédito, sustitutos) se rechaza con 400 y la lista.",
    )
    substitution: str | None = Field(
        None,
        description="Motivo 01: id o UUID de la factura vigente, del mismo receptor, que "
        "relaciona a esta con TipoRelacion 04.",
    )


class Invoice(ApiModel):
    """Una factura."""

    model_config = ConfigDict(extra="forbid")

    id: str
    created_at: Moment
    livemode: bool
    status: InvoiceStatus
    cancellation_status: str
    verification_url: str | None
    date: Moment | None
    type: str
    customer: echoed({"type": "object"})
    total: float
    subtotal: float
    uuid: str | None
    folio_number: int | None
    series: str | None
    external_id: str | None
    idempotency_key: str | None
    payment_form: str | None
    payment_method: str | None
    use: str | None
    items: echoed(OBJECTS)
    related_documents: echoed(OBJECTS)
    currency: str
    exchange: float
    conditions: echoed(TEXT)
    complements: echoed(OBJECTS)
    pdf_custom_section: echoed(TEXT)
    addenda: echoed(TEXT)
    namespaces: echoed(OBJECTS)
    address: echoed({"type": ["object", "null"]})
    export: echoed({"type": "string"})
    stamp: JsonObject | None
    cancellation: JsonObject | None
    failure_reason: str | None
    # balance: PPD income invoices only; is_ready_to_stamp: drafts only
    balance: float | None = None
    is_ready_to_stamp: bool | None = None
