"""An invoice's page and what is done from it: register a payment against a PPD invoice, issue
a credit note related to it, and cancel it with SAT, showing the rules' reasons when refused.

Each form becomes a Facturapi body for the invoicing service (``invoices.create``), which checks
every fiscal rule; a refusal is shown on the page, beside the field it names.
"""

from __future__ import annotations

import re
from datetime import date as date_type
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal import pac_calls
from portal.cfdi import catalogs
from portal.dashboard import invoice_page_parts
from portal.dashboard.forms import ConfirmForm
from portal.dashboard.invoice_forms import (
    CancelForm,
    CreditNoteForm,
    PaymentForm,
    credit_note_taxes,
    invoice_iva,
    readable_problems,
)
from portal.dashboard.org import bp
from portal.dashboard.org.public_links import link_context
from portal.errors import PortalError, Problem
from portal.extensions import db
from portal.forms import attach_errors
from portal.i18n import language as _lang
from portal.models.invoices import Invoice
from portal.services import contacts, invoices, payments, related_documents
from portal.statuses import CancellationStatus, InvoiceStatus
from portal.tenancy import current_tenant, scoped_get


def _load(invoice_id: str) -> Invoice:
    return scoped_get(Invoice, invoice_id, message=_("La factura no existe."))


# Form -> Facturapi body -------------------------------------------------------------------


def _customer(invoice: Invoice) -> Any:
    """The invoice's receiver: the saved customer, or the copy the invoice keeps."""
    return invoice.customer_id or (invoice.data or {}).get("customer") or invoice.customer


def _paid_at(day: date_type, zone: ZoneInfo) -> str:
    """Noon of that day, or now when it is today (a payment is never dated in the future)."""
    now = datetime.now(zone).replace(microsecond=0)
    moment = now if day == now.date() else datetime.combine(day, time(12), zone)
    return moment.isoformat()


def payment_body(invoice: Invoice, form: PaymentForm, zone: ZoneInfo) -> dict[str, Any]:
    """A CFDI of type P paying ``form.amount`` of the invoice (Pagos 2.0 complement)."""
    payment: dict[str, Any] = {
        "payment_form": form.payment_form.data,
        "date": _paid_at(form.date.data, zone),
        "currency": form.currency.data,
        "related_documents": [{"uuid": invoice.uuid, "amount": str(form.amount.data)}],
    }
    if form.exchange.data is not None:
        payment["exchange"] = str(form.exchange.data)
    return {
        "type": "P",
        "customer": _customer(invoice),
        "items": [],
        "complements": [{"type": "pago", "data": [payment]}],
    }


def credit_note_body(invoice: Invoice, form: CreditNoteForm) -> dict[str, Any]:
    """A CFDI of type E for ``form.amount`` (taxes included) related to the invoice with 01."""
    product = {
        "description": form.description.data,
        "product_key": form.product_key.data or "84111506",
        "unit_key": "ACT",
        "price": str(form.amount.data),
        "tax_included": True,
        "taxes": credit_note_taxes(form.iva.data),
    }
    body = {
        "type": "E",
        "customer": _customer(invoice),
        "items": [{"quantity": 1, "product": product}],
        "use": "G02",
        "payment_form": form.payment_form.data,
        "payment_method": "PUE",
        "currency": invoice.currency,
        "related_documents": [{"relationship": "01", "documents": [invoice.uuid]}],
    }
    if invoice.currency != "MXN":
        body["exchange"] = str(invoice.exchange)
    return body


# The page ---------------------------------------------------------------------------------


