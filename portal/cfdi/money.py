"""Money math of CFDI 4.0: Decimal only, rounded the way Anexo 20 expects.

Every amount of a line (Importe, Descuento, tax Base and Importe) is rounded to the currency's
decimals at the line, so the document's sums (SubTotal, Descuento, tax totals, Total) are exact
sums and reconcile to the cent. ValorUnitario keeps up to 6 decimals.

With ``tax_included=True`` the price is what the customer pays per unit, taxes included.
The line's pre-tax base is searched so that base + taxes equals the tax-included amount exactly
whenever some cent value allows it (it almost always does); otherwise the nearest is kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal
from functools import cache

from portal.cfdi import errors as E
from portal.cfdi.errors import invalid
from portal.cfdi.types import Item, LocalTax, Tax

SIX = Decimal("0.000001")
DEFAULT_TAXES = (Tax(),)  # Facturapi: taxes omitted means IVA 16 % transferred
# c_ObjetoImp codes whose lines carry no tax breakdown (no cfdi:Impuestos in the concept).
NO_BREAKDOWN = frozenset({"01", "03", "04", "08"})
WITH_BREAKDOWN = frozenset({"02", "05", "06", "07"})
MAX_QUANTITY_DECIMALS = 6

# c_TasaOCuota: fixed rates, or (min, max) ranges, per (impuesto, factor, withholding).
_IEPS_RATES = {
    "0.265000",
    "0.300000",
    "0.530000",
    "0.500000",
    "1.600000",
    "0.304000",
    "0.250000",
    "0.090000",
    "0.080000",
    "0.070000",
    "0.060000",
    "0.030000",
}
_FIXED_RATES = {
    ("002", "Tasa", False): {"0.160000", "0.080000", "0.000000"},
    ("003", "Tasa", False): _IEPS_RATES | {"0.000000"},  # only a transferred IEPS may be 0
    ("003", "Tasa", True): _IEPS_RATES,
}
_RATE_RANGES = {
    ("002", "Tasa", True): (Decimal("0"), Decimal("0.16")),
    ("001", "Tasa", True): (Decimal("0"), Decimal("0.35")),
    ("003", "Cuota", False): (Decimal("0"), Decimal("59.1449")),
    ("003", "Cuota", True): (Decimal("0"), Decimal("59.1449")),
}


@dataclass
class LineTax:
    """A computed tax of one line: a cfdi:Traslado or cfdi:Retencion of a concept."""

    code: str
    factor: str
    rate: Decimal | None
    base: Decimal
    amount: Decimal | None
    withholding: bool


@dataclass
class LineLocalTax:
    """A computed local (state/municipal) tax of one line."""

    name: str
    rate: Decimal
    amount: Decimal
    withholding: bool


@dataclass
class Line:
    """A computed concept: the figures that go into cfdi:Concepto."""

    quantity: Decimal
    unit_value: Decimal
    amount: Decimal
    discount: Decimal
    taxability: str
    taxes: list[LineTax] = field(default_factory=list)
    local_taxes: list[LineLocalTax] = field(default_factory=list)

    @property
    def base(self) -> Decimal:
        """Importe minus Descuento."""
        return self.amount - self.discount

    @property
    def transferred(self) -> Decimal:
        """Sum of transferred federal taxes."""
        return sum((t.amount or 0 for t in self.taxes if not t.withholding), Decimal(0))

    @property
    def withheld(self) -> Decimal:
        """Sum of withheld federal taxes."""
        return sum((t.amount or 0 for t in self.taxes if t.withholding), Decimal(0))

    @property
    def total(self) -> Decimal:
        """What the line adds to the invoice total (local taxes included)."""
        local = sum((t.amount * (-1 if t.withholding else 1) for t in self.local_taxes), Decimal(0))
        return self.base + self.transferred - self.withheld + local


@dataclass
class TaxSummary:
    """One row of the document-level cfdi:Impuestos (grouped like SAT requires)."""

    code: str
    factor: str | None
    rate: Decimal | None
    base: Decimal | None
    amount: Decimal | None
    withholding: bool


@dataclass
class Totals:
    """Document totals; ``total == subtotal - discount + transferred - withheld + local``."""

    subtotal: Decimal
    discount: Decimal
    transferred: Decimal | None
    withheld: Decimal | None
    local_transferred: Decimal
    local_withheld: Decimal
    total: Decimal
    transfers: list[TaxSummary]
    withholdings: list[TaxSummary]


@cache
def currency_decimals(currency: str) -> int:
    """Decimals of a currency from SAT's c_Moneda (MXN 2, JPY 0, XXX 0...)."""
    from satcfdi.catalogs import moneda_decimales

    try:
        decimals = moneda_decimales(currency)
    except Exception:  # satcfdi raises KeyError or sqlite errors for unknown codes
        decimals = None
    if decimals is None:
        raise invalid(
            f"La moneda «{currency}» no existe en el catálogo c_Moneda.",
            E.INVALID_CURRENCY,
            "currency",
        )
    return int(decimals)


