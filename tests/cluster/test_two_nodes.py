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
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, func, select, text

from portal import create_app
from portal.config import PROJECT_ROOT
from portal.extensions import db
from portal.jobs.queue import init_queue
from portal.migrate import upgrade
from portal.models.events import Event, WebhookDelivery
from portal.models.invoices import Invoice
from portal.services import accounts, api_keys, webhooks
from portal.services import organizations as orgs
from tests.cluster.processes import RedisServer, free_port, wait_for
from tests.fixtures.factories import LEGAL
from tests.fixtures.invoices import CUSTOMER, ITEM
from tests.fixtures.receipts import BUYER, RECEIPT_ITEM

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="the two-node test runs on the PostgreSQL pass",
)
INVOICES = int(os.environ.get("CLUSTER_INVOICES", "200"))
ASYNC_INVOICES = 10
REDEMPTIONS = 20
PASSWORD = "correct horse battery 9"
EVENTS = ["invoice.status_updated", "receipt.self_invoice_complete"]


class PostgresServer:
    """A throwaway PostgreSQL server of this test's own, which it may restart."""

    def __init__(self, directory: Path) -> None:
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
        if not bins:
            pytest.fail("PostgreSQL is not installed")
        self.bin, self.directory, self.port = bins[-1], directory, free_port()
        self.as_pg = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
        self.url = f"postgresql://portal@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_pg, *args], check=True, capture_output=True)

    def start(self) -> None:
        """initdb on first use, then start and wait until it accepts connections."""
        data = self.directory / "data"
        if not data.exists():
            if self.as_pg:
                shutil.chown(self.directory, "postgres")
            self._run(str(self.bin / "initdb"), "-D", str(data), "-U", "portal", "-A", "trust")
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c max_connections=200"
        )
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(self.directory / "log"),
            "-w",
            "start",
            "-o",
            options,
        )

    def stop(self, mode: str = "fast") -> None:
        """Stop it (``immediate`` is a crash)."""
        subprocess.run(
            [
                *self.as_pg,
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.directory / "data"),
                "-m",
                mode,
                "-w",
                "stop",
            ],
            capture_output=True,
        )


