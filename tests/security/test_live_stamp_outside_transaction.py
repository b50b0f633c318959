"""Issue 15 item 2: a synchronous stamp with a live (remote) PAC runs with no transaction open.

The PAC here is the real ``SatcfdiPAC`` (``remote = True``) over a satcfdi-like client that
POSTs the sealed XML to an HTTP server on 127.0.0.1; the server stamps it with the local test
PAC's logic, or refuses it, or answers late. The io guard (``tests/fixtures/io_guard.py``)
fails any test whose request opens that socket with a transaction open, so each test below
also proves the PAC call happened outside one. The request stamps in three steps (commit the
pending invoice with its folio and lease, call the PAC, record the answer): a slow PAC does not
hold SQLite's write lock, a refusal leaves the invoice ``failed`` with the PAC's words, a
timeout leaves it ``pending`` for the worker's sweep.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from sqlalchemy import select

from portal.models.files import StampingLease
from portal.models.invoices import Invoice
from tests.fixtures.io_guard import GUARD

CUSTOMER = {
    "legal_name": "Dunder Mifflin",
    "tax_id": "XIA190128J61",
    "tax_system": "601",
    "address": {"zip": "86500"},
}
CLIENT_TIMEOUT = 2.0
SLOW_PAC = 5.0


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the client gave up waiting (the timeout test): not this test's failure


class FakePACServer:
    """A PAC's web service on loopback: stamps with the local test PAC unless told otherwise."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.delay = 0.0
        self.refusal: str | None = None
        self.client_timeout = CLIENT_TIMEOUT  # how long the PAC's client waits
        self.requests = 0
        self.on_request: Any = None  # called with the XML while the PAC "works"
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                xml = self.rfile.read(int(self.headers["Content-Length"]))
                server.requests += 1
                if server.on_request is not None:
                    server.on_request(xml)
                time.sleep(server.delay)
                if server.refusal:
                    status, answer = 400, server.refusal.encode()
                else:
                    status, answer = 200, server.inner.stamp(xml).xml
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/stamp"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class HTTPClient:
    """What ``SatcfdiPAC`` expects of a satcfdi PAC client: ``stamp(cfdi)`` → ``.xml``."""

    def __init__(self, server: FakePACServer) -> None:
        self.server = server

    def stamp(self, cfdi: Any) -> Any:
        from satcfdi.exceptions import ResponseError

        server = self.server
        answer = requests.post(server.url, data=cfdi.xml_bytes(), timeout=server.client_timeout)
        if answer.status_code != 200:
            raise ResponseError(answer.text)
        return type("Stamped", (), {"xml": answer.content})()


@pytest.fixture
def remote_pac(db: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakePACServer]:
    """Every stamp of the test goes to the remote PAC (cancel/status are not used here)."""
    from portal.cfdi.pac import SatcfdiPAC
    from portal.services import stamping

    server = FakePACServer(stamping.test_pac(db))
    db.commit()  # the test PAC's certificate row, stored on first use
    pac = SatcfdiPAC(HTTPClient(server))
    assert pac.remote
    monkeypatch.setattr(stamping, "pac_for", lambda session, organization, livemode: pac)
    yield server
    server.close()


def _no_violation(call: Any) -> Any:
    with GUARD.expect_violation() as caught:
        result = call()
    assert caught == [], caught[0]
    return result


def test_sync_create_calls_the_remote_pac_with_no_transaction_open(
    db: Any, make_organization: Any, api: Any, invoice_body: Any, remote_pac: FakePACServer
) -> None:
    """``POST /v2/invoices``: stamped by the remote PAC, ``valid`` with its XML, lease ended."""
    _, key = make_organization()
    created = _no_violation(lambda: api(key).post("/invoices", json=invoice_body()))
    db.rollback()
    assert created.status_code == 200, created.json
    assert created.json["status"] == "valid" and created.json["uuid"]
    assert remote_pac.requests == 1
    invoice = db.get(Invoice, created.json["id"])
    assert invoice.xml and b"TimbreFiscalDigital" in invoice.xml
    assert invoice.folio_number is not None and invoice.total > 0
    assert db.get(StampingLease, invoice.id) is None


