"""No dashboard page shows a status as stored ("canceled", "invoiced_globally"…): documents in
every status are listed and opened, in Spanish and in English, and each status reads as a word."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from portal.models.base import utcnow
from portal.models.events import Event, Webhook, WebhookDelivery
from portal.models.mail import OutboxEmail
from portal.models.receipts import GlobalInvoiceRun
from portal.statuses import STATUS_ENUMS
from tests.dashboard.test_organizations import org_account
from tests.fixtures.retentions import retention_body
from tests.services.test_stats import invoice, receipt

RAW = "|".join(sorted({str(m) for enum in STATUS_ENUMS for m in enum}, key=len, reverse=True))
# In Spanish a stored status is never a word of the page: alone in an element, it leaked.
RAW_TEXT = re.compile(r">\s*(" + RAW + r")\s*<")
# In English "pending" or "done" are words too; a badge still never holds the stored text.
RAW_BADGE = re.compile(r'class="badge[^"]*"[^>]*>\s*(' + RAW + r")\s*<")


def _documents(db: Any, api: Any, org: Any, key: str, invoice_body: Any) -> dict[str, list[str]]:
    """Documents of the organization in every status; the paths of their pages."""
    client = api(key)
    stamped = client.post("/invoices", json=invoice_body()).get_json()
    canceled = client.post("/invoices", json=invoice_body()).get_json()
    assert client.delete(f"/invoices/{canceled['id']}?motive=02").status_code == 200
    kept = client.post("/retentions", json=retention_body()).get_json()
    dropped = client.post("/retentions", json=retention_body()).get_json()
    client.delete(f"/retentions/{dropped['id']}?motive=02")
    rows = [invoice(db, org, None, "1", status=s) for s in ("draft", "pending", "failed")]
    rows.append(invoice(db, org, utcnow(), "1", cancellation_status="pending"))
    now = utcnow()
    receipts = [
        receipt(db, org, now, status, expires_at=now + timedelta(days=2))
        for status in ("open", "canceled", "invoiced_to_customer", "invoiced_globally")
    ]
    hook = Webhook(
        organization_id=org.id,
        livemode=False,
        url="https://example.com/hook",
        enabled_events=["invoice.status_updated"],
        secret_encrypted=b"x",
        status="disabled",
    )
    db.add(hook)
    for status in ("pending", "sending", "delivered", "failed"):
        event = Event(organization_id=org.id, livemode=False, type="invoice.paid", data={})
        db.add(event)
        db.flush()
        db.add(
            WebhookDelivery(
                organization_id=org.id,
                livemode=False,
                event_id=event.id,
                webhook_id=hook.id,
                status=status,
            )
        )
    for status in ("pending", "sending", "sent", "failed", "kept"):
        db.add(
            OutboxEmail(
                organization_id=org.id,
                kind="invoice",
                to=["a@example.com"],
                subject="Factura",
                text_body="x",
                html_body="x",
                status=status,
            )
        )
    runs = [
        GlobalInvoiceRun(organization_id=org.id, livemode=False, status=status)
        for status in ("queued", "running", "done", "failed")
    ]
    db.add_all(runs)
    db.commit()
    invoices = [stamped["id"], canceled["id"], *(row.id for row in rows)]
    return {
        "lists": ["/", "/invoices", "/receipts", "/retentions", "/webhooks", "/activity"],
        "pages": [
            *(f"/invoices/{i}" for i in invoices),
            *(f"/receipts/{r.id}" for r in receipts),
            f"/webhooks/{hook.id}",
            *(f"/receipts/global/runs/{run.id}" for run in runs),
        ],
        "kept": [kept["id"]],
    }


@pytest.mark.parametrize("language", ["es", "en"])
def test_no_dashboard_page_shows_a_stored_status(
    db, client, api, make_organization, invoice_body, login_as, language
):
    org, key = make_organization()
    paths = _documents(db, api, org, key, invoice_body)
    login_as(org_account(org))
    client.post(f"/lang/{language}")

    for path in paths["lists"] + paths["pages"]:
        answer = client.get(f"/dashboard/o/{org.id}{path}")
        assert answer.status_code == 200, path
        page = answer.get_data(as_text=True)
        leaked = (RAW_TEXT if language == "es" else RAW_BADGE).findall(page)
        assert not leaked, (path, leaked)
        assert not re.search(r">[^<]*invoiced_(to_customer|globally)", page), path

    canceled_word = {"es": "Cancelada", "en": "Canceled"}[language]
    listing = client.get(f"/dashboard/o/{org.id}/invoices").get_data(as_text=True)
    assert f'<span class="badge badge-err">{canceled_word}</span>' in listing
