"""Stamping: an invoice built, sealed and sent to the PAC, now or by the worker, and its
stamp recorded."""

from __future__ import annotations

import dataclasses
from datetime import UTC, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete
from sqlalchemy.orm import Session

from portal.cfdi import documents, stamped_xml, zones
from portal.cfdi.errors import PAC_UNAVAILABLE
from portal.cfdi.pac import PAC, StampResult, mexico_now
from portal.cfdi.reading import in_amount_range
from portal.cfdi.sat_matrix import enforce
from portal.cfdi.types import InvoiceInput
from portal.errors import PortalError, ValidationError
from portal.models.base import utcnow
from portal.models.files import StampingLease
from portal.models.invoices import Invoice
from portal.models.organizations import Organization
from portal.services import related_documents, stamping
from portal.services.invoices.body import _index_text, parse
from portal.services.invoices.folios import assign_folio
from portal.services.invoices.objects import status_event
from portal.services.invoices.payments import _record_payments, _with_balances
from portal.statuses import InvoiceStatus

MEXICO = ZoneInfo("America/Mexico_City")  # how SAT and the PAC write their times


def _stamp_now(
    session: Session,
    organization: Organization,
    invoice: Invoice,
    prepared: tuple[dict[str, Any], InvoiceInput],
    lease: timedelta | None,
) -> StampCall | None:
    """Take the folio and stamp, the one flow of a new invoice and of a draft. An in-process
    PAC (test mode), or no ``lease``: stamped here, in the caller's transaction. A remote PAC
    with a ``lease``: sealed and checked against SAT's matrix here, then left ``pending`` under
    a stamping lease (no job or sweep stamps it meanwhile) and the call is returned; the caller
    commits, sends it with no transaction open, and records the answer."""
    # The test PAC's certificate row is stored on first use: outside the savepoint below.
    pac = stamping.pac_for(session, organization, invoice.livemode)
    with session.begin_nested():  # refused by SAT's matrix: the folio taken here is given back
        assign_folio(session, organization, invoice)
        call = stamp_call(session, invoice, prepared)
        # A payment complement checks the paid invoices' balances under a lock that must last
        # until they are updated: it stamps in one transaction (as in the worker).
        if lease is None or not getattr(pac, "remote", False) or invoice.type == "P":
            record_stamp(session, invoice, call, call.send())
            return None
        enforce(call.document.element, mexico_now())  # refused now: no row kept, as in-process
        invoice.status = InvoiceStatus.PENDING
        invoice.total = call.document.total
        session.add(invoice)
        session.flush()
        claim_stamp(session, invoice, lease)
        return call


# Stamping ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class StampCall:
    """A sealed document for the PAC and what recording its stamp needs."""

    pac: PAC
    document: documents.BuiltDocument
    data: dict[str, Any]
    parsed: InvoiceInput

    def send(self) -> StampResult:
        """Stamp it (network I/O for a real PAC: the worker calls it with no transaction open)."""
        return self.pac.stamp(self.document)


def stamp_call(
    session: Session,
    invoice: Invoice,
    prepared: tuple[dict[str, Any], InvoiceInput] | None = None,
) -> StampCall:
    """Build and seal the invoice for the PAC; raises (nothing changes) when refused.
    ``prepared``: its body with the balances and the engine's input, when the caller has just
    read them (a new invoice); otherwise they are read from the stored body."""
    organization = session.get(Organization, invoice.organization_id)
    assert organization is not None
    issuer = stamping.issuer_of(organization)
    pac = stamping.pac_for(session, organization, invoice.livemode)
    if prepared is None:
        data = _with_balances(session, invoice, dict(invoice.data))
        prepared = data, parse(data, issuer.zip, issuer.tax_system)
    data, parsed = prepared
    parsed.series, parsed.folio_number = invoice.series, invoice.folio_number
    csd = stamping.csd_of(organization.certificate)  # type: ignore[arg-type]
    try:
        document = documents.build_invoice(csd, issuer, parsed)
    except ArithmeticError:  # the engine's Decimal context refuses absurd amounts (1e999)
        raise ValidationError("Un importe está fuera de rango.", "invalid_amount") from None
    if not in_amount_range(document.total):  # each amount fits, their total would not
        raise ValidationError("El total de la factura está fuera de rango.", "invalid_amount")
    return StampCall(pac, document, data, parsed)


