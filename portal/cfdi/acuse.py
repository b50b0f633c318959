"""The cancellation acknowledgment (acuse) in SAT's shape, and reading one back.

SAT answers a ``CancelaCFD`` request with an ``Acuse``: ``Fecha`` (Mexico's time), ``RfcEmisor``,
one ``Folios`` per UUID (``UUID``, ``EstatusUUID``) in ``http://cancelacfd.sat.gob.mx``, and an
enveloped XML-DSig ``Signature Id="SelloSAT"``. The local test PAC signs it with its own test
certificate (RSA-SHA256 over the exclusive C14N of ``SignedInfo``), never with SAT's. The
issuer's own signed request (``Cancelacion``) is a different document, signed by the issuer's CSD.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree
from satcfdi.models import Signer

CANCELA_NS = "http://cancelacfd.sat.gob.mx"
DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
XSD = "http://www.w3.org/2001/XMLSchema"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
# SAT's EstatusUUID codes of CancelaCFD.
ESTATUS_UUID = {
    "201": "Solicitud de cancelación recibida",
    "202": "Previamente cancelado",
    "203": "No corresponde el RFC del emisor y de quien solicita la cancelación",
    "205": "UUID no existe",
}


def describe_status(code: str) -> str:
    """``201 (Solicitud de cancelación recibida)``; the bare code when unknown."""
    meaning = ESTATUS_UUID.get(code)
    return f"{code} ({meaning})" if meaning else code


def _dsig(tag: str) -> str:
    return f"{{{DSIG_NS}}}{tag}"


def _c14n(node: etree._Element) -> bytes:
    return etree.tostring(node, method="c14n", exclusive=True, with_comments=False)


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    node = etree.SubElement(parent, _dsig(tag), attrs)
    if text is not None:
        node.text = text
    return node


def _signature(root: etree._Element, signer: Signer, signature_id: str) -> etree._Element:
    """An enveloped XML-DSig signature of ``root`` (which must not hold it yet)."""
    digest = base64.b64encode(hashlib.sha256(_c14n(root)).digest()).decode()
    signature = etree.Element(_dsig("Signature"), {"Id": signature_id}, nsmap={None: DSIG_NS})
    info = _sub(signature, "SignedInfo")
    _sub(info, "CanonicalizationMethod", Algorithm=EXC_C14N)
    _sub(info, "SignatureMethod", Algorithm=RSA_SHA256)
    reference = _sub(info, "Reference", URI="")
    transforms = _sub(reference, "Transforms")
    _sub(transforms, "Transform", Algorithm=ENVELOPED)
    _sub(transforms, "Transform", Algorithm=EXC_C14N)
    _sub(reference, "DigestMethod", Algorithm=SHA256)
    _sub(reference, "DigestValue", digest)
    root.append(signature)  # SignedInfo is canonicalized where it will stay
    _sub(signature, "SignatureValue", signer.sign_sha256(_c14n(info)))
    key_info = _sub(signature, "KeyInfo")
    _sub(key_info, "KeyName", signer.certificate_number)
    x509_data = _sub(key_info, "X509Data")
    _sub(x509_data, "X509Certificate", signer.certificate_base64())
    return signature


def build_acuse(
    signer: Signer, issuer_rfc: str, folios: list[tuple[str, str]], fecha: datetime
) -> bytes:
    """SAT's ``Acuse`` for ``folios`` (UUID, EstatusUUID), dated ``fecha`` (Mexico, naive),
    signed by ``signer`` (the PAC's or SAT's certificate)."""
    root = etree.Element("Acuse", nsmap={"xsd": XSD, "xsi": XSI})
    root.set("Fecha", fecha.replace(tzinfo=None).isoformat(timespec="seconds"))
    root.set("RfcEmisor", issuer_rfc)
    for uuid, status in folios:
        node = etree.SubElement(root, f"{{{CANCELA_NS}}}Folios", nsmap={None: CANCELA_NS})
        etree.SubElement(node, f"{{{CANCELA_NS}}}UUID").text = uuid.upper()
        etree.SubElement(node, f"{{{CANCELA_NS}}}EstatusUUID").text = status
    _signature(root, signer, "SelloSAT")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@dataclass(frozen=True)
class SignatureSeen:
    """A signature found in a cancellation document, and whose it is."""

    signer: str  # "sat" (SAT or the PAC on its behalf) or "issuer" (the issuer's CSD)
    value: str
    certificate_number: str = ""


@dataclass(frozen=True)
class AcuseSeen:
    """What a stored cancellation document says: an ``Acuse`` or the issuer's request."""

    kind: str  # "acuse" or "request"
    issuer_rfc: str = ""
    fecha: str = ""
    folios: list[tuple[str, str]] = field(default_factory=list)
    signatures: list[SignatureSeen] = field(default_factory=list)


def _signatures(root: etree._Element, signer: str) -> list[SignatureSeen]:
    found = []
    for signature in root.iter(_dsig("Signature")):
        value = signature.findtext(_dsig("SignatureValue")) or ""
        number = signature.findtext(f"{_dsig('KeyInfo')}/{_dsig('KeyName')}") or ""
        if not number:
            serial = signature.findtext(f".//{_dsig('X509SerialNumber')}") or ""
            number = _serial_digits(serial)
        found.append(SignatureSeen(signer, "".join(value.split()), number))
    return found


def _serial_digits(serial: str) -> str:
    """SAT's NoCertificado from an X509SerialNumber (decimal of the ASCII digits)."""
    try:
        return f"{int(serial):x}"[1::2] if serial else ""
    except ValueError:
        return ""


def read(xml: bytes) -> AcuseSeen:
    """Read a stored cancellation document (SAT's acuse, or an issuer's signed request)."""
    root = etree.fromstring(xml)
    if etree.QName(root).localname == "Acuse":
        folios = [
            (
                node.findtext(f"{{{CANCELA_NS}}}UUID") or "",
                node.findtext(f"{{{CANCELA_NS}}}EstatusUUID") or "",
            )
            for node in root.iter(f"{{{CANCELA_NS}}}Folios")
        ]
        return AcuseSeen(
            "acuse",
            root.get("RfcEmisor", ""),
            root.get("Fecha", ""),
            folios,
            _signatures(root, "sat"),
        )
    folios = [
        (node.get("UUID", ""), node.get("Motivo", ""))
        for node in root.iter()
        if etree.QName(node).localname == "Folio"
    ]
    return AcuseSeen(
        "request",
        root.get("RfcEmisor", ""),
        root.get("Fecha", ""),
        folios,
        _signatures(root, "issuer"),
    )
