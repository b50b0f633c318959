"""The organization's home: readiness, what it invoiced, its receipts and what needs attention."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from babel.numbers import format_compact_decimal
from flask import g, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext

from portal.dashboard import charts
from portal.dashboard.org import bp
from portal.extensions import db
from portal.formatting import day, money, month, short_day, short_month
from portal.i18n import language
from portal.services import organizations as orgs
from portal.services import stats
from portal.tenancy import current_tenant

DAY_LABEL_EVERY = 7  # one date a week under the 30 days' columns
MONTH_LABEL_EVERY = 2  # one month in two under the 12 months' columns


def _tick(value: Decimal) -> str:
    """A grid value, short: "12.5 k" ("12.5K" in English)."""
    return format_compact_decimal(
        value, locale="es_MX" if language() == "es" else "en", fraction_digits=1
    )


def _invoiced_chart(
    buckets: list[stats.Bucket],
    period: Callable[[date], str],
    axis: Callable[[date], str],
    every: int = 1,
) -> charts.Chart:
    titles = [
        ngettext(
            "%(period)s: $%(amount)s MXN en %(num)d factura",
            "%(period)s: $%(amount)s MXN en %(num)d facturas",
            b.count,
            period=period(b.start),
            amount=money(b.amount),
        )
        for b in buckets
    ]
    return charts.column_chart(
        [[b.amount] for b in buckets], titles, [axis(b.start) for b in buckets], _tick, every
    )


def _receipts_chart(months: list[stats.ReceiptMonth]) -> charts.Chart:
    titles = [
        _(
            "%(period)s: %(own)d por autofactura, %(global)d en factura global",
            period=month(m.start),
            own=m.self_invoiced,
            **{"global": m.globally},
        )
        for m in months
    ]
    values = [[m.self_invoiced, m.globally] for m in months]
    axis = [short_month(m.start) for m in months]
    return charts.column_chart(values, titles, axis, _tick, MONTH_LABEL_EVERY, whole=True)


def _chart_livemode(default: bool) -> bool:
    """The environment the charts show: ``?charts=live`` or ``test``, else the dashboard's."""
    return {"live": True, "test": False}.get(request.args.get("charts", ""), default)


@bp.route("/")
def overview():
    """Readiness, the invoicing charts, receipts about to expire and documents to look at."""
    organization, livemode = g.organization, current_tenant().livemode
    chart_live = _chart_livemode(livemode)
    days = stats.invoiced_by_day(db.session, organization, chart_live)
    months = stats.invoiced_by_month(db.session, organization, chart_live)
    receipts = stats.receipts_by_month(db.session, organization, chart_live)
    return render_template(
        "dashboard/org/overview.html",
        steps=orgs.pending_steps(organization),
        test_ready=orgs.is_test_ready(organization),
        expires_soon=orgs.certificate_expires_soon(organization),
        chart_live=chart_live,
        days=days,
        months=months,
        receipts=receipts,
        day_chart=_invoiced_chart(days, day, short_day, DAY_LABEL_EVERY),
        month_chart=_invoiced_chart(months, month, short_month, MONTH_LABEL_EVERY),
        receipt_chart=_receipts_chart(receipts),
        expiring=stats.expiring_receipts(db.session, organization, livemode),
        attention=stats.attention(db.session, organization, livemode),
    )
