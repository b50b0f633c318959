"""Async stamping: a pending invoice gets a job right after the commit that wrote it
(``portal.jobs.outbox`` watches invoices).

The periodic sweep re-enqueues any invoice left pending (the process died between the commit
and the enqueue); the job itself skips an invoice that is no longer pending.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from portal.extensions import db
from portal.jobs.queue import job, periodic_job
from portal.models.base import utcnow
from portal.models.invoices import Invoice
from portal.services import invoices

SWEEP_AFTER = timedelta(minutes=2)


def _sweep_after() -> timedelta:
    """How long an invoice waits in ``pending`` before the sweep enqueues it again."""
    seconds = current_app.config.get("PENDING_INVOICE_SWEEP_SECONDS")
    return timedelta(seconds=seconds) if seconds else SWEEP_AFTER


@job(retries=2, retry_delay=30)
def stamp_invoice(invoice_id: str) -> None:
    """Stamp one pending invoice into ``valid`` or ``failed`` (with the reason)."""
    invoice = db.session.get(Invoice, invoice_id, with_for_update=True)
    if invoice is not None:
        invoices.stamp_pending(db.session, invoice)
    db.session.commit()


@periodic_job(minute="*")
def sweep_pending_invoices() -> None:
    """Enqueue invoices that have waited too long in ``pending``."""
    due = db.session.scalars(
        select(Invoice.id)
        .where(Invoice.status == "pending", Invoice.created_at <= utcnow() - _sweep_after())
        .limit(500)
    ).all()
    db.session.rollback()
    for invoice_id in due:
        stamp_invoice(invoice_id)
