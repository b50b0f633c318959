"""The figures of an organization's home: what it invoiced per day and per month, how its
receipts were invoiced, receipts about to expire and documents that need attention.

Days and months are the organization's local ones. The database groups rows by the interval
of local midnights (computed here with the zone's rules, daylight saving included) that holds
each timestamp, so one query per figure works alike on SQLite and PostgreSQL and reads only
the organization's rows of that environment in the range.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from portal.models.base import utcnow
from portal.models.events import Webhook, WebhookDelivery
from portal.models.invoices import MONEY, Invoice
from portal.models.organizations import Organization
from portal.models.receipts import Receipt

CENT = Decimal("0.01")
SELF_INVOICED, GLOBAL = "invoiced_to_customer", "invoiced_globally"
EXPIRING_WITHIN = timedelta(days=3)
LIST_LIMIT = 10


@dataclass(frozen=True)
class Bucket:
    """One local day (or month, starting on ``start``) of invoicing, in MXN."""

    start: date
    count: int
    amount: Decimal


@dataclass(frozen=True)
class ReceiptMonth:
    """Receipts of one local month by how they were invoiced."""

    start: date
    self_invoiced: int
    globally: int
    self_amount: Decimal
    global_amount: Decimal


@dataclass(frozen=True)
class Listing:
    """The first rows of a list and how many there are in all."""

    rows: list[Any]
    total: int


@dataclass(frozen=True)
class Attention:
    """Documents whose stamping, cancellation or webhook delivery is pending or failed."""

    pending_invoices: Listing
    failed_invoices: Listing
    pending_cancellations: Listing
    failed_deliveries: Listing
    failing_webhooks: list[Webhook] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Nothing needs attention."""
        lists = (self.pending_invoices, self.failed_invoices, self.pending_cancellations)
        return not any(listing.total for listing in (*lists, self.failed_deliveries)) and not (
            self.failing_webhooks
        )


def local_today(organization: Organization, now: datetime | None = None) -> date:
    """Today's date where the organization is."""
    return (now or utcnow()).astimezone(ZoneInfo(organization.timezone)).date()


def _midnights(days: list[date], zone: ZoneInfo) -> list[datetime]:
    """The UTC instants at which each local day starts."""
    return [datetime.combine(day, time(), tzinfo=zone).astimezone(UTC) for day in days]


