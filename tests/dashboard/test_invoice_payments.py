"""An invoice's page: register payments against a PPD invoice, its chain and balance, credit
notes related to it, and cancellation with the reasons SAT's rules give when it is refused."""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from lxml import etree
from sqlalchemy import select

from portal.models.accounts import Account
from portal.models.invoices import Invoice
from tests.fixtures.invoices import CUSTOMER

PAGOS = "{http://www.sat.gob.mx/Pagos20}"


@pytest.fixture
def org(make_organization: Any, login_as: Any, db: Any) -> Any:
    organization, key = make_organization()
    organization.key = key
    login_as(db.get(Account, organization.account_id))
    return organization


@pytest.fixture
def ppd(org: Any, api: Any, invoice_body: Any) -> dict[str, Any]:
    body = invoice_body(payment_method="PPD", payment_form="99")
    response = api(org.key).post("/invoices", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _url(org: Any, invoice_id: str, path: str = "") -> str:
    return f"/dashboard/o/{org.id}/invoices/{invoice_id}{path}"


def _text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def _of_type(db: Any, kind: str) -> list[Invoice]:
    query = select(Invoice).where(Invoice.type == kind).order_by(Invoice.folio_number)
    return list(db.scalars(query).all())


def _one(rows: list[Invoice]) -> Invoice:
    assert len(rows) == 1, rows
    return rows[0]


def _today() -> str:
    return datetime.now(ZoneInfo("America/Mexico_City")).date().isoformat()


def _pay(client: Any, org: Any, invoice: dict, amount: str, **extra: str) -> Any:
    data = {
        "payment-date": _today(),
        "payment-payment_form": "03",
        "payment-amount": amount,
        "payment-currency": "MXN",
        **extra,
    }
    return client.post(_url(org, invoice["id"], "/payments"), data=data)


def test_payments_chain_and_balance(client: Any, org: Any, ppd: dict, db: Any, verify_stamped):
    """Each payment issues a Pagos 2.0 CFDI whose installments chain (CRP20xxx: NumParcialidad,
    ImpSaldoAnt - ImpPagado = ImpSaldoInsoluto); the page shows the chain and the balance."""
    assert _pay(client, org, ppd, "200.00").status_code == 302
    assert _pay(client, org, ppd, "91.20").status_code == 302
    page = _text(client.get(_url(org, ppd["id"])))
    assert "Saldo: 400.00 MXN" in page
    payments = _of_type(db, "P")
    assert len(payments) == 2
    steps = []
    for payment in payments:
        verify_stamped(payment.xml)
        paid = etree.fromstring(payment.xml).find(f".//{PAGOS}DoctoRelacionado")
        assert paid.get("IdDocumento") == ppd["uuid"]
        steps.append(
            [
                paid.get(k)
                for k in ("NumParcialidad", "ImpSaldoAnt", "ImpPagado", "ImpSaldoInsoluto")
            ]
        )
    assert steps == [["1", "691.20", "200.00", "491.20"], ["2", "491.20", "91.20", "400.00"]]
    for row in ("691.20", "491.20", "400.00"):
        assert row in page


@pytest.mark.parametrize(
    ("amount", "extra", "words"),
    [
        ("800.00", {}, "saldo"),  # the message is the payment rules' (pay lane)
        ("0", {}, "mayor que cero"),
        ("abc", {}, "importe"),
        ("10", {"payment-date": ""}, "fecha"),
    ],
)
def test_refused_payments_say_why(client, org, ppd, db, amount, extra, words) -> None:
    response = _pay(client, org, ppd, amount, **extra)
    assert response.status_code == 400
    assert words in _text(response).lower()
    assert _of_type(db, "P") == []


def test_credit_note_related_with_01(client: Any, org: Any, ppd: dict, db: Any) -> None:
    data = {
        "credit-description": "Descuento por pronto pago",
        "credit-amount": "116.00",
        "credit-payment_form": "15",
        "credit-product_key": "84111506",
    }
    response = client.post(_url(org, ppd["id"], "/credit-notes"), data=data)
    assert response.status_code == 302, _text(response)
    note = _one(_of_type(db, "E"))
    root = etree.fromstring(note.xml)
    cfdi = "{http://www.sat.gob.mx/cfd/4}"
    related = root.find(f"{cfdi}CfdiRelacionados")
    assert related.get("TipoRelacion") == "01"
    assert related.find(f"{cfdi}CfdiRelacionado").get("UUID") == ppd["uuid"]
    assert root.get("TipoDeComprobante") == "E" and root.get("Total") == "116.00"
    assert root.find(f"{cfdi}Receptor").get("Rfc") == CUSTOMER["tax_id"]
    assert "Descuento por pronto pago" not in _text(client.get(_url(org, ppd["id"])))
    assert str(note.folio_number) in _text(client.get(_url(org, ppd["id"])))


def test_cancel_refused_lists_the_live_documents_then_works(client, org, ppd, db) -> None:
    """SAT: not cancellable while a payment pays it; the page lists it in Spanish (400)."""
    assert _pay(client, org, ppd, "100.00").status_code == 302
    payment = _one(_of_type(db, "P"))
    refused = client.post(_url(org, ppd["id"], "/cancellation"), data={"cancel-motive": "02"})
    assert refused.status_code == 400
    page = _text(refused)
    assert "documento relacionado vigente" in page.lower() and payment.uuid in page
    missing = client.post(_url(org, ppd["id"], "/cancellation"), data={"cancel-motive": "01"})
    assert missing.status_code == 400 and "requiere" in _text(missing)
    done = client.post(_url(org, payment.id, "/cancellation"), data={"cancel-motive": "02"})
    assert done.status_code == 302
    assert "Saldo: 691.20 MXN" in _text(client.get(_url(org, ppd["id"])))
    done = client.post(_url(org, ppd["id"], "/cancellation"), data={"cancel-motive": "02"})
    assert done.status_code == 302
    assert db.get(Invoice, ppd["id"], populate_existing=True).status == "canceled"


def test_another_tenants_invoice_is_a_404(client, org, make_organization, api, invoice_body):
    _other, key = make_organization()
    theirs = api(key).post("/invoices", json=invoice_body(payment_method="PPD", payment_form="99"))
    theirs = theirs.get_json()
    for path in ("/payments", "/credit-notes", "/cancellation"):
        assert client.post(_url(org, theirs["id"], path), data={}).status_code == 404


def test_cancel_with_a_back_dated_big_invoice_waits_for_the_receiver(
    client, org, api, invoice_body, db, monkeypatch
):
    from portal.services import stamping

    pac = stamping.test_pac(db)
    items = [
        {
            "quantity": 3,
            "product": {"description": "Piano", "product_key": "60131324", "price": 900},
        }
    ]
    big = api(org.key).post("/invoices", json=invoice_body(items=items)).get_json()
    # Asked a week after the stamping: past the next business day (RMF 2.7.1.35 fr. IX).
    issued = datetime.now(ZoneInfo("America/Mexico_City")).replace(microsecond=0, tzinfo=None)
    monkeypatch.setattr(pac, "clock", lambda: issued + timedelta(days=7))
    response = client.post(
        _url(org, big["id"], "/cancellation"), data={"cancel-motive": "02"}, follow_redirects=True
    )
    assert "el receptor debe aceptar" in _text(response)


def test_substitute_draft_then_cancel_with_motive_01(client, org, api, invoice_body, db) -> None:
    """Motive 01 from the dashboard: a draft copy relating with 04, stamped, then named."""
    original = api(org.key).post("/invoices", json=invoice_body()).get_json()
    response = client.post(_url(org, original["id"], "/substitute"))
    assert response.status_code == 302 and response.location.endswith("/edit")
    draft = db.scalars(select(Invoice).where(Invoice.status == "draft")).one()
    assert draft.related_documents == [{"relationship": "04", "documents": [original["uuid"]]}]
    assert client.post(_url(org, draft.id, "/stamp")).status_code == 302
    page = _text(client.get(_url(org, original["id"])))
    substitute = db.get(Invoice, draft.id, populate_existing=True)
    assert "que la sustituyen" in page and substitute.uuid in page
    data = {"cancel-motive": "01", "cancel-substitution": substitute.uuid}
    assert client.post(_url(org, original["id"], "/cancellation"), data=data).status_code == 302
    canceled = db.get(Invoice, original["id"], populate_existing=True)
    assert canceled.status == "canceled" and canceled.cancellation_substitution == substitute.uuid


def test_the_invoice_page_reads_in_english(client, org, ppd) -> None:
    """The payments, credit-note and cancellation sections have English translations."""
    with client.session_transaction() as session:
        session["lang"] = "en"
    page = _text(client.get(_url(org, ppd["id"])))
    for english in ("Payments", "Record a payment", "Balance due:", "Issue a credit note"):
        assert english in page, english
    for spanish in ("Registrar un pago", "Saldo pendiente", "Emitir una nota de crédito"):
        assert spanish not in page, spanish
