"""Alembic driven from the application's configuration."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config

from portal.config import PROJECT_ROOT

_CURRENT_DIALECT: ContextVar[str | None] = ContextVar("migration_dialect", default=None)


def comparing(dialect: str) -> None:
    """Say which database the comparison that follows runs against."""
    _CURRENT_DIALECT.set(dialect)


def alembic_config(url: str) -> Config:
    """Alembic's config for ``migrations/`` and the given database URL."""
    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    return config


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Leave out of comparisons what the current database never gets (PostgreSQL-only indexes)."""
    condition = getattr(obj, "_ddl_if", None)
    if type_ != "index" or reflected or condition is None or condition.dialect is None:
        return True
    dialect = _CURRENT_DIALECT.get()
    return dialect is None or dialect == condition.dialect


MIGRATION_LOCK_KEY = 0x706F7274616C00  # "portal" + 0: held while migrating
SQLITE_WAIT_MS = 60 * 1000  # web processes' short writes may hold SQLite's lock meanwhile


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database's schema up to ``revision``."""
    command.upgrade(alembic_config(url), revision)


def upgrade_locked(url: str, revision: str = "head") -> None:
    """``upgrade`` under a database-wide lock, so that concurrent runs wait for the first and
    then find nothing to do: a PostgreSQL advisory lock, or on SQLite an exclusive lock on the
    database file itself (flock, held for the whole run: alembic commits between steps on
    SQLite, so a transaction's write lock alone would let a second run in mid-way)."""
    from sqlalchemy import create_engine, event, pool, text
    from sqlalchemy.engine import make_url

    engine = create_engine(
        url.replace("postgresql://", "postgresql+psycopg://", 1), poolclass=pool.NullPool
    )
    config = alembic_config(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_wait)
        database = make_url(url).database
        with _file_lock(database), engine.connect() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            connection.commit()
        engine.dispose()
        return
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        connection.commit()
        try:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            connection.commit()
        finally:
            connection.rollback()
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
            connection.commit()
    engine.dispose()


@contextmanager
def _file_lock(database: str | None) -> Iterator[None]:
    """An exclusive flock on the SQLite file (SQLite's own locks are fcntl byte ranges, which
    flock does not touch); waits for the holder."""
    import fcntl

    if not database or database == ":memory:":
        yield
        return
    Path(database).parent.mkdir(parents=True, exist_ok=True)
    with open(database, "ab") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _sqlite_wait(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute(f"PRAGMA busy_timeout={SQLITE_WAIT_MS}")
