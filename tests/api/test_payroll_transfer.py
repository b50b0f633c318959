"""POST /v2/invoices with ``type: "N"`` (Nómina 1.2) and ``type: "T"`` (Carta Porte 3.1), as
Facturapi's reference and SDK shape them. Each stamped XML is checked by code written for the
tests (SAT's XSD, the seal over SAT's XSLT cadena, the sums redone here); each refusal carries
SAT's code."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from lxml import etree

from tests.fixtures.payroll_transfer import payroll_body, transfer_body
from tests.fixtures.sat_checks import verify_issuer_seal, xsd_problems

CFDI = "{http://www.sat.gob.mx/cfd/4}"
NOM = "{http://www.sat.gob.mx/nomina12}"
CP = "{http://www.sat.gob.mx/CartaPorte31}"


@pytest.fixture
def org_api(make_organization: Any, api: Any) -> Any:
    """An API client for a ready organization's test environment."""
    _organization, key = make_organization()
    return api(key)


def _create(client: Any, body: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    response = client.post("/invoices", json=body)
    assert response.status_code == 200, response.get_json()
    invoice = response.get_json()
    xml = client.get(f"/invoices/{invoice['id']}/xml").data
    assert xsd_problems(xml) == []
    verify_issuer_seal(xml)
    return invoice, xml


def _refused(client: Any, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/invoices", json=body)
    assert response.status_code == 400, response.get_json()
    error = response.get_json()
    assert error["ok"] is False and error["message"]
    return error


def _codes(error: dict[str, Any]) -> set[str]:
    return {error["code"], *(e.get("code") for e in error.get("errors") or [])}


def _sum(nodes: list[etree._Element], *names: str) -> Decimal:
    return sum((Decimal(n.get(name, "0")) for n in nodes for name in names), Decimal(0))


def test_payroll_invoice_is_stamped_as_sat_guide_fixes_it(org_api) -> None:
    invoice, xml = _create(org_api, payroll_body())
    root = etree.fromstring(xml)
    assert invoice["type"] == "N" and invoice["status"] == "valid" and invoice["use"] == "CN01"
    assert root.get("TipoDeComprobante") == "N" and root.get("Moneda") == "MXN"
    assert root.get("MetodoPago") == "PUE" and root.get("FormaPago") is None
    assert root.get("Exportacion") == "01" and root.find(f"{CFDI}Impuestos") is None
    receiver = root.find(f"{CFDI}Receptor")
    assert (receiver.get("UsoCFDI"), receiver.get("RegimenFiscalReceptor")) == ("CN01", "605")
    (concept,) = root.iterfind(f"{CFDI}Conceptos/{CFDI}Concepto")
    assert len(concept) == 0 and concept.get("Unidad") is None
    fixed = ("ClaveProdServ", "Cantidad", "ClaveUnidad", "Descripcion", "ObjetoImp")
    assert [concept.get(a) for a in fixed] == ["84111505", "1", "ACT", "Pago de nómina", "01"]
    # The sums, redone from the complement's own lines (Guía de llenado, NOM146-NOM160).
    nomina = root.find(f"{CFDI}Complemento/{NOM}Nomina")
    perceptions = list(nomina.iterfind(f"{NOM}Percepciones/{NOM}Percepcion"))
    deductions = list(nomina.iterfind(f"{NOM}Deducciones/{NOM}Deduccion"))
    others = list(nomina.iterfind(f"{NOM}OtrosPagos/{NOM}OtroPago"))
    paid = _sum(perceptions, "ImporteGravado", "ImporteExento")
    assert paid == Decimal("5500.50") == Decimal(nomina.get("TotalPercepciones"))
    assert (
        _sum(deductions, "Importe") == Decimal("521.17") == Decimal(nomina.get("TotalDeducciones"))
    )
    assert _sum(others, "Importe") == Decimal("150") == Decimal(nomina.get("TotalOtrosPagos"))
    isr = [d for d in deductions if d.get("TipoDeduccion") == "002"]
    assert Decimal(nomina.find(f"{NOM}Deducciones").get("TotalImpuestosRetenidos")) == _sum(
        isr, "Importe"
    )
    assert Decimal(concept.get("Importe")) == Decimal(root.get("SubTotal")) == paid + 150
    assert Decimal(concept.get("Descuento")) == Decimal(root.get("Descuento")) == Decimal("521.17")
    assert Decimal(root.get("Total")) == paid + 150 - Decimal("521.17")
    assert Decimal(str(invoice["total"])) == Decimal(root.get("Total"))
    weeks = nomina.find(f"{NOM}Receptor").get("Antigüedad")
    assert weeks.startswith("P") and weeks.endswith("W")


def test_transfer_invoice_carries_carta_porte(org_api) -> None:
    invoice, xml = _create(org_api, transfer_body())
    root = etree.fromstring(xml)
    assert invoice["type"] == "T" and invoice["total"] == 0 and invoice["use"] == "S01"
    assert (root.get("SubTotal"), root.get("Total"), root.get("Moneda")) == ("0", "0", "XXX")
    assert root.get("FormaPago") is None and root.get("MetodoPago") is None
    receiver = root.find(f"{CFDI}Receptor")
    assert receiver.get("Rfc") == root.find(f"{CFDI}Emisor").get("Rfc")  # a self-transfer
    assert receiver.get("UsoCFDI") == "S01"
    (concept,) = root.iterfind(f"{CFDI}Conceptos/{CFDI}Concepto")
    assert concept.get("ObjetoImp") == "01" and concept.get("Importe") == "0"
    carta = root.find(f"{CFDI}Complemento/{CP}CartaPorte")
    assert carta.get("Version") == "3.1" and carta.get("TranspInternac") == "No"
    assert carta.get("IdCCP").startswith("CCC") and len(carta.get("IdCCP")) == 36
    goods = list(carta.iterfind(f"{CP}Mercancias/{CP}Mercancia"))
    cargo = carta.find(f"{CP}Mercancias")
    assert Decimal(cargo.get("PesoBrutoTotal")) == _sum(goods, "PesoEnKg") == Decimal("412.75")
    assert cargo.get("NumTotalMercancias") == str(len(goods))
    locations = list(carta.iterfind(f"{CP}Ubicaciones/{CP}Ubicacion"))
    assert Decimal(carta.get("TotalDistRec")) == _sum(locations, "DistanciaRecorrida")


def test_transfer_without_carta_porte_is_still_a_zero_invoice(org_api) -> None:
    body = transfer_body()
    del body["complements"]
    _invoice, xml = _create(org_api, body)
    root = etree.fromstring(xml)
    assert root.get("Total") == "0" and root.find(f"{CFDI}Complemento/{CP}CartaPorte") is None


def _payroll_data(body: dict[str, Any]) -> dict[str, Any]:
    return body["complements"][0]["data"]


def _extraordinary_with_fortnight(body: dict[str, Any]) -> None:
    _payroll_data(body)["tipo_nomina"] = "E"


def _assimilated_with_registration(body: dict[str, Any]) -> None:
    receiver = _payroll_data(body)["receptor"]
    receiver["tipo_contrato"], receiver["tipo_regimen"] = "09", "09"
    _payroll_data(body)["otros_pagos"] = _payroll_data(body)["otros_pagos"][1:]


def _labour_contract_without_registration(body: dict[str, Any]) -> None:
    del _payroll_data(body)["emisor"]


def _regime_02_without_subsidy(body: dict[str, Any]) -> None:
    _payroll_data(body)["otros_pagos"] = _payroll_data(body)["otros_pagos"][1:]


def _overtime_without_hours(body: dict[str, Any]) -> None:
    del _payroll_data(body)["percepciones"]["percepcion"][1]["horas_extra"]


def _subsidy_above_caused(body: dict[str, Any]) -> None:
    _payroll_data(body)["otros_pagos"][0]["importe"] = 10


def _bad_state(body: dict[str, Any]) -> None:
    _payroll_data(body)["receptor"]["clave_ent_fed"] = "AB"  # Alberta: c_Estado, not Mexico


def _bad_account(body: dict[str, Any]) -> None:
    _payroll_data(body)["receptor"]["cuenta_bancaria"] = "123456789012"


def _backwards_period(body: dict[str, Any]) -> None:
    data = _payroll_data(body)
    data["fecha_inicial_pago"], data["fecha_final_pago"] = "2026-12-01", "2026-11-01"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (_extraordinary_with_fortnight, "NOM154"),
        (_assimilated_with_registration, "NOM163"),
        (_labour_contract_without_registration, "NOM162"),
        (_regime_02_without_subsidy, "NOM226"),
        (_overtime_without_hours, "NOM204"),
        (_subsidy_above_caused, "NOM228"),
        (_bad_state, "NOM186"),
        (_bad_account, "NOM182"),
        (_backwards_period, "NOM155"),
    ],
)
def test_payroll_refused_with_sat_code(org_api, change, code) -> None:
    body = payroll_body()
    change(body)
    error = _refused(org_api, body)
    assert code in _codes(error), error


