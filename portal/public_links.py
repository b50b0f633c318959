"""The public page of an invoice: ``/<PUBLIC_LINK_PREFIX>/<token>``, branded, with its PDF and
XML, and no login. A revoked or expired link answers 410; guesses are rate-limited by address."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request, url_for

from portal import custom_hosts
from portal.cfdi import pdf
from portal.database import set_write_intent
from portal.downloads import set_disposition
from portal.errors import NotFound
from portal.extensions import db
from portal.models.invoices import Invoice
from portal.models.organizations import Organization
from portal.models.public_links import InvoicePublicLink
from portal.services import invoice_files, public_links, throttle

bp = Blueprint("public_links", __name__)

MISSES_PER_WINDOW, MISS_WINDOW = 20, 600  # unknown tokens an address may try in 10 minutes


def _bucket() -> str:
    return f"public-link:ip:{throttle.client(request.remote_addr or '')}"


def _open(token: str) -> tuple[InvoicePublicLink, Invoice, Organization]:
    """The link's invoice and organization; 404 for an unknown token (counted), 429 past the
    allowed misses."""
    throttle.check(db.session, _bucket(), MISSES_PER_WINDOW, MISS_WINDOW)
    try:
        found = public_links.by_token(db.session, token)
        host_domain = custom_hosts.current_domain()  # on a custom host, its own invoices only
        if host_domain and found[2].domain != host_domain:
            raise NotFound()
        return found
    except NotFound:
        # The miss is written in a short transaction of its own; the page itself only reads.
        db.session.rollback()
        set_write_intent(True)
        throttle.hit(db.session, _bucket(), MISS_WINDOW)
        db.session.commit()
        raise


def _page(template: str, organization: Organization, token: str, status: int = 200, **context):
    return render_template(
        f"public_links/{template}.html",
        organization=organization,
        brand=pdf.Branding(organization_name=organization.name, color=organization.color),
        support_email=organization.support_email,
        logo_url=url_for(".logo", token=token) if organization.logo_mime else None,
        token=token,
        **context,
    ), status


@bp.get("/<token>")
def show(token: str):
    """The invoice's summary and its downloads, or the 410 page once the link is closed."""
    link, invoice, organization = _open(token)
    if not public_links.is_open(link):
        return _page("gone", organization, token, 410)
    return _page("invoice", organization, token, invoice=invoice)


@bp.get("/<token>/<any(pdf, xml):kind>")
def download(token: str, kind: str):
    """The invoice's PDF or XML while the link is open."""
    link, invoice, organization = _open(token)
    if not public_links.is_open(link):
        return _page("gone", organization, token, 410)
    data = (
        invoice_files.pdf_of(invoice, organization)
        if kind == "pdf"
        else invoice_files.xml_of(invoice)
    )
    response = Response(data, mimetype="application/pdf" if kind == "pdf" else "application/xml")
    return set_disposition(response, invoice_files.filename(invoice, kind))


@bp.get("/<token>/logo")
def logo(token: str):
    """The organization's logo for its invoice page."""
    _link, _invoice, organization = _open(token)
    if not organization.logo:
        abort(404)
    response = Response(organization.logo, mimetype=organization.logo_mime or "image/png")
    response.headers["Cache-Control"] = "private, max-age=300"
    return response
