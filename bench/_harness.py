"""Shared pieces of the HTTP benchmarks: a fresh database, a seeded organization, gunicorn
on a free port, and a closed-loop load generator with latency percentiles.

The benchmarks run against PostgreSQL: ``.ci/with-postgres .venv/bin/python bench/<name>.py``
(``make bench`` does that for each of them).
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

RFC, NAME = "EKU9003173C9", "ESCUELA KEMPER URGATE"


def fresh_database(name: str) -> str:
    """An empty PostgreSQL database on the server of TEST_DATABASE_URL (or DATABASE_URL)."""
    base = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not base or not base.startswith("postgres"):
        sys.exit("run me with PostgreSQL: .ci/with-postgres .venv/bin/python bench/<name>.py")
    url = make_url(base.replace("postgresql://", "postgresql+psycopg://", 1))
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@dataclass
class Site:
    """A migrated database with one ready organization, and the app settings that reach it."""

    database_url: str
    instance: str
    settings: dict[str, Any]
    organization_id: str
    test_key: str
    domain: str


def seed(database_url: str, domain: str = "bench-shop") -> Site:
    """Migrate and create a reseller with a ready organization (legal data, test CSD, domain)."""
    from portal import create_app
    from portal.cfdi.testcsd import make_test_credentials
    from portal.extensions import db
    from portal.migrate import upgrade
    from portal.services import accounts, api_keys
    from portal.services import organizations as orgs

    instance = tempfile.mkdtemp(prefix="portal-bench-")
    settings = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": instance,
        "PASSWORD_HASH_CHEAP": True,
    }
    upgrade(database_url)
    app = create_app(settings)
    with app.app_context():
        account, _key = accounts.create_account(
            db.session, "bench@example.com", "una frase de prueba larga", "Bench"
        )
        org = orgs.create_organization(db.session, account, "Bench Shop")
        csd = make_test_credentials(RFC, NAME)
        orgs.upload_certificate(org, csd.cer_der, csd.key_der, csd.password)
        orgs.update_legal(
            org,
            {
                "name": "Bench Shop",
                "legal_name": NAME,
                "tax_system": "601",
                "address": {"zip": "42501"},
            },
        )
        orgs.set_domain(db.session, org, domain)
        key = api_keys.test_key(db.session, org)
        db.session.commit()
        org_id = org.id
    settings["SECRET_KEY"] = app.config["SECRET_KEY"]
    settings["ENCRYPTION_KEY"] = app.config["ENCRYPTION_KEY"]
    return Site(database_url, instance, settings, org_id, key, domain)


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(site: Site, workers: int = 2, threads: int = 1) -> Iterator[int]:
    """Serve the app with gunicorn on a free port for the duration of the block."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": site.database_url,
        "INSTANCE_PATH": site.instance,
        "SECRET_KEY": site.settings["SECRET_KEY"],
        "ENCRYPTION_KEY": site.settings["ENCRYPTION_KEY"],
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
    }
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "-w",
        str(workers),
        "--threads",
        str(threads),
        "-b",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "wsgi:app",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        _wait_until_up(port)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_until_up(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not come up")


@dataclass
class Load:
    """What a load run measured."""

    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        """Successful requests per second."""
        return (self.requests - self.errors) / self.seconds

    def percentile(self, share: float) -> float:
        """A latency percentile in milliseconds."""
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    def report(self, label: str) -> str:
        """One line with the figures."""
        return (
            f"{label}: {self.rate:7.1f} req/s, p50 {self.percentile(0.5):6.1f} ms, "
            f"p95 {self.percentile(0.95):6.1f} ms, errors {self.errors}/{self.requests}"
        )


Request = Callable[[], tuple[str, str, bytes | None, dict[str, str]]]


def load(port: int, make_request: Request, clients: int, seconds: float, expect: int = 200) -> Load:
    """Closed-loop load: ``clients`` connections each sending requests back to back."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        failed = 0
        while time.monotonic() < stop_at:
            method, path, body, headers = make_request()
            started = time.perf_counter()
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            mine.append(time.perf_counter() - started)
            failed += response.status != expect
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Load(len(latencies), errors[0], time.monotonic() - started, latencies)


def median(values: list[float]) -> float:
    """The median of a few repeated measurements."""
    return statistics.median(values)


def json_request(
    method: str, path: str, key: str, body: Any = None
) -> tuple[str, str, bytes | None, dict[str, str]]:
    """A JSON API request tuple for ``load``."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    return method, path, json.dumps(body).encode() if body is not None else None, headers
