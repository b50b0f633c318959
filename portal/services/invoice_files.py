"""What an invoice is delivered as: its XML, its PDF, both zipped, the cancellation receipt, email.

The PDF is a rendering of the stamped XML plus the organization's branding; nothing here edits
the XML.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import zipfile
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, object_session

from portal import hosts, settings
from portal.cfdi import acuse, pdf
from portal.errors import ValidationError
from portal.models.invoices import Invoice
from portal.models.organizations import Organization
from portal.schemas import parse
from portal.schemas.common import MAX_RECIPIENTS, SendByEmail
from portal.services import contacts, mail, mail_limits, public_links, rendered_files


def _stamped_xml(invoice: Invoice) -> bytes:
    if invoice.xml is None:
        raise ValidationError(
            "La factura aún no está timbrada; no tiene XML ni PDF.", "invoice_not_stamped"
        )
    return invoice.xml


def filename(invoice: Invoice, extension: str) -> str:
    """``<series><folio>_<uuid>.<ext>``, or the id when there is no folio yet."""
    folio = f"{invoice.series or ''}{invoice.folio_number or ''}"
    return f"{folio}_{invoice.uuid}.{extension}" if folio else f"{invoice.id}.{extension}"


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None  # bodies stored before it was checked


def branding(organization: Organization) -> pdf.Branding:
    """How the organization's documents look."""
    return pdf.Branding(
        organization_name=organization.name, logo=organization.logo, color=organization.color
    )


def xml_of(invoice: Invoice) -> bytes:
    """The stamped XML, exactly as stored."""
    return _stamped_xml(invoice)


def pdf_key(invoice: Invoice, organization: Organization, extra: dict[str, Any]) -> str:
    """What the PDF depends on: the stamped document, the branding, the PDF options, the
    status and cancellation status, and the renderer's own code and templates."""
    logo = organization.logo
    return rendered_files.digest(
        {
            "renderer": _renderer_digest(),
            "uuid": invoice.uuid,
            "stamp": (invoice.stamp or {}).get("date"),
            "livemode": invoice.livemode,
            "status": invoice.status,
            "cancellation_status": invoice.cancellation_status,
            "canceled_at": str(invoice.canceled_at),
            "name": organization.name,
            "color": organization.color,
            "logo": hashlib.sha256(logo).hexdigest() if logo else None,
            "pdf_extra": extra,
            "custom_section": invoice.data.get("pdf_custom_section"),
        }
    )


@functools.cache
def _renderer_digest() -> str:
    return rendered_files.source_digest(
        *sorted(Path(pdf.__file__).parent.glob("*.py")), pdf.TEMPLATES
    )


def pdf_of(invoice: Invoice, organization: Organization) -> bytes:
    """The PDF with the organization's branding and ``pdf_extra`` (the invoice's own wins),
    rendered once and then served from ``rendered_files`` until something it shows changes; the
    invoice's ``pdf_options`` (Facturapi's name for the per-invoice switches) win."""
    data = invoice.data or {}
    extra = {
        **(organization.pdf_extra or {}),
        **(data.get("pdf_extra") or {}),
        **(data.get("pdf_options") or {}),
    }
    if invoice.uuid is None:  # refuse an unstamped invoice (a stamped one's XML loads lazily)
        _stamped_xml(invoice)

    def render() -> bytes:
        return pdf.render_invoice(
            _stamped_xml(invoice),
            branding(organization),
            pdf_extra=extra,
            custom_section=_text(invoice.data.get("pdf_custom_section")),
            test_mode=not invoice.livemode,
            canceled_on=canceled_on(invoice, organization),
        )

    session = object_session(invoice)
    if session is None:
        return render()
    key = pdf_key(invoice, organization, extra)
    return rendered_files.rendered(session, invoice.id, "pdf", key, render)


def canceled_on(invoice: Invoice, organization: Organization) -> str | None:
    """When a cancelled invoice was cancelled, in the organization's zone (named), for its
    PDF's CANCELADA mark; None for any other invoice."""
    if invoice.status != "canceled":
        return None
    moment = invoice.canceled_at or invoice.cancellation_requested_at
    if moment is None:
        return "fecha no registrada"
    local = moment.astimezone(ZoneInfo(organization.timezone or "America/Mexico_City"))
    return f"{local:%d/%m/%Y %H:%M} ({organization.timezone})"


