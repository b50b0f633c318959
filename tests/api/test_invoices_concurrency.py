"""Parallel requests against a live server: folios never repeat, an idempotency key issues once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from sqlalchemy import func, select

from portal.models.invoices import Invoice

PARALLEL = 6


def _post_all(url: str, key: str, bodies: list[dict[str, Any]], headers: Any = None) -> list[Any]:
    def post(body: dict[str, Any]) -> requests.Response:
        auth = {"Authorization": f"Bearer {key}", **(headers or {})}
        return requests.post(f"{url}/v2/invoices", json=body, headers=auth, timeout=60)

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(post, bodies))


def test_parallel_invoices_never_share_a_folio(
    live_server, make_organization, invoice_body, db, verify_stamped
):
    _organization, key = make_organization()
    responses = _post_all(live_server, key, [invoice_body() for _ in range(PARALLEL)])
    assert [r.status_code for r in responses] == [200] * PARALLEL, [r.text for r in responses]
    folios = sorted(r.json()["folio_number"] for r in responses)
    assert folios == list(range(1, PARALLEL + 1))
    assert len({r.json()["uuid"] for r in responses}) == PARALLEL
    db.rollback()  # a fresh snapshot after the server's writes
    for invoice in db.scalars(select(Invoice)):
        verify_stamped(invoice.xml)


def test_parallel_retries_with_one_idempotency_key_issue_one_invoice(
    live_server, make_organization, invoice_body, db
):
    _organization, key = make_organization()
    body = invoice_body(idempotency_key="order-42")
    responses = _post_all(live_server, key, [body] * PARALLEL)
    assert [r.status_code for r in responses] == [200] * PARALLEL, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert db.scalar(select(func.count()).select_from(Invoice)) == 1
    changed = _post_all(live_server, key, [invoice_body(idempotency_key="order-42", use="G01")])
    assert changed[0].status_code == 409
    assert changed[0].json()["code"] == "idempotency_key_reused"


def test_idempotency_key_header_replays_the_first_invoice(make_organization, api, invoice_body):
    org_api_client = api(make_organization()[1])
    headers = {"Idempotency-Key": "retry-1"}
    first = org_api_client.post("/invoices", json=invoice_body(), headers=headers).get_json()
    again = org_api_client.post("/invoices", json=invoice_body(), headers=headers).get_json()
    assert again["id"] == first["id"] and again["folio_number"] == 1
    other = org_api_client.post("/invoices", json=invoice_body(use="G01"), headers=headers)
    assert other.status_code == 409 and other.get_json()["path"] == "idempotency_key"
    fresh = org_api_client.post("/invoices", json=invoice_body(), headers={"Idempotency-Key": "2"})
    assert fresh.get_json()["folio_number"] == 2


def test_a_folio_is_not_held_while_its_invoice_is_stamped(make_organization, db):
    import pytest
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from portal.models.organizations import Organization
    from portal.services.invoices import assign_folio

    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("on SQLite the invoice's transaction holds the one write lock anyway")
    organization_id = make_organization()[0].id
    db.commit()

    def folio(session: Session) -> int | None:
        invoice = Invoice(organization_id=organization_id, livemode=False, type="I", data={})
        assign_folio(session, session.get(Organization, organization_id), invoice)
        return invoice.folio_number

    with Session(db.get_bind()) as stamping, Session(db.get_bind()) as other:
        assert folio(stamping) == 1  # its transaction stays open, as while sealing and stamping
        other.execute(text("SET lock_timeout = '2s'"))  # waiting on it would fail, not hang
        assert folio(other) == 2
        stamping.rollback()  # the first invoice failed: its folio is a gap, never reused
        assert folio(other) == 3
        other.commit()
    db.expire_all()
    assert db.get(Organization, organization_id).next_folio_number_test == 4


def test_a_folio_stays_in_the_callers_transaction_when_only_it_sees_or_holds_the_counter(
    make_organization, db
):
    import pytest
    from sqlalchemy.orm import Session

    from portal.models.organizations import FolioSeries, Organization
    from portal.services.invoices import assign_folio

    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("on SQLite folios are always taken in the caller's transaction")
    organization_id = make_organization()[0].id
    db.commit()

    def folio(session: Session, series: str | None = None) -> int | None:
        invoice = Invoice(
            organization_id=organization_id, livemode=False, type="I", series=series, data={}
        )
        assign_folio(session, session.get(Organization, organization_id), invoice)
        return invoice.folio_number

    with Session(db.get_bind()) as session:
        session.get(Organization, organization_id).next_folio_number_test = 40
        session.add(FolioSeries(organization_id=organization_id, name="B", next_folio_test=7))
        session.flush()  # this transaction now holds the counter and alone sees the series
        assert folio(session) == 40  # after the short transaction's lock timeout, not a hang
        assert folio(session, "B") == 7
        session.commit()
    db.expire_all()
    assert db.get(Organization, organization_id).next_folio_number_test == 41


def test_parallel_transactions_inserting_invoices_do_not_wait_on_the_count(make_organization, db):
    import pytest
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session
    from sqlalchemy.pool import NullPool

    from portal.services.invoices import listing
    from portal.tenancy import Tenant

    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("on SQLite one transaction writes at a time anyway")
    organization = make_organization()[0]
    db.commit()
    engine = create_engine(db.get_bind().url, poolclass=NullPool)  # a new backend each session

    def slot(session: Session) -> int:
        return session.scalar(text("SELECT mod(pg_backend_pid(), 8)"))

    first, second = Session(engine), Session(engine)
    try:
        for _ in range(8):  # one time in eight they share a slot: open another connection
            if slot(first) != slot(second):
                break
            second.close()
            second = Session(engine)
        assert slot(first) != slot(second)
        for session in (first, second):
            session.execute(text("SET lock_timeout = '2s'"))  # waiting would fail, not hang
            session.add(Invoice(organization_id=organization.id, livemode=False, data={}))
            session.flush()  # the count trigger runs; both transactions stay open
        first.commit()
        second.commit()
    finally:
        first.close()
        second.close()
        engine.dispose()
    db.expire_all()
    _query, total = listing(db, Tenant(organization, livemode=False), {})
    assert total == 2
