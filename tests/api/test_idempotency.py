"""``Idempotency-Key`` on every creating POST (issue 19, point 4): one mechanism
(``portal.services.idempotency``) with the rules of invoices and receipts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from portal.models import Customer, IdempotencyKey, Invoice, Organization, Product, Webhook
from tests.fixtures.invoices import CUSTOMER

MX = ZoneInfo("America/Mexico_City")
PRODUCT = {"description": "Ukelele", "product_key": "60131324", "price": 345.6}
WEBHOOK = {"url": "http://127.0.0.1:9/hook", "enabled_events": ["invoice.status_updated"]}


def _yesterday() -> str:
    return (datetime.now(MX) - timedelta(days=1)).replace(hour=12).isoformat()


@pytest.fixture
def org_client(
    make_organization: Any, api: Any, db: Any, receipt_body: Any, app: Any, monkeypatch: Any
) -> Any:
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_LOOPBACK", True)
    organization, key = make_organization()
    organization.receipts_periodicity = "day"
    db.commit()
    client = api(key)
    client.post("/receipts", json=receipt_body(date=_yesterday()))  # for the global invoice
    return client


@pytest.fixture
def user_client(make_account: Any, api: Any) -> Any:
    _account, key = make_account()
    return api(key)


# resource path, first body, another body, the model it creates, which client
CASES = {
    "customers": ("/customers", CUSTOMER, {**CUSTOMER, "email": "b@example.com"}, Customer),
    "products": ("/products", PRODUCT, {**PRODUCT, "price": 10}, Product),
    "webhooks": ("/webhooks", WEBHOOK, {**WEBHOOK, "url": "http://127.0.0.1:9/b"}, Webhook),
    "global_invoices": (
        "/receipts/global-invoice",
        {"periodicity": "day"},
        {"periodicity": "day", "payment_form": "03"},
        Invoice,
    ),
    "organizations": ("/organizations", {"name": "Uno"}, {"name": "Dos"}, Organization),
}


@pytest.mark.parametrize("resource", list(CASES))
def test_replay_returns_the_same_object_and_another_body_is_a_409(request, db, resource) -> None:
    path, body, other, model = CASES[resource]
    client = request.getfixturevalue("user_client" if resource == "organizations" else "org_client")
    before = db.scalar(select(func.count()).select_from(model))
    headers = {"Idempotency-Key": f"retry-{resource}"}
    first = client.post(path, json=body, headers=headers)
    assert first.status_code == 200, first.json
    again = client.post(path, json=body, headers=headers)
    assert again.status_code == 200, again.json
    assert again.json["id"] == first.json["id"]
    if resource == "webhooks":
        assert again.json["secret"] == first.json["secret"]
    assert db.scalar(select(func.count()).select_from(model)) == before + 1
    clash = client.post(path, json=other, headers=headers)
    assert clash.status_code == 409
    error = clash.json
    assert error["ok"] is False and error["status"] == 409
    assert error["code"] == "idempotency_key_reused" and error["path"] == "idempotency_key"
    assert "llave de idempotencia" in error["message"]
    assert db.scalar(select(func.count()).select_from(model)) == before + 1
    fresh = client.post(path, json=body, headers={"Idempotency-Key": f"new-{resource}"})
    if resource != "global_invoices":  # the period's receipts are invoiced already
        assert fresh.status_code == 200 and fresh.json["id"] != first.json["id"]


def test_keys_are_per_environment_and_refused_when_too_long(make_organization, api, db):
    _org, key = make_organization()
    _other, other_key = make_organization()
    headers = {"Idempotency-Key": "same"}
    mine = api(key).post("/products", json=PRODUCT, headers=headers).json
    theirs = api(other_key).post("/products", json=PRODUCT, headers=headers).json
    assert mine["id"] != theirs["id"]
    long = api(key).post("/products", json=PRODUCT, headers={"Idempotency-Key": "k" * 65})
    assert long.status_code == 400 and long.json["path"] == "idempotency_key"


def test_a_refused_creation_keeps_no_key(make_organization, api, db) -> None:
    _org, key = make_organization()
    headers = {"Idempotency-Key": "after-a-fix"}
    refused = api(key).post("/products", json={"description": "x"}, headers=headers)
    assert refused.status_code == 400
    assert db.scalar(select(func.count()).select_from(IdempotencyKey)) == 0
    fixed = api(key).post("/products", json={"description": "x"}, headers=headers)
    assert fixed.status_code == 400  # the same body: refused again, not a replay
    created = api(key).post("/products", json=PRODUCT, headers={"Idempotency-Key": "other"})
    assert created.status_code == 200


def test_parallel_retries_with_one_key_create_one_object(live_server, make_organization, db):
    from concurrent.futures import ThreadPoolExecutor

    import requests

    _org, key = make_organization()
    headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": "parallel-1"}

    def post(_: int) -> requests.Response:
        return requests.post(
            f"{live_server}/v2/products", json=PRODUCT, headers=headers, timeout=60
        )

    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(post, range(6)))
    assert [r.status_code for r in responses] == [200] * 6, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    db.rollback()  # a fresh snapshot after the server's writes
    assert db.scalar(select(func.count()).select_from(Product)) == 1
