"""Payments racing for one invoice against a live server (SQLite and PostgreSQL): each reads the
balance the previous one left, so the installments chain and the invoice is never overpaid."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import requests
from lxml import etree

from tests.fixtures.sat_checks import PAGO, check_stamped_payment

PARALLEL = 6


def _post(url: str, key: str, body: dict[str, Any]) -> requests.Response:
    headers = {"Authorization": f"Bearer {key}"}
    return requests.post(f"{url}/v2/invoices", json=body, headers=headers, timeout=120)


def _get(url: str, key: str, path: str) -> requests.Response:
    return requests.get(f"{url}/v2{path}", headers={"Authorization": f"Bearer {key}"}, timeout=60)


def _invoice(url: str, key: str, invoice_body: Any) -> dict[str, Any]:
    product = {"description": "Servicio", "product_key": "81111500", "price": 1000}
    items = [{"product": {**product, "tax_included": False}}]
    response = _post(url, key, invoice_body(payment_method="PPD", payment_form="99", items=items))
    assert response.status_code == 200, response.text
    return response.json()  # 1,160.00


def _race(url: str, key: str, invoice_body: Any, uuid: str, amount: str) -> list[Any]:
    document = {"uuid": uuid, "amount": amount}
    complement = {"type": "pago", "data": [{"payment_form": "03", "related_documents": [document]}]}
    body = invoice_body(type="P", items=[], complements=[complement])
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        return list(pool.map(lambda _: _post(url, key, body), range(PARALLEL)))


def _docto(url: str, key: str, payment: dict[str, Any]) -> etree._Element:
    xml = _get(url, key, f"/invoices/{payment['id']}/xml").content
    root = check_stamped_payment(xml)
    (docto,) = root.iter(f"{PAGO}DoctoRelacionado")
    return docto


def test_parallel_payments_of_one_invoice_chain_their_installments(
    live_server, make_organization, invoice_body
) -> None:
    """Six payments of 100.00 at once: installments 1-6, each starting where the previous one
    left the balance (CRP20244), and the API's balance is the last ImpSaldoInsoluto."""
    _organization, key = make_organization()
    invoice = _invoice(live_server, key, invoice_body)
    responses = _race(live_server, key, invoice_body, invoice["uuid"], "100")
    assert [r.status_code for r in responses] == [200] * PARALLEL, [r.text for r in responses]
    doctos = sorted(
        (_docto(live_server, key, r.json()) for r in responses),
        key=lambda d: int(d.get("NumParcialidad")),
    )
    fields = ("NumParcialidad", "ImpSaldoAnt", "ImpSaldoInsoluto")
    chain = [tuple(d.get(f) for f in fields) for d in doctos]
    balance = Decimal("1160.00")
    expected = []
    for number in range(1, PARALLEL + 1):
        expected.append((str(number), f"{balance:.2f}", f"{balance - 100:.2f}"))
        balance -= 100
    assert chain == expected
    final = _get(live_server, key, f"/invoices/{invoice['id']}").json()["balance"]
    assert Decimal(str(final)) == Decimal(chain[-1][2]) == Decimal("560.00")


def test_parallel_payments_never_overpay_an_invoice(
    live_server, make_organization, invoice_body
) -> None:
    """Six payments of 400.00 at once on 1,160.00: two fit, the others are refused with the
    balance they would exceed, and nothing else is stamped."""
    _organization, key = make_organization()
    invoice = _invoice(live_server, key, invoice_body)
    responses = _race(live_server, key, invoice_body, invoice["uuid"], "400")
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 200] + [400] * (PARALLEL - 2), [r.text for r in responses]
    refused = [r.json() for r in responses if r.status_code == 400]
    assert {e["code"] for e in refused} == {"payment_exceeds_balance"}
    assert all("saldo 360.00 MXN" in e["message"] for e in refused), refused
    paid = [_docto(live_server, key, r.json()) for r in responses if r.status_code == 200]
    assert sorted(d.get("ImpSaldoAnt") for d in paid) == ["1160.00", "760.00"]
    final = _get(live_server, key, f"/invoices/{invoice['id']}").json()["balance"]
    assert Decimal(str(final)) == Decimal("360.00")


def test_payments_of_two_invoices_in_opposite_orders_do_not_deadlock(
    live_server, make_organization, invoice_body
) -> None:
    """Payments naming invoices A, B and B, A at once: the invoices are locked in one order,
    so none waits on another in a cycle (PostgreSQL would abort one: a 500)."""
    _organization, key = make_organization()
    first, second = (_invoice(live_server, key, invoice_body) for _ in range(2))

    def body(uuids: list[str]) -> dict[str, Any]:
        documents = [{"uuid": uuid, "amount": "10"} for uuid in uuids]
        payment = {"payment_form": "03", "related_documents": documents}
        return invoice_body(type="P", items=[], complements=[{"type": "pago", "data": [payment]}])

    orders = [[first["uuid"], second["uuid"]], [second["uuid"], first["uuid"]]] * (PARALLEL // 2)
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        responses = list(pool.map(lambda uuids: _post(live_server, key, body(uuids)), orders))
    assert [r.status_code for r in responses] == [200] * PARALLEL, [r.text for r in responses]
    for invoice in (first, second):
        final = _get(live_server, key, f"/invoices/{invoice['id']}").json()["balance"]
        assert Decimal(str(final)) == Decimal("1160.00") - 10 * PARALLEL
