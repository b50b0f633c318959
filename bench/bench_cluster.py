"""Two web nodes against one, in the same run: the topology of the two-node test (two
``portal web`` nodes, a worker and the scheduler on one PostgreSQL and one Redis).

Run with ``make bench-cluster`` (``.ci/with-postgres .venv/bin/python bench/bench_cluster.py``).
Prints, for sync invoice creation and the self-invoice page: requests per second and p50/p95
through both nodes (two wrk runs at once, half the clients each) and through one node (all the
clients on it), then a global invoice over ``BENCH_RECEIPTS`` receipts. On one machine the nodes
share its cores, so two nodes can only show what the spread costs or gains, not more cores.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from _harness import ROOT, Load, Request, free_port, fresh_database, json_request, seed, wrk
from _machine import INVOICE, measure
from bench_selfinvoice import LANGUAGE, global_invoice_seconds, receipts_for_page


@contextmanager
def redis() -> Iterator[str]:
    """A redis-server on a free port for the duration of the block."""
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server is not installed (apt-get install redis-server)")
    port, folder = free_port(), tempfile.mkdtemp(prefix="portal-bench-redis-")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", folder],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def cluster(site, redis_url: str, web_workers: int) -> Iterator[list[int]]:
    """Two web nodes, a worker and the scheduler; yields the nodes' ports."""
    env = {
        **os.environ,
        "DATABASE_URL": site.database_url,
        "REDIS_URL": redis_url,
        "INSTANCE_PATH": site.instance,
        "SECRET_KEY": site.settings["SECRET_KEY"],
        "ENCRYPTION_KEY": site.settings["ENCRYPTION_KEY"],
        "LOG_LEVEL": "WARNING",
    }
    ports = [free_port(), free_port()]
    portal = [sys.executable, "-c", "from portal.cli import main; main()"]
    roles = [["web", "--port", str(p), "--web-workers", str(web_workers)] for p in ports]
    roles += [["worker"], ["scheduler"]]
    processes = [
        subprocess.Popen([*portal, *role], cwd=ROOT, env=env, start_new_session=True)
        for role in roles
    ]
    try:
        for port in ports:
            _wait_until_up(port)
        yield ports
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            process.wait(timeout=30)


def _wait_until_up(port: int) -> None:
    import urllib.request

    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2)
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"node on {port} did not come up")


def both(ports: list[int], requests: list[Request], clients: int, seconds: float) -> Load:
    """wrk on every node at once, the clients split between them; one combined figure
    (rates added; percentiles: the worse node's, since wrk gives no samples to merge)."""
    with ThreadPoolExecutor(len(ports)) as pool:
        loads = list(pool.map(lambda p: wrk(p, requests, clients // len(ports), seconds), ports))
    worst = max(loads, key=lambda load: load.latencies[1])
    total = sum(load.requests for load in loads)
    errors = sum(load.errors for load in loads)
    return type(worst)(total, errors, max(load.seconds for load in loads), worst.latencies)


def main() -> None:
    """Print the figures."""
    clients = int(os.environ.get("BENCH_CLIENTS", "16"))
    seconds = float(os.environ.get("BENCH_SECONDS", "10"))
    rows = int(os.environ.get("BENCH_RECEIPTS", "10000"))
    web_workers = int(os.environ.get("BENCH_WEB_WORKERS", "2"))
    machine = measure()
    print(machine.report())
    print(f"machine: {os.cpu_count()} cores; each node: gunicorn, {web_workers} sync workers")
    site = seed(fresh_database("portal_bench_cluster"))
    keys = receipts_for_page(site, 200)
    pages = [Request("GET", f"/{site.domain}/{key}", None, LANGUAGE) for key in keys]
    create = [json_request("POST", "/v2/invoices", site.test_key, INVOICE)]
    with redis() as redis_url, cluster(site, redis_url, web_workers) as ports:
        for label, requests in (
            ("POST /v2/invoices (sync)", create),
            ("GET /<domain>/<key>", pages),
        ):
            one = wrk(ports[0], requests, clients, seconds)
            two = both(ports, requests, clients, seconds)
            print(one.report(f"{label}, one node,  {clients} clients"))
            print(two.report(f"{label}, two nodes, {clients} clients"))
            print(f"  two nodes / one node: {two.rate / one.rate:.2f}")
    took, processed = global_invoice_seconds(site, rows)
    print(f"global invoice over {rows:,} open receipts: {took:.1f} s, {processed:,} invoiced")


if __name__ == "__main__":
    main()
