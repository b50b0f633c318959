"""SAT's verification URL (Anexo 20, CFDI 4.0 "código de barras bidimensional"), checked by
parsing it back with the standard library rather than with the engine's own formatting."""

from __future__ import annotations

import re
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.cfdi import qr

UUID = "5803eb8d-81cd-4557-8719-26632d2fa434"
# Anexo 20: tt up to 18 integers and 6 decimals, "se deben omitir los ceros no significativos".
TT = re.compile(r"(0|[1-9]\d{0,17})\.(\d{0,5}[1-9]|0)")


def _params(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "verificacfdi.facturaelectronica.sat.gob.mx",
        "/default.aspx",
    )
    pairs = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=True)
    assert [k for k, _ in pairs] == ["id", "re", "rr", "tt", "fe"]
    return dict(pairs)


@pytest.mark.parametrize(
    ("total", "tt"),
    [
        ("14300", "14300.0"),
        ("14300.00", "14300.0"),
        ("1000.50", "1000.5"),
        ("0.10", "0.1"),
        ("0", "0.0"),
        ("12.345678", "12.345678"),
        ("500.000100", "500.0001"),
    ],
)
def test_tt_has_no_non_significant_zeros(total: str, tt: str) -> None:
    url = qr.verification_url(UUID, "EKU9003173C9", "URE180429TM6", Decimal(total), "x" * 20)
    assert _params(url)["tt"] == tt


def test_every_parameter_is_url_encoded() -> None:
    """An RFC with "&" or "Ñ" and a seal ending in "/", "+" and "=" survive the round trip."""
    seal = "A" * 40 + "rH8/b+=="
    url = qr.verification_url(UUID, "&ÑA010101AAA", "AÑ&0101011B2", Decimal("1.5"), seal)
    query = urlsplit(url).query
    assert query.count("&") == 4 and query.count("=") == 5  # only the separators are raw
    assert not re.search(r"[^A-Za-z0-9%&=._-]", query)
    params = _params(url)
    assert params == {
        "id": UUID.upper(),
        "re": "&ÑA010101AAA",
        "rr": "AÑ&0101011B2",
        "tt": "1.5",
        "fe": "rH8/b+==",
    }


@given(
    st.decimals(min_value=0, max_value=Decimal("999999999999.999999"), places=6),
)
def test_tt_reads_back_as_the_total(total: Decimal) -> None:
    tt = _params(qr.verification_url(UUID, "EKU9003173C9", "XAXX010101000", total, "s" * 8))["tt"]
    assert TT.fullmatch(tt), tt
    assert Decimal(tt) == total
