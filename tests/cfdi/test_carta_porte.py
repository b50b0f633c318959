"""Transfer invoices (type T) with Carta Porte 3.1: the engine's document is XSD-valid, sealed
over SAT's XSLT cadena, worth 0 with its weights and distances redone here; every rule of
``portal.cfdi.sat_matrix.cartaporte31`` passes it and names its code for a broken copy; bad
input names its field."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

import pytest
from lxml import etree

from portal.cfdi.carta_porte import INVALID_CARTA_PORTE
from portal.cfdi.documents import build_invoice
from portal.cfdi.sat_matrix import RULES, violations
from portal.cfdi.types import InvoiceInput
from portal.errors import ValidationError
from tests.fixtures.payroll_transfer import transfer_body
from tests.fixtures.sat_checks import verify_issuer_seal, xsd_problems

CFDI = "{http://www.sat.gob.mx/cfd/4}"
CP = "{http://www.sat.gob.mx/CartaPorte31}"
NS = {"cfdi": CFDI[1:-1], "cp": CP[1:-1]}


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


@pytest.fixture(scope="module")
def transfer(issuer_csd, issuer) -> etree._Element:
    """The transfer the API's example body produces."""
    return build_invoice(issuer_csd, issuer, InvoiceInput.from_dict(transfer_body())).element


def test_transfer_is_xsd_valid_sealed_and_worth_zero(transfer) -> None:
    xml = etree.tostring(transfer, encoding="utf-8")
    assert xsd_problems(xml) == []
    verify_issuer_seal(xml)
    assert (transfer.get("SubTotal"), transfer.get("Total"), transfer.get("Moneda")) == (
        "0",
        "0",
        "XXX",
    )
    assert transfer.find(f"{CFDI}Impuestos") is None
    carta = transfer.find(f"{CFDI}Complemento/{CP}CartaPorte")
    goods = carta.findall(f"{CP}Mercancias/{CP}Mercancia")
    weights = sum(Decimal(g.get("PesoEnKg")) for g in goods)
    assert Decimal(carta.find(f"{CP}Mercancias").get("PesoBrutoTotal")) == weights
    distances = sum(
        Decimal(u.get("DistanciaRecorrida", "0"))
        for u in carta.findall(f"{CP}Ubicaciones/{CP}Ubicacion")
    )
    assert Decimal(carta.get("TotalDistRec")) == distances


def test_transfer_passes_every_rule(transfer) -> None:
    assert list(violations(transfer, _now())) == []


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


CARTA = "//cp:CartaPorte"
DESTINO = "//cp:Ubicacion[@TipoUbicacion='Destino']"
GOODS = "//cp:Mercancia"
CARGO = "//cp:Mercancias"
ROAD = "//cp:Autotransporte"

BROKEN: list[tuple[str, Callable[[etree._Element], None]]] = [
    ("CP101", _set("/cfdi:Comprobante", "TipoDeComprobante", "E")),
    ("CP102", _set(CARTA, "TranspInternac", "Sí")),
    ("CP103", _drop(DESTINO)),
    ("CP104", _set(DESTINO, "IDUbicacion", "OR000009")),
    ("CP105", _set(DESTINO, "DistanciaRecorrida", None)),
    ("CP106", _set(CARTA, "TotalDistRec", "1")),
    ("CP107", _set(DESTINO + "/cp:Domicilio", "Estado", "AB")),
    ("CP108", _set(DESTINO + "/cp:Domicilio", "CodigoPostal", "00000")),
    ("CP109", _set(GOODS, "BienesTransp", "99999999")),
    ("CP110", _set(GOODS, "ClaveUnidad", "QQQ")),
    ("CP111", _set(CARGO, "UnidadPeso", "QQQ")),
    ("CP112", _set(CARGO, "NumTotalMercancias", "3")),
    ("CP113", _set(CARGO, "PesoBrutoTotal", "1")),
    ("CP114", _set(GOODS + "/cp:CantidadTransporta", "IDDestino", "DE999999")),
    ("CP115", _set(GOODS, "MaterialPeligroso", "Sí")),
    ("CP116", _set(ROAD, "PermSCT", "TPXX99")),
    ("CP117", _set(ROAD + "/cp:IdentificacionVehicular", "ConfigVehicular", "ZZ")),
    (
        "CP118",
        lambda root: etree.SubElement(
            etree.SubElement(root.xpath(ROAD, namespaces=NS)[0], f"{CP}Remolques"),
            f"{CP}Remolque",
            SubTipoRem="CTR999",
            Placa="ABC123",
        ),
    ),
    ("CP119", _set("//cp:TiposFigura", "TipoFigura", "77")),
    ("CP120", _set("//cp:TiposFigura", "NumLicencia", None)),
]