@cache
def _exponent(decimals: int) -> Decimal:
    return Decimal(1).scaleb(-decimals)


def round_to(value: Decimal, decimals: int) -> Decimal:
    """Round half up to ``decimals`` places, as SAT does."""
    return value.quantize(_exponent(decimals), rounding=ROUND_HALF_UP)


def decimal_places(value: Decimal) -> int:
    """Decimal places written in ``value`` (``1.50`` → 2, ``3`` → 0)."""
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def effective_taxes(item: Item) -> tuple[str, Sequence[Tax]]:
    """The line's ObjetoImp and the taxes that are broken down for it."""
    taxes = DEFAULT_TAXES if item.product.taxes is None else item.product.taxes
    taxability = item.product.taxability or ("02" if taxes else "01")
    if taxability in NO_BREAKDOWN:
        return taxability, ()
    if taxability not in WITH_BREAKDOWN:
        raise invalid(
            f"El objeto de impuesto «{taxability}» no existe en c_ObjetoImp.",
            E.INVALID_TAXABILITY,
            "product.taxability",
        )
    if not taxes:
        raise invalid(
            f"Con objeto de impuesto «{taxability}» el producto debe llevar impuestos.",
            E.INVALID_TAXABILITY,
            "product.taxes",
        )
    return taxability, taxes


def check_tax(tax: Tax, path: str) -> None:
    """Refuse a tax that SAT's c_TasaOCuota and c_TipoFactor rules would reject."""
    if tax.factor == "Exento":
        if tax.withholding or tax.type != "IVA":
            raise invalid("Solo el IVA trasladado puede ser exento.", E.INVALID_TAX, path)
        return
    if tax.factor == "Cuota" and tax.type != "IEPS":
        raise invalid("Solo el IEPS admite el factor Cuota.", E.INVALID_TAX, path)
    if tax.type == "ISR" and not tax.withholding:
        raise invalid("El ISR solo puede ser retenido.", E.INVALID_TAX, path)
    key = (tax.code, tax.factor, tax.withholding)
    rate = round_to(tax.rate, 6)
    if rate != tax.rate:
        raise invalid("La tasa o cuota admite hasta 6 decimales.", E.INVALID_TAX, f"{path}.rate")
    if key in _FIXED_RATES and f"{rate:f}" in _FIXED_RATES[key]:
        return
    low, high = _RATE_RANGES.get(key, (None, None))
    if low is None or not low <= rate <= high:
        message = f"La tasa o cuota {rate} no es válida para {tax.type} ({tax.factor})."
        raise invalid(message, E.INVALID_TAX, f"{path}.rate")


def _rate(tax: Tax) -> Decimal:
    return round_to(tax.rate, 6)


