"""Money: Decimal math that reconciles to the cent, checked on examples and with hypothesis."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from portal.cfdi import errors as E
from portal.cfdi.documents import build_invoice
from portal.cfdi.money import compute_line, round_to, summarize
from portal.cfdi.types import InvoiceInput, Item, Product, Tax
from portal.cfdi.validation import schema_problems
from portal.errors import ValidationError

CFDI = "{http://www.sat.gob.mx/cfd/4}"
D = Decimal


def _line(price: str, quantity: str = "1", discount: str = "0", **product: object):
    item = Item(Product("X", "01010101", D(price), **product), D(quantity), D(discount))
    return compute_line(item)


def test_tax_included_price_is_split_exactly() -> None:
    line = _line("116")
    assert (line.unit_value, line.amount, line.taxes[0].amount) == (
        D("100.00"),
        D("100.00"),
        D("16.00"),
    )
    assert line.total == D("116.00")


def test_unit_value_keeps_six_decimals_when_needed() -> None:
    line = _line("100", quantity="3")
    assert line.total == D("300.00")
    assert line.unit_value == D("86.206667") and line.amount == D("258.62")


def test_tax_excluded_price() -> None:
    line = _line("100", quantity="3", discount="10", tax_included=False)
    assert (line.amount, line.discount, line.base) == (D("300.00"), D("10.00"), D("290.00"))
    assert line.taxes[0].amount == D("46.40") and line.total == D("336.40")


def test_empty_taxes_means_exempt_and_omitted_means_iva_16() -> None:
    assert _line("50", taxes=[]).taxability == "01" and _line("50", taxes=[]).taxes == []
    default = _line("58")
    assert default.taxability == "02" and default.taxes[0].rate == D("0.160000")


def test_exempt_iva_has_no_amount() -> None:
    line = _line("80", taxes=[Tax(factor="Exento")])
    assert line.taxes[0].amount is None and line.total == D("80.00")


@pytest.mark.parametrize(
    ("tax", "code"),
    [
        (Tax("IVA", D("0.15")), E.INVALID_TAX),
        (Tax("ISR", D("0.10")), E.INVALID_TAX),
        (Tax("IVA", D("1"), factor="Cuota"), E.INVALID_TAX),
        (Tax("ISR", D("0.10"), True, "Exento"), E.INVALID_TAX),
    ],
)
def test_rates_outside_c_tasa_o_cuota(tax: Tax, code: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _line("100", taxes=[tax])
    assert caught.value.code == code and caught.value.path.startswith("items[0].product.taxes[0]")


def test_discount_larger_than_amount() -> None:
    with pytest.raises(ValidationError) as caught:
        _line("10", discount="10.01")
    assert caught.value.code == E.DISCOUNT_TOO_LARGE


def test_zero_quantity_and_price() -> None:
    for price, quantity in (("10", "0"), ("0", "1"), ("1", "0.0000001")):
        with pytest.raises(ValidationError) as caught:
            _line(price, quantity)
        assert caught.value.code == E.INVALID_AMOUNT


def test_summary_groups_by_tax_and_rate() -> None:
    lines = [_line("116"), _line("108", taxes=[Tax(rate=D("0.08"))]), _line("116")]
    totals = summarize(lines)
    assert [(r.rate, r.base, r.amount) for r in totals.transfers] == [
        (D("0.160000"), D("200.00"), D("32.00")),
        (D("0.080000"), D("100.00"), D("8.00")),
    ]
    assert totals.total == D("340.00")


# ---------------------------------------------------------------- property-based

RATES = [
    [],
    None,
    [Tax()],
    [Tax(rate=D("0.08"))],
    [Tax(rate=D("0"))],
    [Tax(factor="Exento")],
    [Tax(), Tax("IVA", D("0.106667"), True), Tax("ISR", D("0.10"), True)],
    [Tax("IEPS", D("0.08")), Tax()],
    [Tax("IEPS", D("0.265"), ieps_mode="sum_before_taxes"), Tax()],
    [Tax("IEPS", D("1.2"), factor="Cuota"), Tax()],
]
money = st.decimals(min_value=D("0.01"), max_value=D("99999.99"), places=2)
prices = st.one_of(money, st.decimals(min_value=D("0.5"), max_value=D("5000"), places=6))
quantities = st.one_of(
    st.integers(1, 500).map(D), st.decimals(min_value=D("0.5"), max_value=D("250"), places=3)
)


@st.composite
def items(draw: st.DrawFn) -> Item:
    price, quantity = draw(prices), draw(quantities)
    gross = round_to(price * quantity, 2)
    discount = draw(st.sampled_from([D(0), round_to(gross / 10, 2), round_to(gross / 3, 2)]))
    product = Product(
        "Producto", "01010101", price, draw(st.booleans()), taxes=draw(st.sampled_from(RATES))
    )
    return Item(product, quantity, discount)


def _d(node: etree._Element, name: str) -> Decimal:
    return D(node.get(name) or "0")


def sat_limits(base: Decimal, rate: Decimal) -> tuple[Decimal, Decimal]:
    """Anexo 20's bounds of a tax Importe (MXN): (Base ∓ half a unit of Base's last decimal) ×
    TasaOCuota, the lower one truncated and the upper one rounded up to cents."""
    places = max(0, -base.as_tuple().exponent)  # type: ignore[operator]
    half = D(1).scaleb(-places) / 2
    low = ((base - half) * rate).quantize(D("0.01"), rounding="ROUND_DOWN")
    high = ((base + half) * rate).quantize(D("0.01"), rounding="ROUND_UP")
    return low, high


def _check_concepts_reconcile(root: etree._Element) -> None:
    for concept in root.iter(CFDI + "Concepto"):
        amount, unit, qty = (
            _d(concept, "Importe"),
            _d(concept, "ValorUnitario"),
            _d(concept, "Cantidad"),
        )
        assert round_to(qty * unit, 2) == amount  # Importe = Cantidad × ValorUnitario, rounded
        base = amount - _d(concept, "Descuento")
        for tax in concept.iter(CFDI + "Traslado", CFDI + "Retencion"):
            if tax.get("TipoFactor") == "Tasa":
                # IVA's base may include IEPS (sum_before_taxes); otherwise it is the line base.
                assert _d(tax, "Base") >= base
                low, high = sat_limits(_d(tax, "Base"), _d(tax, "TasaOCuota"))
                assert low <= _d(tax, "Importe") <= high


def _check_totals_reconcile(root: etree._Element) -> None:
    concepts = list(root.iter(CFDI + "Concepto"))
    subtotal = sum((_d(c, "Importe") for c in concepts), D(0))
    discount = sum((_d(c, "Descuento") for c in concepts), D(0))
    taxes = root.find(CFDI + "Impuestos")
    transferred = _d(taxes, "TotalImpuestosTrasladados") if taxes is not None else D(0)
    withheld = _d(taxes, "TotalImpuestosRetenidos") if taxes is not None else D(0)
    assert _d(root, "SubTotal") == subtotal and _d(root, "Descuento") == discount
    assert _d(root, "Total") == subtotal - discount + transferred - withheld
    line_transfers = sum(
        (_d(t, "Importe") for c in concepts for t in c.iter(CFDI + "Traslado")), D(0)
    )
    assert transferred == line_transfers


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(items(), min_size=1, max_size=4))
def test_random_invoices_reconcile_and_pass_the_xsd(issuer_csd, issuer, customer, lines) -> None:
    try:
        document = build_invoice(issuer_csd, issuer, InvoiceInput(customer, lines, "03"))
    except ValidationError as error:
        # Only input no invoice can represent: price below the per-unit IEPS quota.
        assert error.code in (E.INVALID_AMOUNT, E.DISCOUNT_TOO_LARGE), error.message
        return
    root = etree.fromstring(document.xml)
    assert schema_problems(root) == []
    _check_concepts_reconcile(root)
    _check_totals_reconcile(root)
    for item, line in zip(lines, document.lines, strict=True):
        if item.product.tax_included:
            # What the customer pays for the line is exactly what the line adds to the total.
            expected = round_to(item.quantity * item.product.price, 2) - round_to(item.discount, 2)
            assert line.total == expected, (item, line)
