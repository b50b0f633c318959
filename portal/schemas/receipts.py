"""Receipts (``/v2/receipts``), their invoicing and the global invoice."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from portal.schemas import ApiModel
from portal.schemas.common import JsonObject, ListQuery, Moment, Owned, codes_of
from portal.schemas.customers import CustomerIn
from portal.schemas.invoices import ItemIn
from portal.schemas.organizations import Periodicity
from portal.schemas.products import PRODUCT_EXAMPLE

RECEIPT_EXAMPLE = {"items": [{"quantity": 2, "product": PRODUCT_EXAMPLE}], "payment_form": "01"}


class ReceiptIn(ApiModel):
    """Un recibo (nota de venta) que el cliente podrá facturar."""

    model_config = ConfigDict(json_schema_extra={"examples": [RECEIPT_EXAMPLE]})

    items: list[ItemIn] | None = None
    payment_form: Annotated[str | None, codes_of("payment_form")] = None
    date: str | None = None
    folio_number: int | None = None
    currency: str | None = None
    exchange: float | None = None
    branch: str | None = None
    external_id: str | None = None
    idempotency_key: str | None = None


class ReceiptQuery(ListQuery):
    """Filtros de la lista de recibos."""

    status: str | None = Field(None, description="Estado.")
    payment_form: str | None = Field(None, description="Forma de pago.")


class ReceiptInvoiceIn(ApiModel):
    """Facturar un recibo a un cliente."""

    customer: str | CustomerIn | None = None
    use: str | None = None
    series: str | None = None
    folio_number: int | None = None


class ToInvoiceIn(ApiModel):
    """Varios recibos, por su clave, en una factura."""

    keys: list[str] | None = None
    dry_run: bool | None = None
    payment_form: str | None = None


class GlobalInvoiceIn(ApiModel):
    """La factura global de los recibos abiertos de un periodo."""

    periodicity: Periodicity = None
    from_: Moment | None = Field(None, alias="from")
    to: Moment | None = None
    months: str | None = None
    payment_form: Annotated[str | None, codes_of("payment_form")] = None
    receipts: list[str] | None = None
    series: str | None = None
    folio_number: int | None = None


class Receipt(Owned):
    """Un recibo."""

    date: Moment
    expires_at: Moment
    status: Literal["open", "canceled", "invoiced_to_customer", "invoiced_globally"]
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