def zip_of(invoice: Invoice, organization: Organization) -> bytes:
    """PDF and XML together."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(filename(invoice, "xml"), xml_of(invoice))
        archive.writestr(filename(invoice, "pdf"), pdf_of(invoice, organization))
    return buffer.getvalue()


def cancellation_xml(invoice: Invoice) -> bytes:
    """The cancellation receipt (acuse) as returned by the PAC."""
    if invoice.cancellation_xml is None:
        raise ValidationError(
            "La factura no tiene acuse de cancelación.", "no_cancellation_receipt"
        )
    return invoice.cancellation_xml


def cancellation_pdf(invoice: Invoice, organization: Organization) -> bytes:
    """The cancellation receipt rendered with the organization's branding."""
    seen = acuse.read(cancellation_xml(invoice))
    folio_status = next((status for uuid, status in seen.folios if uuid == invoice.uuid), "")
    customer = invoice.customer or {}
    ack = {
        "uuid": invoice.uuid,
        "issuer_tax_id": organization.tax_id,
        "receiver_tax_id": customer.get("tax_id"),
        "date": invoice.cancellation_requested_at,
        "canceled_at": invoice.canceled_at,
        "status": invoice.cancellation_status,
        "motive": invoice.cancellation_motive,
        "substitution": invoice.cancellation_substitution,
        "total": invoice.total,
        "acuse_date": seen.fecha if seen.kind == "acuse" else "",
        "folio_status": acuse.describe_status(folio_status) if seen.kind == "acuse" else "",
        "signatures": [dataclasses.asdict(signature) for signature in seen.signatures],
    }
    return pdf.render_cancellation(ack, branding(organization), test_mode=not invoice.livemode)


def nobody_to_send_to() -> ValidationError:
    """The error of an email request naming no address for a customer who has none."""
    return ValidationError(
        "El cliente no tiene correo; indica a quién enviarla.", "required", path="email"
    )


def _recipients(session: Session, invoice: Invoice, body: dict[str, Any]) -> list[str]:
    """The addresses named, else the customer's email and its ``is_for_invoicing`` contacts."""
    named = parse(SendByEmail, body).email
    own = (invoice.customer or {}).get("email")
    contacts_for_invoicing = contacts.invoicing_emails(session, invoice.customer_id)
    fallback = list(
        dict.fromkeys([own, *contacts_for_invoicing] if own else contacts_for_invoicing)
    )
    if not named and not fallback:
        raise nobody_to_send_to()
    return named or fallback[:MAX_RECIPIENTS]


def email(
    session: Session,
    invoice: Invoice,
    organization: Organization,
    body: dict[str, Any],
    limited: bool = True,
) -> None:
    """Queue the invoice (PDF + XML) to the customer's email or the addresses given; counted
    against the tenant's email limits unless not ``limited`` (the self-invoice visitor's)."""
    to = _recipients(session, invoice, body)
    if limited:
        mail_limits.admit(session, organization, invoice.livemode, to)
    xml = xml_of(invoice)
    attachments = [
        mail.attachment(filename(invoice, "pdf"), "application/pdf", pdf_of(invoice, organization)),
        mail.attachment(filename(invoice, "xml"), "application/xml", xml),
    ]
    folio = f"{invoice.series or ''}{invoice.folio_number or ''}"
    subject = f"Factura {folio} de {organization.public_name}"
    token = public_links.shareable_token(session, invoice, organization)
    context = {
        "invoice": invoice,
        "organization": organization,
        "folio": folio,
        "brand_color": f"#{organization.color}",
        "public_link_url": hosts.on_tenant_host(
            organization,
            settings.current().link("public_links.show", token=token),
            settings.current().public_base_url,
        )
        if token
        else None,
    }
    mail.queue_email(
        session, "invoice", to, subject, context, attachments, organization_id=organization.id
    )