def line_taxes(
    base: Decimal, quantity: Decimal, taxes: Sequence[Tax], decimals: int
) -> list[LineTax]:
    """Taxes of a line with pre-tax ``base``; Cuota taxes apply per unit (Base = quantity)."""
    ieps_sum = Decimal(0)
    result: list[LineTax] = []
    for tax in sorted(taxes, key=lambda t: t.type != "IEPS"):  # IEPS first: may feed IVA's base
        result.append(_line_tax(tax, base, quantity, decimals, ieps_sum))
        if _feeds_iva(tax):
            ieps_sum += result[-1].amount or 0
    return result


def _line_tax(
    tax: Tax, base: Decimal, quantity: Decimal, decimals: int, ieps_sum: Decimal
) -> LineTax:
    if tax.factor == "Exento":
        return LineTax(tax.code, "Exento", None, base, None, False)
    if tax.factor == "Cuota":
        amount = round_to(quantity * tax.rate, decimals)
        return LineTax(tax.code, "Cuota", _rate(tax), quantity, amount, tax.withholding)
    tax_base = base + ieps_sum if tax.type == "IVA" else base
    amount = round_to(tax_base * tax.rate, decimals)
    return LineTax(tax.code, "Tasa", _rate(tax), tax_base, amount, tax.withholding)


def _local_taxes(base: Decimal, taxes: Iterable[LocalTax], decimals: int) -> list[LineLocalTax]:
    return [
        LineLocalTax(t.type, round_to(t.rate, 6), round_to(base * t.rate, decimals), t.withholding)
        for t in taxes
    ]


def _net(
    base: Decimal, quantity: Decimal, taxes: Sequence[Tax], local: Sequence[LocalTax], dec: int
) -> Decimal:
    computed = line_taxes(base, quantity, taxes, dec)
    federal = sum(((t.amount or 0) * (-1 if t.withholding else 1) for t in computed), Decimal(0))
    locals_ = sum(
        (t.amount * (-1 if t.withholding else 1) for t in _local_taxes(base, local, dec)),
        Decimal(0),
    )
    return base + federal + locals_


IEPS_IN_IVA_BASE = (None, "sum_before_taxes")  # the default: LIVA art. 12


def _feeds_iva(tax: Tax) -> bool:
    """A transferred IEPS is part of the IVA base (LIVA art. 12) unless ``ieps_mode`` says
    otherwise ("break_down" or "unconsidered": the IEPS stays out of the IVA base)."""
    return (
        tax.type == "IEPS"
        and tax.factor in ("Tasa", "Cuota")
        and tax.ieps_mode in IEPS_IN_IVA_BASE
        and not tax.withholding
    )


def _factor(taxes: Sequence[Tax], local: Sequence[LocalTax]) -> tuple[Decimal, Decimal]:
    """(rate factor on the base, per-unit cuota) of a set of taxes: net = base*F + qty*C."""
    factor, per_unit = Decimal(1), Decimal(0)
    for tax in list(taxes) + [Tax(t.type, t.rate, t.withholding) for t in local]:
        sign = -1 if tax.withholding else 1
        if tax.factor == "Tasa":
            factor += sign * tax.rate
        elif tax.factor == "Cuota":
            per_unit += sign * tax.rate
    # IEPS in IVA's base makes IVA apply to it too: F gains IEPS*IVA, C gains cuota*IVA.
    iva = sum(
        (
            t.rate * (-1 if t.withholding else 1)
            for t in taxes
            if t.type == "IVA" and t.factor == "Tasa"
        ),
        Decimal(0),
    )
    feeding = [t for t in taxes if _feeds_iva(t)]
    ieps_rate = sum((t.rate for t in feeding if t.factor == "Tasa"), Decimal(0))
    ieps_quota = sum((t.rate for t in feeding if t.factor == "Cuota"), Decimal(0))
    return factor + ieps_rate * iva, per_unit + ieps_quota * iva


