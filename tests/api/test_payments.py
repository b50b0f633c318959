"""Payment complements (Pagos 2.0) issued through /v2, each stamped XML checked with the tests'
own SAT checks (XSD, seal over SAT's XSLT cadena, the guide's sums redone).

Rules: ImpuestosDR mirror the paid invoice's taxes pro rata (SAT's "Guía de llenado" of the
complemento para recepción de pagos); Totales and ImpuestosP (CRP20201-CRP20211, CRP20265,
CRP20268, CRP20274); EquivalenciaDR (CRP20237, CRP20238) and TipoCambioP (CRP20214, CRP20215);
installments chained (CRP20244); payments refused before anything is stamped.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from lxml import etree
from sqlalchemy import func, select

from portal.models.invoices import Invoice
from tests.cfdi.test_pdf import pdf_text
from tests.fixtures.factories import ok
from tests.fixtures.sat_checks import (
    PAGO,
    check_stamped_payment,
    invoice_tax_bases,
    payment_tax_bases,
)

CENT = Decimal("0.01")
OTHER_CUSTOMER = {
    "legal_name": "Industrias del Norte",
    "tax_id": "IIA040805DZ4",
    "tax_system": "601",
    "address": {"zip": "86991"},
}


def _ppd(org_api: Any, invoice_body: Any, **overrides: Any) -> dict[str, Any]:
    body = invoice_body(payment_method="PPD", payment_form="99", **overrides)
    invoice = ok(org_api.post("/invoices", json=body))
    invoice["xml"] = org_api.get(f"/invoices/{invoice['id']}/xml").data
    return invoice


def _payment(documents: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    return {"payment_form": "03", "related_documents": documents, **fields}


def _pay(org_api: Any, invoice_body: Any, *payments: dict[str, Any], **body: Any) -> Any:
    complement = {"type": "pago", "data": list(payments)}
    return org_api.post(
        "/invoices", json=invoice_body(type="P", items=[], complements=[complement], **body)
    )


def _stamped(org_api: Any, response: Any) -> etree._Element:
    payment = ok(response)
    return check_stamped_payment(org_api.get(f"/invoices/{payment['id']}/xml").data)


def _doctos(root: etree._Element) -> list[etree._Element]:
    return root.findall(f".//{PAGO}DoctoRelacionado")


def _balance(org_api: Any, invoice: dict[str, Any]) -> Decimal:
    return Decimal(str(org_api.get(f"/invoices/{invoice['id']}").get_json()["balance"]))


def _payments_count(db: Any) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(Invoice).where(Invoice.type == "P"))


def _item(price: str, taxes: list[dict[str, Any]] | None, quantity: int = 1) -> dict[str, Any]:
    product: dict[str, Any] = {
        "description": "Servicio",
        "product_key": "81111500",
        "price": price,
        "tax_included": False,
    }
    if taxes is not None:
        product["taxes"] = taxes
    return {"quantity": quantity, "product": product}


# Invoices whose taxes a payment mirrors: every transferred tax and withholding of the guide.
TAXED_INVOICES = {
    "iva16": [_item("1000", None)],
    "iva8": [_item("1000", [{"type": "IVA", "rate": 0.08}])],
    "iva0": [_item("1000", [{"type": "IVA", "rate": 0}])],
    "exento": [_item("1000", [{"type": "IVA", "factor": "Exento"}])],
    "ieps_tasa": [_item("1000", [{"type": "IEPS", "rate": 0.265}, {"type": "IVA"}])],
    "ieps_cuota": [_item("100", [{"type": "IEPS", "factor": "Cuota", "rate": 2.5}], 7)],
    "withholdings": [
        _item(
            "1000",
            [
                {"type": "IVA"},
                {"type": "ISR", "rate": 0.1, "withholding": True},
                {"type": "IVA", "rate": 0.106667, "withholding": True},
            ],
        )
    ],
    "mixed": [
        _item("1000", None),
        _item("333.33", [{"type": "IVA", "rate": 0}]),
        _item("250", [{"type": "IVA", "factor": "Exento"}]),
        _item("120", [{"type": "IVA", "rate": 0.08}]),
    ],
}


@pytest.mark.parametrize("name", sorted(TAXED_INVOICES))
def test_payment_taxes_mirror_the_paid_invoice_pro_rata(
    org_api, invoice_body, verify_stamped, name
) -> None:
    """ImpuestosDR carry the invoice's own taxes pro rata; two installments add up to the
    invoice's bases to the cent; ImpuestosP and Totales redone (CRP20201-CRP20211,
    CRP20254, CRP20261, CRP20268, CRP20274)."""
    invoice = _ppd(org_api, invoice_body, items=TAXED_INVOICES[name])
    total = Decimal(str(invoice["total"]))
    first = (total * Decimal("0.4")).quantize(CENT)
    bases = invoice_tax_bases(invoice["xml"])
    paid_bases: dict[Any, Decimal] = {key: Decimal(0) for key in bases}
    for amount in (first, total - first):
        document = {"uuid": invoice["uuid"], "amount": str(amount)}
        root = _stamped(org_api, _pay(org_api, invoice_body, _payment([document])))
        verify_stamped(etree.tostring(root))
        (docto,) = _doctos(root)
        assert docto.get("ObjetoImpDR") == "02"
        taxes = payment_tax_bases(docto)
        assert set(taxes) == set(bases)  # every tax of the invoice, with its own rate and factor
        for key, base in taxes.items():
            share = bases[key] * amount / total
            assert abs(base - share) <= CENT * 2, (key, base, share)  # pro rata
            paid_bases[key] += base
    assert paid_bases == bases  # the installments' bases add up to the invoice's bases
    assert _balance(org_api, invoice) == 0


def test_untaxed_invoice_gives_objeto_01_without_impuestos_dr(org_api, invoice_body) -> None:
    """An invoice of objeto 01 is paid with ObjetoImpDR 01 and no ImpuestosDR (CRP20247)."""
    invoice = _ppd(org_api, invoice_body, items=[_item("500", [])])
    document = {"uuid": invoice["uuid"], "amount": "200"}
    root = _stamped(org_api, _pay(org_api, invoice_body, _payment([document])))
    (docto,) = _doctos(root)
    assert docto.get("ObjetoImpDR") == "01"
    assert docto.find(f"{PAGO}ImpuestosDR") is None
    assert root.find(f".//{PAGO}ImpuestosP") is None
    totales = root.find(f".//{PAGO}Totales")
    assert dict(totales.attrib) == {"MontoTotalPagos": "200.00"}


def test_explicit_taxes_win_over_the_invoice_taxes(org_api, invoice_body) -> None:
    invoice = _ppd(org_api, invoice_body, items=[_item("1000", None)])
    document = {"uuid": invoice["uuid"], "amount": "540", "taxes": [{"type": "IVA", "rate": 0.08}]}
    root = _stamped(org_api, _pay(org_api, invoice_body, _payment([document])))
    (tax,) = root.findall(f".//{PAGO}TrasladoDR")
    assert (tax.get("TasaOCuotaDR"), tax.get("BaseDR"), tax.get("ImporteDR")) == (
        "0.080000",
        "500.00",
        "40.00",
    )


def test_installments_chain_across_complements_and_pago_nodes(org_api, invoice_body) -> None:
    """NumParcialidad, ImpSaldoAnt, ImpPagado, ImpSaldoInsoluto chain across complements and
    across the Pago nodes of one complement; the API's balance is the last ImpSaldoInsoluto
    (CRP20244)."""
    invoice = _ppd(org_api, invoice_body, items=[_item("1000", None)])  # 1,160.00
    first = _stamped(
        org_api, _pay(org_api, invoice_body, _payment([{"uuid": invoice["uuid"], "amount": "100"}]))
    )
    second = _stamped(
        org_api,
        _pay(
            org_api,
            invoice_body,
            _payment([{"uuid": invoice["uuid"], "amount": "200.50"}]),
            _payment([{"uuid": invoice["uuid"], "amount": "300"}], payment_form="01"),
        ),
    )
    fields = ("NumParcialidad", "ImpSaldoAnt", "ImpPagado", "ImpSaldoInsoluto")
    chain = [tuple(d.get(f) for f in fields) for d in _doctos(first) + _doctos(second)]
    assert chain == [
        ("1", "1160.00", "100.00", "1060.00"),
        ("2", "1060.00", "200.50", "859.50"),
        ("3", "859.50", "300.00", "559.50"),
    ]
    assert _balance(org_api, invoice) == Decimal(chain[-1][3])
    rest = _payment([{"uuid": invoice["uuid"], "amount": "559.50"}])
    third = _stamped(org_api, _pay(org_api, invoice_body, rest))
    (last,) = _doctos(third)
    assert (last.get("NumParcialidad"), last.get("ImpSaldoInsoluto")) == ("4", "0.00")
    assert _balance(org_api, invoice) == 0


def test_a_caller_cannot_forge_the_balance_or_the_installment(org_api, invoice_body) -> None:
    invoice = _ppd(org_api, invoice_body, items=[_item("100", None)])  # 116.00
    forged = {"uuid": invoice["uuid"], "amount": "50", "last_balance": "9999", "installment": 7}
    (docto,) = _doctos(_stamped(org_api, _pay(org_api, invoice_body, _payment([forged]))))
    assert (docto.get("ImpSaldoAnt"), docto.get("NumParcialidad")) == ("116.00", "1")


def _cancelled(org_api: Any, invoice_body: Any) -> dict[str, Any]:
    invoice = _ppd(org_api, invoice_body)
    cancel = org_api.delete(f"/invoices/{invoice['id']}?motive=02")
    assert cancel.status_code == 200 and cancel.get_json()["status"] == "canceled"
    return invoice


def _future() -> str:
    return (datetime.now(UTC) + timedelta(days=2)).isoformat()


# (name, how the paid invoice is made, the payment's changes, code, words of the message, path)
REFUSALS = [
    (
        "pue_invoice",
        lambda api, body: {**ok(api.post("/invoices", json=body())), "balance": 691.2},
        {},
        {},
        "payment_invoice_pue",
        "PUE",
        "complements[0].data[0].related_documents[0].uuid",
    ),
    (
        "more_than_the_balance",
        lambda api, body: _ppd(api, body, series="F", folio_number=12, items=[_item("1000", None)]),
        {"amount": "1160.01"},
        {},
        "payment_exceeds_balance",
        "El pago excede el saldo pendiente de la factura F-12 (saldo 1,160.00 MXN",
        "complements[0].data[0].related_documents[0].amount",
    ),
    (
        "another_receptor",
        lambda api, body: _ppd(api, body),
        {},
        {"customer": OTHER_CUSTOMER},
        "payment_receiver_mismatch",
        "se emitió al RFC URE180429TM6 y el pago es del receptor IIA040805DZ4",
        "complements[0].data[0].related_documents[0].uuid",
    ),
    (
        "cancelled_invoice",
        _cancelled,
        {},
        {},
        "payment_invoice_canceled",
        "está cancelada",
        "complements[0].data[0].related_documents[0].uuid",
    ),
    (
        "future_payment_date",
        lambda api, body: _ppd(api, body),
        {},
        {"date": "future"},
        "invalid_date",
        "La fecha de pago",
        "payments[0].date",
    ),
    (
        "payment_form_99",
        lambda api, body: _ppd(api, body),
        {},
        {"payment_form": "99"},
        "invalid_payment",
        "no puede ser 99",
        "payments[0].payment_form",
    ),
]


@pytest.mark.parametrize(
    ("make", "document", "change", "code", "words", "path"),
    [r[1:] for r in REFUSALS],
    ids=[r[0] for r in REFUSALS],
)
def test_payment_rules_refuse_with_a_clear_400_and_stamp_nothing(
    org_api, invoice_body, db, make, document, change, code, words, path
) -> None:
    invoice = make(org_api, invoice_body)
    before = _payments_count(db)
    payment_fields = {k: v for k, v in change.items() if k in ("date", "payment_form")}
    if payment_fields.get("date") == "future":
        payment_fields["date"] = _future()
    body = {k: v for k, v in change.items() if k == "customer"}
    related = {"uuid": invoice["uuid"], "amount": "100", **document}
    response = _pay(org_api, invoice_body, _payment([related], **payment_fields), **body)
    assert response.status_code == 400, response.get_json()
    error = response.get_json()
    assert error["ok"] is False and error["code"] == code and error["path"] == path
    assert words in error["message"], error["message"]
    assert _payments_count(db) == before
    if "balance" in invoice and invoice.get("payment_method") == "PPD":
        assert _balance(org_api, invoice) == Decimal(str(invoice["total"]))


def test_the_same_rules_pass_when_obeyed(org_api, invoice_body) -> None:
    """The passing side of each refusal: a PPD invoice of the same receptor, paid up to its
    balance, today, with a real payment form."""
    invoice = _ppd(org_api, invoice_body)
    document = {"uuid": invoice["uuid"], "amount": "691.20"}
    payment = _payment([document], date=datetime.now(UTC).isoformat())
    root = _stamped(org_api, _pay(org_api, invoice_body, payment))
    assert _doctos(root)[0].get("ImpSaldoInsoluto") == "0.00"


def test_usd_payment_of_an_mxn_invoice(org_api, invoice_body) -> None:
    """MonedaP USD, TipoCambioP as sent; EquivalenciaDR defaults to it for an MXN document
    (CRP20237); Monto = ImpPagado / EquivalenciaDR; ImpuestosP divided by EquivalenciaDR;
    Totales in MXN (CRP20204, CRP20205, CRP20211)."""
    invoice = _ppd(org_api, invoice_body, items=[_item("1000", None)])  # 1,160.00 MXN
    document = {"uuid": invoice["uuid"], "amount": "580"}
    payment = _payment([document], currency="USD", exchange=17.2345)
    root = _stamped(org_api, _pay(org_api, invoice_body, payment))
    pago = root.find(f".//{PAGO}Pago")
    (docto,) = _doctos(root)
    assert (pago.get("MonedaP"), pago.get("TipoCambioP")) == ("USD", "17.2345")
    assert (docto.get("MonedaDR"), docto.get("EquivalenciaDR")) == ("MXN", "17.2345")
    expected = (Decimal(580) / Decimal("17.2345")).quantize(CENT, ROUND_HALF_UP)
    assert Decimal(pago.get("Monto")) == expected == Decimal("33.65")
    assert _balance(org_api, invoice) == Decimal("580.00")
    payment_id = org_api.get("/invoices?type=P").get_json()["data"][0]["id"]
    pdf = org_api.get(f"/invoices/{payment_id}/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    # The PDF shows what the XML says: TipoCambioP, EquivalenciaDR, ImpuestosP and Totales.
    text = " ".join(pdf_text(pdf.data).split())
    traslado = pago.find(f"{PAGO}ImpuestosP/{PAGO}TrasladosP/{PAGO}TrasladoP")
    totales = root.find(f".//{PAGO}Totales")
    assert "Tipo de cambio 17.2345 MXN/USD" in text and "equivalencia 17.2345 MXN/USD" in text
    assert "Impuestos del pago (USD)" in text and "Totales de los pagos (MXN)" in text
    written = [
        f"${traslado.get('BaseP')}",
        f"${traslado.get('ImporteP')}",  # as stamped, 6 decimals
        f"${Decimal(totales.get('TotalTrasladosImpuestoIVA16')):,.2f}",
        f"Monto total de los pagos ${Decimal(totales.get('MontoTotalPagos')):,.2f}",
    ]
    assert all(value in text for value in written), (written, text)


def test_mxn_payment_of_a_usd_invoice_with_its_equivalence(org_api, invoice_body) -> None:
    invoice = _ppd(org_api, invoice_body, currency="USD", exchange=18.5, items=[_item("100", None)])
    document = {"uuid": invoice["uuid"], "amount": "58", "exchange": "0.0540540541"}
    root = _stamped(org_api, _pay(org_api, invoice_body, _payment([document])))
    (docto,) = _doctos(root)
    assert (docto.get("MonedaDR"), docto.get("EquivalenciaDR")) == ("USD", "0.0540540541")
    assert root.find(f".//{PAGO}Pago").get("Monto") == "1073.00"


def test_a_foreign_currency_document_needs_its_equivalence(org_api, invoice_body) -> None:
    invoice = _ppd(org_api, invoice_body, currency="USD", exchange=18.5)
    response = _pay(org_api, invoice_body, _payment([{"uuid": invoice["uuid"], "amount": "10"}]))
    assert response.status_code == 400
    assert response.get_json()["path"] == "payments[0].related_documents[0].exchange"


def test_the_matrix_refuses_a_payment_whose_sums_are_wrong(
    org_api, invoice_body, db, monkeypatch
) -> None:
    """The payment build path applies SAT's matrix before stamping: a complement whose Totales
    disagree with its ImpuestosP is refused with SAT's code (CRP20204), nothing stamped."""
    from portal.cfdi import payments

    real = payments.totales

    def wrong(rows):  # type: ignore[no-untyped-def]
        sums = real(rows)
        sums["TotalTrasladosBaseIVA16"] += CENT
        return sums

    invoice = _ppd(org_api, invoice_body)
    monkeypatch.setattr(payments, "totales", wrong)
    before = _payments_count(db)
    response = _pay(org_api, invoice_body, _payment([{"uuid": invoice["uuid"], "amount": "100"}]))
    assert response.status_code == 400, response.get_json()
    error = response.get_json()
    assert error["code"] == "CRP20204" and "TotalTrasladosBaseIVA16" in error["message"]
    assert error["errors"][0]["path"].endswith("Totales/@TotalTrasladosBaseIVA16")
    assert _payments_count(db) == before
    assert _balance(org_api, invoice) == Decimal("691.20")