def _forms(invoice: Invoice) -> dict[str, Any]:
    lang = _lang()
    credit = CreditNoteForm(lang=lang, formdata=None)
    credit.description.data = _("Descuento sobre la factura %(folio)s", folio=_folio(invoice))
    credit.iva.data = invoice_iva(invoice.data or {})
    payment = PaymentForm(lang=lang, formdata=None)
    zone = ZoneInfo(current_tenant().organization.timezone)
    payment.date.data = datetime.now(zone).date()
    payment.currency.data = invoice.currency if invoice.currency in ("MXN", "USD", "EUR") else "MXN"
    return {
        "pay_form": payment,
        "credit_form": credit,
        "cancel_form": CancelForm(lang=lang, formdata=None),
    }


def _share_text(invoice: Invoice) -> str:
    """The invoice's summary sent by WhatsApp (folio, issuer, total, UUID)."""
    organization = current_tenant().organization
    return _(
        "Factura %(folio)s de %(issuer)s por %(total)s %(currency)s. Folio fiscal: %(uuid)s",
        folio=_folio(invoice),
        issuer=organization.public_name,
        total=f"{invoice.total:,.2f}",
        currency=invoice.currency,
        uuid=invoice.uuid or "",
    )


def _folio(invoice: Invoice) -> str:
    return related_documents.label(invoice)


def invoice_page(invoice: Invoice, status: int = 200, **forms: Any) -> tuple[str, int]:
    """The invoice's page with its payments, credit notes and the forms (``forms`` replace the
    blank ones, with the values and errors of a refused submission)."""
    session, organization = db.session, current_tenant().organization
    lines, local_taxes = invoice_page_parts.line_rows(session, current_tenant(), invoice)
    found = related_documents.dependents(
        session, invoice, (InvoiceStatus.VALID, InvoiceStatus.CANCELED)
    )
    chain = related_documents.payment_chain(session, invoice, found)
    notes = related_documents.credit_notes(session, invoice, found)
    context = {
        "invoice": invoice,
        "motives": catalogs.options("cancellation_motive", _lang()),
        "payment_form": catalogs.describe("payment_form", invoice.payment_form, _lang()),
        "ready": invoices.is_ready_to_stamp(invoice, organization),
        "confirm": ConfirmForm(),
        "payments": chain,
        "references": related_documents.references_of(session, invoice),
        "substitutes": [
            document
            for document, how in found
            if document.status == InvoiceStatus.VALID and how == {related_documents.SUBSTITUTION}
        ],
        "relation_names": RELATION_NAMES,
        "credit_notes": notes,
        "payable": payments.accepts_payments(invoice) and invoice.balance > 0,
        "accepts_credit_notes": related_documents.accepts_credit_notes(invoice),
        "whatsapp": contacts.whatsapp_links(session, invoice.customer_id, _share_text(invoice)),
        "lines": lines,
        "local_taxes": local_taxes,
        "cancellation": invoice_page_parts.cancellation_facts(invoice, organization, _lang()),
        **_forms(invoice),
        **link_context(invoice),
        **forms,
    }
    return render_template("dashboard/org/invoice.html", **context), status


RELATION_NAMES = {
    "pago": _l("Pago de la factura"),
    "01": _l("Nota de crédito de"),
    "02": _l("Nota de débito de"),
    "03": _l("Devolución de mercancía de"),
    "04": _l("Sustituye a"),
    "05": _l("Traslado de mercancías facturadas previamente"),
    "06": _l("Factura generada por los traslados previos"),
    "07": _l("Aplicación de anticipo de"),
}


def _saved(message: str, invoice_id: str) -> Any:
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("org.invoice", invoice_id=invoice_id))


@bp.post("/invoices/<invoice_id>/payments")
def register_payment(invoice_id: str):
    """Register a payment against a PPD invoice: a payment complement is issued."""
    invoice = _load(invoice_id)
    form = PaymentForm(lang=_lang())
    if not payments.accepts_payments(invoice):
        form.form_errors.append(_("Sólo una factura PPD vigente recibe pagos."))
    elif form.validate():
        zone = ZoneInfo(current_tenant().organization.timezone)
        try:
            # A payment complement stamps in the transaction that locks the paid invoices'
            # balances (``invoices._stamp_now``): no PAC call is left for ``pac_calls``.
            payment = invoices.create(
                db.session, current_tenant(), payment_body(invoice, form, zone)
            )
        except PortalError as error:
            db.session.rollback()
            attach_errors(form, error)
        else:
            message = _("Pago registrado: complemento %(folio)s.", folio=_folio(payment))
            return _saved(message, invoice.id)
    return invoice_page(_load(invoice_id), 400, pay_form=form)


