"""QR codes for printed CFDIs and receipts, and SAT's verification URL.

QR images are returned as data URIs so templates can inline them: PNG by default (crisp in every
PDF viewer with ``image-rendering: pixelated``), SVG on request.
"""

from __future__ import annotations

import base64
import struct
import zlib
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from urllib.parse import quote

import qrcode
import qrcode.image.svg
from qrcode.constants import ERROR_CORRECT_M

VERIFY_URL = "https://verificacfdi.facturaelectronica.sat.gob.mx/default.aspx"


def format_total(total: Decimal | str | int) -> str:
    """Total as CFDI 4.0's QR writes it: up to 6 decimals, no non-significant zeros (1000.0)."""
    value = Decimal(str(total)).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
    text = f"{value:f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def verification_url(
    uuid: str, issuer_rfc: str, receiver_rfc: str, total: Decimal | str | int, seal: str
) -> str:
    """SAT's verification URL for a CFDI 4.0 (Anexo 20, "código de barras bidimensional")."""
    # Every value percent-encoded: an RFC may hold "&" or "Ñ", the seal's tail "/", "+" or "=".
    params = (
        ("id", uuid.upper()),
        ("re", issuer_rfc),
        ("rr", receiver_rfc),
        ("tt", format_total(total)),
        ("fe", seal[-8:]),
    )
    return VERIFY_URL + "?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in params)


@lru_cache(maxsize=256)
def qr_svg(text: str, border: int = 1) -> bytes:
    """An SVG QR code (medium error correction) whose viewBox is in modules."""
    image = _matrix(text, border, 10).make_image(image_factory=qrcode.image.svg.SvgPathImage)
    return image.to_string(encoding="utf-8")


def _matrix(text: str, border: int, box_size: int) -> qrcode.QRCode:
    """The QR code of ``text`` with medium error correction."""
    # A fixed mask skips qrcode's pure-Python mask scoring (~40 ms); any mask decodes.
    code = qrcode.QRCode(
        error_correction=ERROR_CORRECT_M, border=border, box_size=box_size, mask_pattern=0
    )
    code.add_data(text)
    code.make(fit=True)
    return code


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk with its CRC."""
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def _png(rows: list[bytes], size: int) -> bytes:
    """An 8-bit grayscale+alpha PNG from raw rows of ``size`` pixels (2 bytes each)."""
    header = struct.pack(">IIBBBBB", size, size, 8, 4, 0, 0, 0)
    raw = b"".join(b"\x00" + row for row in rows)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(raw, 6))
        + _png_chunk(b"IEND", b"")
    )


@lru_cache(maxsize=256)
def qr_png(text: str, border: int = 1, box_size: int = 4) -> bytes:
    """A black QR code on a transparent background, ``box_size`` pixels per module."""
    matrix = _matrix(text, border, box_size).get_matrix()
    rows = []
    for modules in matrix:
        row = b"".join((b"\x00\xff" if dark else b"\xff\x00") * box_size for dark in modules)
        rows.extend([row] * box_size)
    return _png(rows, len(matrix) * box_size)


def qr_data_uri(text: str, border: int = 1, fmt: str = "png") -> str:
    """A ``data:`` URI of the QR code of ``text`` (``fmt`` "png" or "svg")."""
    if fmt == "svg":
        return "data:image/svg+xml;base64," + base64.b64encode(qr_svg(text, border)).decode()
    return "data:image/png;base64," + base64.b64encode(qr_png(text, border)).decode()
