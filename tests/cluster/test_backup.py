"""The runbook's backup and restore (docs/operations.md): ``pg_dump -Fc`` of a live database,
``pg_restore`` into an empty one, and the copy has every row, the stamped XML byte for byte,
the migration revision and the append-only trigger."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url

from portal import create_app
from portal.extensions import db
from portal.jobs.queue import init_queue
from portal.migrate import upgrade
from portal.models.invoices import Invoice
from portal.services import accounts, invoices
from portal.tenancy import Tenant
from tests.fixtures.factories import ready_organization

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="pg_dump and pg_restore need PostgreSQL",
)


def _tool(name: str) -> str:
    bins = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    return str(bins[-1]) if bins else name


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as connection:
        tables = inspect(connection).get_table_names()
        counts = {t: connection.scalar(text(f'SELECT count(*) FROM "{t}"')) for t in tables}
        counts["_xml"] = connection.scalar(select(Invoice.xml))
        counts["_trigger"] = connection.scalar(
            text("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal")
        )
    engine.dispose()
    return counts


def test_pg_dump_and_restore_round_trip(
    app: Any, fresh_database: Callable[[str], str], tmp_path: Path, org_csd: Any, invoice_body
):
    source, target = fresh_database("backup_source"), fresh_database("backup_target")
    upgrade(source)
    producer = create_app(
        {"SQLALCHEMY_DATABASE_URI": source, "INSTANCE_PATH": str(tmp_path), "HUEY_IMMEDIATE": True}
    )
    try:
        with producer.app_context():
            account, _ = accounts.create_account(db.session, "b@example.com", "frase larga 99", "B")
            org = ready_organization(db.session, account, org_csd)
            invoice = invoices.create(db.session, Tenant(org, False), invoice_body())
            db.session.commit()
            assert invoice.status == "valid"
            db.session.remove()
            db.engine.dispose()
    finally:
        init_queue(app)
    dump = tmp_path / "portal.dump"
    subprocess.run(
        [_tool("pg_dump"), "-Fc", "--no-owner", "-f", str(dump), _libpq(source)], check=True
    )
    subprocess.run(
        [_tool("pg_restore"), "--no-owner", "--exit-on-error", "-d", _libpq(target), str(dump)],
        check=True,
    )
    before, after = _counts(source), _counts(target)
    assert before == after
    assert before["invoices"] == 1 and before["alembic_version"] == 1 and before["_xml"]
