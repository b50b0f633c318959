"""Receipts (``/v2/receipts``), their invoicing and the global invoice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BeforeValidator, ConfigDict, Field, SkipValidation, ValidationInfo

from portal.cfdi import catalogs
from portal.cfdi.reading import refusal
from portal.cfdi.types import Item
from portal.schemas import ApiModel
from portal.schemas.common import MAX_RECIPIENTS, JsonObject, ListQuery, Moment, Owned
from portal.schemas.customers import CustomerIn
from portal.schemas.fields import (
    Boolean,
    Choice,
    Folio,
    Items,
    Number,
    Recipients,
    SeriesName,
    Text,
    read_text,
)
from portal.schemas.organizations import PERIODICITIES
from portal.schemas.products import PRODUCT_EXAMPLE
from portal.statuses import ReceiptStatus

RECEIPT_EXAMPLE = {"items": [{"quantity": 2, "product": PRODUCT_EXAMPLE}], "payment_form": "01"}


MAX_ITEMS = 5000
MAX_TO_INVOICE = 1000
MAX_GLOBAL_CONCEPTS = 5000  # what one invoice admits
PAYMENT_FORMS = [code for code, _label in catalogs.options("payment_form")]
CURRENCIES = [code for code, _label in catalogs.options("currency")]
MEXICO_CITY = ZoneInfo("America/Mexico_City")
NOT_ISO = "La fecha debe ir en formato ISO 8601."
CUSTOMER_NEEDED = "Indica el cliente: su id o un objeto con sus datos."


def _receipt_date(value: Any) -> datetime | None:
    """The receipt's date: ISO 8601 (Mexico City's time when it names no zone), not future."""
    raw = read_text(value)
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise refusal("invalid_format", NOT_ISO) from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=MEXICO_CITY)
    if moment > datetime.now(UTC) + timedelta(minutes=5):
        raise refusal("date_in_future", "La fecha del recibo no puede estar en el futuro.")
    return moment


def _period_moment(value: Any, info: ValidationInfo) -> datetime | None:
    """A bound of the period: ISO 8601, in the organization's zone (the context) if it names
    none."""
    raw = read_text(value, max_len=40)
    if raw is None:
        return None
    zone = info.context
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        moment = moment if moment.tzinfo else moment.replace(tzinfo=zone)
        moment.astimezone(UTC).astimezone(zone)  # years 1 and 9999 cannot change zone
    except (ValueError, OverflowError):
        raise refusal("invalid_format", "El campo {path} debe ser una fecha ISO 8601.") from None
    return moment


def _customer_ref(value: Any) -> Any:
    """A customer's id or its data, as sent (the invoice reads it)."""
    if not isinstance(value, dict | str) or not value:
        raise refusal("required", CUSTOMER_NEEDED)
    return value


ReceiptDate = Annotated[
    datetime | None,
    BeforeValidator(_receipt_date),
    Field(json_schema_extra={"format": "date-time"}),
]
PeriodMoment = Annotated[
    datetime | None,
    BeforeValidator(_period_moment),
    Field(json_schema_extra={"format": "date-time", "maxLength": 40}),
]


class ReceiptIn(ApiModel):
    """Un recibo (nota de venta) que el cliente podrá facturar."""

    model_config = ConfigDict(json_schema_extra={"examples": [RECEIPT_EXAMPLE]})

    # The items and the currency are read by the invoice engine, as an invoice's are.
    items: Items(SkipValidation[Item], required=True, max_items=MAX_ITEMS)
    payment_form: Choice(PAYMENT_FORMS, required=True, label="los de c_FormaPago")
    folio_number: Folio = None
    branch: Text(max_len=100) = None
    external_id: Text(max_len=255) = None
    idempotency_key: Text(max_len=64) = None
    date: ReceiptDate = None
    currency: SkipValidation[str | None] = None
    exchange: SkipValidation[float | None] = None


class ReceiptFilters(ApiModel):
    """Filtros propios de los recibos: estado y forma de pago."""

    status: Choice(ReceiptStatus) = Field(None, description="Estado.")
    payment_form: Text(pattern=r"\d{2}") = Field(None, description="Forma de pago.")


class ReceiptQuery(ListQuery, ReceiptFilters):
    """Filtros de la lista de recibos."""


RECIPIENTS = f"Indica de 1 a {MAX_RECIPIENTS} correos."


class ReceiptEmailIn(ApiModel):
    """A qué correo(s) enviar el recibo."""

    email: Recipients(MAX_RECIPIENTS, RECIPIENTS, "invalid_length")


class ReceiptInvoiceIn(ApiModel):
    """Facturar un recibo a un cliente."""

    customer: Annotated[SkipValidation[str | CustomerIn], BeforeValidator(_customer_ref)] = Field(
        None, validate_default=True
    )
    use: Text(max_len=4) = None
    series: SeriesName() = None
    # An integer, or the reference's "autoincremental": the organization's next folio.
    folio_number: SkipValidation[int | Literal["autoincremental"] | None] = None


class ToInvoiceIn(ApiModel):
    """Varios recibos, por su clave, en una factura (al cliente de ``ReceiptInvoiceIn``)."""

    keys: Items(SkipValidation[str], required=True, max_items=MAX_TO_INVOICE)
    dry_run: Boolean = None
    payment_form: Choice(PAYMENT_FORMS, label="c_FormaPago") = None


class GlobalInvoiceIn(ApiModel):
    """La factura global de los recibos abiertos de un periodo."""

    periodicity: Choice(PERIODICITIES) = None
    from_: PeriodMoment = Field(None, alias="from")
    to: PeriodMoment = None
    months: Text(pattern=r"(0[1-9]|1[0-8])", message="Meses: de 01 a 18.") = None
    payment_form: Choice(PAYMENT_FORMS, label="c_FormaPago") = None
    receipts: Items(SkipValidation[str], max_items=MAX_GLOBAL_CONCEPTS) = None
    currency: Choice(CURRENCIES, label="c_Moneda") = None
    exchange: Number(minimum=Decimal("0.000001")) = None
    series: SeriesName() = None
    folio_number: Folio = None


class Receipt(Owned):
    """Un recibo."""

    date: Moment
    expires_at: Moment
    status: ReceiptStatus
    self_invoice_url: str | None
    total: float
    invoice: str | None
    key: str
    items: list[JsonObject]
    external_id: str | None
    idempotency_key: str | None
    payment_form: str
    folio_number: int
    currency: str
    exchange: float
    branch: str | None


class ToInvoiceDryRun(ApiModel):
    """Lo que se facturaría (``dry_run``)."""

    model_config = ConfigDict(extra="forbid")

    dry_run: bool
    receipts: list[str]
    receipts_count: int
    items_count: int
    total: float
    currency: str
    payment_form: str | None
