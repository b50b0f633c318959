"""Payroll invoices (type N, Nómina 1.2): the engine's document is XSD-valid, its seal verifies
over SAT's XSLT cadena, its sums are redone here; and every rule of SAT's payroll matrix in
``portal.cfdi.sat_matrix.nomina12`` passes that document and names its code (SAT's NOMxxx) for
a copy broken the way the rule describes.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

import pytest
from lxml import etree

from portal.cfdi import sat_matrix
from portal.cfdi.documents import build_invoice
from portal.cfdi.errors import CFDIValidationError
from portal.cfdi.sat_matrix import NOT_IMPLEMENTED, RULES, violations
from portal.cfdi.types import InvoiceInput
from tests.fixtures.payroll_transfer import payroll_body
from tests.fixtures.sat_checks import verify_issuer_seal, xsd_problems

CFDI = "{http://www.sat.gob.mx/cfd/4}"
NOM = "{http://www.sat.gob.mx/nomina12}"
NS = {"cfdi": CFDI[1:-1], "n": NOM[1:-1]}


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


@pytest.fixture(scope="module")
def payroll(issuer_csd, issuer) -> etree._Element:
    """The payroll the API's example body produces."""
    return build_invoice(issuer_csd, issuer, InvoiceInput.from_dict(payroll_body())).element


def _xml(root: etree._Element) -> bytes:
    return etree.tostring(root, encoding="utf-8")


def test_payroll_is_xsd_valid_and_sealed(payroll) -> None:
    assert xsd_problems(_xml(payroll)) == []
    verify_issuer_seal(_xml(payroll))


def test_payroll_sums_redone(payroll) -> None:
    """Guía de llenado: SubTotal = TotalPercepciones + TotalOtrosPagos, Descuento =
    TotalDeducciones, Total = SubTotal - Descuento; the complement's totals by kind."""
    nomina = payroll.find(f"{CFDI}Complemento/{NOM}Nomina")
    perceptions = nomina.findall(f"{NOM}Percepciones/{NOM}Percepcion")
    taxed = sum(Decimal(p.get("ImporteGravado")) for p in perceptions)
    exempt = sum(Decimal(p.get("ImporteExento")) for p in perceptions)
    node = nomina.find(f"{NOM}Percepciones")
    assert (Decimal(node.get("TotalGravado")), Decimal(node.get("TotalExento"))) == (taxed, exempt)
    assert Decimal(node.get("TotalSueldos")) == taxed + exempt  # no 022/023/025/039/044 here
    deductions = nomina.findall(f"{NOM}Deducciones/{NOM}Deduccion")
    others = nomina.findall(f"{NOM}OtrosPagos/{NOM}OtroPago")
    total_deductions = sum(Decimal(d.get("Importe")) for d in deductions)
    total_others = sum(Decimal(o.get("Importe")) for o in others)
    subtotal = taxed + exempt + total_others
    assert Decimal(payroll.get("SubTotal")) == subtotal
    assert Decimal(payroll.get("Descuento")) == total_deductions
    assert Decimal(payroll.get("Total")) == subtotal - total_deductions
    for name in ("SubTotal", "Descuento", "Total"):
        assert len(payroll.get(name).split(".")[1]) == 2  # MXN's two decimals


def test_payroll_passes_every_rule(payroll) -> None:
    assert list(violations(payroll, _now())) == []


def _set(path: str, attribute: str, value: str | None) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        for node in root.xpath(path, namespaces=NS):
            if value is None:
                node.attrib.pop(attribute, None)
            else:
                node.set(attribute, value)

    return change


def _drop(path: str) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        for node in root.xpath(path, namespaces=NS):
            node.getparent().remove(node)

    return change


def _add(path: str, tag: str, **attributes: str) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        parent = root.xpath(path, namespaces=NS)[0]
        prefix, name = tag.split(":")
        namespace = NS[prefix]
        child = etree.SubElement(parent, f"{{{namespace}}}{name}")
        for key, value in attributes.items():
            child.set(key, value)

    return change


def _all(*changes: Callable[[etree._Element], None]) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        for each in changes:
            each(root)

    return change


