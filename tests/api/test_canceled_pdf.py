"""The PDF of a cancelled invoice carries a visible CANCELADA mark with the date it was
cancelled (in the organization's zone); a valid invoice's PDF carries none."""

from __future__ import annotations

import subprocess
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from portal.models.invoices import Invoice
from tests.fixtures.factories import ok


def _text(data: bytes) -> str:
    """The PDF's words in content order (``-raw`` also reads the rotated stamp)."""
    out = subprocess.run(["pdftotext", "-raw", "-", "-"], input=data, capture_output=True)
    return " ".join(out.stdout.decode().split())


def test_a_cancelled_invoices_pdf_says_cancelada_with_the_date(
    org_api: Any, invoice_body: Any, db: Any
) -> None:
    invoice = ok(org_api.post("/invoices", json=invoice_body()))
    valid = org_api.get(f"/invoices/{invoice['id']}/pdf")
    assert valid.status_code == 200 and "CANCELADA" not in _text(valid.data)
    ok(org_api.delete(f"/invoices/{invoice['id']}?motive=02"))
    canceled = org_api.get(f"/invoices/{invoice['id']}/pdf")
    text = _text(canceled.data)
    row = db.scalar(select(Invoice).where(Invoice.id == invoice["id"]))
    local = row.canceled_at.astimezone(ZoneInfo("America/Mexico_City"))
    assert "CANCELADA ante el SAT el " + f"{local:%d/%m/%Y %H:%M}" in text
    assert "(America/Mexico_City)" in text and text.count("CANCELADA") == 2  # stamp + banner
    assert invoice["uuid"] in text
