"""The complements of Retenciones 2.0 that the engine accepts, and their own rules.

A retention's ``complements`` are XML nodes (as in Facturapi's API). Each must belong to a SAT
retention complement this module knows; its XSD is then checked with the document (see
``portal.cfdi.validation.SCHEMAS``) and the rules below are the ones of SAT's filling guides
(«Guía de llenado del CFDI de Retenciones e información de pagos» and each complement's guide)
that a schema cannot express:

- the complement matches the retention key (c_CveRetenc) it details;
- pagos a extranjeros: the receiver is foreign, and ``EsBenefEfectDelCobro`` says which of the
  nodes NoBeneficiario / Beneficiario is present;
- plataformas tecnológicas: ``NumServ`` counts the DetallesDelServicio, ``MonTotServSIVA`` adds
  their PrecioServSinIVA, ``TotalIVATrasladado`` their IVA (Impuesto 02) and
  ``MonTotalContribucionGubernamental`` their ContribucionGubernamental;
- enajenación de acciones: Ganancia and Perdida are not both above zero;
- dividendos: the dividend node's amounts are not negative and its national and foreign parts
  are not both empty; the document's withheld total is at least the dividend's withheld ISR.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation

from lxml import etree

from portal.cfdi import errors as E
from portal.cfdi.errors import invalid

BASE = "http://www.sat.gob.mx/esquemas/retencionpago/1"
RETENCIONES_NS = "http://www.sat.gob.mx/esquemas/retencionpago/2"
DIVIDENDOS = f"{BASE}/dividendos"
INTERESES = f"{BASE}/intereses"
PAGOS_EXTRANJEROS = f"{BASE}/pagosaextranjeros"
ENAJENACION = f"{BASE}/enajenaciondeacciones"
PLATAFORMAS = f"{BASE}/PlataformasTecnologicas10"

# namespace → (schema file under SAT's site, the c_CveRetenc keys the complement details)
COMPLEMENTS: dict[str, tuple[str, frozenset[str]]] = {
    DIVIDENDOS: ("dividendos/dividendos.xsd", frozenset({"14", "15"})),
    INTERESES: ("intereses/intereses.xsd", frozenset({"16"})),
    PAGOS_EXTRANJEROS: ("pagosaextranjeros/pagosaextranjeros.xsd", frozenset({"18"})),
    ENAJENACION: ("enajenaciondeacciones/enajenaciondeacciones.xsd", frozenset({"06", "19"})),
    PLATAFORMAS: (
        "PlataformasTecnologicas10/ServiciosPlataformasTecnologicas10.xsd",
        frozenset({"26"}),
    ),
}
# What ``custom_complements`` writes in xsi:schemaLocation for each accepted namespace.
LOCATIONS = {uri: f"{BASE}/{path}" for uri, (path, _keys) in COMPLEMENTS.items()}
# The same files in satcfdi's copy of SAT's site, for the validator.
SCHEMA_FILES = tuple(
    (uri, f"www.sat.gob.mx/esquemas/retencionpago/1/{path}")
    for uri, (path, _keys) in COMPLEMENTS.items()
)


def _amount(node: etree._Element, name: str) -> Decimal:
    try:
        return Decimal(node.get(name) or "0")
    except InvalidOperation:
        return Decimal(0)  # the XSD reports the malformed number


def _path(index: int, detail: str = "") -> str:
    return f"complements[{index}]" + (f".{detail}" if detail else "")


def _pagos_extranjeros(root: etree._Element, node: etree._Element) -> Iterator[tuple[str, str]]:
    receptor = root.find(f"{{{RETENCIONES_NS}}}Receptor")
    if receptor is None or receptor.get("NacionalidadR") != "Extranjero":
        yield (
            "",
            "El complemento de pagos a extranjeros exige un receptor extranjero "
            "(NacionalidadR «Extranjero»).",
        )
    beneficiary = node.get("EsBenefEfectDelCobro")
    expected = "Beneficiario" if beneficiary == "SI" else "NoBeneficiario"
    other = "NoBeneficiario" if beneficiary == "SI" else "Beneficiario"
    if node.find(f"{{{PAGOS_EXTRANJEROS}}}{expected}") is None:
        yield (
            expected,
            f"Con EsBenefEfectDelCobro «{beneficiary}» el nodo {expected} es obligatorio.",
        )
    if node.find(f"{{{PAGOS_EXTRANJEROS}}}{other}") is not None:
        yield other, f"Con EsBenefEfectDelCobro «{beneficiary}» el nodo {other} no debe existir."


def _plataformas(root: etree._Element, node: etree._Element) -> Iterator[tuple[str, str]]:
    ns = f"{{{PLATAFORMAS}}}"
    details = node.findall(f"{ns}Servicios/{ns}DetallesDelServicio")
    if node.get("NumServ") != str(len(details)):
        yield "NumServ", f"NumServ debe ser el número de servicios detallados ({len(details)})."
    sums = {
        "MonTotServSIVA": sum((_amount(d, "PrecioServSinIVA") for d in details), Decimal(0)),
        "TotalIVATrasladado": sum(
            (
                _amount(t, "Importe")
                for d in details
                for t in d.findall(f"{ns}ImpuestosTrasladadosdelServicio")
                if t.get("Impuesto") == "02"
            ),
            Decimal(0),
        ),
    }
    contributions = [c for d in details for c in d.findall(f"{ns}ContribucionGubernamental")]
    if contributions or node.get("MonTotalContribucionGubernamental") is not None:
        sums["MonTotalContribucionGubernamental"] = sum(
            (_amount(c, "ImpContrib") for c in contributions), Decimal(0)
        )
    for name, total in sums.items():
        if _amount(node, name) != total:
            yield name, f"{name} debe ser la suma de los servicios detallados ({total})."


def _enajenacion(root: etree._Element, node: etree._Element) -> Iterator[tuple[str, str]]:
    if _amount(node, "Ganancia") > 0 and _amount(node, "Perdida") > 0:
        yield "Perdida", "Una enajenación no puede tener ganancia y pérdida a la vez."


def _dividendos(root: etree._Element, node: etree._Element) -> Iterator[tuple[str, str]]:
    divid = node.find(f"{{{DIVIDENDOS}}}DividOUtil")
    if divid is None:
        return
    names = ("MontISRAcredRetMexico", "MontISRAcredRetExtranjero", "MontRetExtDivExt")
    for name in names:
        if _amount(divid, name) < 0:
            yield f"DividOUtil.{name}", f"{name} no puede ser negativo."
    totales = root.find(f"{{{RETENCIONES_NS}}}Totales")
    withheld = _amount(totales, "MontoTotRet") if totales is not None else Decimal(0)
    if _amount(divid, "MontISRAcredRetMexico") > withheld:
        yield (
            "DividOUtil.MontISRAcredRetMexico",
            "El ISR acreditable retenido en México no puede superar el total retenido "
            "(Totales.MontoTotRet).",
        )


RULES: dict[str, Callable[[etree._Element, etree._Element], Iterator[tuple[str, str]]]] = {
    PAGOS_EXTRANJEROS: _pagos_extranjeros,
    PLATAFORMAS: _plataformas,
    ENAJENACION: _enajenacion,
    DIVIDENDOS: _dividendos,
}


def check(root: etree._Element) -> None:
    """Raise a 400 (``retention_complement_invalid``) for the first broken rule of a complement
    of the Retenciones 2.0 ``root``; the path names the complement and its attribute."""
    container = root.find(f"{{{RETENCIONES_NS}}}Complemento")
    nodes = [] if container is None else [n for n in container if isinstance(n.tag, str)]
    key = root.get("CveRetenc", "")
    for index, node in enumerate(nodes):
        uri = etree.QName(node).namespace or ""
        if uri not in COMPLEMENTS:
            continue  # the TFD of a stamped document
        keys = COMPLEMENTS[uri][1]
        if key not in keys:
            raise invalid(
                f"El complemento {etree.QName(node).localname} corresponde a la clave de "
                f"retención {' o '.join(sorted(keys))}, no a «{key}».",
                E.RETENTION_COMPLEMENT_INVALID,
                "cve_retenc",
            )
        rule = RULES.get(uri)
        for detail, message in rule(root, node) if rule else ():
            raise invalid(message, E.RETENTION_COMPLEMENT_INVALID, _path(index, detail))
