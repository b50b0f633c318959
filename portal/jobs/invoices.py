"""Async stamping: a pending invoice gets a job right after the commit that wrote it
(``portal.jobs.outbox`` watches invoices).

The periodic sweep re-enqueues any invoice left pending (the process died between the commit
and the enqueue); the job itself skips an invoice that is no longer pending, or that another
job holds (its lease in ``stamping_leases``, while that one waits for the PAC).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from portal.cfdi.pac import StampResult
from portal.errors import PortalError
from portal.extensions import db
from portal.jobs.queue import job, periodic_job
from portal.models.base import utcnow
from portal.models.invoices import Invoice
from portal.services import invoices
from portal.statuses import InvoiceStatus

SWEEP_AFTER = timedelta(minutes=2)
log = logging.getLogger(__name__)


def _sweep_after() -> timedelta:
    """How long an invoice waits in ``pending`` before the sweep enqueues it again."""
    seconds = current_app.config.get("PENDING_INVOICE_SWEEP_SECONDS")
    return timedelta(seconds=seconds) if seconds else SWEEP_AFTER


@job(retries=2, retry_delay=30)
def stamp_invoice(invoice_id: str) -> None:
    """Stamp one pending invoice into ``valid`` or ``failed`` (with the reason).

    Three short steps: claim it (a lease) and seal it, commit; call the PAC with no
    transaction open; record the outcome on the locked row if it is still pending."""
    invoice = db.session.get(Invoice, invoice_id, with_for_update=True)
    if invoice is not None and invoice.type == "P":
        # A payment complement reads the paid invoices' balances and installments under a
        # lock that must last until they are updated: it stamps in one transaction.
        invoices.stamp_pending(db.session, invoice)
        db.session.commit()
        return
    lease = timedelta(seconds=current_app.config["JOB_LEASE_SECONDS"])
    if invoice is None or not invoices.claim_stamp(db.session, invoice, lease):
        db.session.commit()
        return
    try:
        call = invoices.stamp_call(db.session, invoice)
    except PortalError as error:
        invoices.fail_stamp(db.session, invoice, error)
        db.session.commit()
        return
    db.session.commit()
    try:
        result: StampResult | PortalError = call.send()
    except PortalError as error:
        result = error
    except Exception:  # unexpected: free the lease so that the job's retry may stamp it
        _release(invoice_id)
        raise
    _record(invoice_id, call, result)


def _record(invoice_id: str, call: invoices.StampCall, result: StampResult | PortalError) -> None:
    invoice = db.session.get(Invoice, invoice_id, with_for_update=True)
    if invoice is not None and invoice.status == InvoiceStatus.PENDING:
        if isinstance(result, PortalError) and _retry_later(call, result):
            invoices.release_stamp(db.session, invoice_id)  # still pending: the sweep retries
        elif isinstance(result, PortalError):
            invoices.fail_stamp(db.session, invoice, result)
        else:
            invoices.finish_stamp(db.session, invoice, call, result)
    elif not isinstance(result, PortalError):  # our lease ran out and another job finished it
        log.warning("invoice %s: stamp %s not recorded (settled)", invoice_id, result.uuid)
    db.session.commit()


def _retry_later(call: invoices.StampCall, error: PortalError) -> bool:
    """A remote PAC that did not answer (timeout, unreachable) may still stamp it later, as in
    ``pac_calls.stamp``; a refusal (or the in-process test PAC) marks it ``failed``."""
    return getattr(call.pac, "remote", False) and invoices.is_transient(error)


def _release(invoice_id: str) -> None:
    db.session.rollback()
    invoices.release_stamp(db.session, invoice_id)
    db.session.commit()


@periodic_job(minute="*")
def sweep_pending_invoices() -> None:
    """Enqueue invoices that have waited too long in ``pending``."""
    due = db.session.scalars(
        select(Invoice.id)
        .where(
            Invoice.status == InvoiceStatus.PENDING, Invoice.created_at <= utcnow() - _sweep_after()
        )
        .limit(500)
    ).all()
    db.session.rollback()
    for invoice_id in due:
        stamp_invoice(invoice_id)
