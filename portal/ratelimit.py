"""Per-key rate limits on /v2 with the ``limits`` library, shared by every web process.

The counters live in Redis when ``REDIS_URL`` is set and otherwise in the database
(``DatabaseStorage``, a ``limits`` storage over the ``api_rate_windows`` table), so that every
gunicorn worker and node counts the same hits. A call is counted before its key is looked up
(by a digest of the key, or the client address without one), in its own short transaction, so
that the request's own transaction never waits on the counter.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass

from flask import Flask, Response, current_app, g, request
from limits import RateLimitItem, parse_many
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import Engine, case, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from portal.database import writing
from portal.errors import TooManyRequests
from portal.models.public_links import ApiRateWindow

log = logging.getLogger(__name__)


class DatabaseStorage(Storage):
    """Fixed-window counters in the ``api_rate_windows`` table (SQLite or PostgreSQL)."""

    STORAGE_SCHEME = ["portal+db"]

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine
        self._insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add ``amount`` hits to ``key``; a window that has ended starts again."""
        now = time.time()
        table = ApiRateWindow.__table__
        statement = self._insert(table).values(key=key, hits=amount, expiry=now + expiry)
        ended = table.c.expiry <= now
        statement = statement.on_conflict_do_update(
            index_elements=["key"],
            set_={
                "hits": case((ended, amount), else_=table.c.hits + amount),
                "expiry": case((ended, now + expiry), else_=table.c.expiry),
            },
        ).returning(table.c.hits)
        with writing(), self.engine.begin() as connection:
            return int(connection.execute(statement).scalar_one())

    def incr_many(self, windows: list[tuple[str, int]]) -> dict[str, tuple[int, float]]:
        """``incr`` of several keys (each with its window's length) in one statement and one
        transaction: each key's hits and the end of its window."""
        now = time.time()
        table = ApiRateWindow.__table__
        rows = [{"key": key, "hits": 1, "expiry": now + expiry} for key, expiry in windows]
        statement = self._insert(table).values(rows)
        ended = table.c.expiry <= now
        statement = statement.on_conflict_do_update(
            index_elements=["key"],
            set_={
                "hits": case((ended, statement.excluded.hits), else_=table.c.hits + 1),
                "expiry": case((ended, statement.excluded.expiry), else_=table.c.expiry),
            },
        ).returning(table.c.key, table.c.hits, table.c.expiry)
        with writing(), self.engine.begin() as connection:
            return {key: (hits, expiry) for key, hits, expiry in connection.execute(statement)}

    def _row(self, key: str) -> tuple[int, float] | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(ApiRateWindow.hits, ApiRateWindow.expiry).where(ApiRateWindow.key == key)
            ).first()
            connection.rollback()
        return None if row is None else (row[0], row[1])

    def get(self, key: str) -> int:
        """The hits of ``key`` in its current window (0 once the window ended)."""
        row = self._row(key)
        return row[0] if row and row[1] > time.time() else 0

    def get_expiry(self, key: str) -> float:
        """When the current window of ``key`` ends (epoch seconds)."""
        row = self._row(key)
        return row[1] if row and row[1] > time.time() else time.time()

    def check(self) -> bool:
        """Whether the database answers."""
        try:
            with self.engine.connect() as connection:
                connection.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        """Forget every counter."""
        with writing(), self.engine.begin() as connection:
            return connection.execute(delete(ApiRateWindow)).rowcount

    def clear(self, key: str) -> None:
        """Forget one counter."""
        with writing(), self.engine.begin() as connection:
            connection.execute(delete(ApiRateWindow).where(ApiRateWindow.key == key))

    def purge(self) -> int:
        """Drop the windows that have ended; how many went."""
        with writing(), self.engine.begin() as connection:
            ended = ApiRateWindow.expiry <= time.time()
            return connection.execute(delete(ApiRateWindow).where(ended)).rowcount or 0