def _solve_base(
    gross: Decimal,
    quantity: Decimal,
    taxes: Sequence[Tax],
    local: Sequence[LocalTax],
    dec: int,
    path: str = "items[0]",
) -> Decimal:
    """The cent-rounded base whose base + taxes equals ``gross`` (or the nearest one)."""
    factor, per_unit = _factor(taxes, local)
    if factor <= 0:
        raise invalid(
            "Las retenciones no pueden igualar o superar al precio.",
            E.INVALID_TAX,
            f"{path}.product.taxes",
        )
    estimate = round_to((gross - quantity * per_unit) / factor, dec)
    if estimate <= 0:
        raise invalid(
            "El precio no alcanza a cubrir los impuestos por cuota del concepto.",
            E.INVALID_AMOUNT,
            f"{path}.product.price",
        )
    step = _exponent(dec)
    best, best_gap = estimate, None
    for k in (0, -1, 1, -2, 2, -3, 3):
        candidate = estimate + k * step
        if candidate <= 0:
            continue
        gap = abs(_net(candidate, quantity, taxes, local, dec) - gross)
        if gap == 0:
            return candidate
        if best_gap is None or gap < best_gap:
            best, best_gap = candidate, gap
    return best


def tidy(value: Decimal, decimals: int) -> Decimal:
    """Drop trailing zeros past ``decimals`` places: 100.000000 → 100.00, 86.206900 → 86.2069."""
    normalized = value.normalize()
    return round_to(value, decimals) if decimal_places(normalized) <= decimals else normalized


def _unit_value(amount: Decimal, quantity: Decimal, dec: int) -> tuple[Decimal, Decimal]:
    """A ≤6-decimal unit value whose quantity × value rounds to ``amount`` (or the closest)."""
    unit = round_to(amount / quantity, 6)
    if round_to(quantity * unit, dec) == amount:
        return tidy(unit, dec), amount
    for k in (1, -1, 2, -2, 3, -3):
        candidate = unit + k * SIX
        if candidate > 0 and round_to(quantity * candidate, dec) == amount:
            return tidy(candidate, dec), amount
    # Huge quantities: one micro-unit moves the amount by more than a cent; keep what it gives.
    return tidy(unit, dec), round_to(quantity * unit, dec)


def _check_item(item: Item, path: str, decimals: int, require_positive: bool) -> None:
    quantity, price, discount = item.quantity, item.product.price, item.discount
    if quantity <= 0 or decimal_places(quantity) > MAX_QUANTITY_DECIMALS:
        raise invalid(
            "La cantidad debe ser mayor a cero y tener hasta 6 decimales.",
            E.INVALID_AMOUNT,
            f"{path}.quantity",
        )
    if price < 0 or (require_positive and price == 0):
        raise invalid("El precio debe ser mayor a cero.", E.INVALID_AMOUNT, f"{path}.product.price")
    if discount < 0:
        raise invalid("El descuento no puede ser negativo.", E.INVALID_AMOUNT, f"{path}.discount")
    if round_to(discount, decimals) > round_to(quantity * price, decimals):
        raise invalid(
            "El descuento no puede superar al importe del concepto.",
            E.DISCOUNT_TOO_LARGE,
            f"{path}.discount",
        )


def compute_line(
    item: Item, decimals: int = 2, path: str = "items[0]", require_positive: bool = True
) -> Line:
    """Figures of one concept: unit value, Importe, Descuento and every tax, in Decimal."""
    _check_item(item, path, decimals, require_positive)
    taxability, taxes = effective_taxes(item)
    for index, tax in enumerate(taxes):
        check_tax(tax, f"{path}.product.taxes[{index}]")
    local = item.product.local_taxes
    if item.product.tax_included and (taxes or local):
        line = _from_gross(item, taxes, local, decimals, path)
    else:
        line = _from_net(item, taxes, local, decimals)
    line.taxability = taxability
    if (line.taxes or line.local_taxes) and line.base <= 0:
        raise invalid(
            "El importe gravable del concepto debe ser mayor a cero.",
            E.DISCOUNT_TOO_LARGE,
            f"{path}.discount",
        )
    return line


