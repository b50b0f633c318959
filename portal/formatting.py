"""How the screens show statuses, dates and money: one label per status, one time format.

Every status a person sees goes through ``status_label`` (the ``status`` filter) or
``status_badge``; every timestamp through the ``when`` filter, which writes it in the
organization's time zone and names the zone ("5 dic 2026 10:32 (Ciudad de México)"), and every
date through ``day``. Templates never call ``strftime`` on a timestamp.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask import Flask, g, has_request_context
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from portal.i18n import language
from portal.models.organizations import DEFAULT_TIMEZONE
from portal.moments import named_time, zone_name
from portal.statuses import (
    CancellationStatus,
    DeliveryStatus,
    EmailStatus,
    InvoiceStatus,
    JobStatus,
    ReceiptStatus,
    RetentionStatus,
    WebhookStatus,
)

# Status kind -> status -> label (the StrEnums equal the stored text, so either looks up).
STATUS_LABELS: dict[str, dict[str, Any]] = {
    "invoice": {
        InvoiceStatus.DRAFT: _l("Borrador"),
        InvoiceStatus.PENDING: _l("Timbrando"),
        InvoiceStatus.VALID: _l("Vigente"),
        InvoiceStatus.CANCELED: _l("Cancelada"),
        InvoiceStatus.FAILED: _l("Falló"),
    },
    "cancellation": {
        CancellationStatus.NONE: _l("Sin cancelación"),
        CancellationStatus.PENDING: _l("Cancelación en espera"),
        CancellationStatus.ACCEPTED: _l("Cancelación aceptada"),
        CancellationStatus.REJECTED: _l("Cancelación rechazada"),
        CancellationStatus.EXPIRED: _l("Cancelación vencida"),
    },
    "payment": {  # a payment complement (an invoice of type P): "el complemento"
        InvoiceStatus.DRAFT: _l("Borrador"),
        InvoiceStatus.PENDING: _l("Timbrando"),
        InvoiceStatus.VALID: _l("Vigente"),
        InvoiceStatus.CANCELED: _l("Cancelado"),
        InvoiceStatus.FAILED: _l("Falló"),
    },
    "receipt": {
        ReceiptStatus.OPEN: _l("Abierto"),
        ReceiptStatus.CANCELED: _l("Cancelado"),
        ReceiptStatus.INVOICED_TO_CUSTOMER: _l("Facturado al cliente"),
        ReceiptStatus.INVOICED_GLOBALLY: _l("En factura global"),
    },
    "retention": {RetentionStatus.VALID: _l("Vigente"), RetentionStatus.CANCELED: _l("Cancelada")},
    "webhook": {WebhookStatus.ENABLED: _l("Activo"), WebhookStatus.DISABLED: _l("Desactivado")},
    "delivery": {
        DeliveryStatus.PENDING: _l("Pendiente"),
        DeliveryStatus.SENDING: _l("Enviando"),
        DeliveryStatus.DELIVERED: _l("Entregado"),
        DeliveryStatus.FAILED: _l("Fallido"),
    },
    "email": {
        EmailStatus.PENDING: _l("Pendiente"),
        EmailStatus.SENDING: _l("Enviando"),
        EmailStatus.SENT: _l("Enviado"),
        EmailStatus.FAILED: _l("Fallido"),
        EmailStatus.KEPT: _l("Guardado (sin SMTP)"),
    },
    "global_run": {  # "la factura global"
        JobStatus.QUEUED: _l("En espera"),
        JobStatus.RUNNING: _l("Emitiendo"),
        JobStatus.DONE: _l("Terminada"),
        JobStatus.FAILED: _l("Falló"),
    },
    "job": {
        JobStatus.QUEUED: _l("En espera"),
        JobStatus.RUNNING: _l("En proceso"),
        JobStatus.DONE: _l("Terminado"),
        JobStatus.FAILED: _l("Falló"),
    },
}
# The badge colour of a status, whatever its kind.
BADGES = {
    "valid": "badge-ok",
    "delivered": "badge-ok",
    "sent": "badge-ok",
    "enabled": "badge-ok",
    "done": "badge-ok",
    "accepted": "badge-ok",
    "invoiced_to_customer": "badge-ok",
    "invoiced_globally": "badge-ok",
    "pending": "badge-warn",
    "sending": "badge-warn",
    "queued": "badge-warn",
    "running": "badge-warn",
    "open": "badge-warn",
    "canceled": "badge-err",
    "failed": "badge-err",
    "rejected": "badge-err",
}


def status_label(value: str | None, kind: str) -> str:
    """The label of a stored status in the user's language (the value itself if unknown)."""
    if value is None:
        return "—"
    label = STATUS_LABELS[kind].get(str(value))
    return str(label) if label is not None else str(value)


def status_badge(value: str | None, kind: str) -> Markup:
    """A status as a coloured badge."""
    css = BADGES.get(str(value), "")
    return Markup('<span class="badge {}">{}</span>').format(css, status_label(value, kind))


def status_options(kind: str) -> list[tuple[str, str]]:
    """Every status of a kind with its label, for filters."""
    return [(value, str(label)) for value, label in STATUS_LABELS[kind].items()]


def organization_zone() -> ZoneInfo:
    """The time zone of the organization the request is about (Mexico City outside one)."""
    tenant = g.get("tenant") if has_request_context() else None
    organization = tenant.organization if tenant is not None else g.get("organization")
    return ZoneInfo(getattr(organization, "timezone", None) or DEFAULT_TIMEZONE)


def zone_label(zone: ZoneInfo | None = None) -> str:
    """A zone's city in the user's language: "Ciudad de México", "Tijuana", "UTC"."""
    return zone_name(zone or organization_zone(), language())


def when(moment: datetime | None, zone: ZoneInfo | str | None = None, seconds: bool = False) -> str:
    """A timestamp in the zone with the zone named: "5 dic 2026 10:32 (Ciudad de México)"."""
    if moment is None:
        return "—"
    tz = ZoneInfo(zone) if isinstance(zone, str) else zone or organization_zone()
    return named_time(moment, tz, language(), seconds)


def day(moment: datetime | date | None, zone: ZoneInfo | str | None = None) -> str:
    """A date ("5 dic 2026"); a timestamp is first moved to the organization's zone."""
    if moment is None:
        return "—"
    if isinstance(moment, datetime):
        tz = ZoneInfo(zone) if isinstance(zone, str) else zone or organization_zone()
        moment = moment.astimezone(tz).date()
    return format_date(moment, "d MMM y", locale=language())


def month(moment: date) -> str:
    """A month and its year: "dic 2026"."""
    return format_date(moment, "LLL y", locale=language())


def short_month(moment: date) -> str:
    """A month without its year, for chart axes: "dic"."""
    return format_date(moment, "LLL", locale=language())


def short_day(moment: date) -> str:
    """A day without its year, for chart axes: "5 dic"."""
    return format_date(moment, "d MMM", locale=language())


def money(amount: Decimal | int | None) -> str:
    """An amount with two decimals, as Mexico writes it in either language: "1,234.50"."""
    return f"{Decimal(amount or 0):,.2f}"


def install_filters(app: Flask) -> None:
    """Register the filters and globals every template uses."""
    app.add_template_filter(status_label, "status")
    app.add_template_filter(when)
    app.add_template_filter(day)
    app.add_template_filter(month)
    app.add_template_filter(short_day)
    app.add_template_filter(short_month)
    app.add_template_filter(money)
    app.add_template_global(status_badge)
    app.add_template_global(status_options)
    app.add_template_global(zone_label)
