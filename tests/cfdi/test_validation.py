"""The fast validator rejects what SAT's complete XSD rejects (and accepts what it accepts)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from decimal import Decimal

import pytest
from lxml import etree

from portal.cfdi import errors as E
from portal.cfdi.documents import BuiltDocument, build_invoice
from portal.cfdi.errors import CFDIValidationError
from portal.cfdi.types import InvoiceInput, Item, Part, Product
from portal.cfdi.validation import (
    catalog_values,
    full_schema_problems,
    schema_problems,
    stock_validate,
    validate,
)

CFDI = "{http://www.sat.gob.mx/cfd/4}"


def _set(tag: str, attribute: str, value: str) -> Callable[[etree._Element], None]:
    def mutate(root: etree._Element) -> None:
        next(root.iter(CFDI + tag)).set(attribute, value)

    return mutate


def _remove(tag: str) -> Callable[[etree._Element], None]:
    def mutate(root: etree._Element) -> None:
        node = next(root.iter(CFDI + tag))
        node.getparent().remove(node)

    return mutate


def _drop_attribute(tag: str, attribute: str) -> Callable[[etree._Element], None]:
    def mutate(root: etree._Element) -> None:
        del next(root.iter(CFDI + tag)).attrib[attribute]

    return mutate


MUTATIONS = {
    "clave_prod_serv_not_in_catalog": _set("Concepto", "ClaveProdServ", "99999999"),
    "clave_prod_serv_bad_shape": _set("Concepto", "ClaveProdServ", "ABC"),
    "parte_clave_prod_serv": _set("Parte", "ClaveProdServ", "10000000"),
    "clave_unidad_not_in_catalog": _set("Concepto", "ClaveUnidad", "ZZZ"),
    "lugar_expedicion_not_in_catalog": _set("Comprobante", "LugarExpedicion", "00001"),
    "residencia_fiscal_not_in_catalog": _set("Receptor", "ResidenciaFiscal", "XYZ"),
    "bad_enumerated_attribute": _set("Concepto", "ObjetoImp", "09"),
    "unknown_attribute": _set("Concepto", "Color", "rojo"),
    "bad_decimal": _set("Concepto", "Importe", "doce"),
    "too_many_decimals": _set("Concepto", "Cantidad", "1.1234567"),
    "missing_required_node": _remove("Receptor"),
    "missing_required_attribute": _drop_attribute("Concepto", "Descripcion"),
    "bad_rfc": _set("Emisor", "Rfc", "NO-ES-RFC"),
}


@pytest.fixture(scope="module")
def valid_document(issuer_csd, issuer, customer_module) -> BuiltDocument:
    part = Part("Tornillo", "31161500", Decimal(4), unit_price=Decimal("2.50"))
    items = [Item(Product("Kit", "31161500", Decimal("116")), parts=[part])]
    return build_invoice(issuer_csd, issuer, InvoiceInput(customer_module, items, "03"))


@pytest.fixture(scope="module")
def customer_module():
    from portal.cfdi.types import Address, Customer

    return Customer("UNIVERSIDAD ROBOTICA ESPAÑOLA", "URE180429TM6", "601", Address(zip="86991"))


def test_valid_document_passes_both(valid_document: BuiltDocument) -> None:
    assert schema_problems(valid_document.xml) == []
    assert full_schema_problems(valid_document.xml) == []


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_fast_rejects_what_full_xsd_rejects(valid_document: BuiltDocument, name: str) -> None:
    root = copy.deepcopy(valid_document.element)
    if name == "residencia_fiscal_not_in_catalog":
        next(root.iter(CFDI + "Receptor")).set("ResidenciaFiscal", "USA")
        assert full_schema_problems(root) == [] and schema_problems(root) == []  # control
    MUTATIONS[name](root)
    full, fast = full_schema_problems(root), schema_problems(root)
    assert full, f"the complete XSD accepted {name}"
    assert fast, f"the fast validator accepted {name}"
    assert {p.code for p in fast} == {E.XSD_INVALID}
    with pytest.raises(CFDIValidationError) as caught:
        validate(root)
    assert caught.value.code == E.XSD_INVALID and caught.value.path


def test_catalog_sets_come_from_the_xsd() -> None:
    assert "01010101" in catalog_values("c_ClaveProdServ")
    assert len(catalog_values("c_ClaveProdServ")) > 50_000
    assert "H87" in catalog_values("c_ClaveUnidad")


def test_every_catalog_code_of_a_big_invoice_is_checked(valid_document: BuiltDocument) -> None:
    root = copy.deepcopy(valid_document.element)
    concepts = next(root.iter(CFDI + "Conceptos"))
    template = concepts[0]
    for index in range(300):
        clone = copy.deepcopy(template)
        clone.set("ClaveProdServ", "99999999" if index == 250 else "01010101")
        concepts.append(clone)
    problems = schema_problems(root)
    assert len(problems) == 1 and "99999999" in problems[0].message
    assert "Concepto[252]" in (problems[0].path or "")


def test_stock_satcfdi_validation_agrees_on_a_valid_document(valid_document) -> None:
    assert stock_validate(valid_document.xml) is True


def test_validation_of_5000_concepts_finds_what_one_bad_concept_breaks(
    valid_document: BuiltDocument,
) -> None:
    """The fast path stays exact at 5,000 concepts (its speed is bench_cfdi.py's figure, not a
    timed test): a clean copy passes and one bad ClaveProdServ among them is found."""
    root = copy.deepcopy(valid_document.element)
    concepts = next(root.iter(CFDI + "Conceptos"))
    for _ in range(4999):
        concepts.append(copy.deepcopy(concepts[0]))
    assert schema_problems(root) == []  # totals no longer add up, but the XSD does not check sums
    concepts[4321].set("ClaveProdServ", "99999999")
    problems = schema_problems(root)
    assert len(problems) == 1 and "99999999" in problems[0].message
