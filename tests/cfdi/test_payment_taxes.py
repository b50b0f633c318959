"""ImpuestosDR pro rata (SAT's "Guía de llenado" of the complemento para recepción de pagos):
the paid invoice's taxes read from its stamped XML, split over any installments."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from portal.cfdi.documents import build_invoice
from portal.cfdi.payments import prorated_taxes, read_paid_invoice
from portal.cfdi.types import InvoiceInput, Item, PaidInvoice, PaidTax, Product, Tax
from tests.fixtures.sat_checks import invoice_tax_bases

CENT = Decimal("0.01")


def test_the_paid_invoice_is_read_from_its_xml(issuer_csd, issuer, customer) -> None:
    """Every tax of the concepts, summed by impuesto, factor and rate; withholdings apart."""
    items = [
        Item(
            Product(
                "A",
                "81111500",
                Decimal("100"),
                False,
                taxes=[Tax(), Tax("ISR", Decimal("0.1"), True)],
            )
        ),
        Item(Product("B", "81111500", Decimal("50.50"), False)),
        Item(
            Product(
                "C",
                "81111500",
                Decimal("20"),
                False,
                taxes=[Tax("IVA", Decimal(0), factor="Exento")],
            )
        ),
    ]
    built = build_invoice(issuer_csd, issuer, InvoiceInput(customer, items, payment_method="PPD"))
    paid = read_paid_invoice(built.xml)
    assert (paid.total, paid.currency, paid.taxability) == (built.total, "MXN", "02")
    read = {(t.code, t.factor, t.rate, t.withholding): t.base for t in paid.taxes}
    independent = invoice_tax_bases(built.xml)
    assert {(c, f, str(r) if r is not None else "", w) for c, f, r, w in read} == set(independent)
    assert read[("002", "Tasa", Decimal("0.160000"), False)] == Decimal("150.50")
    assert read[("001", "Tasa", Decimal("0.100000"), True)] == Decimal("100.00")
    assert read[("002", "Exento", None, False)] == Decimal("20.00")


def test_an_untaxed_invoice_has_no_taxes_to_pass_on(issuer_csd, issuer, customer) -> None:
    items = [Item(Product("A", "81111500", Decimal("100"), taxes=[]))]
    built = build_invoice(issuer_csd, issuer, InvoiceInput(customer, items, payment_method="PPD"))
    paid = read_paid_invoice(built.xml)
    assert (paid.taxability, paid.taxes) == ("01", [])


RATES = st.sampled_from(["0.160000", "0.080000", "0.000000", "Exento"])


@settings(max_examples=150, deadline=None)
@given(
    rates=st.lists(RATES, min_size=1, max_size=4, unique=True),
    bases=st.lists(st.integers(1, 10_000_000), min_size=4, max_size=4),
    cuts=st.lists(st.integers(1, 99), min_size=0, max_size=5),
)
def test_installments_split_the_invoice_taxes_exactly(rates, bases, cuts) -> None:
    """Any split of an invoice into installments: each BaseDR within a cent of its share of
    the invoice's base, each ImporteDR its BaseDR times the rate, and the installments' bases
    add up to the invoice's bases exactly."""
    taxes = [
        PaidTax("002", "Exento", None, Decimal(b) / 100)
        if r == "Exento"
        else PaidTax("002", "Tasa", Decimal(r), Decimal(b) / 100)
        for r, b in zip(rates, bases, strict=False)
    ]
    total = sum((t.base * (1 + (t.rate or 0)) for t in taxes), Decimal(0)).quantize(CENT)
    invoice = PaidInvoice(total, "MXN", "02", taxes)
    points = sorted({(total * c / 100).quantize(CENT) for c in cuts} - {Decimal(0), total})
    amounts = [b - a for a, b in zip([Decimal(0), *points], [*points, total], strict=True)]
    balance = total
    paid = {(t.factor, t.rate): Decimal(0) for t in taxes}
    for amount in amounts:
        for row in prorated_taxes(invoice, balance, amount, 2):
            (tax,) = [t for t in taxes if (t.factor, t.rate) == (row.factor, row.rate)]
            assert abs(row.base - tax.base * amount / total) <= CENT
            if row.factor == "Tasa":
                assert row.amount == (row.base * row.rate).quantize(CENT, ROUND_HALF_UP)
            paid[(row.factor, row.rate)] += row.base
        balance -= amount
    assert paid == {(t.factor, t.rate): t.base for t in taxes}
