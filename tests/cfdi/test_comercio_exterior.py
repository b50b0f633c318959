"""Export invoices (Exportacion 02) with Comercio Exterior 2.0, checked with the tests' own SAT
checks: the XSD (cfdv40 + ComercioExterior20), the seal over SAT's XSLT cadena original (which
must carry the complement's nodes), and the complement's arithmetic redone here
(ValorDolares = CantidadAduana × ValorUnitarioAduana; Importe × TipoCambio ÷ TipoCambioUSD;
TotalUSD = Σ ValorDolares). Each CCE20 rule: the engine's document passes it, the document
changed to break it is refused with its code.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from lxml import etree

from portal.cfdi import sat_matrix
from portal.cfdi.documents import build_invoice
from portal.cfdi.types import InvoiceInput, Issuer
from portal.errors import ValidationError as CFDIError
from tests.fixtures.sat_checks import sat_cadena, verify_issuer_seal, xsd_problems

CFDI = "{http://www.sat.gob.mx/cfd/4}"
CCE = "{http://www.sat.gob.mx/ComercioExterior20}"
CENT = Decimal("0.01")
FOREIGN = {
    "legal_name": "ACME TRADING INC",
    "tax_id": "123456789",
    "address": {"country": "USA", "zip": "90210", "state": "CA", "street": "Rodeo Dr 1"},
}


def _item(sku: str, price: str, quantity: int = 1) -> dict[str, Any]:
    return {
        "quantity": quantity,
        "product": {
            "description": f"Mercancía {sku}",
            "product_key": "43211503",
            "price": price,
            "tax_included": False,
            "sku": sku,
            "taxes": [{"type": "IVA", "rate": 0}],
        },
    }


def export_body(**trade: Any) -> dict[str, Any]:
    """An export invoice in USD: one line with customs figures, one converted from Importe."""
    data = {
        "incoterm": "FOB",
        "goods": [
            {
                "sku": "TAB-1",
                "tariff_code": "8471300101",
                "customs_quantity": 3,
                "customs_unit": "06",
                "customs_unit_price": "120.333333",
                "descriptions": [{"brand": "Acme", "model": "T1", "serial": "SN-001"}],
            },
            {"sku": "CAB-2", "tariff_code": "8544429999"},
        ],
        **trade,
    }
    return {
        "customer": copy.deepcopy(FOREIGN),
        "items": [_item("TAB-1", "120.333333", 3), _item("CAB-2", "15.75", 4)],
        "payment_form": "03",
        "use": "S01",
        "currency": "USD",
        "exchange": "17.254300",
        "export": "02",
        "complements": [{"type": "comercio_exterior", "data": data}],
    }


@pytest.fixture(scope="module")
def exporter(issuer_csd: Any) -> Issuer:
    """The test issuer with a street, as an organization's legal address gives it."""
    return Issuer(issuer_csd.rfc, issuer_csd.legal_name, "601", "42501", "Av. Juárez")


@pytest.fixture(scope="module")
def build(issuer_csd: Any, exporter: Issuer) -> Callable[[dict[str, Any]], etree._Element]:
    def make(body: dict[str, Any]) -> etree._Element:
        return build_invoice(issuer_csd, exporter, InvoiceInput.from_dict(body)).element

    return make