def test_stamp_draft_calls_the_remote_pac_with_no_transaction_open(
    db: Any, make_organization: Any, api: Any, invoice_body: Any, remote_pac: FakePACServer
) -> None:
    """``POST /v2/invoices/{id}/stamp``: the draft takes its folio and is stamped remotely."""
    _, key = make_organization()
    client = api(key)
    draft = client.post("/invoices", json=invoice_body(status="draft")).json
    db.rollback()
    assert remote_pac.requests == 0
    stamped = _no_violation(lambda: client.post(f"/invoices/{draft['id']}/stamp"))
    db.rollback()
    assert stamped.status_code == 200, stamped.json
    assert stamped.json["status"] == "valid" and remote_pac.requests == 1
    assert db.get(Invoice, draft["id"]).folio_number is not None


def test_the_guard_catches_a_remote_stamp_inside_the_transaction(
    db: Any, make_organization: Any, invoice_body: Any, remote_pac: FakePACServer
) -> None:
    """The old flow (``invoices.create`` stamps in the caller's transaction) is caught."""
    from portal.services import invoices
    from portal.tenancy import Tenant

    org, _ = make_organization()
    with GUARD.expect_violation() as caught:
        invoices.create(db, Tenant(org, False), invoice_body())
    db.rollback()
    assert caught and remote_pac.requests == 1


def test_a_slow_remote_pac_does_not_block_other_tenants_writes(
    db: Any, app: Any, make_organization: Any, api: Any, invoice_body: Any, remote_pac: Any
) -> None:
    """While the PAC takes 5 s to stamp one tenant's invoice, another tenant writes in <1 s."""
    if db.get_bind().dialect.name != "sqlite":
        pytest.skip("the single write lock is SQLite's")
    _, slow_key = make_organization()
    _, other_key = make_organization(name="Otra Escuela")
    db.rollback()
    remote_pac.delay, remote_pac.client_timeout = SLOW_PAC, SLOW_PAC + 5
    answers: list[Any] = []

    def slow_request() -> None:  # its own thread: its own app context and session
        client = app.test_client()
        headers = {"Authorization": f"Bearer {slow_key}"}
        answers.append(client.post("/v2/invoices", json=invoice_body(), headers=headers))

    worker = threading.Thread(target=slow_request)
    worker.start()
    deadline = time.monotonic() + 5
    while not remote_pac.requests and time.monotonic() < deadline:
        time.sleep(0.02)
    assert remote_pac.requests, "the stamp never reached the PAC"

    started = time.monotonic()
    created = api(other_key).post("/customers", json=CUSTOMER)
    elapsed = time.monotonic() - started
    db.rollback()
    assert created.status_code == 200, created.json
    assert elapsed < 1.0, f"another tenant's write waited {elapsed:.1f} s for the PAC"
    assert worker.is_alive(), "the PAC answered before the write was measured"
    worker.join(SLOW_PAC + 10)
    assert answers and answers[0].status_code == 200, answers and answers[0].json
    assert answers[0].json["status"] == "valid"


def test_a_parallel_request_with_the_same_key_gets_the_pending_invoice(
    db: Any, app: Any, make_organization: Any, api: Any, invoice_body: Any, remote_pac: Any
) -> None:
    """Idempotency-Key during the PAC call: the pending invoice, never a second stamp."""
    _, key = make_organization()
    db.rollback()
    remote_pac.delay = 1.5
    body = invoice_body()
    headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": "pedido-77"}
    answers: list[Any] = []
    worker = threading.Thread(
        target=lambda: answers.append(
            app.test_client().post("/v2/invoices", json=body, headers=headers)
        )
    )
    worker.start()
    deadline = time.monotonic() + 5
    while not remote_pac.requests and time.monotonic() < deadline:
        time.sleep(0.02)
    second = api(key).post("/invoices", json=body, headers={"Idempotency-Key": "pedido-77"})
    db.rollback()
    worker.join(10)
    assert second.status_code == 200 and second.json["status"] == "pending"
    assert answers[0].json["status"] == "valid"
    assert second.json["id"] == answers[0].json["id"] and remote_pac.requests == 1