NOMINA = "//n:Nomina"
RECEPTOR = "//n:Nomina/n:Receptor"
PERCEPCIONES = "//n:Nomina/n:Percepciones"
SUELDO = "//n:Percepcion[@TipoPercepcion='001']"
EXTRA = "//n:Percepcion[@TipoPercepcion='019']"
CONCEPTO = "//cfdi:Concepto"
SUBSIDIO = "//n:OtroPago[@TipoOtroPago='002']"
VIATICOS = "//n:OtroPago[@TipoOtroPago='003']"
DEDUCCIONES = "//n:Nomina/n:Deducciones"
ISR = "//n:Deduccion[@TipoDeduccion='002']"
EMISOR = "//n:Nomina/n:Emisor"
SNCF = _add(EMISOR, "n:EntidadSNCF", OrigenRecurso="IM")
RETIREMENT_039 = _all(
    _set(SUELDO, "TipoPercepcion", "039"),
    _add(PERCEPCIONES, "n:JubilacionPensionRetiro", TotalParcialidad="10", MontoDiario="1"),
)

BROKEN: list[tuple[str, Callable[[etree._Element], None]]] = [
    ("NOM132", _set("/cfdi:Comprobante", "Moneda", "USD")),
    ("NOM134", _set("/cfdi:Comprobante", "TipoDeComprobante", "I")),
    ("NOM135", _set(EMISOR, "Curp", "CACX760510MGTSHC04")),
    ("NOM136", _set("//cfdi:Emisor", "Rfc", "CACX7605101P8")),
    ("NOM137", _set("//cfdi:Receptor", "Rfc", "URE180429TM6")),
    ("NOM139", _add(CONCEPTO, "cfdi:Impuestos")),
    ("NOM140", _set(CONCEPTO, "ClaveProdServ", "84111506")),
    ("NOM141", _set(CONCEPTO, "NoIdentificacion", "X1")),
    ("NOM142", _set(CONCEPTO, "Cantidad", "2")),
    ("NOM143", _set(CONCEPTO, "ClaveUnidad", "E48")),
    ("NOM144", _set(CONCEPTO, "Unidad", "Actividad")),
    ("NOM145", _set(CONCEPTO, "Descripcion", "Sueldo")),
    ("NOM146", _set(CONCEPTO, "ValorUnitario", "1.00")),
    ("NOM147", _set(CONCEPTO, "Importe", "1.00")),
    ("NOM148", _set(CONCEPTO, "Descuento", "1.00")),
    ("NOM149", _add("/cfdi:Comprobante", "cfdi:Impuestos")),
    (
        "NOM150",
        _all(
            _add(CONCEPTO, "cfdi:ComplementoConcepto"),
            _add(CONCEPTO + "/cfdi:ComplementoConcepto", "n:Nomina"),
        ),
    ),
    (
        "NOM151",
        _all(_set(NOMINA, "TotalPercepciones", None), _set(NOMINA, "TotalOtrosPagos", None)),
    ),
    ("NOM152", _set(NOMINA, "TipoNomina", "X")),
    ("NOM153", _set(RECEPTOR, "PeriodicidadPago", "99")),
    ("NOM154", _set(NOMINA, "TipoNomina", "E")),
    ("NOM155", _set(NOMINA, "FechaInicialPago", "2099-01-01")),
    ("NOM156", _drop(PERCEPCIONES)),
    ("NOM157", _set(NOMINA, "TotalPercepciones", "1.00")),
    ("NOM158", _drop(DEDUCCIONES)),
    ("NOM159", _set(NOMINA, "TotalDeducciones", "1.00")),
    ("NOM160", _set(NOMINA, "TotalOtrosPagos", "1.00")),
    ("NOM162", _set(EMISOR, "RegistroPatronal", None)),
    ("NOM163", _set(RECEPTOR, "TipoContrato", "09")),
    ("NOM164", _set(RECEPTOR, "NumSeguridadSocial", None)),
    ("NOM167", _add(EMISOR, "n:EntidadSNCF", OrigenRecurso="XX")),
    ("NOM168", SNCF),
    ("NOM169", _add(EMISOR, "n:EntidadSNCF", OrigenRecurso="IP", MontoRecursoPropio="1")),
    ("NOM170", _add(EMISOR, "n:EntidadSNCF", OrigenRecurso="IM", MontoRecursoPropio="999999")),
    ("NOM171", _set(RECEPTOR, "TipoContrato", "77")),
    ("NOM172", _set(RECEPTOR, "TipoJornada", "77")),
    ("NOM173", _set(RECEPTOR, "FechaInicioRelLaboral", "2099-01-01")),
    ("NOM174", _set(RECEPTOR, "Antigüedad", "P9999W")),
    ("NOM176", _set(RECEPTOR, "TipoRegimen", "77")),
    ("NOM177", _set(RECEPTOR, "TipoRegimen", "09")),
    ("NOM178", _all(_set(RECEPTOR, "TipoContrato", "09"), _set(EMISOR, "RegistroPatronal", None))),
    ("NOM179", _set(RECEPTOR, "RiesgoPuesto", "77")),
    ("NOM180", _set(RECEPTOR, "PeriodicidadPago", "77")),
    ("NOM181", _set(RECEPTOR, "Banco", "998")),
    ("NOM182", _set(RECEPTOR, "CuentaBancaria", "123")),
    ("NOM183", _set(RECEPTOR, "CuentaBancaria", "002010077777777771")),
    (
        "NOM184",
        _all(_set(RECEPTOR, "CuentaBancaria", "002010077777777770"), _set(RECEPTOR, "Banco", None)),
    ),
    ("NOM185", _set(RECEPTOR, "Banco", None)),
    ("NOM186", _set(RECEPTOR, "ClaveEntFed", "AB")),
    (
        "NOM188",
        _add(RECEPTOR, "n:SubContratacion", RfcLabora="URE180429TM6", PorcentajeTiempo="50"),
    ),
    ("NOM189", _set(PERCEPCIONES, "TotalExento", "0.01")),
    ("NOM190", _set(PERCEPCIONES, "TotalSueldos", "1.00")),
    (
        "NOM191",
        _all(
            _set(SUELDO, "TipoPercepcion", "023"),
            _set(PERCEPCIONES, "TotalSeparacionIndemnizacion", "1.00"),
        ),
    ),
    (
        "NOM192",
        _all(
            _set(SUELDO, "TipoPercepcion", "044"),
            _set(PERCEPCIONES, "TotalJubilacionPensionRetiro", "1.00"),
        ),
    ),
    ("NOM193", _set(PERCEPCIONES, "TotalGravado", "1.00")),
    ("NOM194", _set(PERCEPCIONES, "TotalExento", "1.00")),
    ("NOM195", _all(_set(SUELDO, "ImporteGravado", "0.00"), _set(SUELDO, "ImporteExento", "0.00"))),
    ("NOM196", _set(SUELDO, "TipoPercepcion", "999")),
    ("NOM197", _set(PERCEPCIONES, "TotalSueldos", None)),
    ("NOM198", _set(SUELDO, "TipoPercepcion", "025")),
    ("NOM199", _set(SUELDO, "TipoPercepcion", "039")),
    ("NOM200", RETIREMENT_039),
    (
        "NOM201",
        _all(
            _set(SUELDO, "TipoPercepcion", "044"),
            _add(PERCEPCIONES, "n:JubilacionPensionRetiro", TotalUnaExhibicion="10"),
        ),
    ),
    ("NOM202", _set(SUELDO, "TipoPercepcion", "045")),
    ("NOM203", _add(SUELDO, "n:AccionesOTitulos", ValorMercado="1", PrecioAlOtorgarse="1")),
    ("NOM204", _drop(EXTRA + "/n:HorasExtra")),
    (
        "NOM205",
        _add(SUELDO, "n:HorasExtra", Dias="1", TipoHoras="01", HorasExtra="1", ImportePagado="1"),
    ),
    ("NOM206", _set(SUELDO, "TipoPercepcion", "014")),
    (
        "NOM207",
        _all(
            _set(SUELDO, "TipoPercepcion", "014"),
            _add(NOMINA, "n:Incapacidades"),
            _add(
                NOMINA + "/n:Incapacidades",
                "n:Incapacidad",
                DiasIncapacidad="1",
                TipoIncapacidad="01",
                ImporteMonetario="1",
            ),
        ),
    ),
    ("NOM208", _set(EXTRA + "/n:HorasExtra", "TipoHoras", "09")),
    (
        "NOM209",
        _add(PERCEPCIONES, "n:JubilacionPensionRetiro", TotalUnaExhibicion="1", MontoDiario="1"),
    ),
    ("NOM210", _add(PERCEPCIONES, "n:JubilacionPensionRetiro", TotalParcialidad="1")),
    ("NOM211", _set(DEDUCCIONES, "TotalImpuestosRetenidos", "1.00")),
    ("NOM212", _set(ISR, "TipoDeduccion", "004")),
    ("NOM213", _set(ISR, "TipoDeduccion", "999")),
    ("NOM214", _set(ISR, "TipoDeduccion", "006")),
    (
        "NOM215",
        _all(
            _set(ISR, "TipoDeduccion", "006"),
            _add(NOMINA, "n:Incapacidades"),
            _add(
                NOMINA + "/n:Incapacidades",
                "n:Incapacidad",
                DiasIncapacidad="1",
                TipoIncapacidad="01",
                ImporteMonetario="1",
            ),
        ),
    ),
    ("NOM216", _set(ISR, "Importe", "0.00")),
    ("NOM217", _set(VIATICOS, "TipoOtroPago", "777")),
    ("NOM218", _set(VIATICOS, "TipoOtroPago", "004")),
    ("NOM219", _drop(SUBSIDIO + "/n:SubsidioAlEmpleo")),
    ("NOM220", _set(VIATICOS, "Importe", "0.00")),
    (
        "NOM222",
        _all(
            _add(
                VIATICOS,
                "n:CompensacionSaldosAFavor",
                SaldoAFavor="1",
                RemanenteSalFav="2",
                Año=str(datetime.now().year),
            ),
        ),
    ),
    (
        "NOM223",
        _all(
            _add(
                VIATICOS,
                "n:CompensacionSaldosAFavor",
                SaldoAFavor="2",
                RemanenteSalFav="1",
                Año="2016",
            ),
        ),
    ),
    (
        "NOM224",
        _all(
            _add(NOMINA, "n:Incapacidades"),
            _add(
                NOMINA + "/n:Incapacidades",
                "n:Incapacidad",
                DiasIncapacidad="1",
                TipoIncapacidad="77",
            ),
        ),
    ),
    ("NOM226", _drop(SUBSIDIO)),
    ("NOM227", _set(RECEPTOR, "TipoRegimen", "03")),
    ("NOM228", _set(SUBSIDIO, "Importe", "1.00")),
]


