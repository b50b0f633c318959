"""The compact log of /v2 requests (method, path, status, organization, key, time and
``request_id``), so support finds a request by the id a client quotes; kept ``REQUEST_LOG_DAYS``.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, Response, g, request
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from portal.database import writing
from portal.extensions import db
from portal.models.base import new_id, utcnow
from portal.models.public_links import RequestLogEntry


def find(session: Session, request_id: str) -> list[RequestLogEntry]:
    """The logged requests with this id (a client may reuse one), newest first."""
    statement = (
        select(RequestLogEntry)
        .where(RequestLogEntry.request_id == request_id.strip()[:64])
        .order_by(RequestLogEntry.created_at.desc())
        .limit(20)
    )
    return list(session.scalars(statement))


def purge(session: Session, days: int) -> int:
    """Drop the entries older than ``days``; how many went."""
    cutoff = utcnow() - timedelta(days=days)
    result = session.execute(delete(RequestLogEntry).where(RequestLogEntry.created_at < cutoff))
    return result.rowcount or 0


def _record(response: Response) -> Response:
    if not request.path.startswith("/v2/"):
        return response
    actor = g.get("actor")
    owner = getattr(actor, "key_owner", None)
    entry = {
        "request_id": g.get("request_id", "").replace("\x00", "")[:64],
        "method": request.method[:8],
        "path": request.path.replace("\x00", "\ufffd")[:300],  # as sent, but storable
        "status": response.status_code,
        "organization_id": owner.organization.id if owner else None,
        "key_id": owner.key.id if owner else None,
    }
    session = db.session()
    if session.in_transaction():
        # What the view did not commit is dropped now rather than when the request ends (as it
        # would be then), so that the log's own short write neither waits on a write lock nor
        # leaves an older SQLite snapshot behind for the next write.
        session.rollback()
    with writing(), db.engine.begin() as connection:
        connection.execute(RequestLogEntry.__table__.insert().values(id=new_id(), **entry))
    return response


def _fresh_transaction() -> None:
    # A request starts outside any transaction (as in production, where each request has its
    # own session); an app context kept across requests (tests, shells) could otherwise carry
    # an old SQLite read snapshot into a write and fail once another connection has written.
    session = db.session()
    if session.in_transaction():
        session.commit()


def init_app(app: Flask) -> None:
    """Log every /v2 answer."""
    app.before_request(_fresh_transaction)
    app.after_request(_record)