@pytest.mark.parametrize(("code", "change"), BROKEN, ids=[code for code, _ in BROKEN])
def test_rule_refuses_its_broken_document(transfer, code, change) -> None:
    root = copy.deepcopy(transfer)
    change(root)
    assert code in {problem.code for problem in violations(root, _now())}


def test_every_carta_porte_rule_is_tested() -> None:
    assert {code for code, _ in BROKEN} == {c for c in RULES if c.startswith("CP")}


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda d: d.pop("ubicaciones"), "complements[0].data.ubicaciones"),
        (
            lambda d: d["mercancias"].update(mercancia=[]),
            "complements[0].data.mercancias.mercancia",
        ),
        (
            lambda d: d["mercancias"]["mercancia"][0].pop("peso_en_kg"),
            "complements[0].data.mercancias.mercancia[0].peso_en_kg",
        ),
        (
            lambda d: d["mercancias"].update(transporte_maritimo={}),
            "complements[0].data.mercancias.transporte_maritimo",
        ),
        (lambda d: d.update(nave="x"), "complements[0].data.nave"),
        (lambda d: d.update(mercancias=[]), "complements[0].data.mercancias"),
        (lambda d: d.update(ubicaciones=[]), "complements[0].data.ubicaciones"),
    ],
)
def test_bad_input_names_its_field(issuer_csd, issuer, change, path) -> None:
    body = transfer_body()
    change(body["complements"][0]["data"])
    with pytest.raises(ValidationError) as refused:
        build_invoice(issuer_csd, issuer, InvoiceInput.from_dict(body))
    assert refused.value.path == path


def test_carta_porte_only_on_income_or_transfer(issuer_csd, issuer) -> None:
    body = transfer_body()
    body.update(type="E", payment_form="03", use="G02")
    body["items"][0]["product"]["price"] = 10
    with pytest.raises(ValidationError) as refused:
        build_invoice(issuer_csd, issuer, InvoiceInput.from_dict(body))
    assert refused.value.code == INVALID_CARTA_PORTE


def test_transfer_pdf_shows_carta_porte(transfer, test_pac) -> None:
    from portal.cfdi.pdf import render_invoice
    from tests.cfdi.test_pdf import pdf_text

    text = " ".join(pdf_text(render_invoice(test_pac.stamp(etree.tostring(transfer)).xml)).split())
    for expected in (
        "Comprobante de traslado",
        "Complemento Carta Porte 3.1",
        "Origen OR000001",
        "Destino DE000001",
        "412.75",
        "TPAF01",
        "501AA3",
        "MARIA VAZQUEZ",
    ):
        assert expected in text, expected
    assert "CERO XXX" not in text  # a transfer has no amount to write in words


def test_freight_income_invoice_carries_carta_porte(issuer_csd, issuer) -> None:
    """A carrier bills its freight (type I) with the Carta Porte of the goods it moves."""
    body = transfer_body()
    body.update(type="I", payment_form="03", use="G03")
    body["customer"] = {
        "legal_name": "UNIVERSIDAD ROBOTICA ESPAÑOLA",
        "tax_id": "URE180429TM6",
        "tax_system": "601",
        "address": {"zip": "86991"},
    }
    body["items"] = [
        {"product": {"description": "Flete", "product_key": "78101802", "price": 11600}}
    ]
    root = build_invoice(issuer_csd, issuer, InvoiceInput.from_dict(body)).element
    xml = etree.tostring(root, encoding="utf-8")
    assert xsd_problems(xml) == []
    verify_issuer_seal(xml)
    assert (
        root.get("Total") == "11600.00"
        and root.find(f"{CFDI}Complemento/{CP}CartaPorte") is not None
    )
    assert list(violations(root, _now())) == []
