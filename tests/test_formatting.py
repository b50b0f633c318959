"""Statuses and times as people read them (portal.formatting): every status of every StrEnum
has a label in Spanish and in English, and a timestamp is written in a named zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum

import pytest
from flask_babel import force_locale

from portal.formatting import STATUS_LABELS, day, month, status_badge, status_label, when
from portal.statuses import (
    STATUS_ENUMS,
    CancellationStatus,
    DeliveryStatus,
    EmailStatus,
    InvoiceStatus,
    JobStatus,
    ReceiptStatus,
    RetentionStatus,
    WebhookStatus,
)

KINDS: dict[str, type[StrEnum]] = {
    "invoice": InvoiceStatus,
    "payment": InvoiceStatus,
    "cancellation": CancellationStatus,
    "receipt": ReceiptStatus,
    "retention": RetentionStatus,
    "webhook": WebhookStatus,
    "delivery": DeliveryStatus,
    "email": EmailStatus,
    "global_run": JobStatus,
    "job": JobStatus,
}
SPANISH = {
    ("invoice", "canceled"): "Cancelada",
    ("payment", "canceled"): "Cancelado",
    ("receipt", "invoiced_globally"): "En factura global",
    ("retention", "canceled"): "Cancelada",
    ("delivery", "failed"): "Fallido",
    ("email", "kept"): "Guardado (sin SMTP)",
}
ENGLISH = {
    ("invoice", "canceled"): "Canceled",
    ("invoice", "valid"): "Valid",
    ("receipt", "invoiced_to_customer"): "Invoiced to customer",
    ("webhook", "disabled"): "Disabled",
}


def test_every_status_enum_has_a_kind_with_every_member_labelled():
    assert set(KINDS) == set(STATUS_LABELS)
    assert set(KINDS.values()) == set(STATUS_ENUMS)
    for kind, enum in KINDS.items():
        assert set(STATUS_LABELS[kind]) == set(enum), kind


@pytest.mark.parametrize(
    ("kind", "value"), [(kind, member) for kind, enum in KINDS.items() for member in enum]
)
def test_each_status_reads_in_spanish_and_in_english(app, kind, value):
    with app.test_request_context(), force_locale("es"):
        spanish = status_label(value, kind)
        assert status_label(str(value), kind) == spanish  # the stored text finds it too
    with app.test_request_context(), force_locale("en"):
        english = status_label(value, kind)
    assert spanish and english and value not in (spanish, english)
    assert spanish != english, f"{kind}.{value} has no English label"
    assert SPANISH.get((kind, value), spanish) == spanish
    assert ENGLISH.get((kind, value), english) == english


def test_a_badge_is_coloured_by_the_status_and_escapes_nothing_unsafe(app):
    with app.test_request_context(), force_locale("es"):
        badge = status_badge("canceled", "invoice")
        assert badge == '<span class="badge badge-err">Cancelada</span>'
        assert status_badge("<b>", "invoice") == '<span class="badge ">&lt;b&gt;</span>'


def test_a_time_is_written_in_the_zone_it_names(app):
    moment = datetime(2026, 12, 5, 16, 32, tzinfo=UTC)
    with app.test_request_context(), force_locale("es"):
        assert when(moment, "America/Mexico_City") == "5 dic 2026 10:32 (Ciudad de México)"
        assert when(moment, "America/Tijuana") == "5 dic 2026 08:32 (Tijuana)"
        assert when(moment) == "5 dic 2026 10:32 (Ciudad de México)"  # outside an organization
        assert when(moment, "UTC", seconds=True) == "5 dic 2026 16:32:00 (UTC)"
        assert when(None) == "—"
    with app.test_request_context(), force_locale("en"):
        assert when(moment, "America/Mexico_City") == "5 Dec 2026 10:32 (Mexico City)"


def test_a_date_is_the_local_date(app):
    early = datetime(2026, 12, 5, 5, 30, tzinfo=UTC)  # still 4 Dec in Mexico City
    with app.test_request_context(), force_locale("es"):
        assert day(early, "America/Mexico_City") == "4 dic 2026"
        assert day(date(2026, 1, 9)) == "9 ene 2026"
        assert month(date(2026, 9, 1)) == "sept 2026"