# The credit note's one line is the form's fields: its price is the amount, its taxes the IVA.
CREDIT_NOTE_FIELDS = {"price": "amount", "taxes": "iva", "rate": "iva", "factor": "iva"}


def _credit_note_error(error: PortalError) -> PortalError:
    """The service's problems in the form's words, beside the credit note's own fields."""
    problems = [
        Problem(p.message, p.code, CREDIT_NOTE_FIELDS.get(_leaf(p.path), p.path), p.source)
        for p in readable_problems(error.problems, [])
    ]
    return PortalError.from_problems(problems, error.status)


def _leaf(path: str | None) -> str:
    return re.sub(r"\[\d+\]", "", (path or "").split(".")[-1])


@bp.post("/invoices/<invoice_id>/credit-notes")
def issue_credit_note(invoice_id: str):
    """Issue a credit note related to the invoice (TipoRelacion 01)."""
    invoice = _load(invoice_id)
    form = CreditNoteForm(lang=_lang())
    if not related_documents.accepts_credit_notes(invoice):
        form.form_errors.append(_("Sólo una factura de ingreso vigente admite notas de crédito."))
    elif form.validate():
        try:
            note = pac_calls.create(db.session, current_tenant(), credit_note_body(invoice, form))
        except PortalError as error:
            db.session.rollback()
            attach_errors(form, _credit_note_error(error))
        else:
            return _saved(_("Nota de crédito %(folio)s emitida.", folio=_folio(note)), invoice.id)
    return invoice_page(_load(invoice_id), 400, credit_form=form)


@bp.post("/invoices/<invoice_id>/substitute")
def draft_substitute(invoice_id: str):
    """A draft copy that relates to this invoice with TipoRelacion 04: once corrected and
    stamped, it is the substitute that motive 01 names."""
    invoice = _load(invoice_id)
    if invoice.status != InvoiceStatus.VALID or invoice.uuid is None:
        flash(_("Sólo una factura vigente puede sustituirse."), "error")
        return redirect(url_for("org.invoice", invoice_id=invoice.id))
    draft = invoices.copy_to_draft(db.session, invoice)
    relation = [{"relationship": "04", "documents": [invoice.uuid]}]
    invoices.update_draft(db.session, current_tenant(), draft, {"related_documents": relation})
    db.session.commit()
    message = _(
        "Borrador de la factura sustituta: corrígelo y timbra; luego cancela la original "
        "con el motivo 01."
    )
    flash(message, "success")
    return redirect(url_for("org.edit_invoice", invoice_id=draft.id))


@bp.post("/invoices/<invoice_id>/cancellation")
def cancel_invoice(invoice_id: str):
    """Cancel with SAT with a motive (and the substitute for 01); refusals say why."""
    invoice = _load(invoice_id)
    form = CancelForm(lang=_lang())
    if form.validate():
        try:
            invoice = pac_calls.cancel(
                db.session,
                current_tenant(),
                lambda: _load(invoice_id),
                form.motive.data,
                form.substitution.data or None,
            )
        except PortalError as error:
            db.session.rollback()
            attach_errors(form, error)
        else:
            if invoice.cancellation_status == CancellationStatus.PENDING:
                message = _("Solicitud enviada: el receptor debe aceptar la cancelación.")
            else:
                message = _("Factura cancelada ante el SAT.")
            return _saved(message, invoice.id)
    return invoice_page(_load(invoice_id), 400, cancel_form=form)