def test_a_refusal_leaves_the_invoice_failed_with_the_pacs_message(
    db: Any, make_organization: Any, api: Any, invoice_body: Any, remote_pac: FakePACServer
) -> None:
    """The PAC's refusal: the same API error as before, the invoice ``failed`` with its reason
    (its folio is not reused: SAT allows the gap), and the lease ended."""
    _, key = make_organization()
    remote_pac.refusal = "CFDI40999 - El PAC no acepta este comprobante de prueba."
    refused = _no_violation(lambda: api(key).post("/invoices", json=invoice_body()))
    db.rollback()
    assert refused.status_code == 422, refused.json
    assert refused.json["code"] == "pac_stamp_rejected"
    assert "CFDI40999" in refused.json["message"]
    invoice = db.scalars(select(Invoice)).one()
    assert invoice.status == "failed" and "CFDI40999" in invoice.failure_reason
    assert invoice.uuid is None and invoice.xml is None
    assert db.get(StampingLease, invoice.id) is None

    remote_pac.refusal = None
    again = api(key).post("/invoices", json=invoice_body())
    db.rollback()
    assert again.json["status"] == "valid"
    assert db.get(Invoice, again.json["id"]).folio_number == invoice.folio_number + 1


def test_a_timeout_leaves_the_invoice_pending_and_the_sweep_stamps_it(
    db: Any, make_organization: Any, api: Any, invoice_body: Any, remote_pac: FakePACServer
) -> None:
    """No answer from the PAC: the API answers the invoice ``pending`` (not an error); the
    worker's sweep stamps it later."""
    from portal.jobs.invoices import sweep_pending_invoices

    _, key = make_organization()
    remote_pac.client_timeout, remote_pac.delay = 1.0, 2.0
    created = _no_violation(lambda: api(key).post("/invoices", json=invoice_body()))
    db.rollback()
    assert created.status_code == 200, created.json
    assert created.json["status"] == "pending"
    invoice = db.get(Invoice, created.json["id"])
    assert invoice.status == "pending" and invoice.folio_number is not None
    assert db.get(StampingLease, invoice.id) is None  # free for the sweep

    remote_pac.delay = 0
    invoice.created_at = invoice.created_at - timedelta(minutes=5)
    db.commit()
    _no_violation(sweep_pending_invoices)  # its job runs inline in tests
    db.rollback()
    invoice = db.get(Invoice, created.json["id"])
    assert invoice.status == "valid" and invoice.xml


# Receipts: linked to the pending invoice in the first transaction, open again on a refusal --


def _yesterday() -> str:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    moment = datetime.now(ZoneInfo("America/Mexico_City")) - timedelta(days=1)
    return moment.replace(hour=12, minute=0, second=0, microsecond=0).isoformat()


def test_receipts_are_invoiced_with_no_transaction_open_around_the_pac(
    db: Any, make_organization: Any, api: Any, make_receipt: Any, remote_pac: FakePACServer
) -> None:
    """One receipt, several by key, and the global invoice: each stamped by the remote PAC
    outside a transaction, each receipt linked to its (valid) invoice."""
    org, key = make_organization()
    org.receipts_periodicity = "day"
    db.commit()
    client = api(key)
    one, two, three = (make_receipt(key) for _ in range(3))
    old = make_receipt(key, date=_yesterday())
    db.rollback()
    single = _no_violation(
        lambda: client.post(f"/receipts/{one['id']}/invoice", json={"customer": CUSTOMER})
    )
    several = _no_violation(
        lambda: client.post(
            "/receipts/to-invoice", json={"keys": [two["key"], three["key"]], "customer": CUSTOMER}
        )
    )
    global_ = _no_violation(lambda: client.post("/receipts/global-invoice", json={}))
    db.rollback()
    for answer in (single, several, global_):
        assert answer.status_code == 200, answer.json
        assert answer.json["status"] == "valid"
    assert remote_pac.requests == 3
    linked = {r["id"]: client.get(f"/receipts/{r['id']}").json for r in (one, two, three, old)}
    assert linked[one["id"]]["invoice"] == single.json["id"]
    assert linked[two["id"]]["invoice"] == linked[three["id"]]["invoice"] == several.json["id"]
    assert linked[old["id"]]["status"] == "invoiced_globally"
    assert linked[old["id"]]["invoice"] == global_.json["id"]