def test_draft_and_async_payments_read_the_balance_when_they_are_stamped(
    org_api, invoice_body
) -> None:
    """A draft payment is checked and chained when stamped, not when saved; an async one when
    the worker stamps it."""
    invoice = _ppd(org_api, invoice_body, items=[_item("1000", None)])  # 1,160.00
    first = _payment([{"uuid": invoice["uuid"], "amount": "700"}])
    draft = ok(_pay(org_api, invoice_body, first, status="draft"))
    assert draft["status"] == "draft" and _balance(org_api, invoice) == Decimal("1160.00")
    second = _payment([{"uuid": invoice["uuid"], "amount": "500"}])
    queued = ok(
        org_api.post(
            "/invoices?async=true",
            json=invoice_body(type="P", items=[], complements=[{"type": "pago", "data": [second]}]),
        )
    )
    (docto,) = _doctos(_stamped(org_api, org_api.get(f"/invoices/{queued['id']}")))
    assert (docto.get("NumParcialidad"), docto.get("ImpSaldoAnt")) == ("1", "1160.00")
    refused = org_api.post(f"/invoices/{draft['id']}/stamp")
    assert refused.status_code == 400, refused.get_json()
    assert refused.get_json()["code"] == "payment_exceeds_balance"
    assert "saldo 660.00 MXN" in refused.get_json()["message"]
    smaller = ok(
        _pay(
            org_api,
            invoice_body,
            _payment([{"uuid": invoice["uuid"], "amount": "660"}]),
            status="draft",
        )
    )
    (last,) = _doctos(_stamped(org_api, org_api.post(f"/invoices/{smaller['id']}/stamp")))
    assert (last.get("NumParcialidad"), last.get("ImpSaldoInsoluto")) == ("2", "0.00")
    assert _balance(org_api, invoice) == 0


