"""Facturapi pagination: ``page`` from 1, ``limit`` 1..100 (default 50)."""

from __future__ import annotations

from typing import Any

from flask import request
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from portal.schemas import parse
from portal.schemas.common import DEFAULT_LIMIT, DateFilters, PageQuery


def _page_args() -> tuple[int, int]:
    asked = parse(PageQuery, request.args.to_dict())
    return asked.page or 1, asked.limit or DEFAULT_LIMIT


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


def filter_dates(query: Select[Any], column: Any) -> Select[Any]:
    """Apply Facturapi's ``date[gt|gte|lt|lte]`` filters to ``column``."""
    dates = parse(DateFilters, request.args.to_dict())
    for operator, method in (
        ("gt", "__gt__"),
        ("gte", "__ge__"),
        ("lt", "__lt__"),
        ("lte", "__le__"),
    ):
        moment = getattr(dates, f"date_{operator}")
        if moment is not None:
            query = query.where(getattr(column, method)(moment))
    return query
