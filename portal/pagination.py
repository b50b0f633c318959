"""Facturapi pagination: ``page`` from 1, ``limit`` 1..100 (default 50)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import request
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from portal.errors import ValidationError

DEFAULT_LIMIT, MAX_LIMIT = 50, 100


def _int_arg(name: str, default: int, low: int, high: int | None) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if value < low or (high is not None and value > high):
        bounds = f"entre {low} y {high}" if high else f"mayor o igual a {low}"
        raise ValidationError(
            f"El parámetro {name} debe ser un número entero {bounds}.",
            "invalid_parameter",
            path=name,
        )
    return value


def _page_args() -> tuple[int, int]:
    return _int_arg("page", 1, 1, None), _int_arg("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)


def _page(page: int, limit: int, total: int, data: list[Any]) -> dict[str, Any]:
    return {
        "page": page,
        "total_pages": max(1, -(-total // limit)),
        "total_results": total,
        "data": data,
    }


def paginate(
    session: Session, query: Select[Any], serialize: Any, total: int | None = None
) -> dict[str, Any]:
    """Run ``query`` one page at a time and wrap it in Facturapi's list shape (``total``, when
    the caller knows it, saves counting the rows)."""
    page, limit = _page_args()
    if total is None:
        total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    offset = (page - 1) * limit
    # Past the last page there is nothing to read (and a huge offset overflows the database).
    rows = session.scalars(query.limit(limit).offset(offset)).all() if offset < total else []
    return _page(page, limit, total, [serialize(row) for row in rows])


def paginate_list(items: list[Any]) -> dict[str, Any]:
    """One page of an already computed list, in Facturapi's list shape."""
    page, limit = _page_args()
    return _page(page, limit, len(items), items[(page - 1) * limit : page * limit])


DATE_OPERATORS = {"gt": "__gt__", "gte": "__ge__", "lt": "__lt__", "lte": "__le__"}


def _date_arg(name: str) -> datetime:
    raw = request.args[name].strip()
    try:
        moment = datetime.fromisoformat(raw)
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        moment.astimezone(UTC)  # years 1 and 9999 may not fit once in UTC
    except (ValueError, OverflowError):
        raise ValidationError(
            f"El parámetro {name} debe ser una fecha ISO 8601 (p. ej. 2024-01-31T06:00:00.000Z).",
            "invalid_parameter",
            path=name,
        ) from None
    return moment


def filter_dates(query: Select[Any], column: Any) -> Select[Any]:
    """Apply Facturapi's ``date[gt|gte|lt|lte]`` filters to ``column``."""
    for operator, method in DATE_OPERATORS.items():
        name = f"date[{operator}]"
        if request.args.get(name):
            query = query.where(getattr(column, method)(_date_arg(name)))
    return query
