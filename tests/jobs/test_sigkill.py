"""Kill -9 the real worker in the middle of a webhook delivery: nothing is lost.

A real ``portal worker`` process, a real webhook receiver and a real SMTP server; the work is
enqueued by a second application pointed at its own database and at the worker's SQLite queue.
Covers webhook deliveries, emails and async invoice stamping (every invoice stamped exactly
once, even though the restarted worker's sweep enqueues them a second time).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from portal import create_app
from portal.config import PROJECT_ROOT
from portal.database import set_write_intent, write_intent
from portal.extensions import db
from portal.jobs.queue import init_queue
from portal.models.base import Base
from portal.models.events import Event, WebhookDelivery
from portal.models.invoices import Invoice
from portal.models.mail import OutboxEmail
from portal.services import accounts, events, invoices, webhooks
from portal.services.mail import queue_email
from portal.tenancy import Tenant
from tests.fixtures.factories import ready_organization

EVENTS, EMAILS, INVOICES = 6, 3, 3


@pytest.fixture
def worker_env(
    app: Any, fresh_database: Callable[[str], str], tmp_path: Path, smtp_server: Any
) -> Iterator[tuple[dict[str, str], Any, Any]]:
    """(environment of the worker, the producing app, the SMTP mailbox); queue restored after."""
    mailbox = smtp_server()
    env = {
        **os.environ,
        "DATABASE_URL": fresh_database("sigkill"),
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "sigkill-secret",
        "ENCRYPTION_KEY": app.config["ENCRYPTION_KEY"],
        "WEBHOOKS_ALLOW_LOOPBACK": "1",
        "JOB_LEASE_SECONDS": "2",
        "MAIL_URL": app.config["MAIL_URL"],
        "HUEY_IMMEDIATE": "0",
    }
    producer = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"],
            "INSTANCE_PATH": env["INSTANCE_PATH"],
            "SECRET_KEY": env["SECRET_KEY"],
            "ENCRYPTION_KEY": env["ENCRYPTION_KEY"],
            "WEBHOOKS_ALLOW_LOOPBACK": True,
            "PUBLIC_BASE_URL": "http://localhost",
        }
    )
    try:
        yield env, producer, mailbox
    finally:
        init_queue(app)  # back to inline jobs for the rest of the session


def _start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            # ``portal worker``, run as the console script does (from the project directory,
            # so that a stale editable install cannot shadow the package).
            [
                sys.executable,
                "-c",
                "from portal.cli import main; main()",
                "worker",
                "--workers",
                "2",
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _kill(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)


def _wait(condition: Callable[[], bool], timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}; worker log:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)


def _enqueue_work(receiver_url: str, csd: Any, invoice_body: Any) -> tuple[set[str], set[str]]:
    Base.metadata.create_all(db.engine)
    account, _ = accounts.create_account(db.session, "kill@example.com", "correct horse 9", "K")
    org = ready_organization(db.session, account, csd)
    types = ["receipt.status_updated", "invoice.status_updated"]
    webhooks.create_webhook(
        db.session, org.id, False, {"url": receiver_url, "enabled_events": types}
    )
    tenant = Tenant(org, False)
    for _ in range(INVOICES):
        invoice = invoices.create(db.session, tenant, invoice_body(), run_async=True)
        # Old enough for the stamping sweep: the restarted worker enqueues it a second time.
        invoice.created_at = invoice.created_at - timedelta(minutes=5)
    data = {"type": "receipt", "object": {"id": "r"}}
    ids = {
        events.record(db.session, org.id, False, "receipt.status_updated", data).id
        for _ in range(EVENTS)
    }
    subjects = set()
    for n in range(EMAILS):
        subject = f"Mensaje {n}"
        context = {"account": account, "link": f"http://localhost/reset/{n}"}
        queue_email(db.session, "password_reset", ["kill@example.com"], subject, context)
        subjects.add(subject)
    db.session.commit()  # the outbox enqueues the jobs in the worker's queue
    return ids, subjects


def _states(model: Any) -> list[str]:
    before = write_intent()
    set_write_intent(False)  # never hold SQLite's write lock while the worker works
    try:
        states = list(db.session.scalars(select(model.status)))
    finally:
        set_write_intent(before)
    db.session.rollback()
    return states


def test_sigkill_mid_delivery_loses_nothing(
    worker_env: tuple[dict[str, str], Any, Any],
    receiver: Any,
    tmp_path: Path,
    org_csd: Any,
    invoice_body: Any,
) -> None:
    env, producer, mailbox = worker_env
    log = tmp_path / "worker.log"
    receiver.delay = 3.0  # the first deliveries hang: the worker dies while waiting
    with producer.app_context():
        event_ids, subjects = _enqueue_work(receiver.url, org_csd, invoice_body)
        worker = _start(env, log)
        try:
            _wait(lambda: len(receiver.requests) >= 1, 60, "the first delivery", log)
            _kill(worker)
            assert "sending" in _states(WebhookDelivery)  # killed mid-delivery
            receiver.delay = 0
            time.sleep(2.5)  # the killed worker's lease on its deliveries runs out
            worker = _start(env, log)
            _wait(lambda: set(_states(WebhookDelivery)) == {"delivered"}, 60, "deliveries", log)
            _wait(lambda: set(_states(OutboxEmail)) == {"sent"}, 60, "emails", log)
            _wait(lambda: set(_states(Invoice)) == {"valid"}, 60, "stamping", log)
            _wait(lambda: set(_states(WebhookDelivery)) == {"delivered"}, 60, "deliveries", log)
        finally:
            _kill(worker)
        received = receiver.events()
        stamped = db.session.scalars(select(Invoice)).all()
        assert len({invoice.uuid for invoice in stamped}) == INVOICES  # each stamped once
        status_events = db.session.scalars(
            select(Event).where(Event.type == "invoice.status_updated")
        ).all()
        assert sorted(e.data["object"]["id"] for e in status_events) == sorted(
            invoice.id for invoice in stamped
        )
        event_ids |= {e.id for e in status_events}
        assert {e["id"] for e in received} == event_ids  # every event, at least once
        assert len(received) >= EVENTS + INVOICES
        for request in receiver.requests:
            secret = webhooks.secret_of(db.session.scalars(select(WebhookDelivery)).first().webhook)
            assert (
                webhooks.sign(secret, request["body"]) == request["headers"]["Facturapi-Signature"]
            )
    assert {m["Subject"] for m in mailbox.wait_for(EMAILS)} == subjects
