"""Invoice screens of one organization: list, detail, line-by-line form, drafts, cancellation."""

from __future__ import annotations

from flask import Response, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from portal import downloads, pac_calls
from portal.dashboard import invoice_form_views
from portal.dashboard.invoice_forms import field_label, readable_problems
from portal.dashboard.org import bp
from portal.dashboard.org.invoice_actions import invoice_page
from portal.errors import PortalError
from portal.extensions import db
from portal.models.invoices import Invoice
from portal.pagination import filter_dates, paginate
from portal.services import invoice_files, invoices
from portal.statuses import CancellationStatus, InvoiceStatus
from portal.tenancy import current_tenant, scoped_get

FILTERS = ("q", "status", "type", "date[gte]", "date[lte]")


def _load(invoice_id: str) -> Invoice:
    return scoped_get(Invoice, invoice_id, message=_("La factura no existe."))


def _done(message: str, invoice_id: str) -> Response:
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("org.invoice", invoice_id=invoice_id))


def _failed(error: PortalError, invoice_id: str) -> Response:
    """Back to the invoice's page with every problem, each in the form's words."""
    db.session.rollback()
    for problem in readable_problems(error.problems, []):
        label = field_label(problem.path, [])
        flash(f"{label}: {problem.message}" if label else problem.message, "error")
    return redirect(url_for("org.invoice", invoice_id=invoice_id))


# Screens ----------------------------------------------------------------------------------


@bp.route("/invoices", endpoint="invoices")
def invoices_list():
    """The environment's invoices with filters (status, type, dates, text)."""
    args = {key: request.args[key] for key in FILTERS if request.args.get(key)}
    try:
        query, total = invoices.listing(
            db.session, current_tenant(), args, lambda q: filter_dates(q, Invoice.created_at)
        )
        page = paginate(db.session, query, lambda row: row, total)
    except PortalError as error:
        flash(error.message, "error")
        page = {"data": [], "page": 1, "total_pages": 1, "total_results": 0}
    return render_template(
        "dashboard/org/invoices.html", page=page, filters=args, q=args.get("q", "")
    )


@bp.route("/invoices/new", methods=["GET", "POST"])
def new_invoice():
    """Build an invoice line by line (saved products or typed lines); review, save or stamp."""
    return invoice_form_views.form_page(None)


@bp.route("/invoices/<invoice_id>/edit", methods=["GET", "POST"])
def edit_invoice(invoice_id: str):
    """Change a draft (and stamp it)."""
    invoice = _load(invoice_id)
    if invoice.status != InvoiceStatus.DRAFT:
        return redirect(url_for("org.invoice", invoice_id=invoice.id))
    return invoice_form_views.form_page(invoice)


@bp.post("/invoices/preview")
def preview_invoice():
    """Each line's figures and the totals, computed as stamping will (the running totals)."""
    return invoice_form_views.preview()


@bp.get("/invoices/products.json")
def invoice_products():
    """Saved products for the form's picker, found by name, SKU or SAT key."""
    return invoice_form_views.products()


@bp.route("/invoices/<invoice_id>")
def invoice(invoice_id: str):
    """One invoice: its data, files, email, payments, credit notes, cancellation."""
    return invoice_page(_load(invoice_id))


@bp.get("/invoices/<invoice_id>/status.json")
def invoice_status(invoice_id: str):
    """The status the detail page polls while an invoice is pending."""
    found = _load(invoice_id)
    return jsonify(status=found.status, cancellation_status=found.cancellation_status)


@bp.get("/invoices/<invoice_id>/<any(pdf, xml, zip):kind>")
def download_invoice(invoice_id: str, kind: str):
    """The invoice's XML, PDF or both zipped."""
    return downloads.invoice_file(_load(invoice_id), current_tenant().organization, kind)


@bp.get("/invoices/<invoice_id>/cancellation_receipt/<any(pdf, xml):kind>")
def cancellation_receipt(invoice_id: str, kind: str):
    """The cancellation receipt (acuse) as PDF or XML."""
    found = _load(invoice_id)
    return downloads.cancellation_receipt(found, current_tenant().organization, kind)


@bp.post("/invoices/<invoice_id>/<any(stamp, copy, cancel, email, refresh):action>")
def invoice_action(invoice_id: str, action: str):
    """Stamp a draft, copy, cancel with a motive, email, or refresh the SAT status."""
    found, tenant, form = _load(invoice_id), current_tenant(), request.form
    steps = {
        "stamp": lambda: pac_calls.stamp_draft(db.session, found),
        "copy": lambda: invoices.copy_to_draft(db.session, found),
        "cancel": lambda: pac_calls.cancel(
            db.session,
            tenant,
            lambda: _load(invoice_id),
            form.get("motive"),
            form.get("substitution") or None,
        ),
        "email": lambda: invoice_files.email(
            db.session, found, tenant.organization, {"email": form.get("email") or None}
        ),
        "refresh": lambda: pac_calls.refresh_status(db.session, tenant, lambda: _load(invoice_id)),
    }
    try:
        result = steps[action]()
    except PortalError as error:
        return _failed(error, found.id)
    if action == "cancel" and found.status == InvoiceStatus.DRAFT:
        db.session.commit()
        flash(_("Borrador eliminado."), "success")
        return redirect(url_for("org.invoices"))
    target = result.id if action == "copy" else found.id
    return _done(_action_message(action, result), target)


def _action_message(action: str, result: Invoice | None) -> str:
    """What the success message says after each action of the invoice's page."""
    pending = result is not None and result.cancellation_status == CancellationStatus.PENDING
    if action == "cancel" and pending:
        return _("Solicitud enviada: el receptor debe aceptar la cancelación.")
    messages = {
        "stamp": _("Factura timbrada."),
        "copy": _("Copia guardada como borrador."),
        "cancel": _("Factura cancelada ante el SAT."),
        "email": _("Enviamos la factura por correo."),
        "refresh": _("Consultamos el estado en el SAT."),
    }
    return messages[action]
