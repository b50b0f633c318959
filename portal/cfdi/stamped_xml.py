"""Reading a stamped CFDI's XML: its parties and SAT's verification URL."""

from __future__ import annotations

from lxml import etree

from portal.cfdi import documents, qr


def _root(xml: bytes) -> etree._Element:
    return etree.fromstring(xml)


def _rfcs(root: etree._Element) -> tuple[str, str]:
    issuer = root.find(f"{{{documents.CFDI_NS}}}Emisor")
    receiver = root.find(f"{{{documents.CFDI_NS}}}Receptor")
    return (
        issuer.get("Rfc", "") if issuer is not None else "",
        receiver.get("Rfc", "") if receiver is not None else "",
    )


def parties(xml: bytes) -> tuple[str, str]:
    """The issuer's and the receiver's RFC ("" when absent)."""
    return _rfcs(_root(xml))


def verification_url(xml: bytes, uuid: str, seal: str) -> str:
    """SAT's verification URL of a stamped CFDI (computed once, when it is stamped)."""
    root = _root(xml)
    issuer_rfc, receiver_rfc = _rfcs(root)
    return qr.verification_url(uuid, issuer_rfc, receiver_rfc, root.get("Total", "0"), seal)
