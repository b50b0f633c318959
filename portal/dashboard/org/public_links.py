"""The invoice page's public link: create it, revoke, activate or reset it; and the
organization's default link lifetime."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from portal.dashboard.forms import ConfirmForm
from portal.dashboard.org import bp
from portal.dashboard.roles import requires
from portal.extensions import db
from portal.links import tenant_url
from portal.models.invoices import Invoice
from portal.models.public_links import InvoicePublicLink
from portal.schemas.public_links import MAX_LINK_DAYS
from portal.services import public_links
from portal.tenancy import current_tenant, scoped_get

ACTIONS = {
    "create": None,
    "revoke": "revoke",
    "activate": "activate",
    "reset": "reset",
}


def link_context(invoice: Invoice) -> dict[str, object]:
    """What the invoice page shows of its public link (never creates one)."""
    if invoice.status not in public_links.SHAREABLE:
        return {"public_link": None, "public_link_url": None, "public_link_open": False}
    link = public_links.existing_link(db.session, invoice)
    return {
        "public_link": link,
        "public_link_url": tenant_url(
            current_tenant().organization, "public_links.show", token=link.token
        )
        if link
        else None,
        "public_link_open": bool(link and public_links.is_open(link)),
    }


@bp.post("/invoices/<invoice_id>/public-link")
def invoice_public_link(invoice_id: str):
    """Create (on first use), revoke, activate or reset the invoice's public link."""
    action = request.form.get("action", "")
    if not ConfirmForm().validate_on_submit() or action not in ACTIONS:
        abort(400)
    invoice = scoped_get(Invoice, invoice_id, message=_("La factura no existe."))
    organization = current_tenant().organization
    link: InvoicePublicLink = public_links.link_for(db.session, invoice, organization)
    if ACTIONS[action]:
        public_links.apply(link, organization, ACTIONS[action])
    db.session.commit()
    flash(_("Actualizamos el enlace público de la factura."), "success")
    return redirect(url_for("org.invoice", invoice_id=invoice.id) + "#public-link")


@bp.post("/settings/public-links")
@requires("admin", read="configuration")
def public_link_settings():
    """The lifetime, in days, of new and reset public links."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    days = request.form.get("max_days", type=int)
    if days is None or not 1 <= days <= MAX_LINK_DAYS:
        flash(_("Indica de 1 a %(max)s días.", max=MAX_LINK_DAYS), "error")
    else:
        public_links.set_default_days(current_tenant().organization, days)
        db.session.commit()
        flash(_("Guardamos la vigencia de los enlaces públicos."), "success")
    return redirect(url_for("org.keys") + "#public-links")