@pytest.mark.parametrize(("code", "change"), BROKEN, ids=[code for code, _ in BROKEN])
def test_rule_refuses_its_broken_document(payroll, code, change) -> None:
    assert code not in {p.code for p in violations(payroll, _now())}
    root = copy.deepcopy(payroll)
    change(root)
    found = {problem.code for problem in violations(root, _now())}
    assert code in found, found
    with pytest.raises(CFDIValidationError) as refused:
        sat_matrix.enforce(root, _now())
    assert refused.value.status == 400


def test_every_nomina12_code_is_a_rule_or_left_out_with_a_reason() -> None:
    """SAT's matrix for Nómina 1.2 under CFDI 3.3 and 4.0: NOM132-NOM229."""
    list(violations(etree.Element("x"), _now()))  # loads the families
    codes = [f"NOM{n}" for n in range(132, 230)]
    missing = [c for c in codes if c not in RULES and c not in NOT_IMPLEMENTED]
    assert missing == []
    assert {code for code, _ in BROKEN} == {c for c in codes if c in RULES}
    assert all(NOT_IMPLEMENTED[c] for c in codes if c in NOT_IMPLEMENTED)


def test_payroll_pdf_shows_employee_period_and_lines(payroll, test_pac) -> None:
    from portal.cfdi.pdf import render_invoice
    from tests.cfdi.test_pdf import pdf_text

    text = " ".join(pdf_text(render_invoice(test_pac.stamp(_xml(payroll)).xml)).split())
    for expected in (
        "Recibo de nómina",
        "Complemento de nómina 1.2",
        "CACX760510MGTSHC04",  # the employee's CURP
        "Programadora",
        "Horas extra",
        "Subsidio causado 0.00",
        "Total percepciones 5,500.50",
        "ISR retenido 321.17",
        "Pago de nómina",
    ):
        assert expected in text, expected