class Cluster:
    """The processes of the topology, their logs and their addresses."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs = env, logs
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.nodes = [f"http://127.0.0.1:{free_port()}" for _ in range(2)]

    def start(self, name: str, *args: str) -> None:
        """Start ``portal <args>`` as ``name``, in a process group of its own."""
        with (self.logs / f"{name}.log").open("ab") as out:
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-c", "from portal.cli import main; main()", *args],
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def start_all(self) -> None:
        """Two web nodes, two workers, one scheduler."""
        for n, node in enumerate(self.nodes):
            self.start(f"web{n}", "web", "--port", node.rsplit(":", 1)[1], "--web-workers", "2")
        self.start("worker0", "worker", "--workers", "2")
        self.start("worker1", "worker", "--workers", "2")
        self.start("scheduler", "scheduler")

    def kill(self, name: str) -> None:
        """SIGKILL a process and everything in its group."""
        process = self.processes[name]
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        """SIGKILL everything."""
        for name in self.processes:
            self.kill(name)

    def tail(self) -> str:
        """The end of every log (for failures)."""
        return "\n".join(
            f"--- {log.name}\n{log.read_text()[-1500:]}" for log in sorted(self.logs.glob("*.log"))
        )


def _healthy(node: str) -> bool:
    try:
        return requests.get(f"{node}/healthz", timeout=5).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture
def topology(app: Any, tmp_path: Path, receiver: Any, org_csd: Any) -> Iterator[dict[str, Any]]:
    """The running cluster, its servers, an organization with a test key and a webhook."""
    # Under /tmp, not pytest's folder, which the postgres user may not enter.
    pg_dir = Path(tempfile.mkdtemp(prefix="portal-pg-cluster."))
    postgres = PostgresServer(pg_dir)
    redis = RedisServer(free_port(), tmp_path, persistent=True)
    (tmp_path / "logs").mkdir()
    postgres.start()
    redis.start()
    env = {
        **os.environ,
        "DATABASE_URL": postgres.url,
        "REDIS_URL": redis.url,
        "SECRET_KEY": "two-nodes-secret",
        "ENCRYPTION_KEY": app.config["ENCRYPTION_KEY"],
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "WEBHOOKS_ALLOW_LOOPBACK": "1",
        "JOB_LEASE_SECONDS": "5",
        "PENDING_INVOICE_SWEEP_SECONDS": "5",
        "HEALTH_MAX_HEARTBEAT_AGE": "30",
        "PUBLIC_BASE_URL": "http://localhost",
    }
    env.pop("HUEY_IMMEDIATE", None)
    cluster = Cluster(env, tmp_path / "logs")
    try:
        upgrade(postgres.url)
        setup = _organization(postgres.url, env, receiver, org_csd)
        cluster.start_all()
        for node in cluster.nodes:
            wait_for(lambda n=node: _healthy(n), 60, f"{node} healthy", tmp_path / "logs/web0.log")
        yield {"cluster": cluster, "postgres": postgres, "redis": redis, **setup}
    finally:
        cluster.stop_all()
        redis.stop()
        postgres.stop("immediate")
        shutil.rmtree(pg_dir, ignore_errors=True)
        init_queue(app)  # the producer app repointed the global queue


def _organization(url: str, env: dict[str, str], receiver: Any, csd: Any) -> dict[str, Any]:
    producer = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": env["INSTANCE_PATH"],
            "SECRET_KEY": env["SECRET_KEY"],
            "ENCRYPTION_KEY": env["ENCRYPTION_KEY"],
            "HUEY_IMMEDIATE": True,
            "WEBHOOKS_ALLOW_LOOPBACK": True,
            "PASSWORD_HASH_CHEAP": True,
        }
    )
    with producer.app_context():
        account, _ = accounts.create_account(db.session, "two@example.com", PASSWORD, "Two")
        org = orgs.create_organization(db.session, account, "Escuela Kemper")
        orgs.upload_certificate(org, csd.cer_der, csd.key_der, csd.password)
        orgs.update_legal(org, LEGAL)
        orgs.set_domain(db.session, org, "kemper")
        key = api_keys.test_key(db.session, org)
        webhook, secret = webhooks.create_webhook(
            db.session, org.id, False, {"url": receiver.url, "enabled_events": EVENTS}
        )
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return {"key": key, "secret": secret, "producer": producer}


class Client:
    """API calls that remember every answer (status, Idempotency-Key, invoice id)."""

    def __init__(self, nodes: list[str], key: str) -> None:
        self.nodes, self.key = nodes, key
        self.answers: list[tuple[int, str, str | None]] = []

    def invoice(self, n: int, run_async: bool = False, idem: str | None = None) -> Any:
        """POST an invoice on node ``n % 2`` with a fresh (or given) Idempotency-Key."""
        idem = idem or uuid.uuid4().hex
        node = self.nodes[n % 2]
        body = {"customer": CUSTOMER, "items": [ITEM], "payment_form": "03", "use": "G03"}
        try:
            response = requests.post(
                f"{node}/v2/invoices" + ("?async=true" if run_async else ""),
                json=body,
                headers={"Authorization": f"Bearer {self.key}", "Idempotency-Key": idem},
                timeout=60,
            )
        except requests.RequestException:
            self.answers.append((0, idem, None))
            return None
        ok = response.status_code == 200
        self.answers.append((response.status_code, idem, response.json()["id"] if ok else None))
        return response

    def many(self, count: int, run_async: bool = False, threads: int = 8) -> list[Any]:
        """``count`` invoices in parallel, alternating the nodes."""
        with ThreadPoolExecutor(threads) as pool:
            return list(pool.map(lambda n: self.invoice(n, run_async), range(count)))


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
