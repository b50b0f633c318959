"""The Facturapi invoice object, and the events that carry it to the webhooks."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from portal.models.base import iso
from portal.models.invoices import Invoice
from portal.models.organizations import Organization
from portal.schemas import answer
from portal.schemas.invoices import Invoice as InvoiceShape
from portal.services import events
from portal.services.invoices.body import is_ready_to_stamp
from portal.statuses import InvoiceStatus

# Events -----------------------------------------------------------------------------------


def _event(session: Session, invoice: Invoice, kind: str) -> None:
    events.record(
        session,
        invoice.organization_id,
        invoice.livemode,
        kind,
        {"type": "invoice", "object": to_dict(invoice)},
    )


def status_event(session: Session, invoice: Invoice) -> None:
    """Write ``invoice.status_updated`` for the webhooks."""
    _event(session, invoice, "invoice.status_updated")


def _number(value: Decimal) -> float:
    return float(value)


def to_dict(invoice: Invoice, organization: Organization | None = None) -> dict[str, Any]:
    """The invoice as Facturapi returns it."""
    data = invoice.data or {}
    customer = dict(invoice.customer or {})
    if invoice.customer_id:
        customer["id"] = invoice.customer_id
    result: dict[str, Any] = {
        "id": invoice.id,
        "created_at": invoice.created_at,
        "livemode": invoice.livemode,
        "status": invoice.status,
        "cancellation_status": invoice.cancellation_status,
        "verification_url": invoice.verification_url,
        "date": invoice.date,
        "type": invoice.type,
        "customer": customer,
        "total": _number(invoice.total),
        "subtotal": _number(invoice.subtotal),
        "uuid": invoice.uuid,
        "folio_number": invoice.folio_number,
        "series": invoice.series,
        "external_id": invoice.external_id,
        "idempotency_key": invoice.idempotency_key,
        "payment_form": invoice.payment_form,
        "payment_method": invoice.payment_method,
        "use": invoice.use,
        "items": data.get("items") or [],
        "related_documents": invoice.related_documents or [],
        "currency": invoice.currency,
        "exchange": _number(invoice.exchange),
        "conditions": data.get("conditions"),
        "complements": data.get("complements") or [],
        "pdf_custom_section": data.get("pdf_custom_section"),
        "addenda": data.get("addenda"),
        "namespaces": data.get("namespaces") or [],
        "address": data.get("address"),
        "export": data.get("export") or "01",
        "stamp": invoice.stamp,
        "cancellation": _cancellation(invoice),
        "failure_reason": invoice.failure_reason,
    }
    if invoice.payment_method == "PPD" and invoice.type == "I":
        result["balance"] = _number(invoice.balance)
    if invoice.status == InvoiceStatus.DRAFT and organization is not None:
        result["is_ready_to_stamp"] = is_ready_to_stamp(invoice, organization)
    return answer(InvoiceShape, result)


def _cancellation(invoice: Invoice) -> dict[str, Any] | None:
    if invoice.cancellation_motive is None:
        return None
    return {
        "motive": invoice.cancellation_motive,
        "substitution": invoice.cancellation_substitution,
        "requested_at": iso(invoice.cancellation_requested_at),
        "canceled_at": iso(invoice.canceled_at),
    }