def test_usd_payment_of_a_usd_invoice_converts_totales_to_mxn(org_api, invoice_body) -> None:
    """Same currency: EquivalenciaDR 1 (CRP20238) and TipoCambioP required (CRP20214);
    Totales are the USD amounts times TipoCambioP (CRP20204, CRP20205, CRP20211)."""
    invoice = _ppd(org_api, invoice_body, currency="USD", exchange=18, items=[_item("100", None)])
    missing = _pay(
        org_api, invoice_body, _payment([{"uuid": invoice["uuid"], "amount": "1"}], currency="USD")
    )
    assert missing.status_code == 400 and missing.get_json()["path"] == "payments[0].exchange"
    payment = _payment([{"uuid": invoice["uuid"], "amount": "116"}], currency="USD", exchange=18.1)
    root = _stamped(org_api, _pay(org_api, invoice_body, payment))
    (docto,) = _doctos(root)
    assert (docto.get("MonedaDR"), docto.get("EquivalenciaDR")) == ("USD", "1")
    totales = root.find(f".//{PAGO}Totales").attrib
    assert (totales["TotalTrasladosBaseIVA16"], totales["MontoTotalPagos"]) == (
        "1810.00",
        "2099.60",
    )


def test_an_invoice_issued_elsewhere_is_paid_with_the_callers_figures(
    org_api, invoice_body
) -> None:
    """A UUID the portal did not issue keeps the balance, installment and taxes sent."""
    document = {
        "uuid": "8E2B6D5C-1F3A-4B7E-9C0D-2A4F6B8D0E1A",
        "amount": "116",
        "last_balance": "232",
        "installment": 2,
    }
    (docto,) = _doctos(_stamped(org_api, _pay(org_api, invoice_body, _payment([document]))))
    assert (docto.get("NumParcialidad"), docto.get("ImpSaldoInsoluto")) == ("2", "116.00")
    assert docto.find(f".//{PAGO}TrasladoDR").get("BaseDR") == "100.00"
