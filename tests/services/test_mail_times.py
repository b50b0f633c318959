"""Times in messages read in the zone of the organization they are sent for, the zone named: a
customer in Tijuana must not read Mexico City's (or UTC's) hour as the deadline."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from portal.models.transfers import DataTransfer
from portal.services.mail import queue_email

EXPIRES = datetime(2026, 7, 1, 5, 30, tzinfo=UTC)  # 22:30 of 30 June in Tijuana (UTC-7, DST)


@pytest.mark.parametrize(
    "zone, expected",
    [
        ("America/Tijuana", "30 jun 2026 22:30 (Tijuana)"),
        ("America/Mexico_City", "30 jun 2026 23:30 (Ciudad de México)"),  # UTC-6 all year
    ],
)
def test_an_export_link_expires_at_the_organization_s_hour(
    db: Any, make_organization: Any, zone: str, expected: str
) -> None:
    org, _key = make_organization()
    org.timezone = zone
    db.flush()
    transfer = DataTransfer(organization_id=org.id, direction="export", resource="invoices")
    context = {"organization_name": org.name, "brand_color": "#000000", "transfer": transfer,
               "link": "http://localhost/x", "expires_at": EXPIRES}  # fmt: skip
    email = queue_email(db, "export_ready", ["a@example.com"], "Lista", context,
                        organization_id=org.id)  # fmt: skip
    assert expected in email.text_body and expected in email.html_body
    assert "UTC" not in email.text_body
