"""Alembic driven from the application's configuration."""

from __future__ import annotations

from contextvars import ContextVar
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
SQLITE_WAIT_MS = 30 * 60 * 1000  # a long migration keeps the others waiting, not failing


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database's schema up to ``revision``."""
    command.upgrade(alembic_config(url), revision)


def upgrade_locked(url: str, revision: str = "head") -> None:
    """``upgrade`` under a database-wide lock, so that concurrent runs wait for the first and
    then find nothing to do: a PostgreSQL advisory lock, or SQLite's write lock (BEGIN
    IMMEDIATE before alembic reads the current revision)."""
    from sqlalchemy import create_engine, event, pool, text

    engine = create_engine(
        url.replace("postgresql://", "postgresql+psycopg://", 1), poolclass=pool.NullPool
    )
    sqlite = engine.dialect.name == "sqlite"
    if sqlite:
        event.listen(engine, "connect", _sqlite_manual_transactions)
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
    config = alembic_config(url)
    with engine.connect() as connection:
        if not sqlite:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            connection.commit()
        try:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            connection.commit()
        finally:
            if not sqlite:
                connection.rollback()
                connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
                connection.commit()
    engine.dispose()


def _sqlite_manual_transactions(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # BEGIN is ours to issue
    dbapi_connection.execute(f"PRAGMA busy_timeout={SQLITE_WAIT_MS}")


def revision(url: str, message: str) -> None:
    """Write a new migration from the difference between models and database (read it!)."""
    command.revision(alembic_config(url), message=message, autogenerate=True)
