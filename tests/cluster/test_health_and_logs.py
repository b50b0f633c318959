"""/healthz reads the workers' heartbeats and the oldest pending job; /readyz is for load
balancers; requests and jobs log structured lines (issue 16 items 1 and 5)."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from sqlalchemy import update

from portal.jobs.cluster import beat, process_name
from portal.logs import JsonFormatter
from portal.models.base import utcnow
from portal.models.cluster import Heartbeat


def test_healthz_is_503_when_a_heartbeat_is_required_and_no_worker_beat(app, client, db):
    app.config["HEALTH_MAX_HEARTBEAT_AGE"] = 30
    try:
        assert client.get("/healthz").status_code == 503
        assert client.get("/healthz").json["status"] == "no_worker"
        assert client.get("/readyz").status_code == 200  # the node itself can serve
        db.add(Heartbeat(process="worker:old:1", role="worker", beat_at=utcnow() - timedelta(90)))
        db.commit()
        assert client.get("/healthz").status_code == 503  # too old
        beat("worker")
        body = client.get("/healthz").json
        assert body["status"] == "ok" and body["workers"]["newest_heartbeat_age_seconds"] < 5
    finally:
        app.config["HEALTH_MAX_HEARTBEAT_AGE"] = 0


def test_healthz_reports_the_oldest_pending_job(client, db, make_organization, api, invoice_body):
    from portal.models.invoices import Invoice

    _, key = make_organization()
    invoice = api(key).post("/invoices", json=invoice_body()).json
    # A plain UPDATE: through the ORM the outbox would stamp it inline at once.
    db.execute(
        update(Invoice)
        .where(Invoice.id == invoice["id"])
        .values(status="pending", created_at=utcnow() - timedelta(minutes=10))
    )
    db.commit()
    workers = client.get("/healthz").json["workers"]
    assert 590 <= workers["oldest_pending_job_age_seconds"] <= 700
    assert workers["newest_heartbeat_age_seconds"] is None and workers["ok"]  # not required


def test_a_heartbeat_row_names_the_process(app, db):
    beat("scheduler")
    row = db.get(Heartbeat, process_name("scheduler"))
    assert row is not None and row.role == "scheduler"


def test_requests_log_their_request_id(client, db, caplog):
    with caplog.at_level(logging.INFO, logger="portal.request"):
        response = client.get("/readyz", headers={"X-Request-Id": "abc123"})
    (record,) = [r for r in caplog.records if r.name == "portal.request"]
    assert record.request_id == "abc123" == response.headers["X-Request-Id"]
    assert record.status == 200 and record.path == "/readyz" and record.duration >= 0


def test_jobs_log_id_kind_attempt_and_duration(db, caplog):
    from portal.jobs.webhooks import sweep_webhooks

    with caplog.at_level(logging.INFO, logger="portal.jobs"):
        sweep_webhooks()
    (record,) = [r for r in caplog.records if r.name == "portal.jobs"]
    assert record.kind == "sweep_webhooks" and record.attempt == 1
    assert record.job_id and record.duration >= 0


def test_json_lines_carry_the_extra_fields():
    record = logging.makeLogRecord(
        {"name": "portal.request", "levelno": 20, "levelname": "INFO", "msg": "GET / 200"}
    )
    record.request_id = "r1"
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "GET / 200" and line["request_id"] == "r1"
    assert line["level"] == "INFO" and line["time"].endswith("Z")
