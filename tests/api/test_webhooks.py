"""The /v2/webhooks resource: CRUD, validation, tenancy, environments, signatures."""

from __future__ import annotations

from typing import Any

import pytest

from portal.services import webhooks

EVENTS = ["invoice.status_updated", "receipt.self_invoice_complete"]


@pytest.fixture
def hook_url(receiver: Any) -> str:
    return receiver.url


def test_create_list_retrieve_edit_delete(make_organization: Any, api: Any, hook_url: str) -> None:
    org, key = make_organization()
    client = api(key)
    created = client.post("/webhooks", json={"url": hook_url, "enabled_events": EVENTS})
    assert created.status_code == 200, created.json
    body = created.json
    assert body["secret"].startswith("whsec_")
    assert body["organization"] == org.id and body["livemode"] is False
    assert body["status"] == "enabled" and body["enabled_events"] == EVENTS

    listed = client.get("/webhooks").json
    assert listed["total_results"] == 1 and "secret" not in listed["data"][0]
    assert client.get(f"/webhooks/{body['id']}").json["url"] == hook_url

    edited = client.put(
        f"/webhooks/{body['id']}",
        json={"status": "disabled", "enabled_events": ["receipt.status_updated"]},
    ).json
    assert edited["status"] == "disabled" and edited["enabled_events"] == ["receipt.status_updated"]

    assert client.delete(f"/webhooks/{body['id']}").json["id"] == body["id"]
    assert client.get(f"/webhooks/{body['id']}").status_code == 404
    assert client.get("/webhooks").json["total_results"] == 0


@pytest.mark.parametrize(
    ("payload", "path", "code"),
    [
        ({}, "url", "required"),
        ({"url": "ftp://example.com/x", "enabled_events": EVENTS}, "url", "invalid_url"),
        ({"url": "http://10.0.0.8/hook", "enabled_events": EVENTS}, "url", "invalid_url"),
        ({"url": "http://169.254.169.254/latest", "enabled_events": EVENTS}, "url", "invalid_url"),
        ({"url": "http://[::1]:8080/", "enabled_events": EVENTS}, "url", "invalid_url"),
        ({"url": "http://224.0.0.1/", "enabled_events": EVENTS}, "url", "invalid_url"),
        ({"url": "http://100.64.0.1/", "enabled_events": EVENTS}, "url", "invalid_url"),
        ({"url": "http://x.invalid/", "enabled_events": EVENTS}, "url", "invalid_url"),
        ({"url": "https://example.com/h", "enabled_events": ["nope"]}, "enabled_events[0]", None),
        ({"url": "https://example.com/h", "enabled_events": []}, "enabled_events", "required"),
        ({"url": "https://example.com/h", "enabled_events": "x"}, "enabled_events", None),
        ({"url": 5, "enabled_events": EVENTS}, "url", None),
    ],
)
def test_bad_input_is_a_400_with_a_path(
    make_organization: Any, api: Any, payload: Any, path: str, code: str | None
) -> None:
    _, key = make_organization()
    response = api(key).post("/webhooks", json=payload)
    assert response.status_code == 400, response.json
    assert path in [e["path"] for e in response.json["errors"]]
    if code:
        assert code in [e["code"] for e in response.json["errors"]]


def test_loopback_is_refused_unless_allowed(make_organization: Any, api: Any, app: Any) -> None:
    _, key = make_organization()
    data = {"url": "http://127.0.0.1:9/hook", "enabled_events": EVENTS}
    assert not app.config["WEBHOOKS_ALLOW_LOOPBACK"]
    assert api(key).post("/webhooks", json=data).json["path"] == "url"


def test_bad_edit_is_a_400(make_organization: Any, api: Any, hook_url: str) -> None:
    _, key = make_organization()
    hook = api(key).post("/webhooks", json={"url": hook_url, "enabled_events": EVENTS}).json
    for body, path in (
        ({"status": "paused"}, "status"),
        ({"url": "http://192.168.1.1/"}, "url"),
        ({"enabled_events": ["x"]}, "enabled_events[0]"),
    ):
        response = api(key).put(f"/webhooks/{hook['id']}", json=body)
        assert response.status_code == 400 and response.json["path"] == path
    assert api(key).put(f"/webhooks/{hook['id']}", data="[", content_type="x").status_code == 400


def test_another_organizations_webhook_is_a_404(
    make_organization: Any, api: Any, hook_url: str
) -> None:
    _, key = make_organization()
    _, other_key = make_organization()
    hook = api(key).post("/webhooks", json={"url": hook_url, "enabled_events": EVENTS}).json
    other = api(other_key)
    assert other.get(f"/webhooks/{hook['id']}").status_code == 404
    assert other.put(f"/webhooks/{hook['id']}", json={"status": "disabled"}).status_code == 404
    assert other.delete(f"/webhooks/{hook['id']}").status_code == 404
    assert other.get("/webhooks").json["total_results"] == 0


def test_test_and_live_webhooks_are_separate(
    db: Any, make_organization: Any, api: Any, hook_url: str
) -> None:
    from portal.services import api_keys

    org, test_key = make_organization()
    live_key = api_keys.create_live_key(db, org)
    db.commit()
    hook = api(test_key).post("/webhooks", json={"url": hook_url, "enabled_events": EVENTS}).json
    assert api(live_key).get(f"/webhooks/{hook['id']}").status_code == 404
    assert api(live_key).get("/webhooks").json["total_results"] == 0
    live = api(live_key).post("/webhooks", json={"url": hook_url, "enabled_events": EVENTS}).json
    assert live["livemode"] is True
    assert api(test_key).get("/webhooks").json["total_results"] == 1


def test_validate_signature(make_organization: Any, api: Any, hook_url: str) -> None:
    _, key = make_organization()
    hook = api(key).post("/webhooks", json={"url": hook_url, "enabled_events": EVENTS}).json
    event = {"id": "e1", "type": "invoice.status_updated", "data": {"object": {"total": 1.5}}}
    signature = webhooks.sign(hook["secret"], webhooks.encode(event))
    client = api(key)
    ok = client.post(
        "/webhooks/validate-signature",
        json={"secret": hook["secret"], "signature": signature, "payload": event},
    )
    assert ok.status_code == 200 and ok.json == event
    # Without the secret, the organization's webhook secrets are tried; a raw body works too.
    raw = webhooks.encode(event).decode()
    assert (
        client.post(
            "/webhooks/validate-signature", json={"signature": signature, "payload": raw}
        ).json
        == event
    )
    bad = client.post(
        "/webhooks/validate-signature",
        json={"signature": signature, "payload": {**event, "id": "e2"}},
    )
    assert bad.status_code == 400 and bad.json["code"] == "invalid_signature"
    missing = client.post("/webhooks/validate-signature", json={})
    assert {e["path"] for e in missing.json["errors"]} == {"signature", "payload"}