def test_a_refused_receipt_invoice_leaves_the_receipt_open_again(
    db: Any, make_organization: Any, api: Any, make_receipt: Any, remote_pac: FakePACServer
) -> None:
    """While the PAC is called the receipt is taken (linked to the pending invoice); the PAC
    refuses: the API error carries its words, the invoice is ``failed``, the receipt ``open``
    and invoicing it again works."""
    _, key = make_organization()
    client = api(key)
    receipt = make_receipt(key)
    db.rollback()
    seen: list[str] = []

    def during_call(xml: bytes) -> None:  # what another request would see meanwhile
        with remote_pac_app.app_context():
            from portal.extensions import db as fresh
            from portal.models.receipts import Receipt

            seen.append(fresh.session.get(Receipt, receipt["id"]).status)
            fresh.session.rollback()

    remote_pac_app = client.client.application
    remote_pac.refusal = "CFDI40147 - El PAC rechaza el recibo de prueba."
    remote_pac.on_request = during_call
    refused = _no_violation(
        lambda: client.post(f"/receipts/{receipt['id']}/invoice", json={"customer": CUSTOMER})
    )
    db.rollback()
    assert refused.status_code == 422 and "CFDI40147" in refused.json["message"]
    assert seen == ["invoiced_to_customer"]
    failed = db.scalars(select(Invoice)).one()
    assert failed.status == "failed" and "CFDI40147" in failed.failure_reason
    again = client.get(f"/receipts/{receipt['id']}").json
    assert again["status"] == "open" and again["invoice"] is None

    remote_pac.refusal, remote_pac.on_request = None, None
    invoiced = client.post(f"/receipts/{receipt['id']}/invoice", json={"customer": CUSTOMER})
    db.rollback()
    assert invoiced.status_code == 200 and invoiced.json["status"] == "valid"


# The self-invoice page ----------------------------------------------------------------------


def test_self_invoice_redeem_calls_the_remote_pac_with_no_transaction_open(
    db: Any, client: Any, make_organization: Any, make_receipt: Any, remote_pac: Any
) -> None:
    """The visitor's invoice is stamped outside a transaction; the event and the email with the
    stamped XML follow in the recording transaction."""
    from portal.models.events import Event
    from portal.models.mail import OutboxEmail
    from portal.models.receipts import Receipt
    from tests.fixtures.receipts import BUYER

    org, key = make_organization(domain="kemper")
    receipt = make_receipt(key)
    db.rollback()
    done = _no_violation(lambda: client.post(f"/kemper/{receipt['key']}/confirm", data=BUYER))
    db.rollback()
    assert done.status_code == 302, done.data[:500]
    assert "Tu factura está emitida" in client.get(done.headers["Location"]).get_data(True)
    stored = db.get(Receipt, receipt["id"])
    invoice = db.get(Invoice, stored.invoice_id)
    assert stored.status == "invoiced_to_customer" and invoice.status == "valid"
    assert remote_pac.requests == 1
    kinds = db.scalars(select(Event.type).where(Event.organization_id == org.id)).all()
    assert "receipt.self_invoice_complete" in kinds
    email = db.scalars(select(OutboxEmail)).one()
    assert email.to == [BUYER["email"]] and len(email.attachments) == 2


@pytest.mark.parametrize(
    ("refusal", "spanish"),
    [
        ("CFDI40147 - Rechazado por el PAC de prueba.", "El PAC rechazó la solicitud al timbrar"),
        (None, "El PAC no respondió al timbrar"),
    ],
)
def test_a_refused_or_unanswered_redeem_leaves_the_receipt_open_with_a_spanish_error(
    db: Any,
    client: Any,
    make_organization: Any,
    make_receipt: Any,
    remote_pac: Any,
    refusal: str | None,
    spanish: str,
) -> None:
    """The visitor cannot be told "later": a refusal or no answer shows the form again with the
    error in Spanish, the receipt is open (redeemable again) and the invoice ``failed``."""
    from portal.models.receipts import Receipt
    from tests.fixtures.receipts import BUYER

    _, key = make_organization(domain="kemper")
    receipt = make_receipt(key)
    db.rollback()
    remote_pac.refusal = refusal
    if refusal is None:
        remote_pac.client_timeout, remote_pac.delay = 1.0, 2.0
    page = _no_violation(lambda: client.post(f"/kemper/{receipt['key']}/confirm", data=BUYER))
    db.rollback()
    assert page.status_code == 400, page.status_code  # the form again, with the error
    assert spanish in page.get_data(as_text=True)
    stored = db.get(Receipt, receipt["id"])
    assert stored.status == "open" and stored.invoice_id is None
    assert db.scalars(select(Invoice)).one().status == "failed"

    remote_pac.refusal, remote_pac.delay = None, 0
    again = client.post(f"/kemper/{receipt['key']}/confirm", data=BUYER)
    db.rollback()
    assert again.status_code == 302, again.data[:500]
    assert db.get(Receipt, receipt["id"]).status == "invoiced_to_customer"


