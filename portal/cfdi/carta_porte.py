"""Carta Porte 3.1 (cartaporte31): the transport complement of a transfer (T) or income (I) CFDI.

The API takes it as ``complements: [{"type": "carta_porte", "data": {...}}]``; ``data`` uses
the snake_case names of the complement's attributes and nodes (``id_ubicacion`` for
IDUbicacion, ``rfc_remitente_destinatario``, ``bienes_transp``, ``peso_en_kg``, ``perm_sct``,
``placa_vm``, ``anio_modelo_vm``, ...):

- ``transp_internac`` (bool), ``total_dist_rec`` (defaults to the sum of the destinations'
  ``distancia_recorrida``), ``id_ccp`` (generated when absent: "CCC" + a UUID's tail);
- ``ubicaciones``: ``tipo_ubicacion`` (Origen/Destino), ``id_ubicacion`` (OR/DE + 6 digits),
  ``rfc_remitente_destinatario``, ``nombre_remitente_destinatario``,
  ``fecha_hora_salida_llegada``, ``distancia_recorrida`` (destinations), ``domicilio``
  (``calle``, ``numero_exterior``, ``colonia``, ``localidad``, ``municipio``, ``estado``,
  ``pais``, ``codigo_postal``);
- ``mercancias``: ``peso_bruto_total`` (defaults to the goods' ``peso_en_kg``), ``unidad_peso``
  (c_ClaveUnidadPeso, default KGM), ``mercancia`` (``bienes_transp`` in c_ClaveProdServCP,
  ``descripcion``, ``cantidad``, ``clave_unidad``, ``peso_en_kg``, ``material_peligroso``,
  ``cve_material_peligroso``, ``embalaje``, ``cantidad_transporta``) and ``autotransporte``
  (``perm_sct``, ``num_permiso_sct``, ``identificacion_vehicular``, ``seguros``,
  ``remolques``);
- ``figura_transporte``: ``tipo_figura``, ``rfc_figura``, ``num_licencia``, ``nombre_figura``.

Only road transport (autotransporte) is built; maritime, air and rail transport are refused
with a clear error rather than dropped. A key that is not part of the shape is refused too.
SAT's rules and catalogue checks on the finished XML live in ``sat_matrix.cartaporte31``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from satcfdi.create.cfd import cartaporte31

from portal.cfdi import errors as E
from portal.cfdi.errors import invalid
from portal.cfdi.reading import Reader, to_datetime, to_decimal

TYPE = "carta_porte"
INVALID_CARTA_PORTE = "invalid_carta_porte"

Shape = dict[str, tuple[str, Any]]

ADDRESS: Shape = {
    "calle": ("Calle", str),
    "numero_exterior": ("NumeroExterior", str),
    "numero_interior": ("NumeroInterior", str),
    "colonia": ("Colonia", str),
    "localidad": ("Localidad", str),
    "referencia": ("Referencia", str),
    "municipio": ("Municipio", str),
    "estado": ("Estado", str),
    "pais": ("Pais", str),
    "codigo_postal": ("CodigoPostal", str),
}
LOCATION: Shape = {
    "tipo_ubicacion": ("TipoUbicacion", str),
    "id_ubicacion": ("IDUbicacion", str),
    "rfc_remitente_destinatario": ("RFCRemitenteDestinatario", str),
    "nombre_remitente_destinatario": ("NombreRemitenteDestinatario", str),
    "num_reg_id_trib": ("NumRegIdTrib", str),
    "residencia_fiscal": ("ResidenciaFiscal", str),
    "num_estacion": ("NumEstacion", str),
    "nombre_estacion": ("NombreEstacion", str),
    "navegacion_trafico": ("NavegacionTrafico", str),
    "fecha_hora_salida_llegada": ("FechaHoraSalidaLlegada", datetime),
    "tipo_estacion": ("TipoEstacion", str),
    "distancia_recorrida": ("DistanciaRecorrida", Decimal),
    "domicilio": ("Domicilio", ADDRESS),
}
QUANTITY_MOVED: Shape = {
    "cantidad": ("Cantidad", Decimal),
    "id_origen": ("IDOrigen", str),
    "id_destino": ("IDDestino", str),
    "cves_transporte": ("CvesTransporte", str),
}
GOODS: Shape = {
    "bienes_transp": ("BienesTransp", str),
    "clave_stcc": ("ClaveSTCC", str),
    "descripcion": ("Descripcion", str),
    "cantidad": ("Cantidad", Decimal),
    "clave_unidad": ("ClaveUnidad", str),
    "unidad": ("Unidad", str),
    "dimensiones": ("Dimensiones", str),
    "material_peligroso": ("MaterialPeligroso", "yes_no"),
    "cve_material_peligroso": ("CveMaterialPeligroso", str),
    "embalaje": ("Embalaje", str),
    "descrip_embalaje": ("DescripEmbalaje", str),
    "sector_cofepris": ("SectorCOFEPRIS", str),
    "peso_en_kg": ("PesoEnKg", Decimal),
    "valor_mercancia": ("ValorMercancia", Decimal),
    "moneda": ("Moneda", str),
    "fraccion_arancelaria": ("FraccionArancelaria", str),
    "uuid_comercio_ext": ("UUIDComercioExt", str),
    "tipo_materia": ("TipoMateria", str),
    "cantidad_transporta": ("CantidadTransporta", [QUANTITY_MOVED]),
}
VEHICLE: Shape = {
    "config_vehicular": ("ConfigVehicular", str),
    "peso_bruto_vehicular": ("PesoBrutoVehicular", Decimal),
    "placa_vm": ("PlacaVM", str),
    "anio_modelo_vm": ("AnioModeloVM", int),
}
INSURANCE: Shape = {
    "asegura_resp_civil": ("AseguraRespCivil", str),
    "poliza_resp_civil": ("PolizaRespCivil", str),
    "asegura_med_ambiente": ("AseguraMedAmbiente", str),
    "poliza_med_ambiente": ("PolizaMedAmbiente", str),
    "asegura_carga": ("AseguraCarga", str),
    "poliza_carga": ("PolizaCarga", str),
    "prima_seguro": ("PrimaSeguro", Decimal),
}
TRAILER: Shape = {"sub_tipo_rem": ("SubTipoRem", str), "placa": ("Placa", str)}
ROAD: Shape = {
    "perm_sct": ("PermSCT", str),
    "num_permiso_sct": ("NumPermisoSCT", str),
    "identificacion_vehicular": ("IdentificacionVehicular", VEHICLE),
    "seguros": ("Seguros", INSURANCE),
    "remolques": ("Remolques", [TRAILER]),
}
CARGO: Shape = {
    "peso_bruto_total": ("PesoBrutoTotal", Decimal),
    "unidad_peso": ("UnidadPeso", str),
    "peso_neto_total": ("PesoNetoTotal", Decimal),
    "num_total_mercancias": ("NumTotalMercancias", int),
    "cargo_por_tasacion": ("CargoPorTasacion", Decimal),
    "mercancia": ("Mercancia", [GOODS]),
    "autotransporte": ("Autotransporte", ROAD),
}
FIGURE: Shape = {
    "tipo_figura": ("TipoFigura", str),
    "rfc_figura": ("RFCFigura", str),
    "num_licencia": ("NumLicencia", str),
    "nombre_figura": ("NombreFigura", str),
    "num_reg_id_trib_figura": ("NumRegIdTribFigura", str),
    "residencia_fiscal_figura": ("ResidenciaFiscalFigura", str),
    "partes_transporte": ("PartesTransporte", [str]),  # c_ParteTransporte codes
    "domicilio": ("Domicilio", ADDRESS),
}
ROOT: Shape = {
    "id_ccp": ("IdCCP", str),
    "transp_internac": ("TranspInternac", "yes_no"),
    "entrada_salida_merc": ("EntradaSalidaMerc", str),
    "pais_origen_destino": ("PaisOrigenDestino", str),
    "via_entrada_salida": ("ViaEntradaSalida", str),
    "total_dist_rec": ("TotalDistRec", Decimal),
    "ubicaciones": ("Ubicaciones", [LOCATION]),
    "mercancias": ("Mercancias", CARGO),
    "figura_transporte": ("FiguraTransporte", [FIGURE]),
}
# Attributes and nodes the XSD requires, by the field that holds them ("" is the root).
REQUIRED: dict[str, tuple[str, ...]] = {
    "": ("ubicaciones", "mercancias"),
    "ubicaciones": ("tipo_ubicacion", "rfc_remitente_destinatario", "fecha_hora_salida_llegada"),
    "domicilio": ("estado", "pais", "codigo_postal"),
    "mercancias": ("mercancia",),
    "mercancia": ("bienes_transp", "descripcion", "cantidad", "clave_unidad", "peso_en_kg"),
    "cantidad_transporta": ("cantidad", "id_origen", "id_destino"),
    "autotransporte": ("perm_sct", "num_permiso_sct", "identificacion_vehicular", "seguros"),
    "identificacion_vehicular": (
        "config_vehicular",
        "peso_bruto_vehicular",
        "placa_vm",
        "anio_modelo_vm",
    ),
    "seguros": ("asegura_resp_civil", "poliza_resp_civil"),
    "remolques": ("sub_tipo_rem", "placa"),
    "figura_transporte": ("tipo_figura", "nombre_figura"),
}
NOT_BUILT = {
    "transporte_maritimo": "marítimo",
    "transporte_aereo": "aéreo",
    "transporte_ferroviario": "ferroviario",
}


@dataclass
class CartaPorte:
    """The Carta Porte 3.1 data, already in SAT's names (``node``), and where it was sent."""

    node: dict[str, Any]
    path: str = "complements[0].data"


