"""The self-invoice pages: thin views over ``services.self_invoice``."""

from __future__ import annotations

import functools
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug import exceptions as werkzeug_exceptions

from portal import custom_hosts, downloads, errorhandlers, pac_calls
from portal.cfdi import catalogs, pdf
from portal.database import set_write_intent
from portal.errors import NotFound, PortalError, TooManyRequests, ValidationError
from portal.extensions import db
from portal.forms import attach_errors
from portal.i18n import language as _lang
from portal.models.invoices import Invoice
from portal.models.organizations import Organization
from portal.models.receipts import Receipt
from portal.selfinvoice import bp
from portal.selfinvoice.forms import KeyForm, RfcForm, TaxDataForm
from portal.services import (
    customers,
    receipt_invoices,
    receipts,
    saved_identities,
    self_invoice,
)
from portal.statuses import ReceiptStatus


@bp.errorhandler(NotFound)
def _not_found(_error: NotFound):
    """A miss looks like any other unknown page: it tells nothing about what exists."""
    return errorhandlers.handle_http(werkzeug_exceptions.NotFound())


def _page(template: str, organization: Organization, status: int = 200, **context: Any):
    context.setdefault("receipt", None)
    return render_template(
        f"selfinvoice/{template}.html",
        organization=organization,
        # The page links to the logo (``.logo``); only the colours are needed here.
        brand=pdf.Branding(organization_name=organization.name, color=organization.color),
        support_email=organization.self_invoice_support_email or organization.support_email,
        catalog_label=lambda catalog, code: catalogs.label(catalog, code, _lang()) or code,
        **context,
    ), status


class UnknownKey(Exception):
    """A key the organization has no receipt for (or one too many guesses): its own page
    asks to check the key, never the platform's."""

    def __init__(self, organization: Organization, key: str, limit: TooManyRequests | None):
        super().__init__(key)
        self.organization, self.key, self.limit = organization, key, limit