def _months_back(today: date, months: int) -> list[date]:
    """The first day of each of the last ``months`` months, this one last, and of the next."""
    index = today.year * 12 + today.month - 1
    return [date(i // 12, i % 12 + 1, 1) for i in range(index - months + 1, index + 2)]


def _slot(column: Any, bounds: list[datetime]) -> ColumnElement[int]:
    """Which interval ``[bounds[i], bounds[i + 1])`` a timestamp falls in."""
    return case(*[(column < bound, i) for i, bound in enumerate(bounds[1:])])


def _invoiced(
    session: Session, organization: Organization, livemode: bool, starts: list[date]
) -> list[Bucket]:
    """Valid income invoices (CFDI type I) by their issue date, in MXN at their exchange rate."""
    bounds = _midnights(starts, ZoneInfo(organization.timezone))
    inner = (
        select(
            _slot(Invoice.date, bounds).label("slot"),
            (Invoice.total * Invoice.exchange).label("amount"),
        )
        .where(
            Invoice.organization_id == organization.id,
            Invoice.livemode.is_(livemode),
            Invoice.date >= bounds[0],
            Invoice.date < bounds[-1],
            Invoice.type == "I",
            Invoice.status == "valid",
        )
        .subquery()
    )
    query = select(inner.c.slot, func.count(), func.sum(inner.c.amount, type_=MONEY))
    found = {slot: (n, amount) for slot, n, amount in session.execute(query.group_by(inner.c.slot))}
    empty = (0, 0)
    return [
        Bucket(start, found.get(i, empty)[0], Decimal(found.get(i, empty)[1]).quantize(CENT))
        for i, start in enumerate(starts[:-1])
    ]


def invoiced_by_day(
    session: Session,
    organization: Organization,
    livemode: bool,
    days: int = 30,
    now: datetime | None = None,
) -> list[Bucket]:
    """What was invoiced on each of the last ``days`` local days, today last."""
    today = local_today(organization, now)
    starts = [today - timedelta(days=back) for back in range(days - 1, -2, -1)]
    return _invoiced(session, organization, livemode, starts)


def invoiced_by_month(
    session: Session,
    organization: Organization,
    livemode: bool,
    months: int = 12,
    now: datetime | None = None,
) -> list[Bucket]:
    """What was invoiced in each of the last ``months`` local months, this one last."""
    starts = _months_back(local_today(organization, now), months)
    return _invoiced(session, organization, livemode, starts)


def receipts_by_month(
    session: Session,
    organization: Organization,
    livemode: bool,
    months: int = 12,
    now: datetime | None = None,
) -> list[ReceiptMonth]:
    """Receipts of each of the last ``months`` local months (by sale date) that the customer
    invoiced on the self-invoice page against those that went into a global invoice."""
    starts = _months_back(local_today(organization, now), months)
    bounds = _midnights(starts, ZoneInfo(organization.timezone))
    inner = (
        select(
            _slot(Receipt.date, bounds).label("slot"),
            Receipt.status,
            (Receipt.total * Receipt.exchange).label("amount"),
        )
        .where(
            Receipt.organization_id == organization.id,
            Receipt.livemode.is_(livemode),
            Receipt.status.in_((SELF_INVOICED, GLOBAL)),
            Receipt.date >= bounds[0],
            Receipt.date < bounds[-1],
        )
        .subquery()
    )
    query = select(
        inner.c.slot, inner.c.status, func.count(), func.sum(inner.c.amount, type_=MONEY)
    ).group_by(inner.c.slot, inner.c.status)
    found = {(slot, status): (n, amount) for slot, status, n, amount in session.execute(query)}
    return [
        _receipt_month(start, found.get((i, SELF_INVOICED)), found.get((i, GLOBAL)))
        for i, start in enumerate(starts[:-1])
    ]


def _receipt_month(start: date, own: Any, globally: Any) -> ReceiptMonth:
    own, globally = own or (0, 0), globally or (0, 0)
    return ReceiptMonth(
        start,
        own[0],
        globally[0],
        Decimal(own[1]).quantize(CENT),
        Decimal(globally[1]).quantize(CENT),
    )


def _listing(session: Session, query: Any, order: Any) -> Listing:
    rows = list(session.scalars(query.order_by(order).limit(LIST_LIMIT)))
    if len(rows) < LIST_LIMIT:
        return Listing(rows, len(rows))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    return Listing(rows, total or 0)


def expiring_receipts(
    session: Session,
    organization: Organization,
    livemode: bool,
    within: timedelta = EXPIRING_WITHIN,
    now: datetime | None = None,
) -> Listing:
    """Open receipts whose self-invoice page closes within ``within``, soonest first."""
    now = now or utcnow()
    query = select(Receipt).where(
        Receipt.organization_id == organization.id,
        Receipt.livemode.is_(livemode),
        Receipt.status == "open",
        Receipt.expires_at >= now,
        Receipt.expires_at < now + within,
    )
    return _listing(session, query, Receipt.expires_at)


def _invoices(organization: Organization, livemode: bool) -> Any:
    return select(Invoice).where(
        Invoice.organization_id == organization.id, Invoice.livemode.is_(livemode)
    )


def attention(session: Session, organization: Organization, livemode: bool) -> Attention:
    """What is waiting or went wrong: stamping pending or failed, cancellations awaiting the
    receiver, webhook deliveries that failed and webhooks failing now."""
    invoices = _invoices(organization, livemode)
    newest = Invoice.created_at.desc()
    deliveries = select(WebhookDelivery).where(
        WebhookDelivery.organization_id == organization.id,
        WebhookDelivery.livemode.is_(livemode),
        WebhookDelivery.status == "failed",
    )
    failing = select(Webhook).where(
        Webhook.organization_id == organization.id,
        Webhook.livemode.is_(livemode),
        Webhook.deleted_at.is_(None),
        Webhook.failing_since.is_not(None),
    )
    return Attention(
        pending_invoices=_listing(session, invoices.where(Invoice.status == "pending"), newest),
        failed_invoices=_listing(session, invoices.where(Invoice.status == "failed"), newest),
        pending_cancellations=_listing(
            session, invoices.where(Invoice.cancellation_status == "pending"), newest
        ),
        failed_deliveries=_listing(session, deliveries, WebhookDelivery.created_at.desc()),
        failing_webhooks=list(session.scalars(failing.order_by(Webhook.failing_since))),
    )
