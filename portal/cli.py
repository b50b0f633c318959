"""The ``portal`` command (also ``flask --app portal …``)."""

from __future__ import annotations

import json
import os
import sys

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from portal.config import PROJECT_ROOT
from portal.extensions import db
from portal.models.accounts import ROLE_RESELLER, ROLE_STAFF
from portal.services import accounts

DEMO_EMAIL, DEMO_PASSWORD = "demo@example.com", "factura-portal-2026"


def _create_account(email: str, password: str, name: str, role: str) -> None:
    from portal.errors import PortalError

    try:
        account, key = accounts.create_account(db.session, email, password, name, role)
    except PortalError as error:
        raise click.ClickException(f"{error.code}: {error.message}") from error
    db.session.commit()
    click.echo(json.dumps({"id": account.id, "email": account.email, "user_key": key}))


@click.command("create-reseller")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--name", default="")
@with_appcontext
def create_reseller(email: str, password: str, name: str) -> None:
    """Create a reseller account and print it as JSON with its user key."""
    _create_account(email, password, name, ROLE_RESELLER)


@click.command("create-staff")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--name", default="")
@with_appcontext
def create_staff(email: str, password: str, name: str) -> None:
    """Create a support staff account and print it as JSON."""
    _create_account(email, password, name, ROLE_STAFF)


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Create the demo reseller and a ready demo organization if missing; print how to use them."""
    from portal.services import demo

    seeded = demo.seed(db.session, DEMO_EMAIL, DEMO_PASSWORD)
    db.session.commit()
    base = current_app.config["PUBLIC_BASE_URL"]
    click.echo(f"Demo login: {DEMO_EMAIL} / {DEMO_PASSWORD}")
    click.echo(f"Demo organization: {seeded.organization.name} (test key {seeded.test_key})")
    click.echo(
        f"Self-invoice a demo receipt: {base}/{seeded.organization.domain}/{seeded.receipt_key}"
    )


@click.command("import-efos")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def import_efos(path: str) -> None:
    """Load SAT's 69-B list (EFOS) from its CSV, replacing the stored one."""
    from portal.errors import PortalError
    from portal.services import efos

    with open(path, "rb") as handle:
        data = handle.read()
    try:
        count = efos.import_list(db.session, data)
    except PortalError as error:
        raise click.ClickException(f"{error.code}: {error.message}") from error
    db.session.commit()
    click.echo(f"{count} RFC loaded from the 69-B list")


@click.command("make-test-csd")
@click.option("--rfc", required=True, help="RFC the certificate is issued to")
@click.option("--name", "legal_name", required=True, help="Legal name in the certificate")
@click.option("--password", required=True, help="Password of the private key")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False))
@click.option("--fiel", is_flag=True, help="Make a FIEL instead (it must be refused as a CSD)")
@click.option("--expired", is_flag=True, help="Make one that expired yesterday")
def make_test_csd(
    rfc: str, legal_name: str, password: str, out_dir: str, fiel: bool, expired: bool
) -> None:
    """Write a SAT-shaped TEST certificate (.cer) and key (.key), never valid for SAT."""
    from datetime import UTC, datetime, timedelta
    from pathlib import Path

    from portal.cfdi.testcsd import make_test_csd as make

    now = datetime.now(UTC)
    validity = (
        {"valid_from": now - timedelta(days=1460), "valid_to": now - timedelta(days=1)}
        if expired
        else {}
    )
    cer, key = make(rfc.upper(), legal_name, password, fiel=fiel, **validity)
    target = Path(out_dir)
    target.mkdir(parents=True, exist_ok=True)
    stem = rfc.upper() + ("_FIEL" if fiel else "")
    (target / f"{stem}.cer").write_bytes(cer)
    (target / f"{stem}.key").write_bytes(key)
    click.echo(
        json.dumps(
            {
                "cer": str(target / f"{stem}.cer"),
                "key": str(target / f"{stem}.key"),
                "rfc": rfc.upper(),
            }
        )
    )


@click.command("migrate")
@with_appcontext
def migrate() -> None:
    """Apply every pending database migration (under a database-wide lock: safe to run from
    several places at once)."""
    from portal import logs
    from portal.migrate import upgrade_locked

    logs.configure("migrate")
    upgrade_locked(current_app.config["SQLALCHEMY_DATABASE_URI"])
    click.echo("database is up to date")


