"""Turn outbox rows into jobs right after the transaction that wrote them commits.

The periodic sweeps are the safety net: a row whose job was never enqueued (the process died
between commit and enqueue) is picked up by the next sweep.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.models.mail import OutboxEmail

_PENDING_KEY = "outbox_new_emails"


def _collect(session: Session, _context: Any) -> None:
    ids = session.info.setdefault(_PENDING_KEY, [])
    ids.extend(obj.id for obj in session.new if isinstance(obj, OutboxEmail))


def _dispatch(session: Session) -> None:
    ids = session.info.pop(_PENDING_KEY, [])
    if ids:
        from portal.jobs.mail import deliver_email

        for email_id in ids:
            deliver_email(email_id)


def _forget(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


def install(session_class: Any) -> None:
    """Listen on the application's session class."""
    if event.contains(session_class, "after_flush", _collect):
        return
    event.listen(session_class, "after_flush", _collect)
    event.listen(session_class, "after_commit", _dispatch)
    event.listen(session_class, "after_rollback", _forget)
