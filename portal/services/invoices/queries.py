"""Listing and searching invoices."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from portal import search as text_search
from portal.models.invoices import Invoice, InvoiceCount
from portal.models.tenancy import Tenant, scoped_select
from portal.schemas import parse
from portal.schemas.invoices import InvoiceFilters

# Listing ----------------------------------------------------------------------------------


def search(tenant: Tenant, args: dict[str, str]) -> Select[tuple[Invoice]]:
    """The tenant's invoices filtered like Facturapi's list (q, customer, type, method, status)."""
    filters = parse(InvoiceFilters, args)
    query = scoped_select(Invoice, tenant)
    if (matches := text_search.matches(Invoice.search_text, filters.q or "")) is not None:
        query = query.where(matches)
    for column, value in (
        (Invoice.customer_id, filters.customer),
        (Invoice.type, filters.type),
        (Invoice.payment_method, filters.payment_method),
        (Invoice.status, filters.status),
    ):
        if value:
            query = query.where(column == value)
    return query.order_by(Invoice.created_at.desc(), Invoice.id.desc())


def listing(
    session: Session,
    tenant: Tenant,
    args: dict[str, str],
    narrow: Callable[[Select[tuple[Invoice]]], Select[tuple[Invoice]]] = lambda query: query,
) -> tuple[Select[tuple[Invoice]], int | None]:
    """A list's query (``search``, then the caller's ``narrow``, e.g. its date filters) and
    its total when nothing filters it: the count kept by triggers, not a count of the rows."""
    query = narrow(search(tenant, args))
    if (args.get("q") or "").strip():
        query = _searched_first(query)
    if any(value for name, value in args.items() if name not in ("page", "limit")):
        return query, None
    total = session.scalar(
        select(func.sum(InvoiceCount.count)).where(
            InvoiceCount.organization_id == tenant.organization.id,
            InvoiceCount.livemode.is_(tenant.livemode),
        )
    )
    return query, int(total or 0)  # PostgreSQL sums bigints as numeric


def _searched_first(query: Select[tuple[Invoice]]) -> Select[tuple[Invoice]]:
    """``query`` (with ``q``) planned as: every match through the search index, then the
    newest. Left to itself, PostgreSQL may walk the whole listing index newest first, testing
    each row, when it misjudges how rare the words are (seconds over a million invoices).
    ``OFFSET 0`` keeps the subquery from being merged into the ordered scan."""
    matches = aliased(Invoice, query.order_by(None).offset(0).subquery())
    return select(matches).order_by(matches.created_at.desc(), matches.id.desc())
