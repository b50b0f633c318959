"""Receipt screens of one organization: list, point-of-sale form with a printable ticket and a
big QR code, cancellation, the global invoice with a preview, and a preview of the portal."""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Response, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from portal import pac_calls
from portal.cfdi import catalogs, qr
from portal.dashboard.forms import ConfirmForm
from portal.dashboard.invoice_forms import items_from_form
from portal.dashboard.org import bp
from portal.downloads import set_disposition
from portal.errors import PortalError
from portal.extensions import db
from portal.i18n import language as _lang
from portal.models.base import utcnow
from portal.models.receipts import STATUSES, GlobalInvoiceRun, Receipt
from portal.pagination import paginate
from portal.selfinvoice.views import preview_page
from portal.services import receipt_invoices, receipts
from portal.services.organizations import PERIODICITIES
from portal.statuses import ReceiptStatus
from portal.tenancy import current_tenant, scoped_get

FILTERS = ("q", "status", "payment_form")
BACKGROUND_RECEIPTS = 1000  # larger periods are invoiced by a background job
SAMPLE_ITEMS = [{"quantity": 1, "product": {"description": "Producto de ejemplo", "price": 116}}]


def _load(receipt_id: str) -> Receipt:
    return scoped_get(Receipt, receipt_id, message=_("El recibo no existe."))


@bp.route("/receipts", endpoint="receipts")
def receipts_list():
    """The environment's receipts, filtered by status, payment form or text."""
    args = {key: request.args[key] for key in FILTERS if request.args.get(key)}
    try:
        page = paginate(db.session, receipts.search(current_tenant(), args), lambda row: row)
    except PortalError as error:
        flash(error.message, "error")
        page = {"data": [], "page": 1, "total_pages": 1, "total_results": 0}
    return render_template(
        "dashboard/org/receipt_list.html",
        page=page,
        filters=args,
        q=args.get("q", ""),
        statuses=STATUSES,
        payment_forms=catalogs.options("payment_form", _lang()),
    )


@bp.route("/receipts/new", methods=["GET", "POST"])
def new_receipt():
    """A point-of-sale form: lines, payment form and branch; then the ticket."""
    lines: list = [{}] * 3
    if request.method == "POST":
        body = {
            "items": items_from_form(request.form),
            "payment_form": request.form.get("payment_form"),
            "branch": request.form.get("branch", "").strip() or None,
        }
        try:
            receipt = receipts.create(db.session, current_tenant(), body)
            db.session.commit()
            return redirect(url_for("org.receipt", receipt_id=receipt.id))
        except PortalError as error:
            db.session.rollback()
            flash(error.message, "error")
            lines = [i["product"] | {"quantity": i["quantity"]} for i in body["items"]] or lines
    return render_template(
        "dashboard/org/receipt_form.html",
        lines=lines,
        payment_forms=catalogs.options("payment_form", _lang()),
        form_values=request.form,
    ), (400 if request.method == "POST" else 200)


@bp.route("/receipts/<receipt_id>", endpoint="receipt")
def receipt_detail(receipt_id: str):
    """One receipt: its QR code big enough to scan from the screen, the ticket, the actions."""
    receipt = _load(receipt_id)
    url = receipts.self_invoice_url(receipt, g.organization)
    return render_template(
        "dashboard/org/receipt.html",
        receipt=receipt,
        url=url,
        qr_uri=qr.qr_data_uri(url, border=2, fmt="svg") if url else None,
        expired=receipts.is_expired(receipt),
        payment_form=catalogs.label("payment_form", receipt.payment_form, _lang()),
        confirm=ConfirmForm(),
    )


@bp.route("/receipts/<receipt_id>/ticket.pdf")
def receipt_ticket(receipt_id: str):
    """The 80 mm ticket, to print."""
    receipt = _load(receipt_id)
    response = Response(receipts.pdf_of(receipt, g.organization), mimetype="application/pdf")
    return set_disposition(response, f"recibo_{receipt.folio_number}.pdf", inline=True)


