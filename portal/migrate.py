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


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database's schema up to ``revision``."""
    command.upgrade(alembic_config(url), revision)


def revision(url: str, message: str) -> None:
    """Write a new migration from the difference between models and database (read it!)."""
    command.revision(alembic_config(url), message=message, autogenerate=True)
