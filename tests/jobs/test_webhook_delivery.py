"""Events become signed webhook deliveries, retried with backoff, each attempt logged."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from portal.api.common import iso
from portal.models.accounts import Account
from portal.models.base import utcnow
from portal.models.events import Event, WebhookAttempt, WebhookDelivery
from portal.services import events, webhooks

DATA = {"type": "invoice", "object": {"id": "abc", "status": "valid", "total": 10944.82}}


def test_an_event_is_delivered_signed(
    db: Any, make_organization: Any, receiver: Any, make_webhook: Any
) -> None:
    org, _ = make_organization()
    webhook, secret = make_webhook(org, receiver.url)
    event = events.record(db, org.id, False, "invoice.status_updated", DATA)
    db.commit()  # the outbox dispatches after the commit (jobs run inline in tests)

    [request] = receiver.requests
    assert webhooks.sign(secret, request["body"]) == request["headers"]["Facturapi-Signature"]
    assert receiver.events() == [
        {
            "id": event.id,
            "created_at": iso(event.created_at),
            "livemode": False,
            "organization": org.id,
            "type": "invoice.status_updated",
            "data": DATA,
        }
    ]
    delivery = db.scalar(select(WebhookDelivery))
    assert delivery.status == "delivered" and delivery.attempts == 1
    attempt = db.scalar(select(WebhookAttempt))
    assert attempt.status_code == 200 and '"received"' in attempt.response_excerpt


def test_only_subscribed_enabled_webhooks_of_the_same_environment_get_it(
    db: Any, make_organization: Any, receiver: Any, make_webhook: Any
) -> None:
    org, _ = make_organization()
    other, _ = make_organization()
    make_webhook(org, receiver.url + "?live", livemode=True)
    make_webhook(org, receiver.url + "?receipts", events=["receipt.status_updated"])
    make_webhook(other, receiver.url + "?other")
    disabled, _ = make_webhook(org, receiver.url + "?disabled")
    webhooks.update_webhook(disabled, {"status": "disabled"})
    mine, _ = make_webhook(org, receiver.url + "?mine")
    events.record(db, org.id, False, "invoice.status_updated", DATA)
    db.commit()
    assert [r["path"] for r in receiver.requests] == ["/hook?mine"]
    assert db.scalar(select(Event)).organization_id == org.id


def test_unknown_event_type_is_a_programming_error(db: Any, make_organization: Any) -> None:
    org, _ = make_organization()
    with pytest.raises(ValueError):
        events.record(db, org.id, False, "invoice.created", DATA)


def _advance(monkeypatch: pytest.MonkeyPatch, delta: timedelta) -> None:
    moment = utcnow() + delta
    monkeypatch.setattr(webhooks, "utcnow", lambda: moment)


def test_a_receiver_failing_three_times_gets_the_event_on_the_fourth_try(
    db: Any, make_organization: Any, receiver: Any, make_webhook: Any, monkeypatch: Any
) -> None:
    from portal.jobs.queue import huey
    from portal.jobs.webhooks import sweep_webhooks

    org, _ = make_organization()
    make_webhook(org, receiver.url)
    receiver.statuses = [500, 503, 404]
    huey.storage.flush_schedule()
    events.record(db, org.id, False, "invoice.status_updated", DATA)
    db.commit()
    assert len(receiver.requests) == 1
    [retry] = huey.scheduled()  # the worker will run it on time, ~10 s later
    assert retry.args == (db.scalar(select(WebhookDelivery.id)),)
    db.rollback()  # no read snapshot held while the jobs write
    sweep_webhooks()  # nothing is due yet: the first retry waits 10 s
    assert len(receiver.requests) == 1
    for n, wait in enumerate((10, 10 + 60, 10 + 60 + 300), start=2):
        _advance(monkeypatch, timedelta(seconds=wait + 1))
        sweep_webhooks()
        assert len(receiver.requests) == n
    delivery = db.scalar(select(WebhookDelivery))
    db.refresh(delivery)
    assert delivery.status == "delivered" and delivery.attempts == 4
    codes = [
        a.status_code
        for a in db.scalars(select(WebhookAttempt).order_by(WebhookAttempt.created_at))
    ]
    assert sorted(codes) == [200, 404, 500, 503]
    assert len({r["headers"]["Facturapi-Signature"] for r in receiver.requests}) == 1
    assert len({e["id"] for e in receiver.events()}) == 1


def test_after_the_last_retry_the_webhook_is_failing_and_the_reseller_is_told(
    db: Any, make_organization: Any, receiver: Any, make_webhook: Any, monkeypatch: Any
) -> None:
    from portal.jobs.webhooks import sweep_webhooks
    from portal.models.mail import OutboxEmail

    org, _ = make_organization()
    webhook, _ = make_webhook(org, receiver.url)
    receiver.statuses = [500] * 20
    event = events.record(db, org.id, False, "invoice.status_updated", DATA)
    db.commit()
    elapsed = 0
    for delay in webhooks.RETRY_DELAYS:
        elapsed += delay + 1
        _advance(monkeypatch, timedelta(seconds=elapsed))
        sweep_webhooks()
    assert len(receiver.requests) == len(webhooks.RETRY_DELAYS) + 1
    assert elapsed >= 3 * 86400  # the last attempt came at least three days after the event
    delivery = db.scalar(select(WebhookDelivery))
    db.refresh(delivery)
    db.refresh(webhook)
    assert delivery.status == "failed" and webhook.failing_since is not None
    [notice] = db.scalars(select(OutboxEmail).where(OutboxEmail.kind == "webhook_failing")).all()
    assert notice.to == [db.get(Account, org.account_id).email]
    assert notice.organization_id == org.id and receiver.url in notice.text_body
    assert f"/dashboard/o/{org.id}/webhooks/{webhook.id}" in notice.text_body
    assert {e["id"] for e in receiver.events()} == {event.id}


def test_health_reports_the_outbox(
    db: Any, client: Any, make_organization: Any, make_webhook: Any, receiver: Any
) -> None:
    org, _ = make_organization()
    make_webhook(org, receiver.url)
    receiver.statuses = [500]
    events.record(db, org.id, False, "invoice.status_updated", DATA)
    db.commit()
    body = client.get("/healthz").json
    assert body["outbox"]["pending"] == 1 and body["outbox"]["oldest_age_seconds"] >= 0
    assert "pending" in body["queue"]


def _resolve_to(monkeypatch: pytest.MonkeyPatch, address: str) -> None:
    """Make every host name resolve to ``address`` (DNS under the test's control)."""
    import socket

    from portal.services import outbound

    def fake(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(outbound.socket, "getaddrinfo", fake)


def test_delivery_connects_to_the_checked_address_with_the_host_header(
    db: Any, make_organization: Any, receiver: Any, make_webhook: Any, monkeypatch: Any
) -> None:
    _resolve_to(monkeypatch, "127.0.0.1")
    org, _ = make_organization()
    port = receiver.server.server_port
    make_webhook(org, f"http://hooks.example.test:{port}/in")
    events.record(db, org.id, False, "invoice.status_updated", DATA)
    db.commit()
    [request] = receiver.requests
    assert request["headers"]["Host"] == f"hooks.example.test:{port}" and request["path"] == "/in"


def test_an_address_that_turned_private_is_refused_at_delivery(
    db: Any, app: Any, make_organization: Any, receiver: Any, make_webhook: Any, monkeypatch: Any
) -> None:
    _resolve_to(monkeypatch, "93.184.215.14")  # public when the webhook is saved
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_LOOPBACK", False)
    org, _ = make_organization()
    make_webhook(org, f"http://hooks.example.test:{receiver.server.server_port}/in")
    _resolve_to(monkeypatch, "127.0.0.1")  # DNS changed since
    events.record(db, org.id, False, "invoice.status_updated", DATA)
    db.commit()
    assert receiver.requests == []
    attempt = db.scalar(select(WebhookAttempt))
    assert attempt.status_code is None and "privada" in attempt.error
    delivery = db.scalar(select(WebhookDelivery))
    assert delivery.status == "pending" and delivery.next_attempt_at is not None


def test_redirects_are_not_followed(
    db: Any, make_organization: Any, receiver: Any, make_webhook: Any
) -> None:
    org, _ = make_organization()
    make_webhook(org, receiver.url)
    receiver.statuses = [302]
    events.record(db, org.id, False, "invoice.status_updated", DATA)
    db.commit()
    assert len(receiver.requests) == 1
    assert db.scalar(select(WebhookAttempt)).status_code == 302
    assert db.scalar(select(WebhookDelivery)).status == "pending"  # a redirect is a failure
