"""Receipts of the key's organization and environment (Facturapi's /v2/receipts)."""

from __future__ import annotations

from flask import Response, jsonify, request

from portal import downloads, pac_calls
from portal.api import bp
from portal.api.auth import organization_key_required
from portal.api.common import idempotent, json_body
from portal.extensions import db
from portal.models.invoices import Invoice
from portal.models.receipts import Receipt
from portal.pagination import filter_dates, paginate
from portal.schemas import operation
from portal.schemas.common import Ok, Page
from portal.schemas.invoices import Invoice as InvoiceOut
from portal.schemas.receipts import (
    GlobalInvoiceIn,
    ReceiptEmailIn,
    ReceiptIn,
    ReceiptInvoiceIn,
    ReceiptQuery,
    ToInvoiceDryRun,
    ToInvoiceIn,
)
from portal.schemas.receipts import Receipt as ReceiptOut
from portal.services import invoices, receipt_invoices, receipts
from portal.tenancy import current_tenant, scoped_get


def _load(receipt_id: str) -> Receipt:
    return scoped_get(Receipt, receipt_id, message=receipts.NOT_FOUND)


def _answer(receipt: Receipt) -> Response:
    return jsonify(receipts.to_dict(receipt, current_tenant().organization))


def _invoice(invoice: Invoice) -> Response:
    return jsonify(invoices.to_dict(invoice, current_tenant().organization))


@bp.post("/receipts")
@organization_key_required
@operation(body=ReceiptIn, response=ReceiptOut, summary="Crear un recibo")
def create_receipt():
    """Create an open receipt (sales note) with its self-invoice key and URL."""
    receipt = receipts.create(
        db.session,
        current_tenant(),
        json_body(),
        idempotency_key=request.headers.get("Idempotency-Key") or None,
    )
    db.session.commit()
    return _answer(receipt)


@bp.get("/receipts")
@organization_key_required
@operation(query=ReceiptQuery, response=Page[ReceiptOut], summary="Listar recibos")
def list_receipts():
    """The environment's receipts, newest first (q, payment_form, status, date filters)."""
    query = receipts.search(current_tenant(), request.args.to_dict())
    organization = current_tenant().organization
    return paginate(
        db.session,
        filter_dates(query, Receipt.date),
        lambda receipt: receipts.to_dict(receipt, organization),
    )


@bp.get("/receipts/<receipt_id>")
@organization_key_required
@operation(response=ReceiptOut, summary="Obtener un recibo")
def retrieve_receipt(receipt_id: str):
    """One receipt."""
    return _answer(_load(receipt_id))


@bp.delete("/receipts/<receipt_id>")
@organization_key_required
@operation(response=ReceiptOut, summary="Cancelar un recibo")
def cancel_receipt(receipt_id: str):
    """Cancel an open receipt: it can no longer be invoiced."""
    receipt = receipts.cancel(db.session, _load(receipt_id))
    db.session.commit()
    return _answer(receipt)


@bp.get("/receipts/<receipt_id>/pdf")
@organization_key_required
@operation(media="application/pdf", summary="Descargar el ticket")
def receipt_pdf(receipt_id: str):
    """The ticket (80 mm) with the QR code of its self-invoice URL."""
    receipt = _load(receipt_id)
    ticket = receipts.pdf_of(receipt, current_tenant().organization)
    return downloads.file_download(ticket, f"recibo_{receipt.folio_number}.pdf", "pdf")


@bp.post("/receipts/<receipt_id>/email")
@organization_key_required
@operation(body=ReceiptEmailIn, response=Ok, summary="Enviar por correo")
def email_receipt(receipt_id: str):
    """Send the ticket (PDF) with a button to invoice the purchase."""
    receipt = _load(receipt_id)
    receipts.email(db.session, receipt, current_tenant().organization, json_body())
    db.session.commit()
    return jsonify({"ok": True})


@bp.post("/receipts/<receipt_id>/invoice")
@organization_key_required
@operation(body=ReceiptInvoiceIn, response=InvoiceOut, summary="Facturar un recibo")
def invoice_receipt(receipt_id: str):
    """Invoice one open receipt to a customer."""
    receipt = _load(receipt_id)
    invoice, call = receipt_invoices.invoice_receipt(
        db.session, current_tenant(), receipt, json_body(), pac_calls.stamp_lease()
    )
    invoice = pac_calls.stamp(db.session, invoice, call, on_refused=receipt_invoices.reopen)
    db.session.commit()
    return _invoice(invoice)


@bp.post("/receipts/to-invoice")
@organization_key_required
@operation(
    body=ToInvoiceIn, response=InvoiceOut | ToInvoiceDryRun, summary="Facturar varios recibos"
)
def receipts_to_invoice():
    """Several open receipts (by key) into one invoice; ``dry_run`` reports without invoicing."""
    result = receipt_invoices.receipts_to_invoice(
        db.session, current_tenant(), json_body(), pac_calls.stamp_lease()
    )
    if isinstance(result, dict):
        return jsonify(result)
    invoice, call = result
    invoice = pac_calls.stamp(db.session, invoice, call, on_refused=receipt_invoices.reopen)
    db.session.commit()
    return _invoice(invoice)


@bp.post("/receipts/global-invoice")
@organization_key_required
@operation(body=GlobalInvoiceIn, response=InvoiceOut, summary="Factura global")
def global_invoice():
    """The global invoice of every receipt left open in the period (once per
    ``Idempotency-Key``)."""
    tenant = current_tenant()
    invoice = idempotent(
        "global_invoices",
        lambda: pac_calls.global_invoice(db.session, tenant, json_body()),
        lambda found: scoped_get(Invoice, found),
    )
    db.session.commit()
    return _invoice(invoice)