def _from_net(item: Item, taxes: Sequence[Tax], local: Sequence[LocalTax], dec: int) -> Line:
    unit = tidy(round_to(item.product.price, 6), dec)
    amount = round_to(item.quantity * unit, dec)
    discount = round_to(item.discount, dec)
    return _line(item.quantity, unit, amount, discount, taxes, local, dec)


def _from_gross(
    item: Item, taxes: Sequence[Tax], local: Sequence[LocalTax], dec: int, path: str
) -> Line:
    quantity = item.quantity
    gross = round_to(quantity * item.product.price, dec) - round_to(item.discount, dec)
    factor, _ = _factor(taxes, local)
    discount = round_to(item.discount / factor, dec) if item.discount else Decimal(0)
    base = _solve_base(gross, quantity, taxes, local, dec, path) if gross > 0 else Decimal(0)
    unit, amount = _unit_value(base + discount, quantity, dec)
    line = _line(quantity, unit, amount, discount, taxes, local, dec)
    _settle_within_limits(line, gross, dec)
    return line


def tax_limits(base: Decimal, rate: Decimal, dec: int) -> tuple[Decimal, Decimal]:
    """SAT's bounds for a Traslado/Retención Importe (Anexo 20, "límites"): (Base − ½ unit of its
    last decimal) × TasaOCuota truncated, and (Base + ½ unit) × TasaOCuota rounded up."""
    half = _exponent(decimal_places(base)) / 2
    low = ((base - half) * rate).quantize(_exponent(dec), rounding=ROUND_DOWN)
    high = ((base + half) * rate).quantize(_exponent(dec), rounding=ROUND_UP)
    return max(low, Decimal(0)), high


def _settle_within_limits(line: Line, gross: Decimal, dec: int) -> None:
    """When no cent base makes base + taxes equal the price paid, move taxes by cents within
    SAT's limits so that the line does: IVA and the others first, then an IEPS that is part
    of IVA's base (IVA's base and amount follow it)."""
    if _nudge(line, gross, dec, [t for t in line.taxes if not _feeds_iva_base(t, line)]):
        return
    step = _exponent(dec)
    for ieps in [t for t in line.taxes if _feeds_iva_base(t, line)]:
        low, high = tax_limits(ieps.base, ieps.rate or Decimal(0), dec)
        for moved in (ieps.amount - step, ieps.amount + step):  # type: ignore[operator]
            if not low <= moved <= high:
                continue
            saved = [(t, t.base, t.amount) for t in line.taxes]
            _move_ieps(line, ieps, moved, dec)
            if _nudge(line, gross, dec, [t for t in line.taxes if t.code == "002"]):
                return
            for tax, base, amount in saved:
                tax.base, tax.amount = base, amount


def _nudge(line: Line, gross: Decimal, dec: int, taxes: Sequence[LineTax]) -> bool:
    """Move the Tasa ``taxes`` (IVA first) a cent at a time within their limits toward
    ``gross``; True when the line's total reaches it."""
    step = _exponent(dec)
    for tax in sorted(taxes, key=lambda t: t.code != "002"):
        if tax.factor != "Tasa" or tax.amount is None:
            continue
        low, high = tax_limits(tax.base, tax.rate or Decimal(0), dec)
        sign = -1 if tax.withholding else 1
        while gross != line.total:
            moved = tax.amount + sign * (step if gross > line.total else -step)
            if not low <= moved <= high:
                break
            tax.amount = moved
    return gross == line.total


def _move_ieps(line: Line, ieps: LineTax, amount: Decimal, dec: int) -> None:
    """Set an IEPS that IVA's base includes, and recompute the IVA on the new base."""
    ieps.amount = amount
    feeding = sum((t.amount or 0 for t in line.taxes if _feeds_iva_base(t, line)), Decimal(0))
    for tax in line.taxes:
        if tax.code == "002" and tax.factor == "Tasa":
            tax.base = line.base + feeding
            tax.amount = round_to(tax.base * (tax.rate or Decimal(0)), dec)


