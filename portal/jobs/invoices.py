"""Async stamping: a pending invoice gets a job right after the commit that wrote it.

The periodic sweep re-enqueues any invoice left pending (the process died between the commit
and the enqueue); the job itself skips an invoice that is no longer pending.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.jobs.queue import job, periodic_job
from portal.models.base import utcnow
from portal.models.invoices import Invoice
from portal.services import invoices

_PENDING_KEY = "invoices_to_stamp"
SWEEP_AFTER = timedelta(minutes=2)


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
        .where(Invoice.status == "pending", Invoice.created_at <= utcnow() - SWEEP_AFTER)
        .limit(500)
    ).all()
    db.session.rollback()
    for invoice_id in due:
        stamp_invoice(invoice_id)


def _collect(session: Session, _context: Any) -> None:
    # A synchronous invoice is inserted pending and stamped before the commit: drop it again.
    ids: set[str] = session.info.setdefault(_PENDING_KEY, set())
    for obj in (*session.new, *session.dirty):
        if isinstance(obj, Invoice):
            (ids.add if obj.status == "pending" else ids.discard)(obj.id)


def _dispatch(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint was released; the real commit comes later
    for invoice_id in sorted(session.info.pop(_PENDING_KEY, set())):
        stamp_invoice(invoice_id)


def _forget(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


def install(session_class: Any) -> None:
    """Listen on the application's session class."""
    if event.contains(session_class, "after_flush", _collect):
        return
    event.listen(session_class, "after_flush", _collect)
    event.listen(session_class, "after_commit", _dispatch)
    event.listen(session_class, "after_rollback", _forget)
