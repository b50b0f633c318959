"""The home's figures (portal.services.stats) on the real database, by the organization's local
calendar: Mexico City is UTC-6 all year since 2022, Tijuana follows the US daylight saving."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from portal.models.events import Event, Webhook, WebhookDelivery
from portal.models.invoices import Invoice
from portal.models.receipts import Receipt
from portal.services import stats

NOW = datetime(2026, 12, 5, 18, 0, tzinfo=UTC)  # 12:00 in Mexico City
_folios = itertools.count(1)


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.fixture
def org(make_organization: Any) -> Any:
    return make_organization()[0]


def invoice(db: Any, org: Any, when: datetime, total: str, **fields: Any) -> Invoice:
    row = Invoice(
        organization_id=fields.pop("organization_id", org.id),
        livemode=fields.pop("livemode", False),
        status=fields.pop("status", "valid"),
        type=fields.pop("type", "I"),
        total=Decimal(total),
        date=when,
        data={},
        **fields,
    )
    db.add(row)
    db.flush()
    return row


def receipt(db: Any, org: Any, when: datetime, status: str = "open", **fields: Any) -> Receipt:
    folio = next(_folios)
    row = Receipt(
        organization_id=org.id,
        livemode=fields.pop("livemode", False),
        status=status,
        key=f"k{folio:07d}",
        folio_number=folio,
        date=when,
        expires_at=fields.pop("expires_at", when + timedelta(days=7)),
        payment_form="01",
        total=Decimal(fields.pop("total", "100")),
        **fields,
    )
    db.add(row)
    db.flush()
    return row


def by_day(buckets: list[stats.Bucket]) -> dict[date, tuple[int, Decimal]]:
    return {b.start: (b.count, b.amount) for b in buckets if b.count}


def test_a_day_is_the_organizations_local_day(db, org):
    invoice(db, org, at(2026, 12, 5, 5, 30), "100")  # 23:30 of 4 Dec in Mexico City
    invoice(db, org, at(2026, 12, 5, 6, 0), "200")  # midnight of 5 Dec there
    invoice(db, org, at(2026, 12, 5, 17, 59), "50")

    days = stats.invoiced_by_day(db, org, livemode=False, now=NOW)

    assert len(days) == 30 and days[-1].start == date(2026, 12, 5)
    assert days[0].start == date(2026, 11, 6)
    assert by_day(days) == {
        date(2026, 12, 4): (1, Decimal("100.00")),
        date(2026, 12, 5): (2, Decimal("250.00")),
    }


def test_only_valid_income_invoices_of_this_tenant_and_environment_count(
    db, org, make_organization
):
    other = make_organization(name="Otra")[0]
    when = at(2026, 12, 3, 18, 0)
    invoice(db, org, when, "100")
    invoice(db, org, when, "1000", status="canceled")
    invoice(db, org, when, "1000", status="failed")
    invoice(db, org, when, "1000", type="E")
    invoice(db, org, when, "1000", livemode=True)
    invoice(db, other, when, "1000", organization_id=other.id)
    invoice(db, org, at(2026, 11, 6, 5, 59), "1000")  # 5 Nov local: a day too early

    days = stats.invoiced_by_day(db, org, livemode=False, now=NOW)
    live = stats.invoiced_by_day(db, org, livemode=True, now=NOW)

    assert by_day(days) == {date(2026, 12, 3): (1, Decimal("100.00"))}
    assert by_day(live) == {date(2026, 12, 3): (1, Decimal("1000.00"))}


def test_amounts_are_converted_to_pesos_at_each_invoices_rate(db, org):
    when = at(2026, 12, 1, 18, 0)
    invoice(db, org, when, "100", currency="USD", exchange=Decimal("17.25"))
    invoice(db, org, when, "10.50")

    months = stats.invoiced_by_month(db, org, livemode=False, now=NOW)

    assert months[-1].start == date(2026, 12, 1)
    assert (months[-1].count, months[-1].amount) == (2, Decimal("1735.50"))


def test_months_are_local_months_of_the_last_year(db, org):
    invoice(db, org, at(2026, 12, 1, 5, 59), "10")  # 30 Nov, 23:59 in Mexico City
    invoice(db, org, at(2026, 1, 1, 6, 0), "20")  # 1 Jan 2026, 00:00 there
    invoice(db, org, at(2026, 1, 1, 5, 0), "40")  # still 2025: not in the last 12 months

    months = stats.invoiced_by_month(db, org, livemode=False, now=NOW)

    assert [m.start for m in months] == [date(2026, n, 1) for n in range(1, 13)]
    assert by_day(months) == {
        date(2026, 1, 1): (1, Decimal("20.00")),
        date(2026, 11, 1): (1, Decimal("10.00")),
    }


def test_a_zone_with_daylight_saving_uses_the_offset_of_each_date(db, org):
    org.timezone = "America/Tijuana"  # UTC-7 in summer, UTC-8 in winter
    invoice(db, org, at(2026, 7, 1, 7, 30), "1")  # 00:30 of 1 Jul (UTC-7)
    invoice(db, org, at(2026, 12, 1, 7, 30), "2")  # 23:30 of 30 Nov (UTC-8)

    months = stats.invoiced_by_month(db, org, livemode=False, now=NOW)

    assert by_day(months) == {
        date(2026, 7, 1): (1, Decimal("1.00")),
        date(2026, 11, 1): (1, Decimal("2.00")),
    }


def test_receipts_by_month_split_self_invoiced_from_global(db, org):
    receipt(db, org, at(2026, 12, 2, 5, 0), "invoiced_to_customer")  # 1 Dec local
    receipt(db, org, at(2026, 12, 1, 5, 0), "invoiced_to_customer", total="50")  # 30 Nov
    receipt(db, org, at(2026, 12, 3, 12, 0), "invoiced_globally")
    receipt(db, org, at(2026, 12, 3, 12, 0), "invoiced_globally")
    receipt(db, org, at(2026, 12, 3, 12, 0), "open")
    receipt(db, org, at(2026, 12, 3, 12, 0), "canceled")

    months = stats.receipts_by_month(db, org, livemode=False, now=NOW)

    assert len(months) == 12
    december, november = months[-1], months[-2]
    assert (december.self_invoiced, december.globally) == (1, 2)
    assert (december.self_amount, december.global_amount) == (Decimal("100.00"), Decimal("200.00"))
    assert (november.self_invoiced, november.globally, november.self_amount) == (
        1,
        0,
        Decimal("50.00"),
    )


def test_expiring_receipts_are_open_ones_closing_within_three_days(db, org):
    soon = receipt(db, org, NOW - timedelta(days=6), expires_at=NOW + timedelta(days=1))
    sooner = receipt(db, org, NOW - timedelta(days=6), expires_at=NOW + timedelta(hours=2))
    receipt(db, org, NOW, expires_at=NOW + timedelta(days=5))
    receipt(db, org, NOW, expires_at=NOW - timedelta(hours=1))  # closed already
    receipt(db, org, NOW, "invoiced_to_customer", expires_at=NOW + timedelta(hours=1))
    receipt(db, org, NOW, livemode=True, expires_at=NOW + timedelta(hours=1))

    expiring = stats.expiring_receipts(db, org, livemode=False, now=NOW)

    assert [r.id for r in expiring.rows] == [sooner.id, soon.id] and expiring.total == 2


def test_expiring_receipts_count_all_beyond_the_first_rows(db, org):
    for hours in range(stats.LIST_LIMIT + 3):
        receipt(db, org, NOW, expires_at=NOW + timedelta(hours=hours + 1))

    expiring = stats.expiring_receipts(db, org, livemode=False, now=NOW)

    assert len(expiring.rows) == stats.LIST_LIMIT and expiring.total == stats.LIST_LIMIT + 3


def test_attention_lists_pending_and_failed_documents_and_deliveries(db, org):
    pending = invoice(db, org, None, "1", status="pending")
    failed = invoice(db, org, None, "1", status="failed", failure_reason="CFDI40147")
    canceling = invoice(db, org, NOW, "1", cancellation_status="pending")
    invoice(db, org, NOW, "1", status="failed", livemode=True)
    hook = Webhook(
        organization_id=org.id,
        livemode=False,
        url="https://example.com/hook",
        enabled_events=["invoice.status_updated"],
        secret_encrypted=b"x",
        failing_since=NOW,
    )
    event = Event(organization_id=org.id, livemode=False, type="invoice.status_updated", data={})
    db.add_all([hook, event])
    db.flush()
    delivery = WebhookDelivery(
        organization_id=org.id,
        livemode=False,
        event_id=event.id,
        webhook_id=hook.id,
        status="failed",
    )
    db.add(delivery)
    db.flush()

    found = stats.attention(db, org, livemode=False)

    assert [i.id for i in found.pending_invoices.rows] == [pending.id]
    assert [i.id for i in found.failed_invoices.rows] == [failed.id]
    assert [i.id for i in found.pending_cancellations.rows] == [canceling.id]
    assert [d.id for d in found.failed_deliveries.rows] == [delivery.id]
    assert [w.id for w in found.failing_webhooks] == [hook.id]
    assert not found.empty
    assert stats.attention(db, org, livemode=True).failed_invoices.total == 1


def test_nothing_needs_attention_in_a_new_organization(db, org):
    assert stats.attention(db, org, livemode=False).empty