@dataclass
class ApiRateLimiter:
    """The configured limits and the limiter that counts against them."""

    items: list[RateLimitItem]
    limiter: FixedWindowRateLimiter
    fallback: Storage | None = None  # the database, while Redis does not answer

    def hit(self, identity: str) -> dict[str, str]:
        """Count one call of ``identity``; its RateLimit-* headers, or 429 over a limit.

        When Redis is down the counters move to the database for that call, so an outage of
        the queue's Redis neither stops the API nor lifts the limits.
        """
        storage = self.limiter.storage
        if self.fallback is None:
            return self._count(storage, identity)
        try:
            return self._count(storage, identity)
        except storage.base_exceptions:
            log.warning("rate-limit counters fall back to the database: Redis does not answer")
            return self._count(self.fallback, identity)

    def _count(self, storage: Storage, identity: str) -> dict[str, str]:
        """The headers describe the limit with the fewest calls left (the one refused, if any).

        What ``FixedWindowRateLimiter.hit`` plus ``get_window_stats`` would do, with fewer
        trips: on the database, one statement counts every limit and returns each window's end;
        on Redis, one update per limit and one read of the reported window's end.
        """
        windows = {item.key_for("v2", identity): item for item in self.items}
        lengths = [(key, item.get_expiry()) for key, item in windows.items()]
        if isinstance(storage, DatabaseStorage):  # one trip to the database for every limit
            counted = storage.incr_many(lengths)
        else:  # the window's end is read below, for the reported limit only
            counted = {key: (storage.incr(key, length), 0.0) for key, length in lengths}
        key = min(windows, key=lambda k: windows[k].amount - counted[k][0])
        item, remaining = windows[key], windows[key].amount - counted[key][0]
        reset = counted[key][1] or storage.get_expiry(key)
        wait = max(1, math.ceil(reset - time.time()))
        headers = {
            "RateLimit-Limit": str(item.amount),
            "RateLimit-Remaining": str(max(remaining, 0)),
            "RateLimit-Reset": str(wait),
        }
        if remaining < 0:
            g.rate_limit_headers = headers
            raise TooManyRequests(
                f"Excediste el límite de {item.amount} solicitudes por "
                f"{item.get_expiry()} s de esta llave. Reintenta en {wait} s.",
                retry_after=wait,
                code="rate_limit_exceeded",
            )
        return headers


def identity() -> str:
    """Who a /v2 call counts against: a digest of its key, or its client address."""
    from portal.api.auth import presented_key

    key = presented_key()
    if key:
        return "key:" + hashlib.sha256(key.encode()).hexdigest()[:32]
    return "ip:" + (request.remote_addr or "")


def build(app: Flask, engine: Engine) -> ApiRateLimiter:
    """The limiter from ``API_RATE_LIMITS`` over Redis (``REDIS_URL``) or the database."""
    redis_url = app.config.get("REDIS_URL")
    database = DatabaseStorage(engine)
    items = parse_many(app.config["API_RATE_LIMITS"])
    if not redis_url:
        return ApiRateLimiter(items, FixedWindowRateLimiter(database))
    redis = storage_from_string(redis_url)
    return ApiRateLimiter(items, FixedWindowRateLimiter(redis), fallback=database)


def limiter() -> ApiRateLimiter:
    """This application's limiter, built on first use."""
    from portal.extensions import db

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if "api_rate_limiter" not in app.extensions:
        app.extensions["api_rate_limiter"] = build(app, db.engine)
    return app.extensions["api_rate_limiter"]


def _count_call() -> None:
    if not request.path.startswith("/v2/") or not current_app.config["API_RATE_LIMITS"]:
        return
    g.rate_limit_headers = limiter().hit(identity())


def _add_headers(response: Response) -> Response:
    for name, value in g.get("rate_limit_headers", {}).items():
        response.headers[name] = value
    return response


def init_app(app: Flask) -> None:
    """Count every /v2 call and answer its RateLimit-* headers."""
    app.before_request(_count_call)
    app.after_request(_add_headers)
