"""Invoices of the key's organization and environment (Facturapi's /v2/invoices)."""

from __future__ import annotations

from flask import Response, jsonify, request

from portal import downloads, pac_calls
from portal.api import bp
from portal.api.auth import organization_key_required
from portal.api.common import json_body
from portal.extensions import db
from portal.models.invoices import Invoice
from portal.pagination import filter_dates, paginate
from portal.schemas import operation
from portal.schemas.common import Ok, Page, SendByEmail
from portal.schemas.invoices import CancelQuery, CreateInvoiceQuery, InvoiceIn, InvoiceQuery
from portal.schemas.invoices import Invoice as InvoiceOut
from portal.services import invoice_files, invoices
from portal.statuses import InvoiceStatus
from portal.tenancy import current_tenant, scoped_get

NOT_FOUND = "La factura no existe."


def _load(invoice_id: str) -> Invoice:
    return scoped_get(Invoice, invoice_id, message=NOT_FOUND)


def _answer(invoice: Invoice) -> Response:
    return jsonify(invoices.to_dict(invoice, current_tenant().organization))


def _async_requested() -> bool:
    return request.args.get("async", "").lower() in ("true", "1")


@bp.post("/invoices")
@organization_key_required
@operation(
    body=InvoiceIn, query=CreateInvoiceQuery, response=InvoiceOut, summary="Crear una factura"
)
def create_invoice():
    """Create (and stamp, unless ``status: draft`` or ``?async=true``) an invoice.

    With a remote (live) PAC the PAC is called after the pending invoice is committed
    (``pac_calls.stamp``): a parallel request with the same ``Idempotency-Key`` meanwhile gets
    it with ``status: pending``; if the PAC does not answer, this request answers it ``pending``
    too and the worker stamps it later (like ``?async=true``)."""
    invoice = pac_calls.create(
        db.session,
        current_tenant(),
        json_body(),
        idempotency_key=request.headers.get("Idempotency-Key") or None,
        run_async=_async_requested(),
        body_size=request.content_length or 0,
    )
    answer = _answer(invoice)  # as committed: an async job may stamp it right after
    db.session.commit()
    return answer


@bp.get("/invoices")
@organization_key_required
@operation(query=InvoiceQuery, response=Page[InvoiceOut], summary="Listar facturas")
def list_invoices():
    """The environment's invoices, newest first, with Facturapi's filters."""
    tenant = current_tenant()
    query, total = invoices.listing(
        db.session, tenant, request.args.to_dict(), lambda q: filter_dates(q, Invoice.created_at)
    )
    return paginate(
        db.session, query, lambda invoice: invoices.to_dict(invoice, tenant.organization), total
    )


@bp.get("/invoices/<invoice_id>")
@organization_key_required
@operation(response=InvoiceOut, summary="Obtener una factura")
def retrieve_invoice(invoice_id: str):
    """One invoice."""
    return _answer(_load(invoice_id))


@bp.put("/invoices/<invoice_id>")
@organization_key_required
@operation(body=InvoiceIn, response=InvoiceOut, summary="Editar un borrador")
def update_draft(invoice_id: str):
    """Edit the fields sent of a draft."""
    invoice = _load(invoice_id)
    invoices.update_draft(db.session, current_tenant(), invoice, json_body())
    db.session.commit()
    return _answer(invoice)


@bp.post("/invoices/<invoice_id>/stamp")
@organization_key_required
@operation(query=CreateInvoiceQuery, response=InvoiceOut, summary="Timbrar un borrador")
def stamp_draft(invoice_id: str):
    """Stamp a draft (a remote PAC: with no transaction open, as in ``create_invoice``);
    ``?async=true``: answered ``pending``, the worker stamps it."""
    run_async = _async_requested()
    invoice = pac_calls.stamp_draft(db.session, _load(invoice_id), run_async=run_async)
    answer = _answer(invoice)  # as committed: an async job may stamp it right after
    db.session.commit()
    return answer


@bp.post("/invoices/<invoice_id>/copy")
@organization_key_required
@operation(response=InvoiceOut, summary="Copiar como borrador")
def copy_invoice(invoice_id: str):
    """A new draft with the same content."""
    draft = invoices.copy_to_draft(db.session, _load(invoice_id))
    db.session.commit()
    return _answer(draft)


@bp.delete("/invoices/<invoice_id>")
@organization_key_required
@operation(
    query=CancelQuery, response=InvoiceOut, summary="Cancelar una factura (un borrador se elimina)"
)
def cancel_invoice(invoice_id: str):
    """Cancel with SAT (``?motive=01..04&substitution=``); a draft is deleted."""
    invoice = _load(invoice_id)
    body = invoices.to_dict(invoice) if invoice.status == InvoiceStatus.DRAFT else None
    invoice = pac_calls.cancel(
        db.session,
        current_tenant(),
        lambda: _load(invoice_id),
        request.args.get("motive"),
        request.args.get("substitution"),
    )
    db.session.commit()
    return jsonify(body) if body is not None else _answer(invoice)


@bp.put("/invoices/<invoice_id>/status")
@organization_key_required
@operation(response=InvoiceOut, summary="Consultar el estado")
def refresh_status(invoice_id: str):
    """Ask the PAC for the current status (settles pending cancellations)."""
    invoice = pac_calls.refresh_status(db.session, current_tenant(), lambda: _load(invoice_id))
    db.session.commit()
    return _answer(invoice)


@bp.get("/invoices/<invoice_id>/<any(pdf, xml, zip):kind>")
@organization_key_required
@operation(media=downloads.MIME, summary="Descargar el XML, el PDF o ambos en un ZIP")
def download_invoice(invoice_id: str, kind: str):
    """The stamped XML, its PDF, or both in a ZIP."""
    return downloads.invoice_file(_load(invoice_id), current_tenant().organization, kind)


@bp.get("/invoices/<invoice_id>/cancellation_receipt/<any(pdf, xml):kind>")
@organization_key_required
@operation(media=downloads.MIME, summary="Acuse de cancelación")
def cancellation_receipt(invoice_id: str, kind: str):
    """The cancellation receipt (acuse) as XML or PDF."""
    invoice = _load(invoice_id)
    return downloads.cancellation_receipt(invoice, current_tenant().organization, kind)


@bp.post("/invoices/<invoice_id>/email")
@organization_key_required
@operation(body=SendByEmail, response=Ok, summary="Enviar por correo")
def email_invoice(invoice_id: str):
    """Send the invoice (PDF + XML) to the customer's email or to ``email``."""
    invoice = _load(invoice_id)
    invoice_files.email(db.session, invoice, current_tenant().organization, json_body())
    db.session.commit()
    return jsonify({"ok": True})
