"""Cancellation with SAT, and the PAC's status of a stamped invoice."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from portal.cfdi import documents, stamped_xml
from portal.cfdi.pac import PAC, CancelResult, CancelTarget, StatusResult, stamp_result
from portal.errors import ValidationError
from portal.models.base import utcnow
from portal.models.invoices import Invoice
from portal.models.tenancy import Tenant
from portal.schemas import parse
from portal.schemas.invoices import CancelQuery
from portal.services import cancellation_rules, related_documents, stamping
from portal.services.invoices.objects import _event, status_event
from portal.services.invoices.stamps import MEXICO
from portal.statuses import CancellationStatus, InvoiceStatus

# Cancellation -----------------------------------------------------------------------------


def _mexico(moment: datetime) -> datetime:
    return moment.astimezone(MEXICO).replace(tzinfo=None)


def cancel_target(invoice: Invoice) -> CancelTarget:
    """What the PAC needs to know about a stamped invoice, derived from its XML."""
    stamped = stamp_result(invoice.xml or b"")
    issuer_rfc, receiver_rfc = stamped_xml.parties(invoice.xml or b"")
    return CancelTarget(
        uuid=stamped.uuid,
        issuer_rfc=issuer_rfc,
        receiver_rfc=receiver_rfc,
        total=invoice.total,
        stamped_at=stamped.stamp_date,
        kind=invoice.type,
        xml=invoice.xml,
        exchange=invoice.exchange if invoice.currency != "MXN" else Decimal(1),
    )


@dataclasses.dataclass(frozen=True)
class CancelCall:
    """A signed cancellation request for the PAC, ready to send after the transaction ends."""

    pac: PAC
    target: CancelTarget
    request: documents.CancellationRequest
    motive: str

    def send(self) -> CancelResult:
        """Send it (network I/O for a real PAC: call it with no transaction open)."""
        return self.pac.cancel(self.target, self.request)


def cancel_call(
    session: Session, tenant: Tenant, invoice: Invoice, motive: str | None, substitution: str | None
) -> CancelCall | None:
    """Check the cancellation against SAT's rules (``cancellation_rules``) and sign its request;
    a draft is simply deleted (None)."""
    if invoice.status == InvoiceStatus.DRAFT:
        session.delete(invoice)
        session.flush()
        return None
    if invoice.status == InvoiceStatus.CANCELED:
        raise ValidationError("La factura ya está cancelada.", "already_canceled")
    if invoice.status != InvoiceStatus.VALID:
        raise ValidationError("Sólo se puede cancelar una factura timbrada.", "not_stamped")
    if invoice.cancellation_status == CancellationStatus.PENDING:
        raise ValidationError("La cancelación ya está en espera de aceptación.", "cancel_pending")
    asked = parse(CancelQuery, {"motive": motive, "substitution": substitution})
    motive = asked.motive
    substitution_uuid = cancellation_rules.check(
        session, tenant, invoice, motive, asked.substitution
    )
    organization = tenant.organization
    csd = stamping.csd_of(organization.certificate)  # type: ignore[arg-type]
    request = documents.build_cancellation(csd, invoice.uuid or "", motive, substitution_uuid)
    pac = stamping.pac_for(session, organization, invoice.livemode)
    return CancelCall(pac, cancel_target(invoice), request, motive)


def record_cancellation(
    session: Session, invoice: Invoice, call: CancelCall, result: CancelResult
) -> Invoice:
    """Record the PAC's answer: ``canceled``, or ``pending`` the receiver's acceptance."""
    invoice.cancellation_motive, invoice.cancellation_substitution = (
        call.motive,
        call.request.substitution_uuid,
    )
    invoice.cancellation_requested_at = result.requested_at.replace(tzinfo=MEXICO)
    invoice.cancellation_xml = result.acuse
    _settle(
        session,
        invoice,
        InvoiceStatus.CANCELED
        if result.status == CancellationStatus.ACCEPTED
        else InvoiceStatus.VALID,
        result.status,
    )
    return invoice


def cancel(
    session: Session, tenant: Tenant, invoice: Invoice, motive: str | None, substitution: str | None
) -> Invoice:
    """Cancel with SAT (``canceled``, or ``pending`` acceptance) once SAT's rules allow it
    (``cancellation_rules``); a draft is simply deleted. Calls the PAC in the caller's
    transaction: requests use ``portal.pac_calls.cancel``."""
    call = cancel_call(session, tenant, invoice, motive, substitution)
    return invoice if call is None else record_cancellation(session, invoice, call, call.send())


def _settle(session: Session, invoice: Invoice, status: str, cancellation_status: str) -> None:
    status_changed = status != invoice.status
    cancellation_changed = cancellation_status != invoice.cancellation_status
    invoice.status, invoice.cancellation_status = status, cancellation_status
    if status == InvoiceStatus.CANCELED and invoice.canceled_at is None:
        invoice.canceled_at = utcnow()
    session.flush()
    if status_changed and status == InvoiceStatus.CANCELED:
        _release(session, invoice)
    if status_changed:
        status_event(session, invoice)
    if cancellation_changed:
        _event(session, invoice, "invoice.cancellation_status_updated")


def _release(session: Session, invoice: Invoice) -> None:
    """What a cancelled CFDI held goes back: a payment's amounts to the balances it paid, a
    global invoice's receipts to ``open``."""
    from portal.services import receipts  # receipts builds on this module

    if invoice.type == "P":
        related_documents.release_payment(session, invoice)
    receipts.release_from(session, invoice)


@dataclasses.dataclass(frozen=True)
class StatusQuery:
    """A status question for the PAC, read from the database so it can be asked after commit."""

    pac: PAC
    target: CancelTarget
    requested_at: datetime | None

    def ask(self) -> StatusResult:
        """Ask the PAC (network I/O for a real PAC: call it with no transaction open)."""
        return self.pac.status(self.target, cancellation_requested_at=self.requested_at)


def status_query(session: Session, tenant: Tenant, invoice: Invoice) -> StatusQuery | None:
    """What to ask the PAC about a stamped invoice (None for an unstamped one)."""
    if invoice.uuid is None or invoice.xml is None:
        return None
    requested = invoice.cancellation_requested_at
    return StatusQuery(
        stamping.pac_for(session, tenant.organization, invoice.livemode),
        cancel_target(invoice),
        _mexico(requested) if requested else None,
    )


def apply_status(session: Session, invoice: Invoice, answer: StatusResult) -> Invoice:
    """Record the PAC's answer about the invoice and its cancellation."""
    _settle(session, invoice, answer.status, answer.cancellation_status)
    return invoice


def refresh_status(session: Session, tenant: Tenant, invoice: Invoice) -> Invoice:
    """Ask the PAC about a stamped invoice and its cancellation (``PUT /invoices/{id}/status``)."""
    query = status_query(session, tenant, invoice)
    return invoice if query is None else apply_status(session, invoice, query.ask())
