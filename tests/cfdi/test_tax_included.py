"""Prices with tax included: the invoice's Total is the price the customer paid, to the cent,
and every tax Importe stays within SAT's limits (Anexo 20: Traslado/Retención "límites";
the matrix's CFDI40167/CFDI40168 family). Checked on the stamped XML with arithmetic redone
here, never with the engine's own functions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from portal.cfdi.documents import build_invoice
from portal.cfdi.types import InvoiceInput, Item, Product, Tax
from portal.errors import ValidationError
from tests.cfdi.test_money import sat_limits

D = Decimal
CFDI = "{http://www.sat.gob.mx/cfd/4}"
TAX_SETS = {
    "iva16": None,
    "iva8": [Tax(rate=D("0.08"))],
    "ieps8+iva16": [Tax("IEPS", D("0.08")), Tax()],
    "ieps26.5+iva16": [Tax("IEPS", D("0.265")), Tax()],
    "ieps_quota+iva16": [Tax("IEPS", D("0.5"), factor="Cuota"), Tax()],
    "iva16-retentions": [Tax(), Tax("IVA", D("0.106667"), True), Tax("ISR", D("0.10"), True)],
    "iva0": [Tax(rate=D("0"))],
}


def _cents(value: Decimal) -> Decimal:
    return value.quantize(D("0.01"), rounding="ROUND_HALF_UP")


def _stamped_root(issuer_csd, issuer, customer, items: list[Item]) -> etree._Element:
    document = build_invoice(issuer_csd, issuer, InvoiceInput(customer, items, "01"))
    return etree.fromstring(document.xml)


def _check_arithmetic(root: etree._Element) -> None:
    """Concept by concept: Importe = Cantidad × ValorUnitario, taxes within limits; then the
    document: SubTotal, tax totals and Total are the exact sums."""
    subtotal = transferred = withheld = D(0)
    for concept in root.iter(CFDI + "Concepto"):
        quantity, unit = D(concept.get("Cantidad")), D(concept.get("ValorUnitario"))
        amount = D(concept.get("Importe"))
        assert _cents(quantity * unit) == amount
        subtotal += amount
        for tax in concept.iter(CFDI + "Traslado", CFDI + "Retencion"):
            if tax.get("TipoFactor") == "Exento":
                continue
            low, high = sat_limits(D(tax.get("Base")), D(tax.get("TasaOCuota")))
            assert low <= D(tax.get("Importe")) <= high, etree.tostring(tax)
            if tax.tag == CFDI + "Traslado":
                transferred += D(tax.get("Importe"))
            else:
                withheld += D(tax.get("Importe"))
    assert D(root.get("SubTotal")) == subtotal
    assert D(root.get("Total")) == subtotal + transferred - withheld


@pytest.mark.parametrize("taxes", list(TAX_SETS), ids=list(TAX_SETS))
@pytest.mark.parametrize("price", ["500.00", "5000.00", "99.99", "1.00"])
def test_total_is_the_price_paid(issuer_csd, issuer, customer, price: str, taxes: str) -> None:
    """500.00 stays 500.00 and 5,000.00 stays 5,000.00, whatever the taxes inside them."""
    item = Item(Product("Servicio", "01010101", D(price), taxes=TAX_SETS[taxes]))
    root = _stamped_root(issuer_csd, issuer, customer, [item])
    assert D(root.get("Total")) == D(price)
    _check_arithmetic(root)


rates = st.sampled_from(list(TAX_SETS.values()))
prices = st.decimals(min_value=D("0.50"), max_value=D("250000"), places=2)
quantities = st.one_of(st.integers(1, 1000).map(D), st.sampled_from([D("0.5"), D("2.75")]))


def _covers_quota(line: tuple[Decimal, Decimal, list[Tax] | None]) -> bool:
    """A unit price must pay its IEPS quota (and the IVA on it) with a cent left for the base;
    below that the engine refuses the line (tested below), so the property draws none."""
    price, _, taxes = line
    quota = sum((t.rate for t in taxes or [] if t.factor == "Cuota"), D(0))
    return price >= _cents(quota * D("1.16")) + D("0.01")


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(prices, quantities, rates).filter(_covers_quota), min_size=1, max_size=3))
def test_random_prices_keep_the_total(issuer_csd, issuer, customer, lines) -> None:
    """Property: for random prices, quantities and rates, Total = Σ round(price × quantity)."""
    items = [Item(Product("Artículo", "01010101", p, taxes=t), q) for p, q, t in lines]
    root = _stamped_root(issuer_csd, issuer, customer, items)
    assert D(root.get("Total")) == sum((_cents(p * q) for p, q, _ in lines), D(0))
    _check_arithmetic(root)


def test_a_price_below_its_ieps_quota_is_refused(issuer_csd, issuer, customer) -> None:
    """0.50 cannot include an IEPS quota of 0.50 plus IVA on it: a 400 naming the price."""
    taxes = TAX_SETS["ieps_quota+iva16"]
    item = Item(Product("Artículo", "01010101", D("0.50"), taxes=taxes))
    with pytest.raises(ValidationError) as refused:
        _stamped_root(issuer_csd, issuer, customer, [item])
    assert refused.value.path == "items[0].product.price"
