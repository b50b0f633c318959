"""The UUIDs a CFDI relates to (CfdiRelacionados, by TipoRelacion) or pays (Pagos 2.0)."""

from __future__ import annotations

from lxml import etree

CFDI = "{http://www.sat.gob.mx/cfd/4}"
PAGOS = "{http://www.sat.gob.mx/Pagos20}"
PAYMENT = "pago"


def relations_in(root: etree._Element) -> dict[str, set[str]]:
    """Related UUID (upper case) → TipoRelacion codes, or ``pago`` for a paid document."""
    relations: dict[str, set[str]] = {}
    for group in root.iter(f"{CFDI}CfdiRelacionados"):
        for related in group.iter(f"{CFDI}CfdiRelacionado"):
            uuid = related.get("UUID", "").upper()
            relations.setdefault(uuid, set()).add(group.get("TipoRelacion", ""))
    for paid in root.iter(f"{PAGOS}DoctoRelacionado"):
        relations.setdefault(paid.get("IdDocumento", "").upper(), set()).add(PAYMENT)
    return relations
