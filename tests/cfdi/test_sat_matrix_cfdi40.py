"""SAT's CFDI 4.0 matrix ("Matriz de errores", CFDI40101 to CFDI40221) as the test PAC applies it.

Valid documents are built with the engine (an invoice with taxes, withholdings, exempt IVA, a
discount, parts and a customs document; a foreign customer in USD; a global invoice; a credit
note; a payment; a transfer). Each rule then gets two tests: the base document obeys it, and
the same XML with one attribute or node changed by hand is refused with that code. The matrix
reads the XML, so most mutations leave the seal stale; only CFDI40102 looks at it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from lxml import etree

from portal.cfdi import documents
from portal.cfdi.csd import CSD
from portal.cfdi.errors import CFDIValidationError
from portal.cfdi.pac import LocalTestPAC, SatcfdiPAC
from portal.cfdi.sat_matrix import NOT_IMPLEMENTED, RULES, _load_families, enforce, violations
from portal.cfdi.types import (
    Address,
    Customer,
    GlobalInfo,
    InvoiceInput,
    Issuer,
    Item,
    Part,
    Payment,
    PaymentDocument,
    Product,
    RelatedDocuments,
    Tax,
)

NS = {"cfdi": "http://www.sat.gob.mx/cfd/4"}
CFDI = "{http://www.sat.gob.mx/cfd/4}"
PAID_UUID = "7E1D6C44-0C33-4A0E-9D0F-2F1A4C0B9E11"
NOW = datetime.now()

# SAT's "Matriz de errores" for CFDI 4.0: every code of the Comprobante's validations.
MATRIX_CODES = [f"CFDI40{n}" for n in range(101, 222)] + ["CFDI40999"]


def _company() -> Customer:
    return Customer("UNIVERSIDAD ROBOTICA ESPAÑOLA", "URE180429TM6", "601", Address(zip="86991"))


def _invoice_items() -> list[Item]:
    return [
        Item(
            Product(
                "Ukelele",
                "60131324",
                Decimal("345.60"),
                taxes=[Tax(), Tax("ISR", Decimal("0.10"), True)],
            ),
            quantity=Decimal(2),
        ),
        Item(Product("Libro", "55101500", Decimal("120"), taxes=[]), discount=Decimal("20")),
        Item(
            Product(
                "Exento",
                "60131324",
                Decimal("100"),
                taxes=[Tax("IVA", Decimal(0), factor="Exento")],
            )
        ),
        Item(
            Product("Kit", "60131324", Decimal("300"), tax_included=False),
            parts=[Part("Pieza", "60131324", Decimal(2), unit_price=Decimal("10"))],
            customs_keys=[f"{NOW.year % 100:02d}  47  3807  8003832"],
        ),
    ]


@pytest.fixture(scope="module")
def base(issuer_csd: CSD, issuer: Issuer) -> dict[str, etree._Element]:
    """Sealed, valid documents of every kind the project issues."""
    company = _company()
    foreign = Customer("ACME INC", "123456789", "616", Address(zip="90210", country="USA"))
    service = [
        Item(Product("Consultoría", "80101500", Decimal("100"), taxes=[Tax("IVA", Decimal(0))]))
    ]
    payment = Payment("03", [PaymentDocument(PAID_UUID, Decimal("500"), Decimal("1160"))])
    inputs = {
        "invoice": InvoiceInput(company, _invoice_items(), "03", use="G03"),
        "usd": InvoiceInput(
            foreign, service, "03", use="S01", currency="USD", exchange=Decimal("17.25")
        ),
        "credit": InvoiceInput(
            company,
            [Item(Product("Devolución", "84111506", Decimal("116")))],
            "99",
            "PPD",
            type="E",
            use="G02",
            related_documents=[RelatedDocuments("01", [PAID_UUID])],
        ),
        "payment": InvoiceInput(company, type="P", use="CP01", payments=[payment]),
        "transfer": InvoiceInput(
            company, [Item(Product("Mercancía", "01010101", Decimal("500")))], use="S01", type="T"
        ),
    }
    built = {
        name: documents.build_invoice(issuer_csd, issuer, data).element
        for name, data in inputs.items()
    }
    monthly = GlobalInfo("04", f"{NOW.month:02d}", NOW.year)
    items = [Item(Product("Venta", "01010101", Decimal("116")))]
    built["global"] = documents.build_global_invoice(
        issuer_csd, issuer, items, monthly, "01"
    ).element
    return built


def _codes(root: etree._Element) -> set[str]:
    return {problem.code for problem in violations(root, NOW)}


def test_every_base_document_obeys_the_whole_matrix(base) -> None:
    for name, root in base.items():
        assert _codes(root) == set(), name


# ---------------------------------------------------------------- mutations


Mutation = Callable[[etree._Element], None]


def set_(path: str, attribute: str, value: str) -> Mutation:
    def mutate(root: etree._Element) -> None:
        for node in root.xpath(path, namespaces=NS):
            node.set(attribute, value)

    return mutate


def drop(path: str, attribute: str | None = None) -> Mutation:
    """Remove an attribute, or the node itself when ``attribute`` is None."""

    def mutate(root: etree._Element) -> None:
        for node in root.xpath(path, namespaces=NS):
            if attribute is None:
                node.getparent().remove(node)
            else:
                node.attrib.pop(attribute, None)

    return mutate


def add(path: str, tag: str, **attributes: str) -> Mutation:
    def mutate(root: etree._Element) -> None:
        parent = root.xpath(path, namespaces=NS)[0]
        etree.SubElement(parent, f"{CFDI}{tag}" if ":" not in tag else tag, attributes)

    return mutate


def chain(*mutations: Mutation) -> Mutation:
    def mutate(root: etree._Element) -> None:
        for mutation in mutations:
            mutation(root)

    return mutate


def add_cce(root: etree._Element) -> None:
    complemento = root.find(f"{CFDI}Complemento")
    if complemento is None:
        complemento = etree.SubElement(root, f"{CFDI}Complemento")
    etree.SubElement(complemento, "{http://www.sat.gob.mx/ComercioExterior20}ComercioExterior")


def add_part_customs(root: etree._Element) -> None:
    part = root.xpath("//cfdi:Parte", namespaces=NS)[0]
    etree.SubElement(part, f"{CFDI}InformacionAduanera", NumeroPedimento="10  47  3807  8003832")


R = "cfdi:Receptor"
E = "cfdi:Emisor"
C1 = "cfdi:Conceptos/cfdi:Concepto[1]"
C2 = "cfdi:Conceptos/cfdi:Concepto[2]"
T1 = f"{C1}/cfdi:Impuestos/cfdi:Traslados/cfdi:Traslado[1]"
R1 = f"{C1}/cfdi:Impuestos/cfdi:Retenciones/cfdi:Retencion[1]"
EXEMPT = "cfdi:Conceptos/cfdi:Concepto[3]/cfdi:Impuestos/cfdi:Traslados/cfdi:Traslado"
ST = "cfdi:Impuestos/cfdi:Traslados/cfdi:Traslado[@TipoFactor='Tasa']"
SR = "cfdi:Impuestos/cfdi:Retenciones/cfdi:Retencion[1]"
GLOBAL = "cfdi:InformacionGlobal"
PARTE = "cfdi:Conceptos/cfdi:Concepto[4]/cfdi:Parte"
ADUANA = "cfdi:Conceptos/cfdi:Concepto[4]/cfdi:InformacionAduanera"

# (SAT code, base document, what breaks the rule)
CASES: list[tuple[str, str, Mutation]] = [
    ("CFDI40101", "invoice", set_(".", "Fecha", "2026-13-01T10:00:00")),
    ("CFDI40102", "invoice", set_(".", "Total", "1.00")),
    ("CFDI40103", "payment", set_(".", "FormaPago", "03")),
    ("CFDI40104", "invoice", set_(".", "FormaPago", "07")),
    ("CFDI40105", "invoice", set_(".", "MetodoPago", "PPD")),
    ("CFDI40106", "invoice", set_(".", "NoCertificado", "30001000000400002434")),
    ("CFDI40106", "invoice", set_(E, "Rfc", "URE180429TM6")),
    ("CFDI40107", "invoice", set_(".", "SubTotal", "1112.080")),
    ("CFDI40108", "invoice", set_(".", "SubTotal", "1112.09")),
    ("CFDI40109", "transfer", set_(".", "SubTotal", "1.00")),
    ("CFDI40110", "invoice", set_(".", "Descuento", "99999.00")),
    ("CFDI40111", "transfer", set_(C1, "Descuento", "0")),
    ("CFDI40112", "invoice", set_(".", "Descuento", "20.000")),
    ("CFDI40113", "invoice", set_(".", "Moneda", "MXP")),
    ("CFDI40114", "invoice", set_(".", "TipoCambio", "17.5")),
    ("CFDI40115", "usd", drop(".", "TipoCambio")),
    ("CFDI40116", "payment", set_(".", "TipoCambio", "1")),
    ("CFDI40117", "usd", set_(".", "TipoCambio", "17.1234567")),
    ("CFDI40119", "invoice", set_(".", "Total", "1000.00")),
    ("CFDI40121", "invoice", set_(".", "TipoDeComprobante", "X")),
    ("CFDI40122", "usd", set_(".", "Exportacion", "02")),
    ("CFDI40123", "invoice", set_(".", "Exportacion", "05")),
    ("CFDI40124", "invoice", set_(".", "MetodoPago", "PIP")),
    ("CFDI40125", "transfer", set_(".", "MetodoPago", "PUE")),
    ("CFDI40126", "invoice", set_(".", "LugarExpedicion", "00001")),
    ("CFDI40130", "global", drop(GLOBAL)),
    ("CFDI40131", "global", set_(GLOBAL, "Periodicidad", "06")),
    ("CFDI40132", "global", chain(set_(GLOBAL, "Periodicidad", "05"), set_(GLOBAL, "Meses", "13"))),
    ("CFDI40133", "global", set_(GLOBAL, "Meses", "19")),
    ("CFDI40134", "global", set_(GLOBAL, "Meses", "13")),
    ("CFDI40135", "global", set_(GLOBAL, "Periodicidad", "05")),
    ("CFDI40136", "global", set_(GLOBAL, "Año", str(NOW.year - 2))),
    ("CFDI40137", "credit", set_("cfdi:CfdiRelacionados", "TipoRelacion", "99")),
    ("CFDI40140", "invoice", set_(E, "RegimenFiscal", "699")),
    ("CFDI40141", "invoice", set_(E, "RegimenFiscal", "612")),
    ("CFDI40146", "invoice", set_(R, "Nombre", "PUBLICO EN GENERAL")),
    ("CFDI40149", "global", set_(R, "DomicilioFiscalReceptor", "06600")),
    ("CFDI40150", "usd", set_(R, "ResidenciaFiscal", "XYZ")),
    ("CFDI40151", "invoice", set_(R, "ResidenciaFiscal", "USA")),
    ("CFDI40152", "usd", set_(R, "ResidenciaFiscal", "MEX")),
    ("CFDI40153", "usd", drop(R, "ResidenciaFiscal")),
    ("CFDI40154", "invoice", set_(R, "NumRegIdTrib", "123456789")),
    ("CFDI40155", "usd", chain(add_cce, drop(R, "NumRegIdTrib"))),
    ("CFDI40157", "invoice", set_(R, "RegimenFiscalReceptor", "699")),
    ("CFDI40158", "invoice", set_(R, "RegimenFiscalReceptor", "612")),
    ("CFDI40159", "global", set_(R, "RegimenFiscalReceptor", "601")),
    ("CFDI40160", "invoice", set_(R, "UsoCFDI", "G99")),
    ("CFDI40161", "invoice", set_(R, "UsoCFDI", "D01")),
    ("CFDI40162", "invoice", set_(C1, "ClaveProdServ", "99999999")),
    ("CFDI40165", "invoice", set_(C1, "ClaveUnidad", "ZZZ")),
    ("CFDI40166", "invoice", set_(C2, "ValorUnitario", "0")),
    ("CFDI40167", "invoice", set_(C1, "Importe", "900.00")),
    ("CFDI40168", "invoice", set_(C2, "Descuento", "20.001")),
    ("CFDI40169", "invoice", set_(C2, "Descuento", "120.01")),
    ("CFDI40170", "invoice", set_(C1, "ObjetoImp", "09")),
    ("CFDI40171", "invoice", drop(f"{C1}/cfdi:Impuestos")),
    ("CFDI40172", "invoice", set_(C1, "ObjetoImp", "01")),
    ("CFDI40173", "invoice", chain(drop(f"{C1}/cfdi:Impuestos/*"))),
    ("CFDI40174", "invoice", set_(T1, "Base", "0")),
    ("CFDI40175", "invoice", set_(T1, "Impuesto", "001")),
    ("CFDI40176", "invoice", set_(T1, "TipoFactor", "Fijo")),
    ("CFDI40177", "invoice", set_(EXEMPT, "TasaOCuota", "0.000000")),
    ("CFDI40178", "invoice", drop(T1, "Importe")),
    ("CFDI40179", "invoice", set_(T1, "TasaOCuota", "0.150000")),
    ("CFDI40180", "invoice", set_(T1, "Importe", "104.40")),
    ("CFDI40181", "invoice", set_(R1, "Base", "0")),
    ("CFDI40182", "invoice", set_(R1, "Impuesto", "004")),
    ("CFDI40183", "invoice", set_(R1, "TipoFactor", "Fijo")),
    ("CFDI40184", "invoice", set_(R1, "TipoFactor", "Exento")),
    ("CFDI40185", "invoice", set_(R1, "TasaOCuota", "0.400000")),
    ("CFDI40186", "invoice", set_(R1, "Importe", "60.00")),
    ("CFDI40194", "invoice", set_(ADUANA, "NumeroPedimento", "21 47 3807 8003832")),
    ("CFDI40195", "invoice", add_cce),
    ("CFDI40196", "invoice", set_(PARTE, "ClaveProdServ", "99999999")),
    ("CFDI40197", "invoice", set_(PARTE, "ValorUnitario", "0")),
    ("CFDI40198", "invoice", set_(PARTE, "Importe", "30.00")),
    ("CFDI40199", "invoice", add_part_customs),
    (
        "CFDI40200",
        "invoice",
        chain(
            add_part_customs,
            set_(
                f"{PARTE}/cfdi:InformacionAduanera",
                "NumeroPedimento",
                f"{NOW.year % 100:02d}  47  3807  8003832",
            ),
            add_cce,
        ),
    ),
    ("CFDI40201", "transfer", add(".", "Impuestos")),
    ("CFDI40202", "invoice", set_("cfdi:Impuestos", "TotalImpuestosRetenidos", "65.210")),
    ("CFDI40203", "invoice", set_("cfdi:Impuestos", "TotalImpuestosRetenidos", "65.22")),
    ("CFDI40204", "invoice", set_("cfdi:Impuestos", "TotalImpuestosTrasladados", "152.330")),
    ("CFDI40205", "invoice", set_("cfdi:Impuestos", "TotalImpuestosTrasladados", "152.34")),
    ("CFDI40206", "invoice", drop("cfdi:Impuestos/cfdi:Retenciones")),
    ("CFDI40207", "invoice", set_(SR, "Impuesto", "004")),
    (
        "CFDI40208",
        "invoice",
        lambda root: root.xpath(SR, namespaces=NS)[0].addnext(
            copy.deepcopy(root.xpath(SR, namespaces=NS)[0])
        ),
    ),
    ("CFDI40209", "invoice", drop("cfdi:Impuestos", "TotalImpuestosRetenidos")),
    ("CFDI40210", "invoice", set_(SR, "Importe", "65.210")),
    ("CFDI40211", "invoice", set_(SR, "Importe", "65.20")),
    ("CFDI40212", "invoice", drop("cfdi:Impuestos", "TotalImpuestosTrasladados")),
    ("CFDI40214", "invoice", set_(ST, "Base", "952.080")),
    ("CFDI40215", "invoice", set_(ST, "Base", "952.09")),
    (
        "CFDI40216",
        "invoice",
        set_("cfdi:Impuestos/cfdi:Traslados/cfdi:Traslado[@TipoFactor='Exento']", "Base", "100.01"),
    ),
    ("CFDI40217", "invoice", set_(ST, "Impuesto", "001")),
    (
        "CFDI40218",
        "invoice",
        drop("cfdi:Impuestos/cfdi:Traslados/cfdi:Traslado[@TipoFactor='Exento']"),
    ),
    ("CFDI40219", "invoice", set_(ST, "TasaOCuota", "0.150000")),
    ("CFDI40220", "invoice", set_(ST, "Importe", "152.330")),
    ("CFDI40221", "invoice", set_(ST, "Importe", "152.34")),
]


@pytest.mark.parametrize(("code", "document", "mutation"), CASES, ids=[c[0] for c in CASES])
def test_a_document_breaking_the_rule_is_refused_with_its_code(
    base, code, document, mutation
) -> None:
    """The base document obeys ``code``; the mutated one is refused with it."""
    assert code not in _codes(base[document])
    root = copy.deepcopy(base[document])
    mutation(root)
    assert code in _codes(root)


def test_every_matrix_code_is_implemented_or_listed_with_a_reason() -> None:
    _load_families()
    cfdi40 = {code for code in RULES if code.startswith("CFDI40")}
    for code in MATRIX_CODES:
        implemented, listed = code in cfdi40, code in NOT_IMPLEMENTED
        assert implemented != listed, code  # one or the other, never both
        if listed:
            assert len(NOT_IMPLEMENTED[code]) > 20, code  # a reason, not a placeholder
    assert cfdi40 <= set(MATRIX_CODES)
    assert cfdi40 == {case[0] for case in CASES}  # every implemented rule has its two tests


def test_sat_rounding_limits_accept_what_sat_accepts(base) -> None:
    """CFDI40167/CFDI40180: SAT widens each factor by half a unit of its last decimal, truncates
    the lower limit and rounds the upper one up. Cantidad 2 and ValorUnitario 326.04 allow
    1.5 × 326.035 = 489.05 to 2.5 × 326.045 = 815.12; Base 652.08 at 16 % allows
    652.075 × 0.16 = 104.332 → 104.33 to 652.085 × 0.16 = 104.3336 → 104.34."""
    root = copy.deepcopy(base["invoice"])
    concept = root.xpath(C1, namespaces=NS)[0]
    for importe, refused in (
        ("489.05", False),
        ("489.04", True),
        ("815.12", False),
        ("815.13", True),
    ):
        concept.set("Importe", importe)
        assert ("CFDI40167" in _codes(root)) is refused, importe
    traslado = root.xpath(T1, namespaces=NS)[0]
    for importe, refused in (
        ("104.33", False),
        ("104.34", False),
        ("104.35", True),
        ("104.32", True),
    ):
        traslado.set("Importe", importe)
        assert ("CFDI40180" in _codes(root)) is refused, importe


def test_the_test_pac_refuses_with_sats_code(base, test_pac: LocalTestPAC) -> None:
    root = copy.deepcopy(base["invoice"])
    root.find(f"{CFDI}Receptor").set("UsoCFDI", "CN01")
    with pytest.raises(CFDIValidationError) as caught:
        test_pac.stamp(etree.tostring(root))
    assert caught.value.status == 400
    assert "CFDI40161" in {p.code for p in caught.value.problems}
    assert caught.value.code == caught.value.problems[0].code


class _RecordingClient:
    """A live PAC client that records what it is sent (it must be sent nothing refused)."""

    def __init__(self) -> None:
        self.sent: list[Any] = []

    def stamp(self, cfdi: Any) -> Any:
        self.sent.append(cfdi)
        raise AssertionError("a refused document reached the live PAC")


def test_live_mode_never_sends_what_the_matrix_refuses(base) -> None:
    client = _RecordingClient()
    root = copy.deepcopy(base["global"])
    root.remove(root.find(f"{CFDI}InformacionGlobal"))
    with pytest.raises(CFDIValidationError) as caught:
        SatcfdiPAC(client).stamp(etree.tostring(root))
    assert caught.value.code in {p.code for p in caught.value.problems}
    assert "CFDI40130" in {p.code for p in caught.value.problems}
    assert client.sent == []


def test_enforce_accepts_a_valid_document(base) -> None:
    for root in base.values():
        enforce(root, NOW)
