"""What an invoice is delivered as: its XML, its PDF, both zipped, the cancellation receipt, email.

The PDF is a rendering of the stamped XML plus the organization's branding; nothing here edits
the XML.
"""

from __future__ import annotations

import dataclasses
import io
import zipfile
from typing import Any

from sqlalchemy.orm import Session

from portal.cfdi import acuse, pdf
from portal.errors import ValidationError
from portal.models.invoices import Invoice
from portal.models.organizations import Organization
from portal.services import mail
from portal.services.checks import Checker


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


def branding(organization: Organization) -> pdf.Branding:
    """How the organization's documents look."""
    return pdf.Branding(
        organization_name=organization.name, logo=organization.logo, color=organization.color
    )


def xml_of(invoice: Invoice) -> bytes:
    """The stamped XML, exactly as stored."""
    return _stamped_xml(invoice)


def pdf_of(invoice: Invoice, organization: Organization) -> bytes:
    """The PDF with the organization's branding and ``pdf_extra`` (the invoice's own wins)."""
    extra = {**(organization.pdf_extra or {}), **(invoice.data.get("pdf_extra") or {})}
    return pdf.render_invoice(
        _stamped_xml(invoice),
        branding(organization),
        pdf_extra=extra,
        custom_section=invoice.data.get("pdf_custom_section"),
        test_mode=not invoice.livemode,
    )


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


def _recipients(invoice: Invoice, body: dict[str, Any]) -> list[str]:
    check = Checker({"email": body.get("email")})
    raw = body.get("email")
    values = raw if isinstance(raw, list) else [raw] if raw else []
    if len(values) > 10:
        check.fail("email", "Puedes enviar la factura a 10 correos como máximo.", "too_many_items")
    checked = [Checker({"email": v}, f"email[{i}]", check.problems) for i, v in enumerate(values)]
    emails = [c.email("email", required=True) for c in checked]
    fallback = (invoice.customer or {}).get("email")
    if not values and not fallback:
        check.fail("email", "El cliente no tiene correo; indica a quién enviarla.", "required")
    check.done()
    return [e for e in emails if e] or [fallback]


def email(
    session: Session, invoice: Invoice, organization: Organization, body: dict[str, Any]
) -> None:
    """Queue the invoice (PDF + XML) to the customer's email or the addresses given."""
    to = _recipients(invoice, body)
    xml = xml_of(invoice)
    attachments = [
        mail.attachment(filename(invoice, "pdf"), "application/pdf", pdf_of(invoice, organization)),
        mail.attachment(filename(invoice, "xml"), "application/xml", xml),
    ]
    folio = f"{invoice.series or ''}{invoice.folio_number or ''}"
    subject = f"Factura {folio} de {organization.legal_name or organization.name}"
    context = {
        "invoice": invoice,
        "organization": organization,
        "folio": folio,
        "brand_color": f"#{organization.color}",
    }
    mail.queue_email(
        session, "invoice", to, subject, context, attachments, organization_id=organization.id
    )
