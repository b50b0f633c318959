"""The concepts (cfdi:Concepto) of a stamped CFDI, read from its XML as the legal document says
them: quantity, unit, unit value, amount, discount and each tax, local taxes included."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from lxml import etree

from portal.cfdi import money
from portal.cfdi.documents import CFDI_NS

IMPLOCAL_NS = "http://www.sat.gob.mx/implocal"


@dataclass
class Concept:
    """One concept as the page lists it; ``taxes`` and ``local_taxes`` as the engine's types."""

    quantity: Decimal
    unit_key: str
    unit_name: str
    product_key: str
    description: str
    unit_value: Decimal
    amount: Decimal
    discount: Decimal
    taxes: list[money.LineTax] = field(default_factory=list)
    local_taxes: list[money.LineLocalTax] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        """What the concept adds to the total: amount, less discount, plus and minus taxes."""
        line = money.Line(
            self.quantity, self.unit_value, self.amount, self.discount, "", self.taxes
        )
        return line.total


def _decimal(value: str | None) -> Decimal:
    try:
        return Decimal(value or "0")
    except InvalidOperation:
        return Decimal(0)


def _taxes(concept: etree._Element) -> list[money.LineTax]:
    found = []
    for tag, withholding in (("Traslado", False), ("Retencion", True)):
        for node in concept.iterfind(f"{{{CFDI_NS}}}Impuestos//{{{CFDI_NS}}}{tag}"):
            rate = node.get("TasaOCuota")
            amount = node.get("Importe")
            found.append(
                money.LineTax(
                    code=node.get("Impuesto", ""),
                    factor=node.get("TipoFactor", "Tasa"),
                    rate=_decimal(rate) if rate is not None else None,
                    base=_decimal(node.get("Base")),
                    amount=_decimal(amount) if amount is not None else None,
                    withholding=withholding,
                )
            )
    return found


def _local_taxes(root: etree._Element) -> list[money.LineLocalTax]:
    """The document's local taxes (the complement has no concept of its own)."""
    found = []
    for tag, withholding in (("TrasladosLocales", False), ("RetencionesLocales", True)):
        for node in root.iterfind(f".//{{{IMPLOCAL_NS}}}{tag}"):
            name = node.get("ImpLocTrasladado") or node.get("ImpLocRetenido") or ""
            rate = node.get("TasadeTraslado") or node.get("TasadeRetencion")
            amount = _decimal(node.get("Importe"))
            found.append(money.LineLocalTax(name, _decimal(rate) / 100, amount, withholding))
    return found


def concepts(xml: bytes) -> tuple[list[Concept], list[money.LineLocalTax]]:
    """Each concept of the CFDI, and its local taxes (complemento ImpuestosLocales)."""
    root = etree.fromstring(xml)
    rows = [
        Concept(
            quantity=_decimal(node.get("Cantidad")),
            unit_key=node.get("ClaveUnidad", ""),
            unit_name=node.get("Unidad", ""),
            product_key=node.get("ClaveProdServ", ""),
            description=node.get("Descripcion", ""),
            unit_value=_decimal(node.get("ValorUnitario")),
            amount=_decimal(node.get("Importe")),
            discount=_decimal(node.get("Descuento")),
            taxes=_taxes(node),
        )
        for node in root.iterfind(f"{{{CFDI_NS}}}Conceptos/{{{CFDI_NS}}}Concepto")
    ]
    return rows, _local_taxes(root)
