"""The invoice form's requests: show it, act on its buttons, save or stamp it, and answer the
script's questions (running figures, saved products). The routes live with the other invoice
screens (``portal.dashboard.org.invoices``); they call these."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from portal import pac_calls
from portal.dashboard import invoice_form_page as page
from portal.dashboard import invoice_forms
from portal.dashboard.forms import ConfirmForm
from portal.errors import PortalError, ValidationError
from portal.extensions import db
from portal.i18n import language
from portal.models.invoices import Invoice
from portal.services import invoices
from portal.statuses import InvoiceStatus
from portal.tenancy import current_tenant

TEMPLATE = "dashboard/org/invoice_form.html"


def _render(invoice: Invoice | None, state: page.FormState, **options: Any) -> tuple[str, int]:
    context = page.page_context(db.session, current_tenant(), state, language(), **options)
    status = 400 if options.get("error") is not None else 200
    html = render_template(TEMPLATE, invoice=invoice, confirm=ConfirmForm(), **context)
    return html, status


def form_page(invoice: Invoice | None) -> Any:
    """GET shows the draft (or a blank invoice); POST acts on the button pressed."""
    if request.method == "GET":
        return _render(invoice, page.state_from_invoice(invoice))
    state = page.state_from_post(db.session, current_tenant(), request.form)
    action = request.form.get("action", "")
    if action in page.SAVE_ACTIONS:
        return _save(invoice, state, action)
    return _render(invoice, state, review=action == "review")


def _save(invoice: Invoice | None, state: page.FormState, action: str) -> Any:
    """Create or update from the form: ``action`` is draft, stamp or async."""
    body, problems = state.body()
    tenant = current_tenant()
    try:
        if problems:
            raise ValidationError.from_problems(problems)
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
        draft = invoice if invoice is not None and invoice.id else None
        return _render(draft, state, error=error)
    db.session.commit()
    messages = {
        InvoiceStatus.DRAFT: _("Borrador guardado."),
        InvoiceStatus.VALID: _("Factura timbrada."),
    }
    flash(messages.get(invoice.status, _("Factura guardada.")), "success")
    return redirect(url_for("org.invoice", invoice_id=invoice.id))


def preview() -> Response:
    """Each line's figures and the totals of the form as it is now (the running totals)."""
    state = page.state_from_post(db.session, current_tenant(), request.form)
    payload = page.preview_payload(db.session, current_tenant(), state)
    posted = [index for index, _line in invoice_forms.indexed_lines(request.form)]
    for line, index in zip(payload["lines"], posted, strict=False):
        line["index"] = index
    return jsonify(payload)


def products() -> Response:
    """Saved products matching ``q`` (name, SKU or SAT key), each with the line it becomes."""
    found = page.find_products(db.session, current_tenant(), request.args.get("q", "")[:100])
    return jsonify(
        products=[page.product_hit(product) for product in found],
        add_label=_("Agregar"),
        none_label=_("Ningún producto guardado coincide."),
    )
