"""Queueing never fails a saved request (issue 16 item 3): with Redis unreachable the request
that saved its data answers success, the job waits in ``queued_jobs``, and the scheduler's
relay hands it to the queue once Redis is back."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from portal.database import set_write_intent
from portal.jobs.queue import huey, init_queue, relay
from portal.models.cluster import QueuedJob
from portal.models.invoices import Invoice


@pytest.fixture
def redis_queue(app: Any, redis_server: Any) -> Iterator[Any]:
    """The app's queue on ``redis_server`` (not running yet); inline jobs again afterwards."""
    saved = {key: app.config.get(key) for key in ("REDIS_URL", "HUEY_IMMEDIATE")}
    app.config.update(REDIS_URL=redis_server.url, HUEY_IMMEDIATE=False)
    init_queue(app)
    try:
        yield redis_server
    finally:
        app.config.update(saved)
        init_queue(app)


def test_async_invoice_saved_while_redis_is_down_answers_200_and_is_relayed_later(
    redis_queue, make_organization, api, invoice_body, db
):
    _, key = make_organization()
    started = time.monotonic()
    response = api(key).post("/invoices?async=true", json=invoice_body())
    assert response.status_code == 200, response.get_json()
    assert time.monotonic() - started < 5  # a dead queue fails fast, it does not hang
    invoice_id = response.get_json()["id"]
    set_write_intent(False)  # the test's reads must not hold SQLite's lock (the request set it)
    assert db.scalar(select(func.count()).select_from(QueuedJob)) == 1
    db.rollback()
    assert relay() == 0  # still down: the job stays
    assert db.scalar(select(func.count()).select_from(QueuedJob)) == 1
    db.rollback()  # the test's own read ends before it talks to Redis

    redis_queue.start()
    assert relay() == 1
    db.rollback()
    assert db.scalar(select(func.count()).select_from(QueuedJob)) == 0
    assert huey.pending_count() == 1
    db.rollback()
    huey.execute(huey.dequeue())  # what a worker does with it
    db.rollback()
    assert db.get(Invoice, invoice_id).status == "valid"


def test_healthz_shows_the_queue_down_and_the_kept_jobs(redis_queue, client, db):
    body = client.get("/healthz").get_json()
    assert body["queue"]["pending"] is None and body["queue"]["error"] == "ConnectionError"
    assert body["workers"]["jobs_waiting_for_queue"] == 0
