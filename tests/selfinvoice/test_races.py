"""Real concurrency: several requests at once, each in its own thread, app context and
transaction (SQLite: BEGIN IMMEDIATE; PostgreSQL: SELECT … FOR UPDATE)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from lxml import etree
from sqlalchemy import func, select

from portal.database import set_write_intent
from portal.models.invoices import Invoice
from portal.models.receipts import Receipt
from tests.fixtures.receipts import BUYER

CFDI = "{http://www.sat.gob.mx/cfd/4}"


def _all_at_once(app, db, calls):
    """Run each ``call(client)`` in its own thread, released together; their responses."""
    # The test thread's requests share the test's session: end its transaction, and let its
    # later reads start as readers, so that it never holds SQLite's write lock meanwhile.
    db.rollback()
    set_write_intent(False)
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        client = app.test_client()
        barrier.wait()
        results[index] = call(client)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_simultaneous_redemptions_make_exactly_one_invoice(
    app, make_organization, make_receipt, db
):
    _, key = make_organization(domain="kemper")
    receipt = make_receipt(key)
    url = f"/kemper/{receipt['key']}/confirm"
    responses = _all_at_once(app, db, [lambda c: c.post(url, data=BUYER)] * 4)
    assert [r.status_code for r in responses] == [302] * 4  # everyone sees the result
    assert len({r.headers["Location"].split("/invoice/")[0] for r in responses}) == 1
    assert db.scalar(select(func.count()).select_from(Invoice)) == 1
    stored = db.get(Receipt, receipt["id"], populate_existing=True)
    assert stored.status == "invoiced_to_customer"


def test_a_global_invoice_never_includes_a_receipt_a_customer_got(
    app, make_organization, make_receipt, db
):
    org, key = make_organization(domain="kemper")
    org.receipts_periodicity = "day"
    db.commit()
    yesterday = (datetime.now(ZoneInfo("America/Mexico_City")) - timedelta(days=1)).replace(hour=12)
    date = yesterday.astimezone(UTC).isoformat()
    headers = {"Authorization": f"Bearer {key}"}
    for _round in range(3):
        contested = make_receipt(key, date=date)
        make_receipt(key, date=date)  # so the global invoice always has something
        stored = db.get(Receipt, contested["id"])
        stored.expires_at = datetime.now(UTC) + timedelta(days=1)  # still on the portal
        db.commit()
        redeem, global_ = _all_at_once(
            app,
            db,
            [
                lambda c, r=contested: c.post(f"/kemper/{r['key']}/confirm", data=BUYER),
                lambda c: c.post("/v2/receipts/global-invoice", json={}, headers=headers),
            ],
        )
        assert global_.status_code == 200, global_.json
        stored = db.get(Receipt, contested["id"], populate_existing=True)
        xml = db.get(Invoice, global_.json["id"], populate_existing=True).xml
        folios = {c.get("NoIdentificacion") for c in etree.fromstring(xml).iter(f"{CFDI}Concepto")}
        if stored.status == "invoiced_to_customer":
            assert redeem.status_code == 302
            assert str(contested["folio_number"]) not in folios
        else:
            assert stored.status == "invoiced_globally"
            assert redeem.status_code == 200 and "factura global" in redeem.get_data(True)
            assert str(contested["folio_number"]) in folios


def test_simultaneous_receipts_get_distinct_folios(app, make_organization, receipt_body, db):
    _, key = make_organization()
    headers = {"Authorization": f"Bearer {key}"}
    responses = _all_at_once(
        app, db, [lambda c: c.post("/v2/receipts", json=receipt_body(), headers=headers)] * 4
    )
    assert [r.status_code for r in responses] == [200] * 4
    assert sorted(r.json["folio_number"] for r in responses) == [1, 2, 3, 4]
    assert len({r.json["key"] for r in responses}) == 4
