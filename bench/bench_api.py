"""Invoicing API under gunicorn and PostgreSQL.

Run with ``.ci/with-postgres .venv/bin/python bench/bench_api.py`` (or ``make bench``).
Targets (issue 5): sync invoice creation over HTTP, one concept, test PAC: ≥150 invoices/s and
p95 < 50 ms at 16 concurrent clients; invoice list of an organization with 1,000,000 invoices:
first page, a ``q`` search and a ``q`` search of item descriptions (issue 19) each under 50 ms
p95. The fiscal engine's own throughput (build + seal + validation + test stamp, in process,
one core) is measured in the same run for the ratio.
"""

from __future__ import annotations

import os
import time

from _harness import GUNICORN, fresh_database, gunicorn, json_request, open_loop, seed, wrk
from _machine import INVOICE, generated_csd, measure, rate
from sqlalchemy import create_engine, text


def engine_rate(seconds: float = 4.0) -> float:
    """Build + seal + validate + test stamp per second, in process, on one core."""
    from portal.cfdi.documents import build_invoice
    from portal.cfdi.pac import LocalTestPAC
    from portal.cfdi.testcsd import make_test_pac_signer
    from portal.cfdi.types import InvoiceInput

    csd, issuer = generated_csd()
    pac = LocalTestPAC(make_test_pac_signer().signer())
    data = InvoiceInput.from_dict(INVOICE)
    for _ in range(20):
        pac.stamp(build_invoice(csd, issuer, data))
    return rate(lambda: pac.stamp(build_invoice(csd, issuer, data)), seconds)


FILL_SQL = """
INSERT INTO invoices (id, created_at, organization_id, livemode, status, cancellation_status,
  type, customer, series, folio_number, uuid, total, subtotal, currency, exchange, payment_form,
  payment_method, use, date, data, related_documents, external_id, search_text, amount_paid,
  last_installment)
SELECT lpad(to_hex(n), 24, '0'), now() - (n || ' seconds')::interval, :org, false, 'valid',
  'none', 'I', '{"legal_name": "CLIENTE"}'::json, NULL, n,
  upper(md5(n::text)), 1160, 1000, 'MXN', 1, '03', 'PUE', 'G03', now(), '{}'::json, '[]'::json,
  'ext-' || n,
  lower('cliente ' || (n % 5000) || ' xaxx010101000 ' || n || ' ' || md5(n::text)
    || ' ' || (ARRAY['aspiradora', 'licuadora', 'ukelele', 'guitarra', 'laptop', 'monitor',
                     'teclado', 'silla'])[1 + n % 8]
    || ' robot r' || (n % 20000) || ' servicio de consultoria'), 0, 0
FROM generate_series(1, :rows) AS n
"""


COUNT_SQL = (
    "DELETE FROM invoice_counts WHERE organization_id = :org AND NOT livemode",
    """
INSERT INTO invoice_counts (organization_id, livemode, slot, count)
SELECT CAST(:org AS varchar), false, 0, count(*) FROM invoices
WHERE organization_id = :org AND NOT livemode
""",
)


def fill(database_url: str, organization_id: str, rows: int) -> float:
    """Insert ``rows`` invoices straight into the table (a bulk load: triggers off, the count
    set once at the end, as a restore would); returns the seconds it took."""
    engine = create_engine(database_url)
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text(FILL_SQL), {"org": organization_id, "rows": rows})
        for statement in COUNT_SQL:
            conn.execute(text(statement), {"org": organization_id})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE invoices"))
    engine.dispose()
    return time.perf_counter() - started


def main() -> None:
    """Print the figures."""
    clients = int(os.environ.get("BENCH_CLIENTS", "16"))
    seconds = float(os.environ.get("BENCH_SECONDS", "15"))
    rows = int(os.environ.get("BENCH_ROWS", "1000000"))
    machine = measure()
    print(machine.report())
    site = seed(fresh_database("portal_bench_api"))
    engine = engine_rate()
    print(f"engine alone (build + seal + validate + test stamp, 1 core): {engine:.0f} invoices/s")
    create = json_request("POST", "/v2/invoices", site.test_key, INVOICE)
    with gunicorn(site) as port:
        most = wrk(port, [create], clients, seconds)
        print(
            most.report(f"POST /v2/invoices, wrk, {clients} clients, {GUNICORN}")
            + f"  {machine.at_least(150, 'req/s')}"
        )
        print(f"  ratio HTTP (2 processes) / engine (1 core): {most.rate / engine:.2f}")
        for target in (150, round(150 * machine.factor)):
            at_target = open_loop(port, lambda: create, target, seconds, clients)
            print(
                at_target.report(
                    f"POST /v2/invoices at {target} req/s, open loop, <= {clients} conns"
                )
                + f"  {machine.under(50, 'ms p95')}"
            )
        took = fill(site.database_url, site.organization_id, rows)
        print(f"filled {rows:,} invoices in {took:.0f} s")
        first = json_request("GET", "/v2/invoices?limit=50", site.test_key)
        search = json_request("GET", "/v2/invoices?q=cliente%204242", site.test_key)
        # An item search (issue 19): words of the concepts' descriptions, the reference's own
        # example ("Aspiradora Robot"); "robot" is in every row, the model in ~50.
        items = json_request("GET", "/v2/invoices?q=aspiradora%20robot%20r4242", site.test_key)
        lists = (
            ("first page", first),
            ("q=cliente 4242", search),
            ("q=aspiradora robot r4242 (items)", items),
        )
        for label, request in lists:
            figures = wrk(port, [request], 4, seconds)
            print(
                figures.report(f"GET /v2/invoices {label}, wrk, 4 clients")
                + f"  {machine.under(50, 'ms p95')}"
            )


if __name__ == "__main__":
    main()
