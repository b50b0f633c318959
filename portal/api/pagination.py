"""Facturapi pagination: ``page`` from 1, ``limit`` 1..100 (default 50)."""

from __future__ import annotations

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


def paginate(session: Session, query: Select[Any], serialize: Any) -> dict[str, Any]:
    """Run ``query`` one page at a time and wrap it in Facturapi's list shape."""
    page = _int_arg("page", 1, 1, None)
    limit = _int_arg("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = session.scalars(query.limit(limit).offset((page - 1) * limit)).all()
    return {
        "page": page,
        "total_pages": max(1, -(-total // limit)),
        "total_results": total,
        "data": [serialize(row) for row in rows],
    }