def test_payroll_receiver_must_be_605_with_cn01(org_api) -> None:
    body = payroll_body()
    body["customer"]["tax_system"] = "612"
    error = _refused(org_api, body)
    assert error["path"].startswith("customer") or error["path"] == "use", error
    body = payroll_body()
    body["use"] = "G03"
    assert _refused(org_api, body)["path"] == "use"


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda b: b.update(payment_method="PPD"), "payment_method"),
        (lambda b: b.update(items=transfer_body()["items"]), "items"),
        (lambda b: b.pop("complements"), "complements"),
        (lambda b: _payroll_data(b)["receptor"].pop("curp"), "complements[0].data.receptor.curp"),
        (
            lambda b: _payroll_data(b)["deducciones"][0].update(importe=99999),
            "complements[0].data.deducciones",
        ),
        (
            lambda b: _payroll_data(b)["receptor"].update(salario_diaro=1),
            "complements[0].data.receptor.salario_diaro",
        ),
        (
            lambda b: _payroll_data(b).update(fecha_pago="30/11/2026"),
            "complements[0].data.fecha_pago",
        ),
    ],
)
def test_payroll_bad_input_names_the_field(org_api, change, path) -> None:
    body = payroll_body()
    change(body)
    assert _refused(org_api, body)["path"] == path


