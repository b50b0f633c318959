"""The cancellation acuse: SAT's shape, read back, and whose signature the PDF says it is."""

from __future__ import annotations

import subprocess
from datetime import datetime
from typing import Any

from lxml import etree

from portal.cfdi import acuse, documents, pdf

UUID = "2B1040B2-1F14-4A89-9955-3F48D9A25DD0"


def _text(data: bytes) -> str:
    out = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    return " ".join(out.stdout.decode().split()).upper()  # labels are set in capitals


def test_acuse_reads_back_as_sats(test_pac_credentials: Any) -> None:
    signer = test_pac_credentials.signer()
    xml = acuse.build_acuse(
        signer, "EKU9003173C9", [(UUID.lower(), "201")], datetime(2026, 3, 1, 9)
    )
    root = etree.fromstring(xml)
    assert root.tag == "Acuse" and root.get("Fecha") == "2026-03-01T09:00:00"
    seen = acuse.read(xml)
    assert seen.kind == "acuse" and seen.issuer_rfc == "EKU9003173C9"
    assert seen.folios == [(UUID, "201")]
    assert [(s.signer, s.certificate_number) for s in seen.signatures] == [
        ("sat", signer.certificate_number)
    ]


def test_the_issuers_request_is_labelled_as_the_issuers(issuer_csd: Any) -> None:
    """A stored issuer request (older records) is read as the issuer's signature, and the PDF
    never calls it "sello digital del SAT"."""
    request = documents.build_cancellation(issuer_csd, UUID, "02")
    seen = acuse.read(request.xml)
    assert seen.kind == "request" and [s.signer for s in seen.signatures] == ["issuer"]
    ack = {"uuid": UUID, "status": "accepted", "motive": "02",
           "signatures": [vars(s) for s in seen.signatures]}  # fmt: skip
    text = _text(pdf.render_cancellation(ack, test_mode=False))
    assert "FIRMA DEL EMISOR EN SU SOLICITUD DE CANCELACIÓN" in text
    assert "SELLO DIGITAL DEL SAT" not in text


def test_live_acuse_seal_is_sats() -> None:
    seal = {"signer": "sat", "value": "QUJD" * 40, "certificate_number": "1"}
    ack = {"uuid": UUID, "status": "accepted", "motive": "02", "signatures": [seal]}
    assert "SELLO DIGITAL DEL SAT EN EL ACUSE (CERTIFICADO 1)" in _text(
        pdf.render_cancellation(ack)
    )
    assert "PAC DE PRUEBAS" in _text(pdf.render_cancellation(ack, test_mode=True))
