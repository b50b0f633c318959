"""What support did, as a reseller reads it: Spanish sentences («Soporte cambió el logo»,
«Soporte creó la factura A-12»), never raw requests.

An audit entry of a request made while acting for a reseller keeps the view's endpoint, its
arguments and (``subject``) the name of what it touched, found when it is recorded (the
invoice's folio, the customer's name…), since the object may be gone when the entry is read.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from portal.models.audit import AuditEntry
from portal.models.customers import Customer
from portal.models.events import Webhook
from portal.models.invoices import Invoice
from portal.models.products import Product
from portal.models.receipts import Receipt

# Changes: the endpoint of the view, or (endpoint, its ``action`` argument).
CHANGES: dict[str | tuple[str, str], Any] = {
    "org.upload_logo": _l("Soporte cambió el logo"),
    "org.branding": _l("Soporte cambió el color y las opciones del PDF"),
    "org.legal": _l("Soporte cambió los datos fiscales"),
    "org.certificate": _l("Soporte subió el certificado (CSD)"),
    "org.delete_certificate": _l("Soporte eliminó el certificado (CSD)"),
    "org.receipt_settings": _l("Soporte cambió la configuración de recibos y autofactura"),
    "org.domain": _l("Soporte cambió el dominio de autofactura"),
    "org.set_custom_host": _l("Soporte cambió el dominio propio de la página de autofactura"),
    "org.check_custom_host": _l("Soporte comprobó el dominio propio"),
    "org.delete_custom_host": _l("Soporte quitó el dominio propio"),
    "org.public_link_settings": _l("Soporte cambió la vigencia de los enlaces públicos"),
    "org.series": _l("Soporte creó la serie %(subject)s"),
    "org.update_series": _l("Soporte cambió los folios de la serie %(subject)s"),
    "org.delete_series": _l("Soporte eliminó la serie %(subject)s"),
    "org.default_series": _l("Soporte cambió las series predeterminadas"),
    "org.update_next_folios": _l("Soporte cambió los siguientes folios"),
    "org.new_invoice": _l("Soporte creó la factura %(subject)s"),
    "org.edit_invoice": _l("Soporte editó el borrador %(subject)s"),
    "org.preview_invoice": _l("Soporte revisó una factura antes de emitirla"),
    ("org.invoice_action", "stamp"): _l("Soporte timbró la factura %(subject)s"),
    ("org.invoice_action", "copy"): _l("Soporte copió la factura %(subject)s"),
    ("org.invoice_action", "cancel"): _l("Soporte canceló la factura %(subject)s"),
    ("org.invoice_action", "email"): _l("Soporte envió por correo la factura %(subject)s"),
    ("org.invoice_action", "refresh"): _l("Soporte actualizó el estado de la factura %(subject)s"),
    "org.cancel_invoice": _l("Soporte canceló la factura %(subject)s"),
    "org.issue_credit_note": _l("Soporte emitió una nota de crédito de la factura %(subject)s"),
    "org.register_payment": _l("Soporte registró un pago de la factura %(subject)s"),
    "org.draft_substitute": _l("Soporte preparó la sustitución de la factura %(subject)s"),
    "org.invoice_public_link": _l("Soporte creó un enlace público de la factura %(subject)s"),
    "org.new_customer": _l("Soporte creó el cliente %(subject)s"),
    "org.edit_customer": _l("Soporte editó el cliente %(subject)s"),
    "org.delete_customer": _l("Soporte eliminó el cliente %(subject)s"),
    "org.email_customer_edit_link": _l(
        "Soporte envió al cliente %(subject)s un enlace para actualizar sus datos"
    ),
    "org.new_product": _l("Soporte creó el producto %(subject)s"),
    "org.edit_product": _l("Soporte editó el producto %(subject)s"),
    "org.delete_product": _l("Soporte eliminó el producto %(subject)s"),
    "org.new_receipt": _l("Soporte creó el recibo %(subject)s"),
    "org.cancel_receipt": _l("Soporte canceló el recibo %(subject)s"),
    "org.email_receipt": _l("Soporte envió por correo el recibo %(subject)s"),
    "org.global_invoice": _l("Soporte emitió una factura global"),
    "org.new_retention": _l("Soporte emitió una constancia de retenciones"),
    "org.webhooks": _l("Soporte creó un webhook"),
    "org.webhook": _l("Soporte cambió el webhook %(subject)s"),
    "org.delete_webhook": _l("Soporte eliminó un webhook"),
    "org.resend_delivery": _l("Soporte reenvió un evento a un webhook"),
    "org.revoke_live_key": _l("Soporte revocó una llave de producción"),
    "org.switch_env": _l("Soporte cambió entre pruebas y producción"),
    "dashboard.create_organization": _l("Soporte creó una organización"),
    "auth.set_language": _l("Soporte cambió el idioma"),
}
# Pages opened.
VIEWS: dict[str, Any] = {
    "org.overview": _l("Soporte consultó el resumen de la organización"),
    "org.invoices": _l("Soporte consultó las facturas"),
    "org.invoice": _l("Soporte consultó la factura %(subject)s"),
    "org.customers": _l("Soporte consultó los clientes"),
    "org.products": _l("Soporte consultó los productos"),
    "org.receipts": _l("Soporte consultó los recibos"),
    "org.receipt": _l("Soporte consultó el recibo %(subject)s"),
    "org.keys": _l("Soporte consultó las llaves de API"),
    "org.webhooks": _l("Soporte consultó los webhooks"),
    "org.activity": _l("Soporte consultó la actividad"),
    "dashboard.home": _l("Soporte consultó tu lista de organizaciones"),
    "dashboard.account": _l("Soporte consultó tu cuenta"),
}
OTHER_ACTIONS: dict[str, Any] = {
    "impersonation.started": _l("Soporte empezó a actuar en tu nombre"),
    "impersonation.stopped": _l("Soporte dejó de actuar en tu nombre"),
    "impersonation.expired": _l("La sesión de soporte en tu cuenta terminó sola (30 minutos)"),
    "impersonation.ended": _l("La sesión de soporte en tu cuenta terminó"),
    "account.suspended": _l("Soporte suspendió tu cuenta"),
    "account.reactivated": _l("Soporte reactivó tu cuenta"),
    "account.password_reset_sent": _l("Soporte te envió un enlace para restablecer la contraseña"),
    "organization.suspended": _l("Soporte suspendió la organización"),
    "organization.reactivated": _l("Soporte reactivó la organización"),
}
# Changes whose subject is a form field (its value is a name, never a secret).
SUBJECT_FIELDS = {"org.series": "series"}
# What each kind of id in a URL names.
SUBJECTS = {
    "invoice_id": (Invoice, lambda row: _folio(row)),
    "customer_id": (Customer, lambda row: row.legal_name or ""),
    "product_id": (Product, lambda row: row.description[:80]),
    "receipt_id": (Receipt, lambda row: str(row.folio_number)),
    "webhook_id": (Webhook, lambda row: row.url[:80]),
}


def _folio(invoice: Invoice) -> str:
    folio = invoice.folio_number
    if folio is None:
        return ""
    return f"{invoice.series}-{folio}" if invoice.series else str(folio)


def _location_target(location: str | None) -> tuple[str, dict[str, Any]] | None:
    """The endpoint and arguments a redirect points to (where a creation lands)."""
    if not location or not location.startswith("/"):
        return None
    try:
        endpoint, args = current_app.url_map.bind("").match(location.split("?", 1)[0])
    except HTTPException:
        return None
    return str(endpoint), args


def subject(
    session: Session,
    organization_id: str | None,
    endpoint: str | None,
    view_args: dict[str, Any],
    form: Any,
    location: str | None,
) -> str:
    """The name of what a request touched, for its sentence ("" when none is known): the
    object in its URL, or (after a creation) the one its redirect shows."""
    if endpoint in SUBJECT_FIELDS:
        return str(form.get(SUBJECT_FIELDS[endpoint]) or "")[:60]
    if "name" in view_args:
        return str(view_args["name"])[:60]
    args = dict(view_args)
    if not any(key in args for key in SUBJECTS):
        target = _location_target(location)
        args = target[1] if target else {}
    for key, (model, name) in SUBJECTS.items():
        if key in args:
            row = session.get(model, str(args[key]))
            same_tenant = row is not None and row.organization_id == organization_id
            return name(row) if same_tenant else ""
    return ""


def _fill(template: Any, found: str) -> str:
    text = str(template)
    if "%(subject)s" not in text:
        return text
    if not found:  # the object has no name (yet): drop the placeholder gracefully
        return text.replace(" %(subject)s", "").replace("%(subject)s", "")
    return text % {"subject": found}


def sentence(entry: AuditEntry) -> str:
    """One entry as a sentence in the reader's language, with a fallback for the unknown."""
    details = entry.details or {}
    endpoint, found = details.get("endpoint") or "", details.get("subject") or ""
    if entry.action == "impersonation.refused":
        return _("Soporte intentó una acción reservada al titular de la cuenta y se le impidió")
    if entry.action == "impersonation.page_viewed":
        return _fill(VIEWS.get(endpoint, _l("Soporte consultó una página")), found)
    if entry.action == "impersonation.request":
        action = (details.get("view_args") or {}).get("action", "")
        template = CHANGES.get((endpoint, action)) or CHANGES.get(endpoint)
        text = _fill(template or _l("Soporte hizo un cambio"), found)
        if int(details.get("status") or 200) >= 400:
            return _("%(what)s, pero no se completó", what=text)
        return text
    if entry.action in OTHER_ACTIONS:
        return str(OTHER_ACTIONS[entry.action])
    return _("Soporte hizo una acción en tu cuenta")
