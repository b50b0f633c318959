"""Declarative base, naming convention and the column types every model shares."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

from sqlalchemy import DDL, DateTime, MetaData, String, TypeDecorator, event
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry

from portal.schemas import iso  # noqa: F401  (the API's timestamp format, used by the models' users)

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, aware and in UTC."""
    return datetime.now(UTC)


def new_id() -> str:
    """A 24-hex-digit id shaped like Facturapi's: creation time first, so ids sort by age."""
    return f"{int(time.time()):08x}{os.urandom(8).hex()}"


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and always read back timezone-aware (SQLite forgets zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Base of every model."""

    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


class IdMixin:
    """A Facturapi-shaped string primary key and a creation time."""

    id: Mapped[str] = mapped_column(String(24), primary_key=True, default=new_id)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# Trigram indexes (substring search) need this extension on PostgreSQL.
event.listen(
    Base.metadata,
    "before_create",
    DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"),
)