@bp.route("/receipts/<receipt_id>/email", methods=["POST"])
def email_receipt(receipt_id: str):
    """Send the ticket, with its «Invoice this purchase» button, to the customer's email."""
    receipt = _load(receipt_id)
    if ConfirmForm().validate_on_submit():
        try:
            receipts.email(
                db.session, receipt, g.organization, {"email": request.form.get("email")}
            )
            db.session.commit()
            flash(_("Enviamos el recibo."), "success")
        except PortalError as error:
            db.session.rollback()
            flash(error.message, "error")
    return redirect(url_for("org.receipt", receipt_id=receipt.id))


@bp.route("/receipts/<receipt_id>/cancel", methods=["POST"])
def cancel_receipt(receipt_id: str):
    """Cancel an open receipt."""
    receipt = _load(receipt_id)
    if ConfirmForm().validate_on_submit():
        try:
            receipts.cancel(db.session, receipt)
            db.session.commit()
            flash(_("Cancelamos el recibo."), "success")
        except PortalError as error:
            db.session.rollback()
            flash(error.message, "error")
    return redirect(url_for("org.receipt", receipt_id=receipt.id))


@bp.route("/receipts/global", methods=["GET", "POST"])
def global_invoice():
    """Preview what a global invoice would include, then issue it."""
    body = {k: v for k in ("periodicity", "from", "to", "payment_form", "currency")
            if (v := request.values.get(k))}  # fmt: skip
    if request.method == "POST" and ConfirmForm().validate_on_submit():
        try:
            return _issue_global(body)
        except PortalError as error:
            db.session.rollback()
            flash(error.message, "error")
    summary = None
    try:
        selection = receipt_invoices.select_global(db.session, current_tenant(), body)
        summary = receipt_invoices.preview(selection, ZoneInfo(g.organization.timezone))
    except PortalError as error:
        flash(error.message, "error")
    return render_template(
        "dashboard/org/receipt_global.html",
        summary=summary,
        values=body,
        periodicities=PERIODICITIES,
        payment_forms=catalogs.options("payment_form", _lang()),
        confirm=ConfirmForm(),
    )


def _issue_global(body: dict[str, str]) -> Response:
    """Issue it now, or, for a large period, start a background run and show its progress."""
    tenant = current_tenant()
    selection = receipt_invoices.select_global(db.session, tenant, body)
    if len(selection.receipts) > BACKGROUND_RECEIPTS:
        run_id = receipt_invoices.start_run(db.session, tenant, selection).id
        db.session.commit()  # the outbox queues the run's job (portal.jobs.outbox)
        return redirect(url_for("org.global_run", run_id=run_id))
    invoice = pac_calls.global_invoice(db.session, tenant, body)
    db.session.commit()
    flash(_("Emitimos la factura global."), "success")
    return redirect(url_for("org.invoice", invoice_id=invoice.id))


@bp.route("/receipts/global/runs/<run_id>")
def global_run(run_id: str):
    """The progress of a global invoice issued in the background (the page refreshes itself)."""
    run = scoped_get(GlobalInvoiceRun, run_id, message=_("El proceso no existe."))
    return render_template("dashboard/org/receipt_global_run.html", run=run)


@bp.route("/receipts/portal-preview")
def portal_preview():
    """The self-invoice page as the organization's customers will see it (nothing is saved)."""
    organization = g.organization
    if not organization.domain:
        flash(_("Elige primero el dominio de tu portal de autofacturación."), "warning")
        return redirect(url_for("org.domain"))
    now = utcnow()
    sample = Receipt(
        key="EJEMPLO", folio_number=1, date=now, expires_at=receipts.expiry(organization, now),
        items=SAMPLE_ITEMS, total=Decimal(116), payment_form="01", currency="MXN",
        exchange=Decimal(1), status=ReceiptStatus.OPEN, livemode=False,
    )  # fmt: skip
    return preview_page(organization, sample)
