"""SAT's Pagos 2.0 matrix (CRP2xxxx) in ``portal.cfdi.sat_matrix.pagos20``: each rule passes the
payments the engine builds and refuses the same document broken the way the rule describes.

The documents are built by the engine, then broken by hand on a copy of the tree; the rule must
name its code (SAT's, as real PACs return it) for the broken copy and nothing for the original.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

import pytest
from lxml import etree

from portal.cfdi import sat_matrix
from portal.cfdi.documents import build_payment, local_now
from portal.cfdi.errors import CFDIValidationError
from portal.cfdi.sat_matrix import NOT_IMPLEMENTED, RULES, violations
from portal.cfdi.types import InvoiceInput, PaidInvoice, PaidTax, Payment, PaymentDocument
from tests.fixtures.sat_checks import check_payment_arithmetic, xsd_problems

CFDI = "{http://www.sat.gob.mx/cfd/4}"
PAGO = "{http://www.sat.gob.mx/Pagos20}"
UUID_A = "8E2B6D5C-1F3A-4B7E-9C0D-2A4F6B8D0E1A"
UUID_B = "1C3E5A7B-9D2F-4E6A-8B0C-3D5F7A9B1C2E"
# An invoice with every kind of tax the guide lists: IVA 16/8/0, exento, ISR and IVA withheld.
MIXED = PaidInvoice(
    total=Decimal("1669.33"),
    currency="MXN",
    taxability="02",
    taxes=[
        PaidTax("002", "Tasa", Decimal("0.160000"), Decimal("1000")),
        PaidTax("002", "Tasa", Decimal("0.080000"), Decimal("120")),
        PaidTax("002", "Tasa", Decimal("0.000000"), Decimal("333.33")),
        PaidTax("002", "Exento", None, Decimal("250")),
        PaidTax("001", "Tasa", Decimal("0.100000"), Decimal("1000"), withholding=True),
        PaidTax("002", "Tasa", Decimal("0.106667"), Decimal("1000"), withholding=True),
    ],
)


def _document(paid: PaidInvoice, uuid: str, amount: str, balance: str, n: int) -> PaymentDocument:
    return PaymentDocument(
        uuid, Decimal(amount), Decimal(balance), n, paid.currency, paid_invoice=paid
    )


@pytest.fixture(scope="module")
def built(issuer_csd, issuer) -> dict[str, etree._Element]:
    """Valid payments: MXN with two Pago nodes and every tax; USD paying an MXN invoice;
    an untaxed invoice (objeto 01)."""
    from portal.cfdi.types import Address, Customer

    name, rfc = "UNIVERSIDAD ROBOTICA ESPAÑOLA", "URE180429TM6"
    customer = Customer(name, rfc, "601", Address(zip="86991"))
    untaxed = PaidInvoice(Decimal("500"), "MXN", "01", [])

    def payment(*payments: Payment) -> etree._Element:
        data = InvoiceInput(customer, type="P", payments=list(payments))
        return build_payment(issuer_csd, issuer, data).element

    return {
        "mxn": payment(
            Payment("03", [_document(MIXED, UUID_A, "500.00", "1669.33", 1)]),
            Payment("01", [_document(MIXED, UUID_A, "169.33", "1169.33", 2)]),
        ),
        "usd": payment(
            Payment(
                "03",
                [_document(MIXED, UUID_B, "875.00", "1669.33", 1)],
                currency="USD",
                exchange=Decimal("17.5"),
            )
        ),
        "untaxed": payment(Payment("03", [_document(untaxed, UUID_B, "200", "500", 1)])),
    }


def _now() -> datetime:
    return local_now("42501")


@pytest.mark.parametrize("name", ["mxn", "usd", "untaxed"])
def test_the_engines_payments_pass_every_rule(built, name) -> None:
    """The passing side of every rule below, on documents that also pass SAT's XSD and the
    tests' own arithmetic."""
    root = built[name]
    assert list(violations(root, _now())) == []
    assert xsd_problems(etree.tostring(root)) == []
    check_payment_arithmetic(root)


def _one(root: etree._Element, path: str) -> etree._Element:
    found = root.findall(path)
    assert found, path
    return found[0]


