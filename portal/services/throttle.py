"""Rate limits kept in the database, so every web worker and node counts the same hits."""

from __future__ import annotations

import hashlib
import ipaddress
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


def client(ip: str) -> str:
    """The part of a client address that counts as one client: an IPv4 address, or the /64
    network of an IPv6 address (one subscriber gets a whole /64 to pick from)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


BUCKET_MAX = 200  # rate_counters.bucket's length


def bucket_key(bucket: str) -> str:
    """The bucket as stored: a long one (an email of 254 characters plus an address) keeps its
    start and gets a digest of the whole, so that it fits the column and stays distinct."""
    if len(bucket) <= BUCKET_MAX:
        return bucket
    return f"{bucket[:150]}#{hashlib.sha256(bucket.encode()).hexdigest()[:40]}"


def hit(
    session: Session, bucket: str, seconds: int, now: float | None = None, amount: int = 1
) -> int:
    """Record ``amount`` hits in the current window and return the window's total."""
    bucket = bucket_key(bucket)
    start = window(seconds, now)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(RateCounter).values(bucket=bucket, window_start=start, hits=amount)
    statement = statement.on_conflict_do_update(
        index_elements=["bucket", "window_start"], set_={"hits": RateCounter.hits + amount}
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
    refused: list[TooManyRequests] = []
    for (_bucket, limit, seconds), count in zip(limits, counts.one(), strict=True):
        try:
            refuse_over(count, limit, seconds, now)
        except TooManyRequests as error:
            refused.append(error)
    if refused:  # the longest wait of the limits reached
        raise max(refused, key=lambda error: error.retry_after)


def hits(
    bucket: str | ColumnElement[str], window_start: int | ColumnElement[int]
) -> ScalarSelect[int]:
    """The hits of ``bucket`` in the window starting at ``window_start``, as a subquery to read
    along with other rows (NULL when none)."""
    if isinstance(bucket, str):
        bucket = bucket_key(bucket)
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


def take(
    session: Session, limits: list[tuple[str, int, int]], amount: int, now: float | None = None
) -> None:
    """Count ``amount`` hits on every (bucket, limit, seconds), or refuse them all with 429
    when any bucket would go over its limit (nothing is counted then)."""
    now = time.time() if now is None else now
    counts = session.execute(
        select(*(hits(bucket, window(seconds, now)) for bucket, _, seconds in limits))
    ).one()
    for (_bucket, limit, seconds), count in zip(limits, counts, strict=True):
        refuse_over((count or 0) + amount - 1, limit, seconds, now)
    for bucket, _, seconds in limits:
        hit(session, bucket, seconds, now, amount)


def reset(session: Session, bucket: str) -> None:
    """Forget a bucket's hits (e.g. after a successful login)."""
    session.execute(delete(RateCounter).where(RateCounter.bucket == bucket_key(bucket)))


# The longest window any limit uses (a day): rows older than that no longer count.
LONGEST_WINDOW = 86400


def purge(session: Session, older_than: int = LONGEST_WINDOW, now: float | None = None) -> int:
    """Drop the windows that started over ``older_than`` seconds ago (so have ended); how
    many rows went."""
    now = time.time() if now is None else now
    cutoff = now - older_than
    result = session.execute(delete(RateCounter).where(RateCounter.window_start < cutoff))
    return result.rowcount or 0
