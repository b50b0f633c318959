"""Shared pieces of the HTTP benchmarks: a fresh database, a seeded organization, gunicorn
on a free port, and two load generators: wrk (closed loop, for the most a server can do) and
an open loop at a fixed rate (for the latency at that rate).

The benchmarks run against PostgreSQL: ``.ci/with-postgres .venv/bin/python bench/<name>.py``
(``make bench`` does that for each of them).
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _machine import NAME, RFC  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from portal.cli import gunicorn_args  # noqa: E402


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


# How the benchmarks serve the app (``portal serve`` uses the same worker model).
GUNICORN_ARGS = os.environ.get("BENCH_GUNICORN", "").split() or gunicorn_args(2)
GUNICORN = "gunicorn " + " ".join(GUNICORN_ARGS)


@contextmanager
def gunicorn(site: Site) -> Iterator[int]:
    """Serve the app with gunicorn on a free port for the duration of the block."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": site.database_url,
        "INSTANCE_PATH": site.instance,
        "SECRET_KEY": site.settings["SECRET_KEY"],
        "ENCRYPTION_KEY": site.settings["ENCRYPTION_KEY"],
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        # The limiter still counts every call (its cost is measured), but far above what one
        # machine can send: the figures are the server's, not 429s.
        "API_RATE_LIMITS": "1000000/second",
        "LOG_LEVEL": "WARNING",
    }
    binary = str(Path(sys.executable).parent / "gunicorn")
    command = [binary, *GUNICORN_ARGS, "-b", f"127.0.0.1:{port}", "--log-level", "warning"]
    process = subprocess.Popen([*command, "wsgi:app"], cwd=ROOT, env=env)
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


@dataclass
class Request:
    """One HTTP request of a load run."""

    method: str
    path: str
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


WRK_SCRIPT = """
local requests = {%(requests)s}
local n = 0
request = function()
  n = n %% #requests + 1
  return requests[n]
end
init = function(args)
  for i, r in ipairs(requests) do
    requests[i] = wrk.format(r[1], r[2], r[3], r[4])
  end
end
done = function(summary, latency, _requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%f %%f %%f\\n", summary.requests,
    e.connect + e.read + e.write + e.timeout + e.status, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def _lua(value: str) -> str:
    return "[==[" + value + "]==]"


def wrk(port: int, requests: list[Request], clients: int, seconds: float) -> Load:
    """Closed-loop load with wrk (C, one thread): ``clients`` connections sending the given
    requests in turn, back to back. Returns the rate and percentiles wrk measured."""
    entries = []
    for r in requests:
        headers = "{" + ", ".join(f"[ {_lua(k)} ] = {_lua(v)}" for k, v in r.headers.items()) + "}"
        body = _lua(r.body.decode()) if r.body else "nil"
        entries.append(f"{{{_lua(r.method)}, {_lua(r.path)}, {headers}, {body}}}")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % {"requests": ",\n".join(entries)})
    try:
        duration = f"{max(1, round(seconds))}s"
        # A slow answer counts in the percentiles, not as an error (wrk's own timeout is 2 s).
        command = ["wrk", "-t", "1", "-c", str(clients), "-d", duration, "--timeout", "30s"]
        command += ["-s", script.name]
        url = f"http://127.0.0.1:{port}"
        output = subprocess.run([*command, url], check=True, capture_output=True, text=True).stdout
    finally:
        os.unlink(script.name)
    line = next(line for line in output.splitlines() if line.startswith("RESULT"))
    count, errors, micros, p50, p95, p99 = (float(x) for x in line.split()[1:])
    # wrk gives percentiles, not samples: keep them as a tiny sample set for ``Load``.
    return _Summary(int(count), int(errors), micros / 1e6, [p50 / 1e6, p95 / 1e6, p99 / 1e6])


class _Summary(Load):
    """A ``Load`` from wrk's own percentiles (p50, p95, p99)."""

    def percentile(self, share: float) -> float:
        return 1000 * self.latencies[0 if share <= 0.5 else 1 if share <= 0.95 else 2]


def open_loop(
    port: int, make_request: Callable[[], Request], rate: float, seconds: float, clients: int = 16
) -> Load:
    """Open-loop load: requests start on a fixed schedule (``rate`` per second) over at most
    ``clients`` connections, whether or not earlier ones have answered. Latency is measured
    from the scheduled start, so a server that falls behind shows it (no coordinated
    omission). This is the latency at a given throughput; a closed loop of N clients only
    shows N / throughput (Little's law)."""
    return asyncio.run(_open_loop(port, make_request, rate, seconds, clients))


async def _open_loop(
    port: int, make_request: Callable[[], Request], rate: float, seconds: float, clients: int
) -> Load:
    loop = asyncio.get_running_loop()
    idle: asyncio.Queue[tuple[Any, Any] | None] = asyncio.Queue()
    for _ in range(clients):
        idle.put_nowait(None)
    latencies: list[float] = []
    errors = lost = 0

    async def one(scheduled: float) -> None:
        nonlocal errors, lost
        connection = await idle.get()
        request = make_request()
        try:
            if connection is None:
                connection = await asyncio.open_connection("127.0.0.1", port)
            reader, writer = connection
            head = [f"{request.method} {request.path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
            head += [f"{k}: {v}" for k, v in request.headers.items()]
            head.append(f"Content-Length: {len(request.body or b'')}")
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + (request.body or b""))
            status_line = await reader.readline()
            length, close = 0, False
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
                elif name.lower() == "connection" and value.strip().lower() == "close":
                    close = True
            await reader.readexactly(length)
            latencies.append(loop.time() - scheduled)
            if status_line.split()[1:2] != [b"200"]:
                errors += 1
            if close:
                writer.close()
                connection = None
        except (OSError, asyncio.IncompleteReadError, IndexError):
            errors, lost, connection = errors + 1, lost + 1, None
        idle.put_nowait(connection)

    started = loop.time()
    tasks = []
    total = int(rate * seconds)
    for index in range(total):
        scheduled = started + index / rate
        await asyncio.sleep(max(0.0, scheduled - loop.time()))
        tasks.append(asyncio.create_task(one(scheduled)))
    await asyncio.gather(*tasks)
    return Load(len(latencies) + lost, errors, loop.time() - started, latencies)


def median(values: list[float]) -> float:
    """The median of a few repeated measurements."""
    return statistics.median(values)


def json_request(method: str, path: str, key: str, body: Any = None) -> Request:
    """A JSON API request."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    return Request(method, path, json.dumps(body).encode() if body is not None else None, headers)