def _set(path: str, attribute: str, value: str | None) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        node = root if path == "." else _one(root, path)
        if value is None:
            del node.attrib[attribute]
        else:
            node.set(attribute, value)

    return change


def _add(path: str, attribute: str, delta: str) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        node = _one(root, path)
        node.set(attribute, str(Decimal(node.get(attribute)) + Decimal(delta)))

    return change


def _append(path: str, tag: str) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        parent = _one(root, path)
        etree.SubElement(parent, tag)

    return change


def _remove(path: str) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        node = _one(root, path)
        node.getparent().remove(node)

    return change


def _empty(path: str) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        for child in list(_one(root, path)):
            _one(root, path).remove(child)

    return change


def _duplicate(path: str) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        node = _one(root, path)
        node.addnext(copy.deepcopy(node))

    return change


def _all(*changes: Callable[[etree._Element], None]) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        for each in changes:
            each(root)

    return change


CONCEPTO = f"{CFDI}Conceptos/{CFDI}Concepto"
PAGOS = f"{CFDI}Complemento/{PAGO}Pagos"
TOTALES = f"{PAGOS}/{PAGO}Totales"
PAGO_NODE = f"{PAGOS}/{PAGO}Pago"
DOCTO = f"{PAGO_NODE}/{PAGO}DoctoRelacionado"
IMPUESTOS_DR = f"{DOCTO}/{PAGO}ImpuestosDR"
RETENCION_DR = f"{IMPUESTOS_DR}/{PAGO}RetencionesDR/{PAGO}RetencionDR"
TRASLADO_DR = f"{IMPUESTOS_DR}/{PAGO}TrasladosDR/{PAGO}TrasladoDR"
EXENTO_DR = f"{TRASLADO_DR}[@TipoFactorDR='Exento']"
TRASLADO_P = f"{PAGO_NODE}/{PAGO}ImpuestosP/{PAGO}TrasladosP/{PAGO}TrasladoP"
RETENCION_P = f"{PAGO_NODE}/{PAGO}ImpuestosP/{PAGO}RetencionesP/{PAGO}RetencionP"

