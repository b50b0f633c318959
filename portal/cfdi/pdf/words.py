"""Amounts in words, as Mexican invoices print them ("UN MIL DOSCIENTOS PESOS 50/100 M.N.")."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

_SMALL = (
    "CERO UN DOS TRES CUATRO CINCO SEIS SIETE OCHO NUEVE DIEZ ONCE DOCE TRECE CATORCE QUINCE "
    "DIECISÉIS DIECISIETE DIECIOCHO DIECINUEVE VEINTE VEINTIÚN VEINTIDÓS VEINTITRÉS VEINTICUATRO "
    "VEINTICINCO VEINTISÉIS VEINTISIETE VEINTIOCHO VEINTINUEVE"
).split()
_TENS = "_ _ _ TREINTA CUARENTA CINCUENTA SESENTA SETENTA OCHENTA NOVENTA".split()
_HUNDREDS = (
    "_ CIENTO DOSCIENTOS TRESCIENTOS CUATROCIENTOS QUINIENTOS SEISCIENTOS SETECIENTOS "
    "OCHOCIENTOS NOVECIENTOS"
).split()
_CURRENCIES = {
    "MXN": ("PESO", "PESOS", "M.N."),
    "USD": ("DÓLAR", "DÓLARES", "USD"),
    "EUR": ("EURO", "EUROS", "EUR"),
}


def _below_hundred(n: int) -> str:
    """1..99 in words, "UN" form (the number always precedes a noun)."""
    if n < 30:
        return _SMALL[n]
    tens, units = divmod(n, 10)
    return _TENS[tens] + (f" Y {_SMALL[units]}" if units else "")


def _below_thousand(n: int) -> str:
    """1..999 in words."""
    if n == 100:
        return "CIEN"
    hundreds, rest = divmod(n, 100)
    parts = [_HUNDREDS[hundreds]] if hundreds else []
    return " ".join(parts + ([_below_hundred(rest)] if rest else []))


def number_in_words(n: int) -> str:
    """A non-negative integer in Spanish capitals as invoices write it (1000 -> UN MIL)."""
    if n == 0:
        return "CERO"
    for size, one, many in ((10**12, "UN BILLÓN", "BILLONES"), (10**6, "UN MILLÓN", "MILLONES")):
        if n >= size:
            high, rest = divmod(n, size)
            head = one if high == 1 else f"{number_in_words(high)} {many}"
            return head + (f" {number_in_words(rest)}" if rest else "")
    thousands, rest = divmod(n, 1000)
    head = f"{_below_thousand(thousands)} MIL" if thousands else ""
    return " ".join(p for p in (head, _below_thousand(rest) if rest else "") if p)


def amount_in_words(amount: Decimal | str | int, currency: str = "MXN") -> str:
    """ "UN MIL DOSCIENTOS PESOS 50/100 M.N." for 1200.50 MXN."""
    value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    whole, cents = divmod(abs(int(value * 100)), 100)
    one, many, suffix = _CURRENCIES.get(currency, (currency, currency, currency))
    words = number_in_words(whole)
    noun = one if whole == 1 else many
    joiner = " DE " if words.endswith(("MILLÓN", "MILLONES", "BILLÓN", "BILLONES")) else " "
    return f"{words}{joiner}{noun} {cents:02d}/100 {suffix}".strip()
