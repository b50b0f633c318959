"""Invoice screens of one organization: list, detail, line-by-line form, drafts, cancellation."""

from __future__ import annotations

import re
from typing import Any

from flask import Response, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from portal import downloads, pac_calls
from portal.cfdi import catalogs, rules
from portal.dashboard.forms import ConfirmForm
from portal.dashboard.org import bp
from portal.dashboard.org.invoice_actions import invoice_page
from portal.errors import PortalError
from portal.extensions import db
from portal.i18n import language as _lang
from portal.models.customers import Customer
from portal.models.invoices import Invoice
from portal.models.statuses import InvoiceStatus
from portal.pagination import filter_dates, paginate
from portal.services import invoice_files, invoices
from portal.tenancy import current_tenant, scoped_get, scoped_select

LINE_FIELDS = ("description", "product_key", "quantity", "price", "unit_key")
FILTERS = ("q", "status", "type", "date[gte]", "date[lte]")


def _load(invoice_id: str) -> Invoice:
    return scoped_get(Invoice, invoice_id, message=_("La factura no existe."))


def _done(message: str, invoice_id: str) -> Response:
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("org.invoice", invoice_id=invoice_id))


def _failed(error: PortalError, invoice_id: str) -> Response:
    db.session.rollback()
    flash(error.message, "error")
    return redirect(url_for("org.invoice", invoice_id=invoice_id))


# The form <-> Facturapi body -------------------------------------------------------------


def _lines(form: MultiDict) -> list[dict[str, str]]:
    """The form's invoice lines, in order, skipping the empty ones."""
    indexes = sorted(
        {int(key.split("-")[1]) for key in form if key.startswith("items-") and key.count("-") == 2}
    )
    lines = [{f: form.get(f"items-{i}-{f}", "").strip() for f in LINE_FIELDS} for i in indexes]
    return [line for line in lines if any(line[f] for f in ("description", "price"))]


def body_from_form(form: MultiDict) -> dict[str, Any]:
    """A Facturapi invoice body from the dashboard form (the service checks everything)."""
    customer: Any = form.get("customer_id") or {
        "legal_name": form.get("legal_name", "").strip(),
        "tax_id": form.get("tax_id", "").strip().upper(),
        "tax_system": form.get("tax_system") or None,
        "email": form.get("email", "").strip() or None,
        "address": {"zip": form.get("zip", "").strip()},
    }
    items = [
        {
            "quantity": line["quantity"] or "1",
            "product": {
                "description": line["description"],
                "product_key": line["product_key"],
                "price": line["price"],
                "unit_key": line["unit_key"] or "H87",
            },
        }
        for line in _lines(form)
    ]
    body = {"customer": customer, "items": items, "use": form.get("use") or "G03"}
    body["payment_form"] = form.get("payment_form") or None
    body["payment_method"] = form.get("payment_method") or "PUE"
    return {key: value for key, value in body.items() if value is not None}


def _form_values(invoice: Invoice | None) -> dict[str, Any]:
    """What the form shows: the posted values, or a draft's, or a blank invoice."""
    if request.method == "POST":
        extra = [{}] if request.form.get("action") == "add_line" else []
        return {"fields": request.form, "lines": (_lines(request.form) + extra) or [{}]}
    data = invoice.data if invoice else {}
    customer = data.get("customer") or {}
    fields = {**customer, "zip": (customer.get("address") or {}).get("zip"), **data}
    fields["customer_id"] = invoice.customer_id if invoice else None
    lines = [
        {**(item.get("product") or {}), "quantity": item.get("quantity", 1)}
        for item in data.get("items") or []
    ]
    return {"fields": fields, "lines": lines or [{}]}


def _field_labels() -> dict[str, str]:
    """The form's label for each API path a problem can name (the form has no other fields)."""
    return {
        "customer.tax_id": _("RFC"),
        "customer.legal_name": _("Nombre o razón social"),
        "customer.tax_system": _("Régimen fiscal"),
        "customer.address.zip": _("Código postal fiscal"),
        "use": _("Uso del CFDI"),
        "payment_form": _("Forma de pago"),
        "payment_method": _("Método de pago"),
    }


def _problem_rows(error: PortalError | None) -> list[tuple[str | None, str]]:
    """Each problem as (the form's label or None, a message for the dashboard, not the API)."""
    if error is None:
        return []
    labels, rows = _field_labels(), []
    for problem in error.problems:
        message = problem.message
        if problem.code == rules.GLOBAL_REQUIRED:
            message = _(
                "Una factura a «PUBLICO EN GENERAL» con el RFC XAXX010101000 es una factura "
                "global: emítela desde Recibos → Factura global. Para facturar a una persona "
                "con el RFC genérico, escribe su nombre en lugar de PUBLICO EN GENERAL."
            )
        line = re.match(r"items\[(\d+)\]", problem.path or "")
        label = _("Concepto %(n)s", n=int(line.group(1)) + 1) if line else None
        rows.append((labels.get(problem.path or "", label), message))
    return rows


def _form_page(invoice: Invoice | None, error: PortalError | None = None) -> tuple[str, int]:
    customers = db.session.scalars(
        scoped_select(Customer).order_by(Customer.legal_name).limit(200)
    ).all()
    context = {
        "invoice": invoice,
        "error": error,
        "problems": _problem_rows(error),
        "customers": [c for c in customers if c.legal_name],
        "uses": rules.type_use_options("I", _lang()),
        "regimes": catalogs.options("tax_system", _lang()),
        "payment_forms": catalogs.options("payment_form", _lang()),
        "confirm": ConfirmForm(),
        **_form_values(invoice),
    }
    return render_template("dashboard/org/invoice_form.html", **context), 400 if error else 200


def _save_form(invoice: Invoice | None) -> Any:
    """Create or update from the form: ``action`` is draft, stamp or async."""
    action = request.form.get("action", "draft")
    body = body_from_form(request.form)
    tenant = current_tenant()
    try:
        if invoice is None:
            status = {"status": "draft"} if action == "draft" else {}
            invoice = pac_calls.create(
                db.session, tenant, {**body, **status}, run_async=action == "async"
            )
        else:
            invoices.update_draft(db.session, tenant, invoice, body)
            if action != "draft":
                invoice = pac_calls.stamp_draft(db.session, invoice)
    except PortalError as error:
        db.session.rollback()
        return _form_page(invoice if invoice and invoice.id else None, error)
    return _done(_("Factura guardada."), invoice.id)


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
    """Build an invoice line by line; save it as a draft or stamp it."""
    if request.method == "POST" and request.form.get("action") != "add_line":
        return _save_form(None)
    return _form_page(None)


@bp.route("/invoices/<invoice_id>/edit", methods=["GET", "POST"])
def edit_invoice(invoice_id: str):
    """Change a draft (and stamp it)."""
    invoice = _load(invoice_id)
    if invoice.status != InvoiceStatus.DRAFT:
        return redirect(url_for("org.invoice", invoice_id=invoice.id))
    if request.method == "POST" and request.form.get("action") != "add_line":
        return _save_form(invoice)
    return _form_page(invoice)


@bp.post("/invoices/preview")
def preview_invoice():
    """The engine's totals for the form as it is now (the form's running totals)."""
    totals = invoices.preview_totals(body_from_form(request.form))
    if totals is None:
        return jsonify(ok=False)
    return jsonify(
        ok=True,
        subtotal=f"{totals.subtotal:,.2f}",
        taxes=f"{totals.total - totals.subtotal + totals.discount:,.2f}",
        total=f"{totals.total:,.2f}",
    )


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
    return _done(_("Listo."), target)
