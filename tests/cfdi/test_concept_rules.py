"""Concept rules: Unidad comes from SAT's c_ClaveUnidad for the key given, and the IVA base
includes IEPS by default (Ley del IVA, art. 12), with ``ieps_mode`` keeping the other
behaviour. Checked on the XML with names written here from SAT's catalogue."""

from __future__ import annotations

from decimal import Decimal

import pytest
from lxml import etree

from portal.cfdi.documents import build_invoice
from portal.cfdi.types import InvoiceInput, Item, Product, Tax

D = Decimal
CFDI = "{http://www.sat.gob.mx/cfd/4}"


def _concept(issuer_csd, issuer, customer, product: Product) -> etree._Element:
    xml = build_invoice(issuer_csd, issuer, InvoiceInput(customer, [Item(product)], "01")).xml
    return next(etree.fromstring(xml).iter(CFDI + "Concepto"))


# c_ClaveUnidad, as SAT's catalogue names them.
@pytest.mark.parametrize(
    ("unit_key", "unit_name"),
    [("H87", "Pieza"), ("KGM", "Kilogramo"), ("E48", "Unidad de servicio"), ("LTR", "Litro")],
)
def test_unidad_is_the_catalogue_name_of_the_key(
    issuer_csd, issuer, customer, unit_key: str, unit_name: str
) -> None:
    product = Product("Producto", "01010101", D("100"), unit_key=unit_key)
    concept = _concept(issuer_csd, issuer, customer, product)
    assert (concept.get("ClaveUnidad"), concept.get("Unidad")) == (unit_key, unit_name)


def test_unidad_given_by_the_caller_is_kept(issuer_csd, issuer, customer) -> None:
    product = Product("Producto", "01010101", D("100"), unit_key="KGM", unit_name="Kilo")
    assert _concept(issuer_csd, issuer, customer, product).get("Unidad") == "Kilo"


def test_unit_name_is_not_defaulted_when_reading_a_body() -> None:
    body = {
        "customer": {"legal_name": "X", "tax_id": "URE180429TM6"},
        "items": [{"product": {"description": "X", "product_key": "01010101", "price": 1}}],
    }
    assert InvoiceInput.from_dict(body).items[0].product.unit_name is None


def _taxes(concept: etree._Element) -> dict[str, etree._Element]:
    return {t.get("Impuesto"): t for t in concept.iter(CFDI + "Traslado")}


@pytest.mark.parametrize("mode", [None, "sum_before_taxes"])
def test_iva_base_includes_ieps_by_default(issuer_csd, issuer, customer, mode) -> None:
    """LIVA art. 12: the IEPS is part of the value on which IVA is computed."""
    taxes = [Tax("IEPS", D("0.08"), ieps_mode=mode), Tax()]
    product = Product("Botana", "50192100", D("1000"), tax_included=False, taxes=taxes)
    found = _taxes(_concept(issuer_csd, issuer, customer, product))
    assert (D(found["003"].get("Base")), D(found["003"].get("Importe"))) == (D(1000), D(80))
    assert D(found["002"].get("Base")) == D(1080)
    assert D(found["002"].get("Importe")) == D("172.80")


@pytest.mark.parametrize("mode", ["break_down", "unconsidered"])
def test_ieps_mode_keeps_ieps_out_of_the_iva_base(issuer_csd, issuer, customer, mode) -> None:
    taxes = [Tax("IEPS", D("0.08"), ieps_mode=mode), Tax()]
    product = Product("Botana", "50192100", D("1000"), tax_included=False, taxes=taxes)
    found = _taxes(_concept(issuer_csd, issuer, customer, product))
    assert D(found["002"].get("Base")) == D(1000) and D(found["002"].get("Importe")) == D(160)


def test_ieps_quota_is_in_the_iva_base(issuer_csd, issuer, customer) -> None:
    """A per-unit IEPS (Cuota) is part of the value too: 10 units × 1.50 = 15 more base."""
    taxes = [Tax("IEPS", D("1.5"), factor="Cuota"), Tax()]
    item = Item(Product("Refresco", "50202306", D("10"), False, taxes=taxes), D(10))
    xml = build_invoice(issuer_csd, issuer, InvoiceInput(customer, [item], "01")).xml
    found = _taxes(next(etree.fromstring(xml).iter(CFDI + "Concepto")))
    assert D(found["003"].get("Importe")) == D(15)
    assert D(found["002"].get("Base")) == D(115) and D(found["002"].get("Importe")) == D("18.40")