def test_a_payment_complement_still_stamps_inside_its_transaction(
    db: Any, make_organization: Any, api: Any, invoice_body: Any, remote_pac: FakePACServer
) -> None:
    """The documented exception (CRP20238: ImpSaldoAnt must be the paid invoice's balance):
    a payment complement keeps its paid invoice's balance locked until it is updated, so the
    remote PAC is called inside that transaction (the guard sees it) and the balance is right."""
    _, key = make_organization()
    client = api(key)
    ppd = client.post("/invoices", json=invoice_body(payment_method="PPD", payment_form="99")).json
    db.rollback()
    assert ppd["status"] == "valid" and ppd["balance"] == 691.2
    complement = {
        "type": "pago",
        "data": [
            {"payment_form": "03", "related_documents": [{"uuid": ppd["uuid"], "amount": "200"}]}
        ],
    }
    body = invoice_body(type="P", items=[], complements=[complement])
    with GUARD.expect_violation() as caught:
        payment = client.post("/invoices", json=body)
    db.rollback()
    assert payment.status_code == 200, payment.json
    assert payment.json["status"] == "valid" and len(caught) == 1
    assert client.get(f"/invoices/{ppd['id']}").json["balance"] == 491.2


# The dashboard, the background global-invoice run and the async worker -------------------

DASHBOARD_FORM = {
    "customer_id": "",
    "tax_id": "URE180429TM6",
    "legal_name": "UNIVERSIDAD ROBOTICA ESPAÑOLA",
    "tax_system": "601",
    "zip": "86991",
    "use": "G03",
    "payment_form": "03",
    "payment_method": "PUE",
    "items-0-description": "Ukelele",
    "items-0-product_key": "60131324",
    "items-0-unit_key": "H87",
    "items-0-quantity": "2",
    "items-0-price": "345.60",
}


@pytest.fixture
def signed_in(db: Any, make_organization: Any, login_as: Any) -> Any:
    """An organization (with ``key``) whose owner is signed in to the dashboard."""
    from portal.models.accounts import Account

    org, key = make_organization()
    org.key = key
    client = login_as(db.get(Account, org.account_id))
    return org, client


def test_dashboard_create_and_stamp_draft_call_the_remote_pac_with_no_transaction_open(
    db: Any, signed_in: Any, remote_pac: FakePACServer
) -> None:
    """The invoice form ("stamp") and a draft's "stamp" button: ``valid`` through the remote
    PAC, lease ended; the old flow stamped inside the request's transaction (caught)."""
    org, client = signed_in
    base = f"/dashboard/o/{org.id}/invoices"
    made = _no_violation(
        lambda: client.post(f"{base}/new", data={**DASHBOARD_FORM, "action": "stamp"})
    )
    assert made.status_code == 302, made.get_data(as_text=True)
    db.rollback()
    invoice = db.scalars(select(Invoice)).one()
    assert invoice.status == "valid" and b"TimbreFiscalDigital" in invoice.xml
    assert remote_pac.requests == 1 and db.get(StampingLease, invoice.id) is None

    drafted = client.post(f"{base}/new", data={**DASHBOARD_FORM, "action": "draft"})
    assert drafted.status_code == 302
    db.rollback()
    draft = db.scalars(select(Invoice).where(Invoice.status == "draft")).one()
    stamped = _no_violation(lambda: client.post(f"{base}/{draft.id}/stamp"))
    assert stamped.status_code == 302
    db.rollback()
    assert db.get(Invoice, draft.id, populate_existing=True).status == "valid"
    assert remote_pac.requests == 2


def test_dashboard_credit_note_calls_the_remote_pac_with_no_transaction_open(
    db: Any, signed_in: Any, api: Any, invoice_body: Any, remote_pac: FakePACServer
) -> None:
    """A credit note (type E, TipoRelacion 01) from the invoice's page: stamped remotely
    outside a transaction (payment complements, type P, still stamp in one: their balances)."""
    org, client = signed_in
    ppd = api(org.key).post("/invoices", json=invoice_body(payment_method="PPD", payment_form="99"))
    assert ppd.status_code == 200, ppd.json
    data = {
        "credit-description": "Descuento por pronto pago",
        "credit-amount": "116.00",
        "credit-payment_form": "15",
        "credit-product_key": "84111506",
    }
    url = f"/dashboard/o/{org.id}/invoices/{ppd.json['id']}/credit-notes"
    issued = _no_violation(lambda: client.post(url, data=data))
    assert issued.status_code == 302, issued.get_data(as_text=True)
    db.rollback()
    note = db.scalars(select(Invoice).where(Invoice.type == "E")).one()
    assert note.status == "valid" and b"TimbreFiscalDigital" in note.xml
    assert remote_pac.requests == 2