# ---------------------------------------------------------------- reading


def _value(r: Reader, key: str, kind: Any) -> Any:
    if kind is str:
        return r.text(key)
    if kind is Decimal:
        return to_decimal(r.raw(key), r.at(key))
    if kind is int:
        number = to_decimal(r.raw(key), r.at(key))
        if number != number.to_integral_value():
            raise invalid(f"El campo «{r.at(key)}» debe ser entero.", E.INVALID_INPUT, r.at(key))
        return int(number)
    if kind is datetime:
        return to_datetime(r.raw(key), r.at(key)).replace(tzinfo=None, microsecond=0)
    if kind == "yes_no":
        flag = r.boolean(key, False)
        return "Sí" if flag else "No"
    if kind == [str]:
        return r.strings(key)
    if isinstance(kind, list):
        return [_convert(item, kind[0], key) for item in r.items(key, lambda item: item)]
    child = r.child(key)
    assert child is not None
    return _convert(child, kind, key)


def _convert(r: Reader, shape: Shape, field: str = "") -> dict[str, Any]:
    for key in REQUIRED.get(field, ()):
        r.required(key)
    node: dict[str, Any] = {}
    for key in r.data:
        if key in NOT_BUILT:
            raise invalid(
                f"El transporte {NOT_BUILT[key]} no está soportado: solo autotransporte.",
                INVALID_CARTA_PORTE,
                r.at(key),
            )
        if key not in shape:
            raise invalid(
                f"El campo «{r.at(key)}» no pertenece a Carta Porte 3.1.",
                INVALID_CARTA_PORTE,
                r.at(key),
            )
        if r.raw(key) is None or r.raw(key) == []:
            continue
        name, kind = shape[key]
        node[name] = _value(r, key, kind)
    return node