# (code, document, how it is broken)
BROKEN = [
    ("CRP20101", "mxn", _set(".", "TipoDeComprobante", "I")),
    ("CRP20102", "mxn", _set(".", "Exportacion", "02")),
    ("CRP20103", "mxn", _set(".", "SubTotal", "10")),
    ("CRP20104", "mxn", _set(".", "Moneda", "MXN")),
    ("CRP20105", "mxn", _set(".", "FormaPago", "03")),
    ("CRP20106", "mxn", _set(".", "MetodoPago", "PUE")),
    ("CRP20107", "mxn", _set(".", "CondicionesDePago", "Contado")),
    ("CRP20108", "mxn", _set(".", "Descuento", "0")),
    ("CRP20109", "mxn", _set(".", "TipoCambio", "1")),
    ("CRP20110", "mxn", _set(".", "Total", "669.33")),
    ("CRP20111", "mxn", _duplicate(CONCEPTO)),
    ("CRP20112", "mxn", _append(CONCEPTO, f"{CFDI}InformacionAduanera")),
    ("CRP20113", "mxn", _set(CONCEPTO, "ClaveProdServ", "01010101")),
    ("CRP20114", "mxn", _set(CONCEPTO, "NoIdentificacion", "ABC")),
    ("CRP20115", "mxn", _set(CONCEPTO, "Cantidad", "2")),
    ("CRP20116", "mxn", _set(CONCEPTO, "ClaveUnidad", "H87")),
    ("CRP20117", "mxn", _set(CONCEPTO, "Unidad", "Pieza")),
    ("CRP20118", "mxn", _set(CONCEPTO, "Descripcion", "Abono")),
    ("CRP20119", "mxn", _set(CONCEPTO, "ValorUnitario", "1")),
    ("CRP20120", "mxn", _set(CONCEPTO, "Importe", "1")),
    ("CRP20121", "mxn", _set(CONCEPTO, "Descuento", "0")),
    ("CRP20122", "mxn", _set(CONCEPTO, "ObjetoImp", "02")),
    ("CRP20123", "mxn", _append(".", f"{CFDI}Impuestos")),
    ("CRP20201", "mxn", _add(TOTALES, "TotalRetencionesIVA", "0.01")),
    ("CRP20202", "mxn", _add(TOTALES, "TotalRetencionesISR", "0.01")),
    ("CRP20203", "mxn", _set(TOTALES, "TotalRetencionesIEPS", "1.00")),
    ("CRP20204", "mxn", _add(TOTALES, "TotalTrasladosBaseIVA16", "0.01")),
    ("CRP20205", "mxn", _add(TOTALES, "TotalTrasladosImpuestoIVA16", "-0.01")),
    ("CRP20206", "mxn", _add(TOTALES, "TotalTrasladosBaseIVA8", "0.01")),
    ("CRP20207", "mxn", _add(TOTALES, "TotalTrasladosImpuestoIVA8", "0.01")),
    ("CRP20208", "mxn", _add(TOTALES, "TotalTrasladosBaseIVA0", "0.01")),
    ("CRP20209", "mxn", _set(TOTALES, "TotalTrasladosImpuestoIVA0", "0.01")),
    ("CRP20210", "mxn", _add(TOTALES, "TotalTrasladosBaseIVAExento", "0.01")),
    ("CRP20211", "mxn", _add(TOTALES, "MontoTotalPagos", "0.01")),
    ("CRP20212", "mxn", _set(PAGO_NODE, "FormaDePagoP", "99")),
    ("CRP20213", "mxn", _set(PAGO_NODE, "MonedaP", "XXX")),
    ("CRP20214", "usd", _set(PAGO_NODE, "TipoCambioP", None)),
    ("CRP20215", "mxn", _set(PAGO_NODE, "TipoCambioP", "1.5")),
    ("CRP20217", "mxn", _add(PAGO_NODE, "Monto", "-0.01")),
    ("CRP20218", "untaxed", _set(PAGO_NODE, "Monto", "0")),
    ("CRP20219", "mxn", _set(PAGO_NODE, "Monto", "500.001")),
    ("CRP20276", "usd", _add(PAGO_NODE, "Monto", "0.02")),
    ("CRP20236", "mxn", _set(DOCTO, "MonedaDR", "XXX")),
    ("CRP20237", "usd", _set(DOCTO, "EquivalenciaDR", None)),
    ("CRP20238", "mxn", _set(DOCTO, "EquivalenciaDR", "1.0")),
    ("CRP20239", "mxn", _set(DOCTO, "ImpSaldoAnt", "0")),
    ("CRP20240", "mxn", _set(DOCTO, "ImpSaldoAnt", "1669.330")),
    ("CRP20241", "mxn", _set(DOCTO, "ImpPagado", "0")),
    ("CRP20242", "mxn", _set(DOCTO, "ImpPagado", "500.000")),
    ("CRP20243", "mxn", _set(DOCTO, "ImpSaldoInsoluto", "1169.330")),
    ("CRP20244", "mxn", _add(DOCTO, "ImpSaldoInsoluto", "1")),
    ("CRP20245", "mxn", _set(DOCTO, "ObjetoImpDR", "09")),
    ("CRP20246", "mxn", _remove(IMPUESTOS_DR)),
    ("CRP20247", "mxn", _set(DOCTO, "ObjetoImpDR", "01")),
    ("CRP20248", "mxn", _empty(IMPUESTOS_DR)),
    ("CRP20249", "mxn", _set(RETENCION_DR, "BaseDR", "0")),
    ("CRP20252", "mxn", _set(RETENCION_DR, "TipoFactorDR", "Exento")),
    ("CRP20254", "mxn", _add(RETENCION_DR, "ImporteDR", "0.02")),
    ("CRP20255", "mxn", _set(TRASLADO_DR, "BaseDR", "0")),
    ("CRP20258", "mxn", _set(EXENTO_DR, "TasaOCuotaDR", "0.000000")),
    ("CRP20259", "mxn", _set(TRASLADO_DR, "ImporteDR", None)),
    ("CRP20261", "mxn", _add(TRASLADO_DR, "ImporteDR", "0.02")),
    (
        "CRP20264",
        "mxn",
        _all(*(_set(TOTALES, f"TotalRetenciones{t}", None) for t in ("IVA", "ISR"))),
    ),
    ("CRP20265", "mxn", _add(RETENCION_P, "ImporteP", "0.01")),
    (
        "CRP20267",
        "mxn",
        _all(
            *(
                _set(TOTALES, f"TotalTraslados{t}", None)
                for t in (
                    "BaseIVA16",
                    "ImpuestoIVA16",
                    "BaseIVA8",
                    "ImpuestoIVA8",
                    "BaseIVA0",
                    "ImpuestoIVA0",
                    "BaseIVAExento",
                )
            )
        ),
    ),
    ("CRP20268", "mxn", _add(TRASLADO_P, "BaseP", "0.01")),
    ("CRP20269", "mxn", _add(f"{TRASLADO_P}[@TipoFactorP='Exento']", "BaseP", "0.01")),
    ("CRP20274", "mxn", _add(TRASLADO_P, "ImporteP", "0.01")),
]