def test_dashboard_global_invoice_calls_the_remote_pac_with_no_transaction_open(
    db: Any, signed_in: Any, make_receipt: Any, remote_pac: FakePACServer
) -> None:
    """ "Emitir factura global" on the dashboard: the receipt is linked to a ``valid`` invoice
    stamped by the remote PAC outside a transaction."""
    from portal.models.receipts import Receipt

    org, client = signed_in
    org.receipts_periodicity = "day"
    db.commit()
    receipt = make_receipt(org.key, date=_yesterday())
    url = f"/dashboard/o/{org.id}/receipts/global"
    issued = _no_violation(lambda: client.post(url, data={"periodicity": "day"}))
    assert issued.status_code == 302 and "/invoices/" in issued.headers["Location"]
    db.rollback()
    stored = db.get(Receipt, receipt["id"], populate_existing=True)
    assert stored.status == "invoiced_globally"
    assert db.get(Invoice, stored.invoice_id).status == "valid" and remote_pac.requests == 1


def test_background_global_invoice_run_calls_the_remote_pac_with_no_transaction_open(
    db: Any, make_organization: Any, make_receipt: Any, remote_pac: FakePACServer, monkeypatch: Any
) -> None:
    """The background run (``portal.jobs.receipts``, resumed by its periodic sweep) issues
    each batch's global invoice with the PAC called outside the run's transaction."""
    from portal.jobs import receipts as receipt_jobs
    from portal.models.receipts import GlobalInvoiceRun, Receipt
    from portal.services import receipt_invoices
    from portal.tenancy import Tenant

    org, key = make_organization()
    org.receipts_periodicity = "day"
    db.commit()
    monkeypatch.setattr(receipt_jobs, "BATCH_RECEIPTS", 2)
    made = [make_receipt(key, date=_yesterday()) for _ in range(3)]
    tenant = Tenant(org, False)
    selection = receipt_invoices.select_global(db, tenant, {"periodicity": "day"})
    run_id = receipt_invoices.start_run(db, tenant, selection).id
    db.commit()
    _no_violation(lambda: receipt_jobs.issue_global_invoices(run_id))
    db.rollback()
    run = db.get(GlobalInvoiceRun, run_id, populate_existing=True)
    assert run.status == "done" and run.processed == 3 and len(run.invoice_ids) == 2
    assert remote_pac.requests == 2
    for invoice_id in run.invoice_ids:
        assert db.get(Invoice, invoice_id).status == "valid"
    statuses = {db.get(Receipt, r["id"], populate_existing=True).status for r in made}
    assert statuses == {"invoiced_globally"}


def test_async_job_leaves_a_remote_timeout_pending_and_a_refusal_failed(
    db: Any, make_organization: Any, api: Any, invoice_body: Any, remote_pac: FakePACServer
) -> None:
    """``?async=true`` with a remote PAC: no answer (timeout) leaves it ``pending`` with the
    lease ended (the sweep retries); a refusal marks it ``failed`` with the PAC's words."""
    from portal.jobs.invoices import stamp_invoice

    _, key = make_organization()
    remote_pac.client_timeout, remote_pac.delay = 1.0, 2.0
    created = _no_violation(lambda: api(key).post("/invoices?async=true", json=invoice_body()))
    assert created.status_code == 200, created.json
    db.rollback()
    invoice = db.get(Invoice, created.json["id"], populate_existing=True)
    assert remote_pac.requests == 1  # its job ran inline and timed out
    assert invoice.status == "pending" and invoice.failure_reason is None
    assert db.get(StampingLease, invoice.id) is None

    remote_pac.delay, remote_pac.refusal = 0, "CFDI40999 rechazado por el PAC"
    invoice_id = invoice.id
    db.rollback()  # the job runs inline: no read snapshot of ours may hold SQLite's lock
    _no_violation(lambda: stamp_invoice(invoice_id))
    db.rollback()
    invoice = db.get(Invoice, created.json["id"], populate_existing=True)
    assert invoice.status == "failed" and "rechazado por el PAC" in invoice.failure_reason
