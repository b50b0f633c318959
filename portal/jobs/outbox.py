"""Turn outbox rows into jobs right after the transaction that wrote them commits.

Outbox rows are ``OutboxEmail`` and ``WebhookDelivery`` rows, new or made due now (a resend).
The periodic sweeps are the safety net: a row whose job was never enqueued (the process died
between commit and enqueue), or whose job died with its worker, is picked up by the next sweep.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.models.events import WebhookDelivery
from portal.models.mail import OutboxEmail

_PENDING_KEY = "outbox_new_rows"
OUTBOX_MODELS = (OutboxEmail, WebhookDelivery)


def _collect(session: Session, _context: Any) -> None:
    rows = session.info.setdefault(_PENDING_KEY, [])
    rows.extend((type(obj), obj.id) for obj in session.new if isinstance(obj, OUTBOX_MODELS))
    rows.extend((type(obj), obj.id) for obj in session.dirty if _due_now(obj))


def _due_now(obj: Any) -> bool:
    return isinstance(obj, OUTBOX_MODELS) and obj.status == "pending" and not obj.next_attempt_at


def _jobs() -> dict[type, Any]:
    from portal.jobs.mail import deliver_email
    from portal.jobs.webhooks import deliver_webhook

    return {OutboxEmail: deliver_email, WebhookDelivery: deliver_webhook}


def _dispatch(session: Session) -> None:
    rows = session.info.pop(_PENDING_KEY, [])
    if rows:
        jobs = _jobs()
        for model, row_id in rows:
            jobs[model](row_id)


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
                model.status.in_(["pending", "sending"])
            )
        ).one()
        waiting += count
        if first is not None:
            oldest = first if oldest is None else min(oldest, first)
    age = round((utcnow() - oldest).total_seconds()) if oldest else 0
    return {"pending": waiting, "oldest_age_seconds": age}
