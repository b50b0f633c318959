"""Dashboard screens: webhooks (create, edit, resend, delete) and activity."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from portal.models.events import Webhook, WebhookAttempt, WebhookDelivery
from portal.services import events, webhooks

DATA = {"type": "invoice", "object": {"id": "inv1"}}


def _org(make_account: Any, make_organization: Any, login_as: Any) -> tuple[Any, Any, str]:
    account, _ = make_account()
    org, _ = make_organization(account=account)
    return org, login_as(account), f"/dashboard/o/{org.id}"


def test_create_edit_resend_and_delete(
    db: Any, make_account: Any, make_organization: Any, login_as: Any, receiver: Any
) -> None:
    org, client, base = _org(make_account, make_organization, login_as)
    assert client.get(f"{base}/webhooks").status_code == 200
    created = client.post(
        f"{base}/webhooks",
        data={
            "url": receiver.url,
            "enabled_events": ["invoice.status_updated"],
            "status": "enabled",
        },
    )
    assert created.status_code == 200
    hook = db.scalar(select(Webhook))
    assert hook.organization_id == org.id and hook.livemode is False
    secret = webhooks.secret_of(hook)
    assert secret in created.get_data(as_text=True)  # shown once at creation
    page = client.get(f"{base}/webhooks/{hook.id}").get_data(as_text=True)
    assert secret not in page and receiver.url in page
    assert secret in client.post(f"{base}/webhooks/{hook.id}/secret").get_data(as_text=True)

    events.record(db, org.id, False, "invoice.status_updated", DATA)
    db.commit()
    page = client.get(f"{base}/webhooks/{hook.id}").get_data(as_text=True)
    assert "invoice.status_updated" in page and "200" in page
    delivery = db.scalar(select(WebhookDelivery))
    assert client.post(f"{base}/deliveries/{delivery.id}/resend").status_code == 302
    assert len(receiver.requests) == 2
    assert db.scalar(select(func.count(WebhookAttempt.id))) == 2

    activity = client.get(f"{base}/activity").get_data(as_text=True)
    assert "invoice.status_updated" in activity and "Entregado" in activity

    edited = client.post(
        f"{base}/webhooks/{hook.id}",
        data={
            "url": receiver.url,
            "enabled_events": ["receipt.status_updated"],
            "status": "disabled",
        },
    )
    assert edited.status_code == 302
    db.refresh(hook)
    assert hook.status == "disabled" and hook.enabled_events == ["receipt.status_updated"]
    assert client.post(f"{base}/webhooks/{hook.id}/delete").status_code == 302
    assert client.get(f"{base}/webhooks/{hook.id}").status_code == 404


def test_bad_input_shows_errors_not_500(
    db: Any, make_account: Any, make_organization: Any, login_as: Any
) -> None:
    _, client, base = _org(make_account, make_organization, login_as)
    for data in (
        {"url": "http://10.1.2.3/x", "enabled_events": ["invoice.status_updated"]},
        {"url": "", "enabled_events": []},
        {"url": "https://example.com", "enabled_events": ["bogus"]},
    ):
        response = client.post(f"{base}/webhooks", data={**data, "status": "enabled"})
        assert response.status_code == 400
        assert 'role="alert"' in response.get_data(as_text=True)
    assert db.scalar(select(Webhook)) is None


def test_another_organizations_webhooks_are_404(
    db: Any,
    make_account: Any,
    make_organization: Any,
    login_as: Any,
    make_webhook: Any,
    receiver: Any,
) -> None:
    other, _ = make_organization()
    hook, _ = make_webhook(other, receiver.url)
    events.record(db, other.id, False, "invoice.status_updated", DATA)
    db.commit()
    delivery = db.scalar(select(WebhookDelivery))
    _, client, base = _org(make_account, make_organization, login_as)
    assert client.get(f"{base}/webhooks/{hook.id}").status_code == 404
    assert client.post(f"{base}/webhooks/{hook.id}", data={"url": "x"}).status_code == 404
    assert client.post(f"{base}/webhooks/{hook.id}/delete").status_code == 404
    assert client.post(f"{base}/webhooks/{hook.id}/secret").status_code == 404
    assert client.post(f"{base}/deliveries/{delivery.id}/resend").status_code == 404
    assert receiver.url not in client.get(f"{base}/webhooks").get_data(as_text=True)
    assert hook.id not in client.get(f"{base}/activity").get_data(as_text=True)
    assert client.get(f"/dashboard/o/{other.id}/webhooks").status_code == 404


def test_live_webhooks_are_not_shown_in_test_mode(
    db: Any,
    make_account: Any,
    make_organization: Any,
    login_as: Any,
    make_webhook: Any,
    receiver: Any,
) -> None:
    org, client, base = _org(make_account, make_organization, login_as)
    hook, _ = make_webhook(org, receiver.url + "?live", livemode=True)
    assert "?live" not in client.get(f"{base}/webhooks").get_data(as_text=True)
    assert client.get(f"{base}/webhooks/{hook.id}").status_code == 404