def record_stamp(session: Session, invoice: Invoice, call: StampCall, result: StampResult) -> None:
    """Store the stamped XML and what is derived from it; the invoice becomes ``valid``."""
    organization = session.get(Organization, invoice.organization_id)
    assert organization is not None
    document = call.document
    invoice.xml, invoice.uuid, invoice.status = result.xml, result.uuid, InvoiceStatus.VALID
    invoice.stamp = {
        "date": result.stamp_date.replace(tzinfo=MEXICO).astimezone(UTC).isoformat(),
        "sat_signature": result.sello_sat,
        "sat_cert_number": result.sat_cert_number,
        "signature": result.sello_cfd,
    }
    invoice.verification_url = stamped_xml.verification_url(
        result.xml, result.uuid, result.sello_cfd
    )
    place = document.element.get("LugarExpedicion") or organization.address["zip"]
    invoice.date = document.issued_at.replace(tzinfo=zones.zone_of(place))
    invoice.total = document.total
    if document.totals is not None:
        invoice.subtotal = document.totals.subtotal
    invoice.data = call.data
    invoice.failure_reason = None
    _index_text(invoice)
    _record_payments(session, invoice, call.parsed)
    session.flush()
    related_documents.index(session, invoice)


def stamp(
    session: Session,
    invoice: Invoice,
    prepared: tuple[dict[str, Any], InvoiceInput] | None = None,
) -> None:
    """Build, seal and stamp the invoice now, in the caller's transaction; raises (nothing
    changes) when refused. The worker instead calls the PAC between two transactions."""
    call = stamp_call(session, invoice, prepared)
    record_stamp(session, invoice, call, call.send())


def stamp_draft(session: Session, invoice: Invoice) -> None:
    """Stamp a draft (``POST /invoices/{id}/stamp``): its folio is taken now."""
    stamp_draft_call(session, invoice)


def stamp_draft_call(
    session: Session, invoice: Invoice, lease: timedelta | None = None, run_async: bool = False
) -> StampCall | None:
    """``stamp_draft``; with ``lease``, a remote PAC's call is returned as in ``create_call``;
    ``run_async``: checked, given its folio and left ``pending`` for the worker (no call)."""
    if invoice.status != InvoiceStatus.DRAFT:
        raise ValidationError("Sólo se puede timbrar una factura en borrador.", "not_a_draft")
    organization = session.get(Organization, invoice.organization_id)
    assert organization is not None
    issuer = stamping.issuer_of(organization)
    stamping.pac_for(session, organization, invoice.livemode)  # outside the savepoint below
    data = _with_balances(session, invoice, dict(invoice.data))
    prepared = data, parse(data, issuer.zip, issuer.tax_system)  # refused before the folio
    if run_async:
        assign_folio(session, organization, invoice)
        invoice.status = InvoiceStatus.PENDING  # the worker stamps it (portal.jobs.invoices)
        session.flush()
        return None
    return _stamp_now(session, organization, invoice, prepared, lease)


def claim_stamp(session: Session, invoice: Invoice, lease: timedelta) -> bool:
    """Take a pending invoice (locked by the caller) for one stamping attempt; commit before
    calling the PAC. The lease keeps a second job (the sweep, a retry) from stamping it again
    meanwhile; it ends by itself if the worker dies."""
    now = utcnow()
    if invoice.status != InvoiceStatus.PENDING:
        return False  # already stamped or failed: a job that runs twice does nothing
    held = session.get(StampingLease, invoice.id)
    if held is not None and held.until > now:
        return False  # another worker is stamping it
    if held is None:
        session.add(StampingLease(invoice_id=invoice.id, until=now + lease))
    else:
        held.until = now + lease
    session.flush()
    return True


def release_stamp(session: Session, invoice_id: str) -> None:
    """End the lease (stamped, failed, or an unexpected error that a retry may fix)."""
    session.execute(delete(StampingLease).where(StampingLease.invoice_id == invoice_id))


def is_transient(error: PortalError) -> bool:
    """The PAC did not answer (timeout, unreachable): the invoice may still be stamped later."""
    return error.code == PAC_UNAVAILABLE


def fail_stamp(session: Session, invoice: Invoice, error: PortalError) -> None:
    """The worker's outcome when the invoice is refused: ``failed`` with the reason."""
    invoice.status, invoice.failure_reason = InvoiceStatus.FAILED, error.message
    release_stamp(session, invoice.id)
    session.flush()
    status_event(session, invoice)


def finish_stamp(session: Session, invoice: Invoice, call: StampCall, result: StampResult) -> None:
    """The worker's outcome when the PAC stamped it: ``valid``, and the event."""
    record_stamp(session, invoice, call, result)
    release_stamp(session, invoice.id)
    status_event(session, invoice)


def stamp_pending(session: Session, invoice: Invoice) -> None:
    """Stamp a pending invoice in the caller's transaction, or mark it failed with the reason
    (the worker uses ``claim_stamp``/``stamp_call``/``finish_stamp`` instead)."""
    if invoice.status != InvoiceStatus.PENDING:
        return
    try:
        with session.begin_nested():
            stamp(session, invoice)
    except PortalError as error:
        invoice.status, invoice.failure_reason = InvoiceStatus.FAILED, error.message
        session.flush()
    status_event(session, invoice)