@pytest.mark.parametrize(("code", "name", "change"), BROKEN, ids=[b[0] for b in BROKEN])
def test_each_rule_refuses_what_it_describes(built, code, name, change) -> None:
    root = copy.deepcopy(built[name])
    change(root)
    found = {problem.code for problem in violations(root, _now())}
    assert code in found, found
    with pytest.raises(CFDIValidationError) as refused:
        sat_matrix.enforce(root, _now())
    assert refused.value.status == 400
    assert code in {p.code for p in refused.value.problems}


def test_every_pagos20_code_is_a_rule_or_left_out_with_a_reason() -> None:
    """SAT's matrix for Pagos 2.0: CRP20101-CRP20123, CRP20201-CRP20279 and CRP20999."""
    list(violations(etree.Element("x"), _now()))  # loads the families
    codes = [f"CRP{n}" for n in (*range(20101, 20124), *range(20201, 20280), 20999)]
    missing = [c for c in codes if c not in RULES and c not in NOT_IMPLEMENTED]
    assert missing == []
    tested = {code for code, _, _ in BROKEN}
    assert tested == {c for c in codes if c in RULES}
    assert all(NOT_IMPLEMENTED[c] for c in codes if c in NOT_IMPLEMENTED)


def test_other_documents_are_not_payments() -> None:
    """A document without the Pagos 2.0 complement is left to the CFDI 4.0 rules."""
    root = etree.fromstring(
        b'<cfdi:Comprobante xmlns:cfdi="http://www.sat.gob.mx/cfd/4" TipoDeComprobante="I" '
        b'Moneda="MXN" SubTotal="10" Total="11.60" FormaPago="03" MetodoPago="PUE"/>'
    )
    assert [p.code for p in violations(root, _now()) if p.code.startswith("CRP")] == []


IVA8_P = f"{TRASLADO_P}[@TasaOCuotaP='0.080000']"


def test_impuestos_p_is_rounded_to_six_decimals_and_sat_reads_either_way(built) -> None:
    """CRP20268/CRP20274: BaseP and ImporteP are the documents' sums divided by EquivalenciaDR
    to 6 decimals. The USD payment's IVA 8 % share is 120.00 × 875.00 / 1669.33 = 62.90 MXN of
    base (5.03 of tax), ÷ 17.5: 3.5942857… and 0.2874285…; the engine rounds (3.594286,
    0.287429), phpcfdi's reading since 2.24.1; the truncated reading (3.594285, 0.287428) also
    passes, and one millionth further off does not."""
    root = built["usd"]
    node = _one(root, IVA8_P)
    assert (node.get("BaseP"), node.get("ImporteP")) == ("3.594286", "0.287429")
    for base, amount, refused in (
        ("3.594285", "0.287428", set()),
        ("3.594284", "0.287429", {"CRP20268"}),
        ("3.594286", "0.287430", {"CRP20274"}),
    ):
        changed = copy.deepcopy(root)
        _one(changed, IVA8_P).set("BaseP", base)
        _one(changed, IVA8_P).set("ImporteP", amount)
        found = {p.code for p in violations(changed, _now()) if p.code in ("CRP20268", "CRP20274")}
        assert found == refused, (base, amount, found)
