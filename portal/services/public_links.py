"""Public links of stamped invoices: a random token per invoice, revocable and expiring."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.errors import Conflict, NotFound, ValidationError
from portal.models.base import utcnow
from portal.models.invoices import Invoice
from portal.models.organizations import Organization
from portal.models.public_links import InvoicePublicLink

SHAREABLE = ("valid", "canceled")
TOKEN_BYTES = 24  # 192 random bits: a guess never lands, and guessing is rate-limited too
GONE = "Este enlace ya no está disponible. Pide a quien te lo envió uno nuevo."


def _lifetime(organization: Organization) -> timedelta:
    return timedelta(days=organization.public_link_days)


def existing_link(session: Session, invoice: Invoice) -> InvoicePublicLink | None:
    """The invoice's public link, if it has one (never creates it)."""
    if invoice.status not in SHAREABLE:
        raise Conflict(
            "La factura aún no está timbrada; su enlace público existe cuando se timbra.",
            "invoice_not_stamped",
        )
    return session.scalar(_of(invoice))


def _of(invoice: Invoice) -> Select[tuple[InvoicePublicLink]]:
    return select(InvoicePublicLink).where(InvoicePublicLink.invoice_id == invoice.id)


def link_for(session: Session, invoice: Invoice, organization: Organization) -> InvoicePublicLink:
    """The invoice's public link, created (with the organization's lifetime) on first use."""
    link = existing_link(session, invoice)
    if link is not None:
        return link
    try:
        with session.begin_nested():  # two first calls at once: one link, the other reads it
            link = InvoicePublicLink(
                organization_id=invoice.organization_id,
                livemode=invoice.livemode,
                invoice_id=invoice.id,
                token=secrets.token_urlsafe(TOKEN_BYTES),
                enabled=True,
                expires_at=utcnow() + _lifetime(organization),
            )
            session.add(link)
    except IntegrityError:
        return session.scalars(_of(invoice)).one()
    return link


def apply(
    link: InvoicePublicLink,
    organization: Organization,
    action: str,
    extend_days: int | None = None,
) -> InvoicePublicLink:
    """Revoke, activate, extend (by ``extend_days``) or reset (to the organization's
    lifetime from now) a link."""
    now = utcnow()
    if action == "revoke":
        link.enabled = False
    elif action == "activate":
        link.enabled = True
    elif action == "extend":
        if not extend_days:
            raise ValidationError(
                "Indica cuántos días extender el enlace.", "required", path="extend_days"
            )
        start = max(link.expires_at or now, now)
        link.expires_at = start + timedelta(days=extend_days)
    elif action == "reset":
        link.enabled, link.expires_at = True, now + _lifetime(organization)
    link.updated_at = now
    return link


def is_open(link: InvoicePublicLink, now: datetime | None = None) -> bool:
    """Whether the link still opens its invoice (enabled and not expired)."""
    now = now or utcnow()
    return link.enabled and (link.expires_at is None or link.expires_at > now)


def by_token(session: Session, token: str) -> tuple[InvoicePublicLink, Invoice, Organization]:
    """The link, its invoice and organization for a presented token; 404 when unknown."""
    row = session.execute(
        select(InvoicePublicLink, Invoice, Organization)
        .join(Invoice, Invoice.id == InvoicePublicLink.invoice_id)
        .join(Organization, Organization.id == InvoicePublicLink.organization_id)
        .where(InvoicePublicLink.token == token[:64], Organization.deleted_at.is_(None))
    ).first()
    if row is None:
        raise NotFound("Este enlace no existe. Revisa que esté completo.", "link_not_found")
    return row[0], row[1], row[2]


def set_default_days(organization: Organization, days: int) -> None:
    """The lifetime new and reset links get."""
    organization.public_link_days = days


def shareable_token(session: Session, invoice: Invoice, organization: Organization) -> str | None:
    """The token of the invoice's open public link, creating the link if it has none yet;
    ``None`` when the invoice has no XML yet or its link was revoked or expired."""
    if invoice.status not in SHAREABLE:
        return None
    link = link_for(session, invoice, organization)
    return link.token if is_open(link) else None
