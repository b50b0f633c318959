"""Chaos on PostgreSQL (issue 15, "Done when"): the web server and the worker are SIGKILLed in
the middle of invoice creation, webhook delivery and email, restarted, and afterwards nothing is
lost, no folio is used twice, every webhook event reached the receiver at least once with a
valid signature, and every email reached the SMTP server at least once.

Real processes on free local ports (the harness of ``tests/cluster/topology.py``): a PostgreSQL
and a Redis of the test's own, one ``portal web`` node, one ``portal worker``, one ``portal
scheduler``; a slow webhook receiver and a slow aiosmtpd server on 127.0.0.1. Scaled for a
shared 2-core machine (25 to 70 s): ``CHAOS_INVOICES`` parallel invoices (40), 6 more while
the receiver is slow, 6 emails. ``JOB_LEASE_SECONDS`` is 3, so a killed worker's claimed
deliveries are due again 3 s later; the restarted worker sweeps on start.
"""

from __future__ import annotations

import collections
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, func, select

from portal.models.events import Event, WebhookDelivery
from portal.models.invoices import Invoice
from portal.models.mail import OutboxEmail
from portal.services import webhooks
from portal.statuses import DeliveryStatus, EmailStatus
from tests.cluster.processes import wait_for
from tests.cluster.topology import EVENTS, Client, running
from tests.fixtures.webhooks import Mailbox

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="the chaos test runs on the PostgreSQL pass",
)
INVOICES = int(os.environ.get("CHAOS_INVOICES", "40"))
SLOW_WEBHOOK_INVOICES = 6
EMAILS = 6
LEASE = 3


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1, without TLS or login."""
    server = Mailbox(None, None)
    yield server
    server.controller.stop()


@pytest.fixture
def chaos(
    app: Any, tmp_path: Path, receiver: Any, org_csd: Any, mailbox: Mailbox
) -> Iterator[dict[str, Any]]:
    """One web node, one worker, one scheduler; mail goes to ``mailbox``."""
    env = {
        "JOB_LEASE_SECONDS": str(LEASE),
        "PENDING_INVOICE_SWEEP_SECONDS": str(LEASE),
        "MAIL_URL": f"smtp://127.0.0.1:{mailbox.port}?tls=0",
    }
    with running(app, tmp_path, receiver, org_csd, env, web_nodes=1, workers=1) as started:
        url = started["postgres"].url.replace("postgresql://", "postgresql+psycopg://")
        engine = create_engine(url)
        try:
            yield {**started, "engine": engine}
        finally:
            engine.dispose()


def _count(engine: Any, query: Any) -> int:
    with engine.connect() as connection:
        return connection.scalar(query)


def _waiting(condition: Callable[[], object], what: str, cluster: Any) -> None:
    wait_for(condition, 60, what, cluster.logs / "worker0.log")


def test_sigkill_web_and_worker_mid_invoice_webhook_and_email_loses_nothing(
    chaos: dict[str, Any], receiver: Any, mailbox: Mailbox
):
    cluster, engine = chaos["cluster"], chaos["engine"]
    client = Client(cluster.nodes, chaos["key"])
    started = time.monotonic()
    invoices = select(func.count()).select_from(Invoice)

    # (a) Invoice creation: the web node dies while parallel requests are being answered.
    burst = threading.Thread(target=client.many, args=(INVOICES,))
    burst.start()
    wait_for(
        lambda: _count(engine, invoices) >= INVOICES // 4,
        60,
        "the first invoices",
        cluster.logs / "web0.log",
    )
    cluster.kill("web0")
    burst.join()
    unanswered = {idem for status, idem, _ in client.answers if status != 200}
    assert unanswered, "the web node was killed after every request was answered"
    with engine.connect() as connection:  # saved, but the answer was lost with the process
        saved = connection.scalars(
            select(Invoice.idempotency_key).where(Invoice.idempotency_key.in_(unanswered))
        ).all()
    cluster.start_web(0)  # what its process manager does
    cluster.wait_healthy(0)
    for idem in sorted(unanswered):  # the client retries each with the same key
        retried = client.invoice(0, idem=idem)
        assert retried is not None and retried.status_code == 200, cluster.tail()
    print(
        f"(a) {len(unanswered)} of {INVOICES} requests got no answer and were retried "
        f"({len(saved)} of them had been saved before the kill)"
    )

    # (b) Webhook delivery: a slow receiver, the worker dies with deliveries in flight. The
    # invoices are asynchronous: the worker stamps them and writes ``invoice.status_updated``.
    receiver.delay = 2.0
    slow = client.many(SLOW_WEBHOOK_INVOICES, run_async=True, threads=2)
    assert [r.status_code for r in slow] == [200] * SLOW_WEBHOOK_INVOICES, cluster.tail()
    sending = select(func.count()).select_from(WebhookDelivery)
    sending = sending.where(WebhookDelivery.status == DeliveryStatus.SENDING)
    _waiting(lambda: _count(engine, sending) > 0, "a delivery in flight", cluster)
    cluster.kill("worker0")
    in_flight = _count(engine, sending)
    receiver.delay = 0
    time.sleep(LEASE + 0.5)  # its claims lapse; otherwise the next minute's sweep finds them
    cluster.start("worker0", "worker", "--workers", "2")
    print(f"(b) worker killed with {in_flight} webhook deliveries in flight")

    # (c) Email: a slow SMTP server, the worker dies while sending.
    mailbox.delay = 2.0
    auth = {"Authorization": f"Bearer {chaos['key']}"}
    emailed = [idem for status, idem, _ in client.answers if status == 200][:EMAILS]
    ids = {idem: id_ for status, idem, id_ in client.answers if status == 200}
    for idem in emailed:
        response = requests.post(
            f"{cluster.nodes[0]}/v2/invoices/{ids[idem]}/email",
            json={"email": "cliente@example.com"},
            headers=auth,
            timeout=60,
        )
        assert response.status_code == 200, response.text
    mailing = select(func.count()).select_from(OutboxEmail)
    mailing = mailing.where(OutboxEmail.status == EmailStatus.SENDING)
    _waiting(lambda: _count(engine, mailing) > 0, "an email being sent", cluster)
    cluster.kill("worker0")
    mid_send = _count(engine, mailing)
    mailbox.delay = 0
    time.sleep(LEASE + 0.5)
    cluster.start("worker0", "worker", "--workers", "2")
    print(f"(c) worker killed with {mid_send} emails being sent")

    _settled(engine, cluster)
    _check(engine, client, receiver, chaos["secret"], mailbox)
    print(f"chaos test: {time.monotonic() - started:.1f} s after the cluster was up")


def _settled(engine: Any, cluster: Any) -> None:
    def done() -> bool:
        with engine.connect() as connection:
            unstamped = connection.scalar(
                select(func.count()).select_from(Invoice).where(Invoice.status != "valid")
            )
            undelivered = connection.scalar(
                select(func.count())
                .select_from(WebhookDelivery)
                .where(WebhookDelivery.status != "delivered")
            )
            unsent = connection.scalar(
                select(func.count())
                .select_from(OutboxEmail)
                .where(OutboxEmail.status != EmailStatus.SENT)
            )
        return unstamped == 0 and undelivered == 0 and unsent == 0

    wait_for(done, 75, "every invoice, webhook and email through", cluster.logs / "worker0.log")


def _check(engine: Any, client: Client, receiver: Any, secret: str, mailbox: Mailbox) -> None:
    with engine.connect() as connection:
        rows = connection.execute(
            select(Invoice.id, Invoice.idempotency_key, Invoice.folio_number)
        ).all()
        events = set(connection.scalars(select(Event.id).where(Event.type.in_(EVENTS))))
        subjects = collections.Counter(connection.scalars(select(OutboxEmail.subject)))
    by_key = collections.defaultdict(list)
    for row in rows:
        by_key[row.idempotency_key].append(row)
    sent = {idem for _, idem, _ in client.answers}
    # Nothing lost: every key sent (answered with 200, or retried with it until it was) has
    # exactly one invoice, the one every 200 for that key named; nothing else was created.
    assert {idem: len(by_key[idem]) for idem in sent} == dict.fromkeys(sent, 1)
    assert set(by_key) == sent
    for status, idem, id_ in client.answers:
        if status == 200:
            assert by_key[idem][0].id == id_
    folios = [row.folio_number for row in rows]
    assert None not in folios and len(folios) == len(set(folios))  # no folio used twice
    # Every webhook event at least once, each request signed with the webhook's secret.
    received = receiver.events()
    assert events and events <= {event["id"] for event in received}
    for request in receiver.requests:
        assert webhooks.sign(secret, request["body"]) == request["headers"]["Facturapi-Signature"]
    # Every email at least once (a message cut off mid-send may arrive twice).
    arrived = collections.Counter(message["Subject"] for message in mailbox.messages)
    assert sum(subjects.values()) >= EMAILS
    assert all(arrived[subject] >= count for subject, count in subjects.items()), (
        subjects,
        arrived,
    )
