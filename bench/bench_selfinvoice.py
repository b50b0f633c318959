"""The self-invoice page under gunicorn, and a global invoice over 10,000 open receipts.

Run with ``.ci/with-postgres .venv/bin/python bench/bench_selfinvoice.py`` (or ``make bench``).
Targets (issue 6): GET /<domain>/<key> at ≥400 requests/s with p95 < 30 ms on this 2-core
machine; a global invoice over 10,000 open receipts in under 10 s, in the background (this
measures the worker's job: batches of receipts, each batch one committed global invoice).
Plain Flask's own floor (a hello-world view under the same gunicorn) is measured in the same
run for the ratio.
"""

from __future__ import annotations

import os
import random
import time

from _harness import GUNICORN, Request, fresh_database, gunicorn, open_loop, seed, wrk
from _machine import measure
from sqlalchemy import create_engine, func, select, text

LANGUAGE = {"Accept-Language": "es-MX"}
RECEIPT = {
    "payment_form": "01",
    "items": [
        {
            "quantity": 2,
            "product": {"description": "Café americano", "product_key": "50201706", "price": 45},
        },
        {
            "quantity": 1,
            "product": {"description": "Pan dulce", "product_key": "50181900", "price": 18},
        },
    ],
}


def receipts_for_page(site, count: int) -> list[str]:
    """Open receipts created through the service; their keys."""
    from portal import create_app
    from portal.extensions import db
    from portal.models.organizations import Organization
    from portal.services import receipts
    from portal.tenancy import Tenant

    app = create_app(site.settings)
    with app.app_context():
        tenant = Tenant(db.session.get(Organization, site.organization_id), livemode=False)
        keys = [receipts.create(db.session, tenant, RECEIPT).key for _ in range(count)]
        db.session.commit()
    return keys


CLONE_SQL = """
INSERT INTO receipts (id, created_at, organization_id, livemode, status, key, folio_number,
  date, expires_at, items, total, payment_form, currency, exchange, search_text)
SELECT lpad(to_hex(n + 4096), 24, '0'), r.created_at, r.organization_id, r.livemode, 'open',
  'k' || lpad(n::text, 9, '0'), 100000 + n, CAST(:start AS timestamptz) + (n || ' ms')::interval,
  r.expires_at, r.items, r.total, r.payment_form, r.currency, r.exchange, r.search_text
FROM receipts r, generate_series(1, :rows) AS n
WHERE r.id = :template
"""


def global_invoice_seconds(site, rows: int) -> tuple[float, int]:
    """Seconds the background job takes to invoice ``rows`` open receipts of yesterday."""
    from portal import create_app
    from portal.extensions import db
    from portal.jobs import receipts as receipt_jobs
    from portal.models.organizations import Organization
    from portal.models.receipts import Receipt
    from portal.services import receipt_invoices, receipts
    from portal.tenancy import Tenant

    app = create_app(site.settings)
    with app.app_context():
        tenant = Tenant(db.session.get(Organization, site.organization_id), livemode=False)
        template = receipts.create(db.session, tenant, RECEIPT)
        db.session.commit()
        # Yesterday, as the organization's clock has it (not "30 hours ago", which some hours
        # of the day put on the day before).
        start, _end = receipts.last_closed_period(tenant.organization, "day")
        engine = create_engine(site.database_url)
        with engine.begin() as conn:
            conn.execute(text(CLONE_SQL), {"rows": rows, "template": template.id, "start": start})
        engine.dispose()
        started = time.perf_counter()
        selection = receipt_invoices.select_global(db.session, tenant, {"periodicity": "day"})
        run = receipt_invoices.start_run(db.session, tenant, selection)
        db.session.commit()
        run_id = run.id
        db.session.remove()
        receipt_jobs.issue_global_invoices.call_local(run_id)  # the worker's own loop
        seconds = time.perf_counter() - started
        invoiced = db.session.scalar(
            select(func.count()).select_from(Receipt).where(Receipt.status == "invoiced_globally")
        )
    return seconds, invoiced


def main() -> None:
    """Print the figures."""
    clients = int(os.environ.get("BENCH_CLIENTS", "16"))
    seconds = float(os.environ.get("BENCH_SECONDS", "15"))
    rows = int(os.environ.get("BENCH_RECEIPTS", "10000"))
    machine = measure()
    print(machine.report())
    site = seed(fresh_database("portal_bench_selfinvoice"))
    keys = receipts_for_page(site, 200)
    pages = [Request("GET", f"/{site.domain}/{key}", None, LANGUAGE) for key in keys]
    with gunicorn(site) as port:
        floor = wrk(port, [Request("GET", "/healthz")], clients, seconds / 3)
        print(floor.report(f"GET /healthz (framework + 3 queries), wrk, {clients} clients"))
        most = wrk(port, pages, clients, seconds)
        print(
            most.report(f"GET /<domain>/<key>, wrk, {clients} clients, {GUNICORN}")
            + f"  {machine.at_least(400, 'req/s')}"
        )
        for target in (400, round(400 * machine.factor)):
            at_target = open_loop(port, lambda: random.choice(pages), target, seconds, clients)
            print(
                at_target.report(
                    f"GET /<domain>/<key> at {target} req/s, open loop, <= {clients} conns"
                )
                + f"  {machine.under(30, 'ms p95')}"
            )
        print(f"  ratio page / healthz floor: {most.rate / floor.rate:.2f}")
    took, processed = global_invoice_seconds(site, rows)
    print(
        f"global invoice over {rows:,} open receipts: {took:.1f} s, {processed:,} receipts "
        f"invoiced  {machine.under(10, 's')}"
    )


if __name__ == "__main__":
    main()