def _feeds_iva_base(tax: LineTax, line: Line) -> bool:
    """An IEPS whose amount is part of the line's IVA base."""
    if tax.code != "003" or tax.withholding or tax.amount is None:
        return False
    return any(t.code == "002" and t.base != line.base for t in line.taxes)


def _line(
    quantity: Decimal,
    unit: Decimal,
    amount: Decimal,
    discount: Decimal,
    taxes: Sequence[Tax],
    local: Sequence[LocalTax],
    dec: int,
) -> Line:
    base = amount - discount
    return Line(
        quantity=quantity,
        unit_value=unit,
        amount=amount,
        discount=discount,
        taxability="",
        taxes=line_taxes(base, quantity, taxes, dec) if base > 0 else [],
        local_taxes=_local_taxes(base, local, dec) if base > 0 else [],
    )


def summarize(lines: Sequence[Line], decimals: int = 2) -> Totals:
    """Document totals and the grouped cfdi:Impuestos rows of computed lines."""
    transfers: dict[tuple, TaxSummary] = {}
    withholdings: dict[str, TaxSummary] = {}
    for line in lines:
        for tax in line.taxes:
            if tax.withholding:
                row = withholdings.setdefault(
                    tax.code, TaxSummary(tax.code, None, None, None, Decimal(0), True)
                )
                row.amount = (row.amount or 0) + (tax.amount or 0)
            else:
                _add_transfer(transfers, tax)
    for row in transfers.values():
        row.base = round_to(row.base or Decimal(0), decimals)  # Cuota bases are quantities
    return _totals(lines, list(transfers.values()), list(withholdings.values()))


def _add_transfer(transfers: dict[tuple, TaxSummary], tax: LineTax) -> None:
    key = (tax.code, tax.factor, tax.rate)
    row = transfers.get(key)
    if row is None:
        row = transfers[key] = TaxSummary(tax.code, tax.factor, tax.rate, Decimal(0), None, False)
    row.base = (row.base or 0) + tax.base
    if tax.amount is not None:
        row.amount = (row.amount or 0) + tax.amount


def _totals(
    lines: Sequence[Line], transfers: list[TaxSummary], withholdings: list[TaxSummary]
) -> Totals:
    zero = Decimal(0)
    subtotal = sum((line.amount for line in lines), zero)
    discount = sum((line.discount for line in lines), zero)
    amounts = [row.amount for row in transfers if row.amount is not None]
    transferred = sum(amounts, zero) if amounts else None
    withheld = sum((row.amount or zero for row in withholdings), zero) if withholdings else None
    local_t = sum((t.amount for ln in lines for t in ln.local_taxes if not t.withholding), zero)
    local_w = sum((t.amount for ln in lines for t in ln.local_taxes if t.withholding), zero)
    total = subtotal - discount + (transferred or zero) - (withheld or zero) + local_t - local_w
    return Totals(
        subtotal, discount, transferred, withheld, local_t, local_w, total, transfers, withholdings
    )


def compute_lines(
    items: Sequence[Item], decimals: int = 2, require_positive: bool = True
) -> list[Line]:
    """``compute_line`` over every item, with the right ``items[i]`` paths."""
    return [
        compute_line(item, decimals, f"items[{index}]", require_positive)
        for index, item in enumerate(items)
    ]


def payment_taxes(
    paid: Decimal, taxes: Sequence[Tax], decimals: int
) -> tuple[Decimal, list[LineTax]]:
    """Base and taxes of a paid amount (taxes included), for Pagos 2.0 ImpuestosDR."""
    for index, tax in enumerate(taxes):
        check_tax(tax, f"taxes[{index}]")
    base = _solve_base(paid, Decimal(1), taxes, (), decimals)
    return base, line_taxes(base, Decimal(1), taxes, decimals)