def _xml(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


def check_export(xml: bytes) -> etree._Element:
    """XSD, seal over SAT's cadena, and the complement's arithmetic, all redone here."""
    assert xsd_problems(xml) == []
    verify_issuer_seal(xml)
    root = etree.fromstring(xml)
    cce = root.find(f"{CFDI}Complemento/{CCE}ComercioExterior")
    assert cce is not None and root.get("Exportacion") == "02"
    cadena = sat_cadena(xml)
    assert f"|2.0|A1|0|{cce.get('Incoterm')}|{cce.get('TipoCambioUSD')}|" in cadena
    assert f"|{cce.get('TotalUSD')}|" in cadena
    rate = Decimal(root.get("TipoCambio") or 1)
    usd = Decimal(cce.get("TipoCambioUSD"))
    concepts = root.findall(f"{CFDI}Conceptos/{CFDI}Concepto")
    goods = cce.findall(f"{CCE}Mercancias/{CCE}Mercancia")
    for mercancia in goods:
        assert f"|{mercancia.get('NoIdentificacion')}|" in cadena
        if mercancia.get("CantidadAduana"):
            expected = Decimal(mercancia.get("CantidadAduana")) * Decimal(
                mercancia.get("ValorUnitarioAduana")
            )
        else:
            sku = mercancia.get("NoIdentificacion")
            importes = [
                Decimal(c.get("Importe")) for c in concepts if c.get("NoIdentificacion") == sku
            ]
            expected = sum(importes, Decimal(0)) * rate / usd
        assert Decimal(mercancia.get("ValorDolares")) == _cents(expected)
    total = sum((Decimal(m.get("ValorDolares")) for m in goods), Decimal(0))
    assert Decimal(cce.get("TotalUSD")) == _cents(total)
    return root


def test_a_usd_export_invoice_carries_comercio_exterior_20(build) -> None:
    """CCE20205/CCE20206/CCE20506/CCE20507: the figures SAT redoes are the ones written."""
    root = check_export(_xml(build(export_body())))
    cce = root.find(f"{CFDI}Complemento/{CCE}ComercioExterior")
    assert cce.get("TipoCambioUSD") == root.get("TipoCambio") == "17.254300"
    assert cce.get("TotalUSD") == "424.00"  # 3 × 120.333333 = 361.00 + 4 × 15.75 = 63.00


def test_foreign_receiver_zip_in_the_complement_place_of_issue_in_the_cfdi(build) -> None:
    """CFDI40149: XEXX010101000's DomicilioFiscalReceptor is LugarExpedicion; the customer's own
    zip (90210) goes in cce20:Receptor:Domicilio (CCE20401, CCE20403)."""
    root = check_export(_xml(build(export_body())))
    receptor = root.find(f"{CFDI}Receptor")
    assert receptor.get("Rfc") == "XEXX010101000"
    assert receptor.get("DomicilioFiscalReceptor") == root.get("LugarExpedicion") == "42501"
    assert (receptor.get("ResidenciaFiscal"), receptor.get("NumRegIdTrib")) == ("USA", "123456789")
    address = root.find(f"{CFDI}Complemento/{CCE}ComercioExterior/{CCE}Receptor/{CCE}Domicilio")
    assert (address.get("CodigoPostal"), address.get("Estado"), address.get("Pais")) == (
        "90210",
        "CA",
        "USA",
    )
    emisor = root.find(f"{CFDI}Complemento/{CCE}ComercioExterior/{CCE}Emisor/{CCE}Domicilio")
    assert (emisor.get("Estado"), emisor.get("CodigoPostal"), emisor.get("Pais")) == (
        "HID",
        "42501",
        "MEX",
    )


def test_an_mxn_export_converts_importe_with_tipo_cambio_usd(build) -> None:
    """CCE20507: in MXN, ValorDolares = Importe ÷ TipoCambioUSD (TipoCambio is 1)."""
    body = export_body(usd_exchange="18.5")
    body["currency"], body["exchange"] = "MXN", 1
    body["complements"][0]["data"]["goods"][0] = {"sku": "TAB-1", "tariff_code": "8471300101"}
    root = check_export(_xml(build(body)))
    cce = root.find(f"{CFDI}Complemento/{CCE}ComercioExterior")
    assert cce.get("TipoCambioUSD") == "18.5" and root.get("TipoCambio") is None


@pytest.mark.parametrize("export", ["03", "04"])
def test_temporary_and_other_definitive_exports_need_no_complement(build, export) -> None:
    """c_Exportacion 03 (temporal) and 04 (definitiva, clave distinta de A1) carry no cce20."""
    body = export_body()
    del body["complements"]
    root = build({**body, "export": export})
    assert xsd_problems(_xml(root)) == []
    assert root.find(f"{CFDI}Complemento/{CCE}ComercioExterior") is None
    assert list(sat_matrix.violations(root, datetime.now())) == [] or all(
        not p.code.startswith("CCE20") for p in sat_matrix.violations(root, datetime.now())
    )


# ---------------------------------------------------------------- refused before sealing


def _without_complement(body: dict[str, Any]) -> None:
    del body["complements"]


def _set_data(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        body["complements"][0]["data"][key] = value

    return change


def _set_goods(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        body["complements"][0]["data"]["goods"][0][key] = value

    return change


def _set_customer(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        body["customer"]["address"][key] = value

    return change


REFUSALS = [
    ("export 02 without the complement", _without_complement, "complements"),
    ("complement with export 03", lambda b: b.update(export="03"), "export"),
    ("no incoterm", _set_data("incoterm", None), "complements[0].data.incoterm"),
    ("unknown incoterm", _set_data("incoterm", "XYZ"), "complements[0].data.incoterm"),
    ("pedimento not A1", _set_data("pedimento_key", "V1"), "complements[0].data.pedimento_key"),
    (
        "transfer reason on I",
        _set_data("transfer_reason", "02"),
        "complements[0].data.transfer_reason",
    ),
    (
        "certificate number without certificate",
        _set_data("origin_certificate_number", "ABC123456"),
        "complements[0].data.origin_certificate_number",
    ),
    (
        "unknown tariff code",
        _set_goods("tariff_code", "9999999999"),
        "complements[0].data.goods[0].tariff_code",
    ),
    (
        "unknown customs unit",
        _set_goods("customs_unit", "77"),
        "complements[0].data.goods[0].customs_unit",
    ),
    ("customs figures apart", _set_goods("customs_unit", None), "complements[0].data.goods[0]"),
    ("goods without concept", _set_goods("sku", "NOPE"), "items[0].product.sku"),
    ("US state not in c_Estado", _set_customer("state", "California"), "customer.address.state"),
    ("US zip of another shape", _set_customer("zip", "9021"), "customer.address.zip"),
    ("no foreign street", _set_customer("street", None), "customer.address.street"),
    (
        "description without brand",
        _set_goods("descriptions", [{"model": "T1"}]),
        "complements[0].data.goods[0].descriptions[0].brand",
    ),
    (
        "issuer colonia not in c_Colonia",
        _set_data("issuer_address", {"neighborhood": "9999"}),
        "complements[0].data.issuer_address.neighborhood",
    ),
]


@pytest.mark.parametrize(("name", "change", "path"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_bad_export_data_is_refused_naming_the_field(build, name, change, path) -> None:
    body = export_body()
    change(body)
    with pytest.raises(CFDIError) as refused:
        build(body)
    assert refused.value.status == 400 and refused.value.path == path, refused.value


# ---------------------------------------------------------------- CCE20 rules on the XML


def _cce(root: etree._Element) -> etree._Element:
    return root.find(f"{CFDI}Complemento/{CCE}ComercioExterior")


def _attr(node: Callable[[etree._Element], etree._Element], name: str, value: str | None):
    def change(root: etree._Element) -> None:
        target = node(root)
        if value is None:
            del target.attrib[name]
        else:
            target.set(name, value)

    return change


def _goods(index: int) -> Callable[[etree._Element], etree._Element]:
    return lambda root: _cce(root).findall(f"{CCE}Mercancias/{CCE}Mercancia")[index]


def _receiver_address(root: etree._Element) -> etree._Element:
    return _cce(root).find(f"{CCE}Receptor/{CCE}Domicilio")


def _issuer_address(root: etree._Element) -> etree._Element:
    return _cce(root).find(f"{CCE}Emisor/{CCE}Domicilio")


def _remove(find: Callable[[etree._Element], etree._Element]):
    def change(root: etree._Element) -> None:
        node = find(root)
        node.getparent().remove(node)

    return change


def _duplicate(find: Callable[[etree._Element], etree._Element]):
    def change(root: etree._Element) -> None:
        node = find(root)
        node.addnext(copy.deepcopy(node))

    return change


def _root(root: etree._Element) -> etree._Element:
    return root


def _receptor(root: etree._Element) -> etree._Element:
    return root.find(f"{CFDI}Receptor")


def _concept(root: etree._Element) -> etree._Element:
    return root.find(f"{CFDI}Conceptos/{CFDI}Concepto")


BROKEN = [
    ("CCE20101", "type P", _attr(_root, "TipoDeComprobante", "P")),
    ("CCE20102", "export 04 with the complement", _attr(_root, "Exportacion", "04")),
    ("CFDI40122", "export 02 without it", _remove(_cce)),
    ("CCE20104", "two complements", _duplicate(_cce)),
    ("CFDI40155", "foreign receiver without NumRegIdTrib", _attr(_receptor, "NumRegIdTrib", None)),
    (
        "CFDI40149",
        "foreign receiver's own zip in the CFDI",
        _attr(_receptor, "DomicilioFiscalReceptor", "90210"),
    ),
    ("CCE20201", "MotivoTraslado on I", _attr(_cce, "MotivoTraslado", "02")),
    ("CCE20202", "MotivoTraslado 05 without Propietario", _attr(_cce, "MotivoTraslado", "05")),
    ("CCE20203", "no Incoterm on I", _attr(_cce, "Incoterm", None)),
    ("CCE20204", "CertificadoOrigen 1 without number", _attr(_cce, "CertificadoOrigen", "1")),
    ("CCE20205", "TipoCambioUSD other than TipoCambio", _attr(_cce, "TipoCambioUSD", "17.3")),
    ("CCE20206", "TotalUSD off by a cent", _attr(_cce, "TotalUSD", "424.01")),
    ("CCE20301", "no Emisor", _remove(lambda r: _cce(r).find(f"{CCE}Emisor"))),
    ("CCE20301", "Estado of another zip", _attr(_issuer_address, "Estado", "JAL")),
    ("CCE20401", "no Receptor:Domicilio", _remove(_receiver_address)),
    ("CCE20401", "receiver address in MEX", _attr(_receiver_address, "Pais", "MEX")),
    (
        "CCE20402",
        "NumRegIdTrib repeated in the complement",
        _attr(lambda r: _cce(r).find(f"{CCE}Receptor"), "NumRegIdTrib", "123456789"),
    ),
    ("CCE20403", "US zip with letters", _attr(_receiver_address, "CodigoPostal", "ABCDE")),
    ("CCE20403", "state of Canada in the USA", _attr(_receiver_address, "Estado", "ON")),
    ("CCE20501", "concept without NoIdentificacion", _attr(_concept, "NoIdentificacion", None)),
    ("CCE20502", "goods of no concept", _attr(_goods(1), "NoIdentificacion", "OTHER")),
    ("CCE20503", "goods repeated", _duplicate(_goods(1))),
    ("CCE20504", "UnidadAduana alone", _attr(_goods(0), "CantidadAduana", None)),
    ("CCE20505", "no FraccionArancelaria", _attr(_goods(1), "FraccionArancelaria", None)),
    (
        "CCE20505",
        "derogated FraccionArancelaria",
        _attr(_goods(1), "FraccionArancelaria", "01011001"),
    ),
    ("CCE20506", "ValorDolares not quantity × price", _attr(_goods(0), "ValorDolares", "361.01")),
    (
        "CCE20507",
        "ValorDolares not the concepts' Importe",
        _attr(_goods(1), "ValorDolares", "63.05"),
    ),
]


@pytest.fixture(scope="module")
def engine_export(build) -> etree._Element:
    return build(export_body())


def _codes(root: etree._Element) -> set[str]:
    return {p.code for p in sat_matrix.violations(root, datetime.now())}


def test_the_engines_export_passes_every_rule(engine_export) -> None:
    """Every rule of the table: CCE20 and CFDI 4.0 (CFDI40122, CFDI40149, CFDI40153...)."""
    assert _codes(engine_export) == set()


@pytest.mark.parametrize(("code", "name", "change"), BROKEN, ids=[f"{b[0]}-{b[1]}" for b in BROKEN])
def test_each_cce20_rule_refuses_what_it_describes(engine_export, code, name, change) -> None:
    root = copy.deepcopy(engine_export)
    change(root)
    assert code in _codes(root)


def test_every_cce20_rule_has_a_refusal_test() -> None:
    sat_matrix._load_families()
    registered = {code for code in sat_matrix.RULES if code.startswith("CCE20")}
    assert registered == {code for code, _, _ in BROKEN if code.startswith("CCE20")}


def test_enforce_answers_with_the_cce20_code() -> None:
    """An export invoice breaking a rule is refused with SAT's code as the error's code."""
    root = etree.fromstring(
        b'<cfdi:Comprobante xmlns:cfdi="http://www.sat.gob.mx/cfd/4" Exportacion="02" '
        b'TipoDeComprobante="I"/>'
    )
    with pytest.raises(CFDIError) as refused:
        sat_matrix.enforce(root, datetime.now())
    assert "CFDI40122" in {p.code for p in refused.value.problems}


def test_the_pdf_shows_the_comercio_exterior_data(issuer_csd, exporter, test_pac) -> None:
    """The printed invoice carries the complement readably: incoterm, pedimento, USD figures,
    both addresses (the foreign 90210) and each good with its tariff code."""
    from portal.cfdi import pdf
    from tests.cfdi.test_pdf import pdf_text, squeeze

    built = build_invoice(issuer_csd, exporter, InvoiceInput.from_dict(export_body()))
    text = squeeze(pdf_text(pdf.render_invoice(test_pac.stamp(built).xml)))
    for expected in (
        "Complemento de comercio exterior 2.0",
        "A1 · IMPORTACION O EXPORTACION DEFINITIVA",
        "FOB · FRANCO A BORDO",
        "TOTAL USD $424.00",
        "C.P. 90210, CA, USA",
        "8471300101",
        "06 · PIEZA",
        "361.00",
    ):
        assert squeeze(expected) in text, expected


# ---------------------------------------------------------------- the receiver rules


@pytest.mark.parametrize("zip_code", ["90210", "90210-1234", "K1A 0B6", ""])
def test_a_foreign_customer_keeps_its_own_zip(zip_code) -> None:
    """XEXX010101000: the record's zip is the foreign one; only the CFDI writes the place of
    issue (the generic national RFC still has to match it)."""
    from portal.cfdi import rules

    problems = rules.check_receiver(
        "XEXX010101000", "ACME INC", "616", zip_code, "S01",
        issuer_zip="42501", foreign_tax_id="123456789", country="USA",
    )  # fmt: skip
    assert problems == []


def test_a_foreign_zip_has_at_most_12_characters() -> None:
    from portal.cfdi import rules

    problems = rules.check_receiver(
        "XEXX010101000", "ACME INC", "616", "1234567890123", "S01",
        foreign_tax_id="123456789", country="USA",
    )  # fmt: skip
    assert [p.code for p in problems] == [rules.INVALID_ZIP_FORMAT]


def test_the_general_public_rfc_still_takes_the_place_of_issue() -> None:
    from portal.cfdi import rules

    problems = rules.check_receiver(
        "XAXX010101000", "PUBLICO EN GENERAL", "616", "90210", "S01", issuer_zip="42501"
    )
    assert [p.code for p in problems] == [rules.GENERIC_RFC_ZIP]
