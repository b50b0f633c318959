"""Carta Porte 3.1 rules (CP1xx); see the package docstring.

The checks follow SAT's "Instructivo de llenado del CFDI con complemento Carta Porte 3.1" and
the catalogues it names (c_ClaveProdServCP, c_ClaveUnidadPeso, c_MaterialPeligroso,
c_TipoEmbalaje, c_TipoPermiso, c_ConfigAutotransporte, c_SubTipoRem, c_FiguraTransporte, as
satcfdi ships them, plus c_Estado and c_CodigoPostal). No public copy of the complement's
error matrix could be consulted while writing this table, so the codes are numbered in the
instructivo's order (document, Ubicaciones, Mercancias, Autotransporte, FiguraTransporte) and
each rule quotes the condition it checks; a number that disagrees with SAT's sheet should be
corrected here, in one place. Maritime, air and rail transport are refused by the API before
they reach the XML (``portal.cfdi.carta_porte``), so their rules are not in the table.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation

from lxml import etree

from portal.cfdi import catalogs
from portal.cfdi.sat_matrix import CFDI_NS, Context, rule

CP_NS = "http://www.sat.gob.mx/CartaPorte31"
P = f"{{{CP_NS}}}"
C = f"{{{CFDI_NS}}}"
LOCATION_ID = re.compile(r"(OR|DE)[0-9]{6}")
PREFIX = {"Origen": "OR", "Destino": "DE"}


def _complements(context: Context) -> list[etree._Element]:
    return list(context.root.iterfind(f"{C}Complemento/{P}CartaPorte"))


def _path(node: etree._Element, attribute: str | None = None) -> str:
    relative = node.getroottree().getelementpath(node)
    path = ("/cfdi:Comprobante/" + relative).replace(C, "cfdi:").replace(P, "cartaporte31:")
    return f"{path}/@{attribute}" if attribute else path


def _all(context: Context, path: str) -> Iterator[etree._Element]:
    for complement in _complements(context):
        yield from complement.iterfind(path.replace("p:", P))


def _number(node: etree._Element, name: str) -> Decimal:
    try:
        return Decimal(node.get(name, "0"))
    except InvalidOperation:
        return Decimal(0)


def _locations(complement: etree._Element) -> list[etree._Element]:
    return list(complement.iterfind(f"{P}Ubicaciones/{P}Ubicacion"))


def _catalog_rule(code: str, message: str, path: str, attribute: str, table: str) -> None:
    def check(context: Context) -> Iterator[str]:
        for node in _all(context, path):
            value = node.get(attribute)
            if value is not None and catalogs._select(table, value) is None:
                yield _path(node, attribute)

    rule(code, message)(check)


@rule(
    "CP101",
    "El complemento Carta Porte solo puede registrarse en un CFDI de tipo I (ingreso) o T "
    "(traslado).",
)
def document_type(context: Context) -> Iterator[str]:
    if _complements(context) and context.document_type not in ("I", "T"):
        yield "@TipoDeComprobante"


@rule(
    "CP102",
    "Si TranspInternac es Sí, EntradaSalidaMerc, PaisOrigenDestino y ViaEntradaSalida deben "
    "existir; si es No, no deben existir.",
)
def international(context: Context) -> Iterator[str]:
    names = ("EntradaSalidaMerc", "PaisOrigenDestino", "ViaEntradaSalida")
    for complement in _complements(context):
        international = complement.get("TranspInternac") == "Sí"
        for name in names:
            if (complement.get(name) is not None) != international:
                yield _path(complement, name)


@rule("CP103", "Debe registrarse al menos una Ubicacion de tipo Origen y una de tipo Destino.")
def origin_and_destination(context: Context) -> Iterator[str]:
    for complement in _complements(context):
        kinds = {u.get("TipoUbicacion") for u in _locations(complement)}
        if not {"Origen", "Destino"} <= kinds:
            yield _path(complement) + "/cartaporte31:Ubicaciones"


@rule(
    "CP104",
    "El IDUbicacion debe tener el prefijo OR (Origen) o DE (Destino) seguido de 6 dígitos, "
    "según el TipoUbicacion.",
)
def location_id(context: Context) -> Iterator[str]:
    for node in _all(context, "p:Ubicaciones/p:Ubicacion"):
        value = node.get("IDUbicacion")
        if value is None:
            continue
        prefix = PREFIX.get(node.get("TipoUbicacion", ""))
        if not LOCATION_ID.fullmatch(value) or value[:2] != prefix:
            yield _path(node, "IDUbicacion")


def _by_road(complement: etree._Element) -> bool:
    return complement.find(f"{P}Mercancias/{P}Autotransporte") is not None


@rule(
    "CP105",
    "En autotransporte, cada Ubicacion de tipo Destino debe registrar DistanciaRecorrida.",
)
def destination_distance(context: Context) -> Iterator[str]:
    for complement in _complements(context):
        if not _by_road(complement):
            continue
        for node in _locations(complement):
            if node.get("TipoUbicacion") == "Destino" and node.get("DistanciaRecorrida") is None:
                yield _path(node, "DistanciaRecorrida")


@rule(
    "CP106",
    "TotalDistRec debe ser igual a la suma de DistanciaRecorrida de las ubicaciones.",
)
def total_distance(context: Context) -> Iterator[str]:
    for complement in _complements(context):
        distances = [_number(u, "DistanciaRecorrida") for u in _locations(complement)]
        if complement.get("TotalDistRec") is None:
            if _by_road(complement):
                yield _path(complement, "TotalDistRec")
            continue
        if _number(complement, "TotalDistRec") != sum(distances, Decimal(0)):
            yield _path(complement, "TotalDistRec")


@rule(
    "CP107",
    "Si el Pais del Domicilio es MEX, el Estado debe ser una clave de c_Estado de México.",
)
def address_state(context: Context) -> Iterator[str]:
    for node in _all(context, "p:Ubicaciones/p:Ubicacion/p:Domicilio"):
        if node.get("Pais") != "MEX":
            continue
        found = catalogs._select("C756_c_Estado", node.get("Estado", ""))
        if not found or found[0] != "MEX":
            yield _path(node, "Estado")


@rule(
    "CP108",
    "Si el Pais del Domicilio es MEX, el CodigoPostal debe existir en c_CodigoPostal y "
    "corresponder al Estado.",
)
def address_zip(context: Context) -> Iterator[str]:
    for node in _all(context, "p:Ubicaciones/p:Ubicacion/p:Domicilio"):
        if node.get("Pais") != "MEX":
            continue
        found = catalogs._select("C756_c_CodigoPostal", node.get("CodigoPostal", ""))
        if not found or found[0] != node.get("Estado"):
            yield _path(node, "CodigoPostal")


_catalog_rule(
    "CP109",
    "El valor de BienesTransp no existe en el catálogo c_ClaveProdServCP.",
    "p:Mercancias/p:Mercancia",
    "BienesTransp",
    "C592_c_ClaveProdServCP",
)
_catalog_rule(
    "CP110",
    "El valor de ClaveUnidad de la mercancía no existe en el catálogo c_ClaveUnidad.",
    "p:Mercancias/p:Mercancia",
    "ClaveUnidad",
    "C756_c_ClaveUnidad",
)
_catalog_rule(
    "CP111",
    "El valor de UnidadPeso no existe en el catálogo c_ClaveUnidadPeso.",
    "p:Mercancias",
    "UnidadPeso",
    "C592_c_ClaveUnidadPeso",
)


@rule("CP112", "NumTotalMercancias debe ser igual al número de nodos Mercancia.")
def goods_count(context: Context) -> Iterator[str]:
    for node in _all(context, "p:Mercancias"):
        if node.get("NumTotalMercancias") != str(len(node.findall(f"{P}Mercancia"))):
            yield _path(node, "NumTotalMercancias")


@rule(
    "CP113",
    "Si UnidadPeso es KGM, PesoBrutoTotal debe ser igual a la suma de PesoEnKg de las mercancías.",
)
def gross_weight(context: Context) -> Iterator[str]:
    for node in _all(context, "p:Mercancias"):
        if node.get("UnidadPeso") != "KGM":
            continue
        weights = [_number(g, "PesoEnKg") for g in node.iterfind(f"{P}Mercancia")]
        if _number(node, "PesoBrutoTotal") != sum(weights, Decimal(0)):
            yield _path(node, "PesoBrutoTotal")


@rule(
    "CP114",
    "IDOrigen e IDDestino de CantidadTransporta deben corresponder a un IDUbicacion de tipo "
    "Origen y Destino registrado.",
)
def moved_quantities(context: Context) -> Iterator[str]:
    for complement in _complements(context):
        ids = {u.get("IDUbicacion"): u.get("TipoUbicacion") for u in _locations(complement)}
        for node in complement.iterfind(f"{P}Mercancias/{P}Mercancia/{P}CantidadTransporta"):
            if ids.get(node.get("IDOrigen")) != "Origen":
                yield _path(node, "IDOrigen")
            if ids.get(node.get("IDDestino")) != "Destino":
                yield _path(node, "IDDestino")


@rule(
    "CP115",
    "Si MaterialPeligroso es Sí, CveMaterialPeligroso (c_MaterialPeligroso) y Embalaje "
    "(c_TipoEmbalaje) deben existir y ser claves de sus catálogos.",
)
def hazardous(context: Context) -> Iterator[str]:
    for node in _all(context, "p:Mercancias/p:Mercancia"):
        if node.get("MaterialPeligroso") != "Sí":
            continue
        if (
            catalogs._select("C592_c_MaterialPeligroso", node.get("CveMaterialPeligroso", ""))
            is None
        ):
            yield _path(node, "CveMaterialPeligroso")
        if catalogs._select("C592_c_TipoEmbalaje", node.get("Embalaje", "")) is None:
            yield _path(node, "Embalaje")


_catalog_rule(
    "CP116",
    "El valor de PermSCT no existe en el catálogo c_TipoPermiso.",
    "p:Mercancias/p:Autotransporte",
    "PermSCT",
    "C592_c_TipoPermiso",
)
_catalog_rule(
    "CP117",
    "El valor de ConfigVehicular no existe en el catálogo c_ConfigAutotransporte.",
    "p:Mercancias/p:Autotransporte/p:IdentificacionVehicular",
    "ConfigVehicular",
    "C592_c_ConfigAutotransporte",
)
_catalog_rule(
    "CP118",
    "El valor de SubTipoRem no existe en el catálogo c_SubTipoRem.",
    "p:Mercancias/p:Autotransporte/p:Remolques/p:Remolque",
    "SubTipoRem",
    "C592_c_SubTipoRem",
)
_catalog_rule(
    "CP119",
    "El valor de TipoFigura no existe en el catálogo c_FiguraTransporte.",
    "p:FiguraTransporte/p:TiposFigura",
    "TipoFigura",
    "C592_c_FiguraTransporte",
)


@rule(
    "CP120",
    "En autotransporte debe registrarse la figura de transporte 01 (Operador) con RFCFigura y "
    "NumLicencia.",
)
def road_operator(context: Context) -> Iterator[str]:
    for complement in _complements(context):
        if not _by_road(complement):
            continue
        operators = [
            f
            for f in complement.iterfind(f"{P}FiguraTransporte/{P}TiposFigura")
            if f.get("TipoFigura") == "01" and f.get("RFCFigura") and f.get("NumLicencia")
        ]
        if not operators:
            yield _path(complement) + "/cartaporte31:FiguraTransporte"