@bp.errorhandler(UnknownKey)
def _unknown_key(error: UnknownKey):
    form = KeyForm(formdata=None, data={"key": error.key[:16]})
    if error.limit is None:
        form.key.errors = [_("Revisa la clave: no encontramos un recibo con ella.")]
        return _page("key", error.organization, 404, form=form, mistyped=True)
    minutes = max(1, -(-error.limit.retry_after // 60))
    form.key.errors = [
        _("Demasiados intentos con claves que no existen. Intenta de nuevo en %(n)d minutos.",
          n=minutes)
    ]  # fmt: skip
    response, status = _page("key", error.organization, 429, form=form, mistyped=True)
    return response, status, {"Retry-After": str(error.limit.retry_after)}


def _receipt(domain: str, key: str) -> tuple[Organization, Receipt]:
    ip = request.remote_addr or ""
    try:
        organization, receipt = self_invoice.lookup(db.session, domain, key, ip)
    except TooManyRequests as limit:
        raise UnknownKey(self_invoice.organization_for(db.session, domain), key, limit) from None
    if receipt is None:
        # A miss is written in a transaction of its own, so that page views stay read-only
        # (on SQLite they then never wait for the write lock).
        db.session.rollback()
        set_write_intent(True)
        self_invoice.record_miss(db.session, organization, key, ip)
        db.session.commit()
        raise UnknownKey(organization, key, None)
    return organization, receipt


def _purchase(receipt: Receipt, organization: Organization) -> dict[str, Any]:
    return pdf.purchase_context(receipts.ticket(receipt, None, organization.timezone))


@functools.lru_cache(maxsize=512)
def _rendered_options(
    choices: tuple[tuple[str, str, str], ...], attribute: str, selected: str
) -> Markup:
    return Markup("").join(
        Markup('<option value="{}" {}="{}"{}>{} · {}</option>').format(
            code, Markup(attribute), extra, Markup(" selected") if code == selected else "",
            code, label,
        )
        for code, label, extra in choices
    )  # fmt: skip


def _options(choices: tuple[tuple[str, str, str], ...], attribute: str, selected: Any) -> Markup:
    """The ``<option>`` list of a select: the same few lists on every page, rendered once."""
    selected = selected if any(choice[0] == selected for choice in choices) else ""
    return _rendered_options(choices, attribute, selected)


def _render_fields(
    form: TaxDataForm,
    regimes: tuple[tuple[str, str, str], ...],
    uses: tuple[tuple[str, str, str], ...],
) -> Markup:
    return Markup(
        render_template(
            "selfinvoice/_fields.html",
            form=form,
            regime_options=_options(regimes, "data-persons", form.tax_system.data),
            use_options=_options(uses, "data-regimes", form.use.data),
        )
    )


@functools.lru_cache(maxsize=256)
def _empty_fields(
    lang: str, regimes: tuple[tuple[str, str, str], ...], uses: tuple[tuple[str, str, str], ...]
) -> Markup:
    return _render_fields(TaxDataForm(formdata=None, meta={"csrf": False}), regimes, uses)


def _fields(form: TaxDataForm, organization: Organization) -> Markup:
    """The tax-data fields. Empty and without errors (most page views) they are the same for
    every visitor of the organization, so they are rendered once per language."""
    lang = _lang()
    regimes = self_invoice.regime_choices(lang)
    uses = self_invoice.use_choices(organization, lang)
    if (
        form.errors
        or form.form_errors
        or any(field.data for field in form if field.name != "csrf_token")
    ):
        return _render_fields(form, regimes, uses)
    return _empty_fields(lang, regimes, uses)


def _form_page(organization, receipt, form, template="form", **context):
    return _page(
        template,
        organization,
        400 if form.errors or form.form_errors else 200,
        receipt=receipt,
        purchase=_purchase(receipt, organization) if receipt else None,
        form=form,
        fields=_fields(form, organization),
        **context,
    )


def _state_page(organization: Organization, receipt: Receipt, state: str):
    if state == "invoiced":
        return _page("invoiced", organization, receipt=receipt, form=RfcForm())
    expires = receipt.expires_at.astimezone(ZoneInfo(organization.timezone))
    return _page("closed", organization, receipt=receipt, state=state, expires=expires)


def preview_page(organization: Organization, sample: Receipt):
    """The form page for a sample receipt, as the dashboard's preview (it cannot be sent)."""
    return _form_page(organization, sample, TaxDataForm(), preview=True)


@bp.route("/<domain:domain>", methods=["GET", "POST"])
def home(domain: str):
    """A box to type the receipt's key."""
    organization = self_invoice.organization_for(db.session, domain)
    form = KeyForm()
    if form.validate_on_submit():
        key = form.key.data.replace(" ", "")
        return redirect(url_for(".receipt", domain=domain, key=key))
    return _page("key", organization, 400 if form.errors else 200, form=form)


@bp.get("/<domain:domain>/logo")
def logo(domain: str):
    """The organization's logo, for its pages."""
    organization = self_invoice.organization_for(db.session, domain)
    if not organization.logo:
        abort(404)
    response = Response(organization.logo, mimetype=organization.logo_mime or "image/png")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.route("/<domain:domain>/<key>", methods=["GET", "POST"])
def receipt(domain: str, key: str):
    """The purchase and the tax-data form; on submit, the confirmation of what it will say."""
    organization, found = _receipt(domain, key)
    state = self_invoice.state(found)
    if state != "form":
        return _state_page(organization, found, state)
    form = TaxDataForm()
    if form.validate_on_submit():
        try:
            data = self_invoice.read_tax_data(organization, form.data)
            return _form_page(organization, found, form, "confirm", data=data)
        except ValidationError as error:
            attach_errors(form, error)
    return _form_page(organization, found, form)


@bp.post("/<domain:domain>/<key>/confirm")
def confirm(domain: str, key: str):
    """Invoice the purchase (once), then show the result."""
    organization, found = _receipt(domain, key)
    form = TaxDataForm()
    if not form.validate_on_submit() or "edit" in request.form:
        return _form_page(organization, found, form)
    ip = request.remote_addr or ""
    try:
        data = self_invoice.read_tax_data(organization, form.data)
        # Already invoiced: an RFC check, throttled as on /lookup.
        if found.status == ReceiptStatus.INVOICED_TO_CUSTOMER:
            return _invoiced_to(domain, organization, found, data.tax_id, ip)
        invoice, call = self_invoice.redeem(
            db.session, organization, found, data, ip, pac_calls.stamp_lease()
        )
        if call is not None:  # a remote PAC: called with no transaction open
            invoice = pac_calls.stamp(
                db.session,
                invoice,
                call,
                on_refused=receipt_invoices.reopen,
                on_stamped=lambda session, stamped: self_invoice.complete(
                    session, organization, found, stamped, data
                ),
                no_answer_fails=True,
            )
    except TooManyRequests:
        db.session.rollback()
        raise
    except PortalError as error:  # the receipt changed meanwhile, or the merchant is not ready
        db.session.rollback()
        state = self_invoice.state(found)
        if state != "form":
            return _state_page(organization, found, state)
        attach_errors(form, error)
        return _form_page(organization, found, form)
    db.session.commit()
    return _to_result(domain, found, invoice)


@bp.post("/<domain>/<key>/saved")
def saved(domain: str, key: str):
    """A returning visitor's identities on file for the RFC typed (masked), or the form filled
    with the one picked; the same page whether the RFC is known or not, and rate limited."""
    organization, found = _receipt(domain, key)
    state = self_invoice.state(found)
    if state != "form":
        return _state_page(organization, found, state)
    form = TaxDataForm()
    if not form.validate_on_submit() or not form.tax_id.data:
        form.tax_id.errors = [_("Escribe tu RFC para buscar tus datos guardados.")]
        return _form_page(organization, found, form)
    ip = request.remote_addr or ""
    rfc, picked = form.tax_id.data, request.form.get("identity")
    if picked:
        identity = saved_identities.pick(db.session, organization, found, rfc, picked, ip)
        db.session.commit()
        if identity is not None:
            _fill_from_identity(form, identity)
            return _form_page(organization, found, form, filled=True)
    identities = saved_identities.for_rfc(db.session, organization, found, rfc, ip)
    db.session.commit()
    return _form_page(organization, found, form, saved=identities)


def _fill_from_identity(form: TaxDataForm, identity: saved_identities.SavedIdentity) -> None:
    form.legal_name.data, form.tax_system.data = identity.legal_name, identity.tax_system
    form.zip.data, form.country.data = identity.zip, "MEX"


def _invoiced_to(domain: str, organization: Organization, found: Receipt, tax_id: str, ip: str):
    """The invoice page when ``tax_id`` is the RFC the receipt went to; the invoiced state
    otherwise (the guess is counted either way, in its own commit)."""
    invoice = self_invoice.invoice_for_rfc(db.session, found, tax_id, ip)
    db.session.commit()
    if invoice is not None:
        return _to_result(domain, found, invoice)
    return _state_page(organization, found, "invoiced")


def _to_result(domain: str, found: Receipt, invoice: Invoice):
    token = self_invoice.download_token(found, invoice)
    return redirect(url_for(".result", domain=domain, key=found.key, token=token))


@bp.post("/<domain:domain>/<key>/lookup")
def lookup(domain: str, key: str):
    """An invoiced receipt's invoice again, for whoever types the RFC it went to."""
    organization, found = _receipt(domain, key)
    form = RfcForm()
    if form.validate_on_submit():
        ip = request.remote_addr or ""
        invoice = self_invoice.invoice_for_rfc(db.session, found, form.tax_id.data, ip)
        db.session.commit()
        if invoice is not None:
            return _to_result(domain, found, invoice)
        form.tax_id.errors = [_("Ese RFC no coincide con el de la factura de esta compra.")]
    return _page("invoiced", organization, 400, receipt=found, form=form)


@bp.get("/<domain:domain>/<key>/invoice/<token>")
def result(domain: str, key: str, token: str):
    """The invoice: PDF and XML to download."""
    organization, found = _receipt(domain, key)
    invoice = self_invoice.invoice_for_token(db.session, found, token)
    return _page("result", organization, receipt=found, invoice=invoice, token=token)


@bp.get("/<domain:domain>/<key>/invoice/<token>/<any(pdf, xml):kind>")
def download(domain: str, key: str, token: str, kind: str):
    """The invoice's PDF or XML, through the receipt's signed link."""
    organization, found = _receipt(domain, key)
    invoice = self_invoice.invoice_for_token(db.session, found, token)
    return downloads.invoice_file(invoice, organization, kind)


# Customer edit links -----------------------------------------------------------------------


def _fill_from_customer(form: TaxDataForm, customer: Any) -> None:
    form.tax_id.data, form.legal_name.data = customer.tax_id, customer.legal_name
    form.tax_system.data, form.use.data = customer.tax_system, customer.default_invoice_use
    form.zip.data, form.email.data = (customer.address or {}).get("zip"), customer.email


@bp.route("/tax-info/<secret>", methods=["GET", "POST"])
def tax_info(secret: str):
    """A customer completes or corrects their tax data through the merchant's link."""
    customer = customers.customer_for_edit_secret(db.session, secret)
    organization = customer and db.session.get(Organization, customer.organization_id)
    host_domain = custom_hosts.current_domain()
    if organization is None or (host_domain and organization.domain != host_domain):
        return render_template("selfinvoice/link_invalid.html"), 410
    form = TaxDataForm()
    if request.method == "GET":
        _fill_from_customer(form, customer)
    elif form.validate_on_submit():
        try:
            data = self_invoice.read_tax_data(organization, form.data)
            self_invoice.complete_tax_info(db.session, organization, customer, data)
            db.session.commit()
            return _page("tax_info_done", organization)
        except ValidationError as error:
            attach_errors(form, error)
    return _form_page(organization, None, form, "tax_info", customer=customer)