@click.command("worker")
@click.option("--workers", default=2, show_default=True)
@with_appcontext
def worker(workers: int) -> None:
    """Run jobs from the queue in the foreground (periodic jobs come from ``portal scheduler``)."""
    from huey.consumer import Consumer

    from portal import logs
    from portal.jobs.cluster import HeartbeatThread
    from portal.jobs.queue import enqueue_periodic_jobs, huey

    if huey.immediate:
        raise click.ClickException("HUEY_IMMEDIATE is set: jobs run inline, no worker needed")
    logs.configure("worker")
    heartbeat = HeartbeatThread(current_app._get_current_object(), "worker")
    heartbeat.start()
    # Once at start, so that a killed worker's leftovers (expired leases) resume at once; the
    # sweeps are idempotent, and the ticks after that come from the one scheduler.
    enqueue_periodic_jobs()
    try:
        Consumer(huey, workers=workers, worker_type="thread", periodic=False).run()
    finally:
        heartbeat.stop()


@click.command("scheduler")
@click.option("--relay-seconds", default=2.0, show_default=True)
@with_appcontext
def scheduler(relay_seconds: float) -> None:
    """Enqueue periodic jobs and relay jobs kept while the queue was down: one per cluster (a
    second scheduler waits on the lock and takes over when the first stops)."""
    from portal import logs
    from portal.jobs.scheduler import Scheduler

    logs.configure("scheduler")
    Scheduler(current_app._get_current_object(), relay_seconds).run()


@click.command("heartbeat-check")
@click.option("--max-age", default=60, show_default=True, help="seconds")
@with_appcontext
def heartbeat_check(max_age: int) -> None:
    """Exit 0 when a worker or scheduler on this host has beaten within ``--max-age`` seconds
    (a container's health check)."""
    from portal.jobs.cluster import beating_on_this_host

    if not beating_on_this_host(max_age):
        raise click.ClickException(f"no heartbeat from this host in the last {max_age} s")
    click.echo("alive")


def gunicorn_args(workers: int) -> list[str]:
    """How ``serve`` and the benchmarks run gunicorn: sync workers, each taking a connection
    only when it is free, so CPU-bound requests spread over every process. (A gthread worker
    accepts every keep-alive connection it can, and measured here it often held all of a
    client's connections while the other process sat idle, halving the throughput.) Slow
    clients and keep-alive are for a buffering proxy in front, as gunicorn advises. No control
    socket: its default path is shared by every gunicorn of the user, so several instances on
    one host would clash."""
    return ["--workers", str(workers), "--worker-class", "sync", "--no-control-socket"]


def _bin(name: str) -> str:
    return os.path.join(os.path.dirname(sys.executable), name)


@click.command("web")
@click.option("--port", default=lambda: int(os.environ.get("PORT", "5000")))
@click.option("--host", default=lambda: os.environ.get("HOST", "0.0.0.0"))
@click.option(
    "--web-workers", default=lambda: int(os.environ.get("WEB_CONCURRENCY", "2")), type=int
)
def web(port: int, host: str, web_workers: int) -> None:
    """Serve the web app with gunicorn (this process becomes gunicorn)."""
    args = [_bin("gunicorn"), *gunicorn_args(web_workers), "-b", f"{host}:{port}", "wsgi:app"]
    os.chdir(PROJECT_ROOT)
    os.execv(args[0], args)


@click.command("serve")
@click.option("--port", default=lambda: int(os.environ.get("PORT", "5000")))
@click.option("--web-workers", default=2, show_default=True)
def serve(port: int, web_workers: int) -> None:
    """Web server, worker and scheduler together (``make run``): a dead worker or scheduler is
    restarted with a back-off; if the web server dies the command exits non-zero."""
    from portal.supervisor import Child, supervise

    portal = _bin("portal")
    web_args = [portal, "web", "--port", str(port), "--web-workers", str(web_workers)]
    children = [
        Child("web", web_args, restart=False),
        Child("worker", [portal, "worker"]),
        Child("scheduler", [portal, "scheduler"]),
    ]
    click.echo(f"web: http://localhost:{port}/  ·  health: http://localhost:{port}/healthz")
    sys.exit(supervise(children))


COMMANDS = (
    make_test_csd,
    create_reseller,
    create_staff,
    seed_demo,
    import_efos,
    migrate,
    worker,
    scheduler,
    heartbeat_check,
    web,
    serve,
)


def init_app(app: Flask) -> None:
    """Register the commands on the application."""
    for command in COMMANDS:
        app.cli.add_command(command)


def main() -> None:
    """Entry point of the ``portal`` console script."""
    from portal import create_app

    FlaskGroup(
        create_app=lambda: create_app(), add_default_commands=True, help="Self-invoicing portal"
    ).main()
