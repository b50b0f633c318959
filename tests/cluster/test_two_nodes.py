"""Two web nodes, two workers and one scheduler on one PostgreSQL and one Redis (issue 16
item 7), all real processes on free local ports: a flow across the nodes, then faults (a
worker SIGKILLed with jobs pending, Redis stopped for ten seconds, PostgreSQL restarted), and
afterwards nothing lost, no duplicate invoice, every webhook delivered at least once, and no
500 for a request whose data was saved.

It runs on the PostgreSQL pass of ``make test`` only, with a PostgreSQL server of its own (so
restarting it disturbs no other test). ``CLUSTER_INVOICES`` sets the parallel invoices (200).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, func, select, text

from portal.models.events import Event, WebhookDelivery
from portal.models.invoices import Invoice
from portal.services import webhooks
from tests.cluster.processes import wait_for
from tests.cluster.topology import EVENTS, PASSWORD, Client, Cluster, running
from tests.fixtures.receipts import BUYER, RECEIPT_ITEM

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="the two-node test runs on the PostgreSQL pass",
)
INVOICES = int(os.environ.get("CLUSTER_INVOICES", "200"))
ASYNC_INVOICES = 10
REDEMPTIONS = 20


@pytest.fixture
def topology(app: Any, tmp_path: Path, receiver: Any, org_csd: Any) -> Iterator[dict[str, Any]]:
    """The running cluster, its servers, an organization with a test key and a webhook."""
    with running(app, tmp_path, receiver, org_csd) as started:
        yield started


def _redeem(node: str, domain_key: str) -> int:
    session = requests.Session()
    page = session.get(f"{node}/kemper/{domain_key}", timeout=30)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    answer = session.post(
        f"{node}/kemper/{domain_key}/confirm",
        data={**BUYER, "csrf_token": token},
        timeout=60,
        allow_redirects=False,
    )
    return answer.status_code


def _login_on_one_node_use_on_the_other(nodes: list[str]) -> None:
    session = requests.Session()
    page = session.get(f"{nodes[0]}/login", timeout=30)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    login = session.post(
        f"{nodes[0]}/login",
        data={"email": "two@example.com", "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=30,
    )
    assert login.status_code == 302, login.text[:500]
    home = session.get(f"{nodes[1]}/dashboard/", allow_redirects=False, timeout=30)
    assert home.status_code == 200 and "Escuela Kemper" in home.text


def test_two_nodes_two_workers_survive_a_worker_kill_a_redis_outage_and_a_postgres_restart(
    topology: dict[str, Any], receiver: Any
):
    cluster, key = topology["cluster"], topology["key"]
    nodes, client = cluster.nodes, Client(cluster.nodes, topology["key"])
    engine = create_engine(
        topology["postgres"].url.replace("postgresql://", "postgresql+psycopg://"),
        pool_pre_ping=True,  # the test's own connections outlive the PostgreSQL restart
    )
    try:
        started = time.monotonic()
        responses = client.many(INVOICES)
        took = time.monotonic() - started
        assert [r.status_code for r in responses] == [200] * INVOICES, cluster.tail()
        print(f"{INVOICES} invoices over two nodes in {took:.1f} s")

        idem = "same-key-on-both-nodes"
        twice = [client.invoice(n, idem=idem).json()["id"] for n in range(2)]
        assert twice[0] == twice[1]

        client.many(ASYNC_INVOICES, run_async=True)

        auth = {"Authorization": f"Bearer {key}"}
        body = {"items": [RECEIPT_ITEM], "payment_form": "01"}
        receipt = requests.post(f"{nodes[0]}/v2/receipts", json=body, headers=auth, timeout=30)
        with ThreadPoolExecutor(REDEMPTIONS) as pool:
            statuses = list(
                pool.map(lambda n: _redeem(nodes[n % 2], receipt.json()["key"]), range(REDEMPTIONS))
            )
        assert all(status in (200, 302) for status in statuses), statuses
        _login_on_one_node_use_on_the_other(nodes)

        # Faults. A worker dies with jobs pending (slow receiver: deliveries are in flight).
        receiver.delay = 1.0
        client.many(ASYNC_INVOICES, run_async=True)
        time.sleep(1.5)
        cluster.kill("worker0")
        receiver.delay = 0
        # Redis down for ten seconds: saved requests still answer 200.
        topology["redis"].stop()
        down_at = time.monotonic()
        outage = client.many(6, run_async=True, threads=2) + client.many(4, threads=2)
        assert [r.status_code for r in outage] == [200] * 10, cluster.tail()
        time.sleep(max(0.0, 10 - (time.monotonic() - down_at)))
        topology["redis"].start()
        kept = [r.json()["id"] for r in outage[:6]]  # async, saved while Redis was down
        back = time.monotonic()
        wait_for(lambda: _all_valid(engine, kept), 30, "the kept jobs", cluster.logs / "w.log")
        print(
            f"async invoices saved during the outage stamped {time.monotonic() - back:.1f} s "
            "after Redis came back"
        )
        # PostgreSQL restarts; requests meanwhile may fail, but never after saving.
        topology["postgres"].stop("fast")
        during = client.many(4, threads=2)
        topology["postgres"].start()
        after = client.many(6, run_async=True, threads=2)
        assert [r.status_code for r in after] == [200] * 6, cluster.tail()
        cluster.start("worker0b", "worker", "--workers", "2")  # its process manager's restart

        _settled(engine, cluster)
        _check(engine, client, receipt.json()["id"], receiver, topology["secret"], during)
    finally:
        engine.dispose()


def _all_valid(engine: Any, ids: list[str]) -> bool:
    with engine.connect() as connection:
        statuses = connection.scalars(select(Invoice.status).where(Invoice.id.in_(ids))).all()
    return len(statuses) == len(ids) and set(statuses) == {"valid"}


def _settled(engine: Any, cluster: Cluster) -> None:
    def done() -> bool:
        with engine.connect() as connection:
            pending = connection.scalar(
                select(func.count()).select_from(Invoice).where(Invoice.status == "pending")
            )
            undelivered = connection.scalar(
                select(func.count())
                .select_from(WebhookDelivery)
                .where(WebhookDelivery.status != "delivered")
            )
        return pending == 0 and undelivered == 0

    wait_for(done, 150, "every invoice stamped and webhook delivered", cluster.logs / "worker1.log")


def _check(
    engine: Any, client: Client, receipt_id: str, receiver: Any, secret: str, during: list[Any]
) -> None:
    with engine.connect() as connection:
        rows = connection.execute(
            select(Invoice.id, Invoice.idempotency_key, Invoice.status, Invoice.folio_number)
        ).all()
        events = set(connection.scalars(select(Event.id).where(Event.type.in_(EVENTS))))
        redeemed = connection.scalar(
            text(
                "SELECT count(*) FROM invoices WHERE id IN (SELECT invoice_id FROM receipts "
                "WHERE id = :id)"
            ),
            {"id": receipt_id},
        )
    by_key = {row.idempotency_key: row for row in rows if row.idempotency_key}
    saved = [(status, idem, id_) for status, idem, id_ in client.answers if status == 200]
    assert all(by_key[idem].id == id_ for _, idem, id_ in saved)  # nothing lost
    unsaved_but_failed = [
        (status, idem) for status, idem, _ in client.answers if status != 200 and idem in by_key
    ]
    assert unsaved_but_failed == []  # no error for a request whose data was saved
    folios = [row.folio_number for row in rows]
    assert len(folios) == len(set(folios))  # no folio used twice
    first = sorted(by_key[idem].folio_number for _, idem, _ in saved[:INVOICES])
    assert first == list(range(1, INVOICES + 1))  # the parallel ones skipped none
    assert {row.status for row in rows} == {"valid"}
    assert redeemed == 1  # twenty redemptions, one invoice
    received = receiver.events()
    assert events <= {event["id"] for event in received}  # every webhook, at least once
    for request in receiver.requests:
        assert webhooks.sign(secret, request["body"]) == request["headers"]["Facturapi-Signature"]
