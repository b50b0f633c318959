"""Retenciones 2.0 rules that a PAC applies beyond the XSD (SAT's «Guía de llenado del CFDI de
Retenciones e información de pagos» 2.0 and the standard's annotations).

SAT publishes this document's matrix separately from CFDI 4.0's and its numeric codes were not
available to this project when it was written, so each rule carries a descriptive code
(``RET20_…``) and the guide's field it comes from. The registry is separate from the CFDI 4.0
table (``RULES``) so that neither family runs on the other's documents.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from lxml import etree

from portal.cfdi import zones
from portal.errors import Problem, ValidationError

RET_NS = "http://www.sat.gob.mx/esquemas/retencionpago/2"
R = f"{{{RET_NS}}}"
MEXICO = ZoneInfo("America/Mexico_City")
# RMF 2.7.1.x: a PAC stamps documents issued up to 72 hours before.
STAMP_WINDOW = timedelta(hours=72)


@dataclass(frozen=True)
class RetentionRule:
    """One rule: a code, the Spanish message and the check (yields the broken paths)."""

    code: str
    message: str
    check: Callable[[etree._Element, datetime], Iterator[str]]


RULES: list[RetentionRule] = []


def _rule(code: str, message: str) -> Callable[[Callable], Callable]:
    def register(check: Callable[[etree._Element, datetime], Iterator[str]]) -> Callable:
        RULES.append(RetentionRule(code, message, check))
        return check

    return register


def _amount(node: etree._Element | None, name: str) -> Decimal:
    try:
        return Decimal(node.get(name) or "0") if node is not None else Decimal(0)
    except InvalidOperation:
        return Decimal(0)  # the XSD reports it


@_rule(
    "RET20_MONTO_TOT_OPERACION",
    "El campo MontoTotOperacion debe ser la suma de MontoTotGrav y MontoTotExent.",
)
def total_operation(root: etree._Element, now: datetime) -> Iterator[str]:
    totals = root.find(f"{R}Totales")
    expected = _amount(totals, "MontoTotGrav") + _amount(totals, "MontoTotExent")
    if _amount(totals, "MontoTotOperacion") != expected:
        yield "Totales/@MontoTotOperacion"


@_rule(
    "RET20_MONTO_TOT_RET",
    "El campo MontoTotRet debe ser la suma de los MontoRet de ImpRetenidos.",
)
def total_withheld(root: etree._Element, now: datetime) -> Iterator[str]:
    totals = root.find(f"{R}Totales")
    rows = totals.findall(f"{R}ImpRetenidos") if totals is not None else []
    if rows and _amount(totals, "MontoTotRet") != sum(
        (_amount(row, "MontoRet") for row in rows), Decimal(0)
    ):
        yield "Totales/@MontoTotRet"


@_rule(
    "RET20_MONTO_RET_BASE",
    "El campo MontoRet no puede ser mayor que su BaseRet.",
)
def withheld_over_base(root: etree._Element, now: datetime) -> Iterator[str]:
    for index, row in enumerate(root.iterfind(f"{R}Totales/{R}ImpRetenidos"), 1):
        if row.get("BaseRet") is not None and _amount(row, "MontoRet") > _amount(row, "BaseRet"):
            yield f"Totales/ImpRetenidos[{index}]/@MontoRet"


@_rule("RET20_PERIODO", "El campo MesIni debe ser menor o igual que MesFin.")
def period_order(root: etree._Element, now: datetime) -> Iterator[str]:
    period = root.find(f"{R}Periodo")
    if period is not None and int(period.get("MesIni", "0")) > int(period.get("MesFin", "0")):
        yield "Periodo/@MesIni"


@_rule(
    "RET20_EJERCICIO",
    "El ejercicio del periodo no puede ser posterior al año de emisión.",
)
def period_year(root: etree._Element, now: datetime) -> Iterator[str]:
    period = root.find(f"{R}Periodo")
    issued = root.get("FechaExp", "")[:4]
    if period is not None and issued.isdigit() and int(period.get("Ejercicio", "0")) > int(issued):
        yield "Periodo/@Ejercicio"


@_rule(
    "RET20_DESC_RETENC",
    "Si CveRetenc es 25 (otro tipo de retenciones) el campo DescRetenc es obligatorio.",
)
def description_for_other(root: etree._Element, now: datetime) -> Iterator[str]:
    if root.get("CveRetenc") == "25" and not (root.get("DescRetenc") or "").strip():
        yield "@DescRetenc"


@_rule(
    "RET20_FECHA_EXP",
    "La fecha de expedición no puede ser posterior a la de certificación ni anterior a 72 horas.",
)
def issue_date(root: etree._Element, now: datetime) -> Iterator[str]:
    try:
        issued = datetime.fromisoformat(root.get("FechaExp", ""))
    except ValueError:
        return  # the XSD reports it
    # FechaExp is local time at LugarExpRetenc; ``now`` is Mexico City's (naive, as SAT writes).
    try:
        zone = zones.zone_of(root.get("LugarExpRetenc", ""))
    except ValidationError:
        return  # an unknown zip is the catalog's error
    moment = issued.replace(tzinfo=zone) if issued.tzinfo is None else issued
    current = now.replace(tzinfo=MEXICO) if now.tzinfo is None else now
    if moment > current or current - moment > STAMP_WINDOW:
        yield "@FechaExp"


def violations(root: etree._Element, now: datetime) -> Iterator[Problem]:
    """Every rule a Retenciones 2.0 document breaks."""
    if root.tag != f"{R}Retenciones":
        return
    for entry in RULES:
        for path in entry.check(root, now):
            yield Problem(entry.message, entry.code, path, "sat")