def read(r: Reader) -> CartaPorte:
    """The Carta Porte of ``complements[i].data``; required nodes name their path."""
    node = _convert(r, ROOT)
    if "Mercancias" not in node:
        path = r.at("mercancias")
        raise invalid(f"El campo «{path}» debe ser un objeto.", E.INVALID_INPUT, path)
    cargo = node["Mercancias"]
    if not cargo.get("Mercancia") or not node.get("Ubicaciones"):
        path = r.at("ubicaciones" if cargo.get("Mercancia") else "mercancias.mercancia")
        raise invalid(f"El campo «{path}» no puede estar vacío.", E.INVALID_INPUT, path)
    node.setdefault("IdCCP", "CCC" + str(uuid.uuid4())[3:])
    node.setdefault("TranspInternac", "No")
    cargo.setdefault("UnidadPeso", "KGM")
    cargo.setdefault("NumTotalMercancias", len(cargo["Mercancia"]))
    if "PesoBrutoTotal" not in cargo:
        weights = [g.get("PesoEnKg") or Decimal(0) for g in cargo["Mercancia"]]
        cargo["PesoBrutoTotal"] = sum(weights, Decimal(0))
    if "TotalDistRec" not in node:
        distances = [
            u["DistanciaRecorrida"] for u in node["Ubicaciones"] if "DistanciaRecorrida" in u
        ]
        if distances:
            node["TotalDistRec"] = sum(distances, Decimal(0))
    return CartaPorte(node, r.path)


def from_complements(r: Reader) -> CartaPorte | None:
    """The carta_porte complement of an invoice body, if any (at most one)."""
    message = "Solo se admite un complemento Carta Porte por factura."
    return r.complement(TYPE, read, message, INVALID_CARTA_PORTE)


# ---------------------------------------------------------------- building


def build(data: CartaPorte, document_type: str) -> Any:
    """The cartaporte31:CartaPorte node (types I and T only, as SAT allows)."""
    if document_type not in ("I", "T"):
        raise invalid(
            "El complemento Carta Porte solo va en facturas de ingreso (I) o traslado (T).",
            INVALID_CARTA_PORTE,
            "type",
        )
    node = data.node
    return cartaporte31.CartaPorte(
        id_ccp=node["IdCCP"],
        transp_internac=node["TranspInternac"],
        ubicaciones=node["Ubicaciones"],
        mercancias=node["Mercancias"],
        entrada_salida_merc=node.get("EntradaSalidaMerc"),
        pais_origen_destino=node.get("PaisOrigenDestino"),
        via_entrada_salida=node.get("ViaEntradaSalida"),
        total_dist_rec=node.get("TotalDistRec"),
        figura_transporte=node.get("FiguraTransporte"),
    )
