"""Issue 15 item 2: no network I/O while a database transaction is open.

A slow webhook receiver must not hold SQLite's single write lock: the delivery job reads what it
needs, commits, then waits for the receiver with no transaction open. The guard in
``tests/fixtures/io_guard.py`` fails any test (here, in tests/jobs and tests/api) that opens a
socket inside a transaction; the tests below prove it catches the old code.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import pytest
from sqlalchemy import select, text

from portal.extensions import db as _db
from portal.models.events import WebhookDelivery
from portal.services import events, webhooks
from tests.fixtures.io_guard import GUARD

DATA = {"type": "invoice", "object": {"id": "abc", "status": "valid"}}
RECEIVER_DELAY = 8.0
CUSTOMER = {
    "legal_name": "Dunder Mifflin",
    "tax_id": "XIA190128J61",
    "tax_system": "601",
    "address": {"zip": "86500"},
}


def _queued_delivery(db: Any, org: Any) -> str:
    """An event and its delivery, committed, with the inline job held back (the worker's)."""
    from portal.jobs import webhooks as webhook_jobs

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(webhook_jobs, "deliver_webhook", lambda *args, **kwargs: None)
        events.record(db, org.id, False, "invoice.status_updated", DATA)
        db.commit()
    delivery_id = db.scalar(select(WebhookDelivery.id))
    db.rollback()  # end the test's read: its snapshot would be older than the worker's commit
    return delivery_id


def test_a_slow_receiver_does_not_block_other_tenants_writes(
    db: Any,
    app: Any,
    make_organization: Any,
    make_webhook: Any,
    receiver: Any,
    api: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While a receiver takes 8 s to answer, another organization creates a customer in <1 s."""
    if db.get_bind().dialect.name != "sqlite":
        pytest.skip("the single write lock is SQLite's")
    slow_org, _ = make_organization()
    other_org, other_key = make_organization(name="Otra Escuela")
    make_webhook(slow_org, receiver.url)
    delivery_id = _queued_delivery(db, slow_org)
    receiver.delay = RECEIVER_DELAY
    from portal.jobs.webhooks import deliver_webhook

    worker = threading.Thread(target=deliver_webhook, args=(delivery_id,))
    worker.start()
    deadline = time.monotonic() + 5
    while not receiver.requests and time.monotonic() < deadline:
        time.sleep(0.02)
    assert receiver.requests, "the delivery never reached the receiver"

    started = time.monotonic()
    created = api(other_key).post("/customers", json=CUSTOMER)
    elapsed = time.monotonic() - started
    db.rollback()  # the request is over (the test client shares the test's session)

    assert created.status_code == 200, created.json
    assert elapsed < 1.0, f"another tenant's write waited {elapsed:.1f} s for the webhook"
    assert worker.is_alive(), "the receiver answered before the write was measured"
    worker.join(RECEIVER_DELAY + 5)
    db.rollback()
    delivery = db.get(WebhookDelivery, delivery_id)
    assert delivery.status == "delivered" and delivery.attempts == 1


@pytest.fixture
def listener() -> Any:
    """A bare TCP listener on loopback: something to connect to."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield server.getsockname()
    server.close()


def test_the_guard_records_a_connection_made_inside_a_transaction(db: Any, listener: Any) -> None:
    db.execute(text("SELECT 1"))  # the session's transaction is now open
    with GUARD.expect_violation() as caught:
        socket.create_connection(listener, timeout=2).close()
    db.rollback()
    assert len(caught) == 1 and f"{listener[0]}:{listener[1]}" in caught[0]


def test_the_guard_lets_connections_outside_transactions_through(db: Any, listener: Any) -> None:
    db.execute(text("SELECT 1"))
    db.commit()  # load, commit, then call
    with GUARD.expect_violation() as caught:
        socket.create_connection(listener, timeout=2).close()
    assert caught == []


def test_the_guard_sees_a_transaction_of_a_plain_engine_connection(app: Any, listener: Any) -> None:
    with app.app_context(), _db.engine.connect() as connection:
        connection.execute(text("SELECT 1"))
        with GUARD.expect_violation() as caught:
            socket.create_connection(listener, timeout=2).close()
    assert len(caught) == 1


def test_the_guard_catches_the_old_delivery_that_posted_after_a_lazy_reload(
    db: Any, make_organization: Any, make_webhook: Any, receiver: Any, monkeypatch: Any
) -> None:
    """The old job committed the claim, then read the expired delivery while posting: the
    reload began a new transaction (``BEGIN IMMEDIATE`` on SQLite) held for the whole call."""
    org, _ = make_organization()
    make_webhook(org, receiver.url)
    delivery_id = _queued_delivery(db, org)
    with GUARD.expect_violation() as caught:
        delivery = db.get(WebhookDelivery, delivery_id, with_for_update={"of": WebhookDelivery})
        assert webhooks.claim(delivery)
        db.commit()
        response = webhooks.send(delivery)  # the old code: reads expired rows, then posts
        webhooks.record_attempt(db, delivery, response)
        db.commit()
    assert response.status == 200
    assert len(caught) == 1 and "webhooks.py" in caught[0]


def test_the_delivery_job_opens_no_transaction_while_posting(
    db: Any, make_organization: Any, make_webhook: Any, receiver: Any, monkeypatch: Any
) -> None:
    org, _ = make_organization()
    make_webhook(org, receiver.url)
    delivery_id = _queued_delivery(db, org)
    from portal.jobs.webhooks import deliver_webhook

    with GUARD.expect_violation() as caught:
        deliver_webhook(delivery_id)
    assert caught == [] and len(receiver.requests) == 1


# PAC calls: cancellation and status, from the API, the dashboard and the polling job ---------


class NetworkPAC:
    """The test PAC behind a network hop: cancel and status first connect to a server, as a
    real PAC's client does (satcfdi through requests)."""

    livemode = False
    hop_on_stamp = False  # the synchronous stamp still calls the PAC in its transaction

    def __init__(self, inner: Any, address: tuple[str, int]) -> None:
        self.inner, self.address = inner, address
        self.calls: list[str] = []

    def _hop(self, name: str) -> None:
        self.calls.append(name)
        socket.create_connection(self.address, timeout=2).close()

    def stamp(self, document: Any) -> Any:
        if self.hop_on_stamp:
            self._hop("stamp")
        return self.inner.stamp(document)

    def cancel(self, target: Any, request: Any) -> Any:
        self._hop("cancel")
        return self.inner.cancel(target, request)

    def status(self, target: Any, **kwargs: Any) -> Any:
        self._hop("status")
        return self.inner.status(target, **kwargs)


@pytest.fixture
def network_pac(monkeypatch: pytest.MonkeyPatch, listener: Any) -> NetworkPAC:
    from portal.services import stamping

    real = stamping.pac_for
    holder: dict[str, NetworkPAC] = {}

    def pac_for(session: Any, organization: Any, livemode: bool) -> NetworkPAC:
        holder.setdefault("pac", NetworkPAC(real(session, organization, livemode), listener))
        return holder["pac"]

    monkeypatch.setattr(stamping, "pac_for", pac_for)
    return holder  # type: ignore[return-value]


@pytest.fixture
def stamped(make_organization: Any, api: Any, invoice_body: Any, db: Any) -> Any:
    org, key = make_organization()
    client = api(key)
    invoice = client.post("/invoices", json=invoice_body()).json
    db.rollback()  # the request shared the test's session
    client.organization, client.invoice_id = org, invoice["id"]
    return client


def test_api_cancel_and_status_call_the_pac_with_no_transaction_open(
    db: Any, stamped: Any, network_pac: Any
) -> None:
    with GUARD.expect_violation() as caught:
        canceled = stamped.delete(f"/invoices/{stamped.invoice_id}?motive=02")
        db.rollback()
        refreshed = stamped.put(f"/invoices/{stamped.invoice_id}/status")
    assert network_pac["pac"].calls == ["cancel", "status"]
    assert caught == []
    assert canceled.status_code == 200 and canceled.json["status"] == "canceled"
    assert refreshed.status_code == 200 and refreshed.json["cancellation_status"] == "accepted"


def test_dashboard_cancel_and_refresh_call_the_pac_with_no_transaction_open(
    db: Any, stamped: Any, network_pac: Any, login_as: Any
) -> None:
    from portal.models.accounts import Account
    from portal.models.invoices import Invoice

    owner = login_as(db.get(Account, stamped.organization.account_id))
    base = f"/dashboard/o/{stamped.organization.id}/invoices/{stamped.invoice_id}"
    db.rollback()
    with GUARD.expect_violation() as caught:
        assert owner.post(f"{base}/cancel", data={"motive": "02"}).status_code == 302
        db.rollback()
        assert owner.post(f"{base}/refresh").status_code == 302
    db.rollback()
    assert network_pac["pac"].calls == ["cancel", "status"] and caught == []
    assert db.get(Invoice, stamped.invoice_id).status == "canceled"


def test_the_cancellation_poll_asks_the_pac_with_no_transaction_open(
    db: Any, stamped: Any, network_pac: Any, monkeypatch: Any
) -> None:
    from portal.cfdi import pac
    from portal.jobs.cancellations import poll_cancellations
    from portal.models.invoices import Invoice

    monkeypatch.setattr(pac, "requires_acceptance", lambda target, at: True)
    pending = stamped.delete(f"/invoices/{stamped.invoice_id}?motive=02")
    assert pending.json["cancellation_status"] == "pending"
    db.rollback()
    with GUARD.expect_violation() as caught:
        poll_cancellations()
    db.rollback()
    assert network_pac["pac"].calls == ["cancel", "status"] and caught == []
    assert db.get(Invoice, stamped.invoice_id).cancellation_status == "accepted"


def test_the_guard_catches_a_pac_status_asked_inside_the_transaction(
    db: Any, stamped: Any, network_pac: Any
) -> None:
    """The old ``PUT /status`` asked the PAC between loading and committing."""
    from portal.models.invoices import Invoice
    from portal.services import invoices
    from portal.tenancy import Tenant

    invoice = db.get(Invoice, stamped.invoice_id)
    with GUARD.expect_violation() as caught:
        invoices.refresh_status(db, Tenant(stamped.organization, False), invoice)
    db.rollback()
    assert len(caught) == 1 and "status" in caught[0]


# Async stamping: the worker seals, commits, stamps with no transaction open, then records --


@pytest.fixture
def async_invoice(
    db: Any, make_organization: Any, api: Any, invoice_body: Any, network_pac: Any, monkeypatch: Any
) -> Any:
    """A pending invoice whose inline stamping job was held back; the PAC hops on stamp."""
    from portal.jobs import invoices as invoice_jobs

    org, key = make_organization()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(invoice_jobs, "stamp_invoice", lambda *args, **kwargs: None)
        created = api(key).post("/invoices?async=true", json=invoice_body()).json
    db.rollback()
    assert created["status"] == "pending"
    monkeypatch.setattr(NetworkPAC, "hop_on_stamp", True)
    return created["id"]


def test_the_stamping_job_calls_the_pac_with_no_transaction_open(
    db: Any, async_invoice: str, network_pac: Any
) -> None:
    from portal.jobs.invoices import stamp_invoice
    from portal.models.events import Event
    from portal.models.files import StampingLease
    from portal.models.invoices import Invoice

    with GUARD.expect_violation() as caught:
        stamp_invoice(async_invoice)
    db.rollback()
    assert network_pac["pac"].calls == ["stamp"] and caught == []
    invoice = db.get(Invoice, async_invoice)
    assert invoice.status == "valid" and invoice.uuid and invoice.xml
    assert db.get(StampingLease, async_invoice) is None
    assert [e.type for e in db.scalars(select(Event))] == ["invoice.status_updated"]


def test_a_second_job_leaves_an_invoice_alone_while_another_stamps_it(
    db: Any, async_invoice: str, network_pac: Any
) -> None:
    """The lease stands in for the row lock the old job held across the PAC call."""
    from datetime import timedelta

    from portal.jobs.invoices import stamp_invoice
    from portal.models.base import utcnow
    from portal.models.files import StampingLease
    from portal.models.invoices import Invoice
    from portal.services import invoices

    assert invoices.claim_stamp(db, db.get(Invoice, async_invoice), timedelta(minutes=5))
    db.commit()  # a worker holds it and waits for the PAC
    stamp_invoice(async_invoice)
    db.rollback()
    assert db.get(Invoice, async_invoice).status == "pending" and "pac" not in network_pac

    db.get(StampingLease, async_invoice).until = utcnow() - timedelta(seconds=1)
    db.commit()  # that worker died: its lease ended
    stamp_invoice(async_invoice)
    db.rollback()
    assert db.get(Invoice, async_invoice).status == "valid"
    assert network_pac["pac"].calls == ["stamp"]


def test_a_refused_stamp_marks_the_invoice_failed_and_frees_it(
    db: Any, async_invoice: str, network_pac: Any, monkeypatch: Any
) -> None:
    from portal.cfdi.errors import pac_error
    from portal.jobs.invoices import stamp_invoice
    from portal.models.files import StampingLease
    from portal.models.invoices import Invoice

    def refuse(self: Any, document: Any) -> Any:
        self._hop("stamp")
        raise pac_error("El PAC rechazó el comprobante.", "pac_stamp_rejected", 422)

    monkeypatch.setattr(NetworkPAC, "stamp", refuse)
    with GUARD.expect_violation() as caught:
        stamp_invoice(async_invoice)
    db.rollback()
    invoice = db.get(Invoice, async_invoice)
    assert caught == [] and invoice.status == "failed"
    assert "rechazó" in invoice.failure_reason
    assert db.get(StampingLease, async_invoice) is None


def test_the_guard_catches_the_old_stamping_job(
    db: Any, async_invoice: str, network_pac: Any
) -> None:
    """The old job stamped the locked row inside its transaction."""
    from portal.models.invoices import Invoice
    from portal.services import invoices

    invoice = db.get(Invoice, async_invoice, with_for_update=True)
    with GUARD.expect_violation() as caught:
        invoices.stamp_pending(db, invoice)
    db.rollback()
    assert len(caught) == 1 and "stamp" in caught[0]
