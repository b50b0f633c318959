"""Engine tuning: SQLite in WAL mode with foreign keys, a busy timeout and write-intent locking.

SQLite lets a deferred transaction that read first fail with "database is locked" when it later
tries to write, whatever the busy timeout. Transactions that may write therefore start with
``BEGIN IMMEDIATE`` (they queue for the write lock up front); read-only web requests start a
plain ``BEGIN`` and never wait for writers, thanks to WAL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from portal import search

_write_intent: ContextVar[bool] = ContextVar("write_intent", default=True)

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=30000",
    "PRAGMA synchronous=NORMAL",
)


def set_write_intent(value: bool) -> None:
    """Say whether the transactions that follow in this context may write."""
    _write_intent.set(value)


def write_intent() -> bool:
    """Whether this context's transactions start as writers (``BEGIN IMMEDIATE`` on SQLite)."""
    return _write_intent.get()


def transaction_writes(session: Session) -> bool:
    """Whether the session's open transaction began as a writer (on SQLite: holds the write
    lock); with none open, whether the next one will."""
    if session.in_transaction():
        return bool(session.connection().info.get("write_intent", _write_intent.get()))
    return _write_intent.get()


@contextmanager
def writing() -> Iterator[None]:
    """Run a block whose transactions write (a short one apart from a read-only request's)."""
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)


def configure_engine(engine: Engine) -> None:
    """Attach the SQLite tuning to an engine; PostgreSQL needs none."""
    if engine.dialect.name != "sqlite":
        return
    event.listen(engine, "connect", _on_sqlite_connect)
    event.listen(engine, "begin", _on_sqlite_begin)


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control away from the driver so that BEGIN is ours to issue.
    dbapi_connection.isolation_level = None
    search.install_sqlite(dbapi_connection)
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def _on_sqlite_begin(connection: Any) -> None:
    intent = _write_intent.get()
    connection.info["write_intent"] = intent  # what ``transaction_writes`` reads
    connection.exec_driver_sql("BEGIN IMMEDIATE" if intent else "BEGIN")
