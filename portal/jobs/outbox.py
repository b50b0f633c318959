"""Turn outbox rows into jobs right after the transaction that wrote them commits.

Watched rows are ``OutboxEmail`` and ``WebhookDelivery`` rows, new or made due now (a resend),
invoices left ``pending`` (async stamping), new ``queued`` global invoice runs, and imports and
exports asked for (``DataTransfer``).
The periodic sweeps are the safety net: a row whose job was never enqueued (the process died
between commit and enqueue), or whose job died with its worker, is picked up by the next sweep.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.models.events import WebhookDelivery
from portal.models.invoices import Invoice
from portal.models.mail import OutboxEmail
from portal.models.receipts import GlobalInvoiceRun
from portal.models.transfers import DataTransfer
from portal.statuses import DeliveryStatus, InvoiceStatus, JobStatus

log = logging.getLogger(__name__)
_PENDING_KEY = "outbox_new_rows"
OUTBOX_MODELS = (OutboxEmail, WebhookDelivery)


def _due_now(row: Any) -> bool:
    return row.status == DeliveryStatus.PENDING and not row.next_attempt_at


def _watched() -> dict[type, tuple[Callable[[Any], bool], Any]]:
    """Each watched model: when a row needs a job, and which job."""
    from portal.jobs.invoices import stamp_invoice
    from portal.jobs.mail import deliver_email
    from portal.jobs.receipts import issue_global_invoices
    from portal.jobs.transfers import run_transfer
    from portal.jobs.webhooks import deliver_webhook

    return {
        OutboxEmail: (_due_now, deliver_email),
        WebhookDelivery: (_due_now, deliver_webhook),
        # A synchronous invoice is inserted pending and stamped before the commit: no job then.
        Invoice: (lambda invoice: invoice.status == InvoiceStatus.PENDING, stamp_invoice),
        GlobalInvoiceRun: (lambda run: run.status == JobStatus.QUEUED, issue_global_invoices),
        DataTransfer: (lambda transfer: transfer.status == JobStatus.QUEUED, run_transfer),
    }


def _collect(session: Session, _context: Any) -> None:
    rows: set[tuple[type, str]] = session.info.setdefault(_PENDING_KEY, set())
    watched = _watched()
    for obj in (*session.new, *session.dirty):
        rule = watched.get(type(obj))
        if rule is not None:
            (rows.add if rule[0](obj) else rows.discard)((type(obj), obj.id))


def _dispatch(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint was released; the real commit comes later
    rows = session.info.pop(_PENDING_KEY, set())
    if rows:
        watched = _watched()
        for model, row_id in sorted(rows, key=lambda row: (row[0].__name__, row[1])):
            try:  # the data is committed: nothing here may fail the request
                watched[model][1](row_id)
            except Exception:  # neither queue nor database took it: the sweep will
                log.exception("job for %s %s left to the sweep", model.__name__, row_id)


def _forget(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


def install(session_class: Any) -> None:
    """Listen on the application's session class."""
    if event.contains(session_class, "after_flush", _collect):
        return
    event.listen(session_class, "after_flush", _collect)
    event.listen(session_class, "after_commit", _dispatch)
    event.listen(session_class, "after_rollback", _forget)


def health() -> dict[str, Any]:
    """How many outbox rows wait and the age in seconds of the oldest (for /healthz)."""
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.models.base import utcnow

    waiting, oldest = 0, None
    for model in OUTBOX_MODELS:
        count, first = db.session.execute(
            select(func.count(), func.min(model.created_at)).where(
                model.status.in_([DeliveryStatus.PENDING, DeliveryStatus.SENDING])
            )
        ).one()
        waiting += count
        if first is not None:
            oldest = first if oldest is None else min(oldest, first)
    age = round((utcnow() - oldest).total_seconds()) if oldest else 0
    return {"pending": waiting, "oldest_age_seconds": age}
