"""How values print on documents: money, quantities, rates, dates, seals."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from satcfdi.models import Code

# Characters of DejaVu Sans Mono at 5.5 pt that fit the invoice's 160.9 mm seals column
# (invoice.css: .fiscal .seal, .fiscal .qr): 137.7, kept to 136 as when it broke every 8.
SEAL_LINE = 136


def _code(value: Any) -> str | None:
    """The code inside a satcfdi ``Code`` (or the plain value)."""
    if value is None:
        return None
    return str(value.code) if isinstance(value, Code) else str(value)


def _decimal(value: Any) -> Decimal:
    """A Decimal from an XML value, 0 when absent or malformed."""
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def money(value: Any, decimals: int = 2) -> str:
    """$1,234.50"""
    number = _decimal(value).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return f"${number:,.{decimals}f}"


def plain_number(value: Any) -> str:
    """A quantity without trailing zeros: 2, 1.5, 0.125."""
    number = _decimal(value)
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def unit_price(value: Any, round_price: bool) -> str:
    """Unit price as stamped (all decimals, at least 2) or rounded to cents."""
    number = _decimal(value)
    if round_price:
        return money(number)
    exponent = -number.as_tuple().exponent if isinstance(number.as_tuple().exponent, int) else 2
    return money(number, max(2, min(int(exponent), 6)))


def rate(value: Any) -> str:
    """0.160000 -> 16%; 0.265 -> 26.5%."""
    return plain_number(_decimal(value) * 100) + "%"


def breakable(text: str | None, every: int = 8) -> str:
    """Long tokens (seals, chains) with zero-width spaces so lines break cheaply anywhere."""
    if not text:
        return ""
    return "\u200b".join(text[i : i + every] for i in range(0, len(text), every))


def seal_lines(text: str | None, width: int = SEAL_LINE) -> str:
    """A seal or chain cut into lines of ``width`` characters, laid out without line breaking."""
    return "\n".join((text or "")[i : i + width] for i in range(0, len(text or ""), width))


def when(value: Any, zone: str = "America/Mexico_City") -> str:
    """dd/mm/yyyy hh:mm:ss; ISO strings accepted, aware times shown in ``zone``."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(ZoneInfo(zone))
        return value.strftime("%d/%m/%Y %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return "" if value is None else str(value)