def _carta(body: dict[str, Any]) -> dict[str, Any]:
    return body["complements"][0]["data"]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (
            lambda b: _carta(b)["mercancias"]["mercancia"][0].update(bienes_transp="99999999"),
            "CP109",
        ),
        (lambda b: _carta(b)["mercancias"]["autotransporte"].update(perm_sct="TPXX99"), "CP116"),
        (
            lambda b: _carta(b)["mercancias"]["autotransporte"]["identificacion_vehicular"].update(
                config_vehicular="ZZ9"
            ),
            "CP117",
        ),
        (lambda b: _carta(b)["ubicaciones"][1].update(id_ubicacion="OR000002"), "CP104"),
        (lambda b: _carta(b)["ubicaciones"][1]["domicilio"].update(codigo_postal="42501"), "CP108"),
        (lambda b: _carta(b).update(figura_transporte=[]), "CP120"),
        (lambda b: _carta(b)["mercancias"].update(peso_bruto_total=1), "CP113"),
    ],
)
def test_carta_porte_refused_with_catalogue_code(org_api, change, code) -> None:
    body = transfer_body()
    change(body)
    error = _refused(org_api, body)
    assert code in _codes(error), error


def test_carta_porte_unknown_field_and_other_transport_are_refused(org_api) -> None:
    body = transfer_body()
    _carta(body)["mercancias"]["transporte_aereo"] = {"perm_sct": "TPTA01"}
    assert _refused(org_api, body)["path"] == "complements[0].data.mercancias.transporte_aereo"
    body = transfer_body()
    _carta(body)["ubicaciones"][0]["colour"] = "red"
    assert _refused(org_api, body)["path"] == "complements[0].data.ubicaciones[0].colour"


def test_payroll_draft_is_ready_to_stamp_and_stamps(org_api) -> None:
    response = org_api.post("/invoices", json={**payroll_body(), "status": "draft"})
    assert response.status_code == 200, response.get_json()
    draft = response.get_json()
    assert draft["status"] == "draft" and draft["is_ready_to_stamp"] is True
    stamped = org_api.post(f"/invoices/{draft['id']}/stamp")
    assert stamped.status_code == 200, stamped.get_json()
    assert stamped.get_json()["status"] == "valid"


def test_payroll_complement_only_on_type_n(org_api) -> None:
    body = payroll_body()
    body.update(type="I", items=transfer_body()["items"], payment_form="03", use="G03")
    body["customer"]["tax_system"] = "612"
    assert _refused(org_api, body)["path"] == "type"
