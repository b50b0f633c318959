"""Rate limits kept in the database, so every web worker and node counts the same hits."""

from __future__ import annotations

import time

from sqlalchemy import ColumnElement, ScalarSelect, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from portal.errors import TooManyRequests
from portal.models.throttle import RateCounter


def window(seconds: int, now: float | None = None) -> int:
    """When the current window of ``seconds`` started (epoch seconds)."""
    now = time.time() if now is None else now
    return int(now // seconds) * seconds


def hit(session: Session, bucket: str, seconds: int, now: float | None = None) -> int:
    """Record one hit in the current window and return the window's total."""
    start = window(seconds, now)
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
    check_all(session, [(bucket, limit, seconds)], now)


def check_all(
    session: Session, limits: list[tuple[str, int, int]], now: float | None = None
) -> None:
    """``check`` for several (bucket, limit, seconds) at once, in one query."""
    now = time.time() if now is None else now
    counts = session.execute(
        select(*(hits(bucket, window(seconds, now)) for bucket, _, seconds in limits))
    )
    for (_bucket, limit, seconds), count in zip(limits, counts.one(), strict=True):
        refuse_over(count, limit, seconds, now)


def hits(
    bucket: str | ColumnElement[str], window_start: int | ColumnElement[int]
) -> ScalarSelect[int]:
    """The hits of ``bucket`` in the window starting at ``window_start``, as a subquery to read
    along with other rows (NULL when none)."""
    return (
        select(RateCounter.hits)
        .where(RateCounter.bucket == bucket, RateCounter.window_start == window_start)
        .scalar_subquery()
    )


def refuse_over(count: int | None, limit: int, seconds: int, now: float) -> None:
    """429 when ``count`` hits (read with ``hits``) reached ``limit`` in the window."""
    if (count or 0) >= limit:
        raise TooManyRequests(retry_after=max(window(seconds, now) + seconds - int(now), 1))


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
