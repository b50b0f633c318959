"""Rate limits kept in the database, so every web worker and node counts the same hits."""

from __future__ import annotations

import time

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from portal.errors import TooManyRequests
from portal.models.throttle import RateCounter


def _window(seconds: int, now: float | None) -> int:
    now = time.time() if now is None else now
    return int(now // seconds) * seconds


def count(session: Session, bucket: str, seconds: int, now: float | None = None) -> int:
    """Hits of ``bucket`` in the current window."""
    start = _window(seconds, now)
    hits = session.scalar(
        select(RateCounter.hits).where(
            RateCounter.bucket == bucket, RateCounter.window_start == start
        )
    )
    return hits or 0


def hit(session: Session, bucket: str, seconds: int, now: float | None = None) -> int:
    """Record one hit in the current window and return the window's total."""
    start = _window(seconds, now)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(RateCounter).values(bucket=bucket, window_start=start, hits=1)
    statement = statement.on_conflict_do_update(
        index_elements=["bucket", "window_start"], set_={"hits": RateCounter.hits + 1}
    ).returning(RateCounter.hits)
    return session.execute(statement).scalar_one()


def check(
    session: Session, bucket: str, limit: int, seconds: int, now: float | None = None
) -> None:
    """Refuse with 429 once ``bucket`` has reached ``limit`` hits in its window."""
    if count(session, bucket, seconds, now) >= limit:
        retry = _window(seconds, now) + seconds - int(time.time() if now is None else now)
        raise TooManyRequests(retry_after=max(retry, 1))


def limit(
    session: Session, bucket: str, limit: int, seconds: int, now: float | None = None
) -> None:
    """Count a hit and refuse it if it goes over ``limit`` in the window."""
    check(session, bucket, limit, seconds, now)
    hit(session, bucket, seconds, now)


def reset(session: Session, bucket: str) -> None:
    """Forget a bucket's hits (e.g. after a successful login)."""
    session.execute(delete(RateCounter).where(RateCounter.bucket == bucket))


def purge(session: Session, older_than: int = 86400) -> None:
    """Drop windows that ended long ago."""
    session.execute(delete(RateCounter).where(RateCounter.window_start < time.time() - older_than))
