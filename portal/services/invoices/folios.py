"""Folios: the series and the next number of an invoice, taken atomically."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from portal.models.invoices import Invoice
from portal.models.organizations import FolioSeries, Organization
from portal.services.invoices.body import _index_text

FOLIO_LOCK_TIMEOUT = "1s"  # then the folio is taken in the caller's transaction instead
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE for a lock_timeout


def _folio_counter(organization: Organization, livemode: bool, series: str | None) -> Any:
    if series:
        column = FolioSeries.next_folio if livemode else FolioSeries.next_folio_test
        where = and_(FolioSeries.organization_id == organization.id, FolioSeries.name == series)
        return update(FolioSeries).where(where).values({column: column + 1}).returning(column)
    column = Organization.next_folio_number if livemode else Organization.next_folio_number_test
    where = Organization.id == organization.id
    return update(Organization).where(where).values({column: column + 1}).returning(column)


def assign_folio(session: Session, organization: Organization, invoice: Invoice) -> None:
    """Series (or the type's default series) and the next folio, taken atomically."""
    invoice.series = invoice.series or organization.default_series.get(invoice.type)
    if invoice.folio_number is None:
        taken = _take_folio(session, _folio_counter(organization, invoice.livemode, invoice.series))
        if taken is None:  # a free-text series without a counter: the organization's folios
            taken = _take_folio(session, _folio_counter(organization, invoice.livemode, None))
        invoice.folio_number = taken - 1
        session.expire(organization, ["next_folio_number", "next_folio_number_test"])
    _index_text(invoice)


def _take_folio(session: Session, statement: Any) -> int | None:
    """Run a counter's ``UPDATE … RETURNING``. On PostgreSQL it commits at once in a short
    transaction of its own, so the counter's row is not locked while the invoice is sealed and
    stamped (parallel invoices of one organization would take turns); a failure after this
    leaves a gap in the folios, which SAT allows. It stays in the caller's transaction when that
    one created the counter (the short one cannot see it yet) or already locks it. On SQLite
    the whole transaction holds the write lock anyway."""
    options = {"synchronize_session": False}
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        try:
            with bind.connect() as connection:
                connection.execute(text(f"SET LOCAL lock_timeout = '{FOLIO_LOCK_TIMEOUT}'"))
                taken = connection.execute(statement, execution_options=options).scalar()
                connection.commit()
        except OperationalError as error:
            if getattr(error.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                raise
            taken = None  # our own transaction may hold the row: take it there
        if taken is not None:
            return int(taken)
    return session.execute(statement, execution_options=options).scalar()
