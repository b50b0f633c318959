"""The multi-process harness of the PostgreSQL cluster tests: a throwaway PostgreSQL server, a
Redis, ``portal web`` nodes, ``portal worker``s and a ``portal scheduler`` as real processes on
free local ports, and an organization with a test key and a webhook to drive them."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

from portal import create_app
from portal.config import PROJECT_ROOT
from portal.extensions import db
from portal.jobs.queue import init_queue
from portal.migrate import upgrade
from portal.services import accounts, api_keys, webhooks
from tests.cluster.processes import RedisServer, free_port, wait_for
from tests.fixtures.factories import ready_organization
from tests.fixtures.invoices import CUSTOMER, ITEM

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

    def __init__(self, env: dict[str, str], logs: Path, web_nodes: int = 2) -> None:
        self.env, self.logs = env, logs
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.nodes = [f"http://127.0.0.1:{free_port()}" for _ in range(web_nodes)]

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

    def start_web(self, n: int) -> None:
        """Web node ``n`` (``webN``) on its port, with two gunicorn workers."""
        port = self.nodes[n].rsplit(":", 1)[1]
        self.start(f"web{n}", "web", "--port", port, "--web-workers", "2")

    def start_all(self, workers: int = 2) -> None:
        """Every web node, ``workers`` workers (``worker0``…), one scheduler."""
        for n in range(len(self.nodes)):
            self.start_web(n)
        for n in range(workers):
            self.start(f"worker{n}", "worker", "--workers", "2")
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

    def wait_healthy(self, n: int, timeout: float = 60) -> None:
        """Until web node ``n`` answers ``/healthz`` with 200."""
        node = self.nodes[n]
        wait_for(lambda: healthy(node), timeout, f"{node} healthy", self.logs / f"web{n}.log")

    def tail(self) -> str:
        """The end of every log (for failures)."""
        return "\n".join(
            f"--- {log.name}\n{log.read_text()[-1500:]}" for log in sorted(self.logs.glob("*.log"))
        )


class Client:
    """API calls that remember every answer (status, Idempotency-Key, invoice id)."""

    def __init__(self, nodes: list[str], key: str) -> None:
        self.nodes, self.key = nodes, key
        self.answers: list[tuple[int, str, str | None]] = []

    def invoice(self, n: int, run_async: bool = False, idem: str | None = None) -> Any:
        """POST an invoice on node ``n`` (modulo the nodes) with a fresh (or given)
        Idempotency-Key; None when no answer came (the connection failed or was cut)."""
        idem = idem or uuid.uuid4().hex
        node = self.nodes[n % len(self.nodes)]
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


def healthy(node: str) -> bool:
    """Whether the node answers ``/healthz`` with 200."""
    try:
        return requests.get(f"{node}/healthz", timeout=5).status_code == 200
    except requests.RequestException:
        return False


@contextmanager
def running(
    app: Any,
    tmp_path: Path,
    receiver: Any,
    csd: Any,
    env: dict[str, str] | None = None,
    web_nodes: int = 2,
    workers: int = 2,
) -> Iterator[dict[str, Any]]:
    """A started topology (PostgreSQL, Redis, ``web_nodes`` healthy nodes, ``workers``
    workers, a scheduler) and an organization with a test key and a webhook to ``receiver``:
    ``{"cluster", "postgres", "redis", "key", "secret", "producer"}``. ``env`` adds to or
    overrides the processes' environment."""
    # Under /tmp, not pytest's folder, which the postgres user may not enter.
    pg_dir = Path(tempfile.mkdtemp(prefix="portal-pg-cluster."))
    postgres = PostgresServer(pg_dir)
    redis = RedisServer(free_port(), tmp_path, persistent=True)
    (tmp_path / "logs").mkdir()
    postgres.start()
    redis.start()
    process_env = {
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
        **(env or {}),
    }
    process_env.pop("HUEY_IMMEDIATE", None)
    cluster = Cluster(process_env, tmp_path / "logs", web_nodes)
    try:
        upgrade(postgres.url)
        setup = organization(postgres.url, process_env, receiver, csd)
        cluster.start_all(workers)
        for n in range(web_nodes):
            cluster.wait_healthy(n)
        yield {"cluster": cluster, "postgres": postgres, "redis": redis, **setup}
    finally:
        cluster.stop_all()
        redis.stop()
        postgres.stop("immediate")
        shutil.rmtree(pg_dir, ignore_errors=True)
        init_queue(app)  # the producer app repointed the global queue


def organization(url: str, env: dict[str, str], receiver: Any, csd: Any) -> dict[str, Any]:
    """An account and an organization ready to stamp (CSD, legal data, a test key) with a
    webhook to ``receiver`` for ``EVENTS``; committed in the cluster's database."""
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
        org = ready_organization(db.session, account, csd, domain="kemper")
        key = api_keys.test_key(db.session, org)
        webhook, secret = webhooks.create_webhook(
            db.session, org.id, False, {"url": receiver.url, "enabled_events": EVENTS}
        )
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return {"key": key, "secret": secret, "producer": producer}
