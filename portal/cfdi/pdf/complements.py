"""What the invoice PDF prints of a payroll (Nómina 1.2) and of a Carta Porte 3.1, read from
the stamped CFDI as satcfdi parses it (catalog codes come as "code - description")."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any


def _nodes(value: Any, key: str | None = None) -> list[Mapping[str, Any]]:
    if isinstance(value, Mapping) and key is not None:
        value = value.get(key)
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _money(value: Any) -> str:
    return f"{Decimal(str(value or 0)):,.2f}"


def _complement(cfdi: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    found = (cfdi.get("Complemento") or {}).get(name)
    nodes = _nodes(found)
    return nodes[0] if nodes else None


def payroll(cfdi: Mapping[str, Any]) -> dict[str, Any] | None:
    """The employee, the period and the perceptions / deductions / other payments table."""
    nomina = _complement(cfdi, "Nomina")
    if nomina is None:
        return None
    receiver = nomina.get("Receptor") or {}
    issuer = nomina.get("Emisor") or {}
    rows = [
        (
            "Percepción",
            _text(p.get("TipoPercepcion")),
            _text(p.get("Concepto")),
            _money(
                Decimal(str(p.get("ImporteGravado") or 0))
                + Decimal(str(p.get("ImporteExento") or 0))
            ),
            f"{_money(p.get('ImporteGravado'))} / {_money(p.get('ImporteExento'))}",
        )
        for p in _nodes(nomina.get("Percepciones"), "Percepcion")
    ]
    rows += [
        (
            "Otro pago",
            _text(o.get("TipoOtroPago")),
            _text(o.get("Concepto")),
            _money(o.get("Importe")),
            f"Subsidio causado {_money(o.get('SubsidioAlEmpleo'))}"
            if o.get("SubsidioAlEmpleo") is not None
            else "",
        )
        for o in _nodes(nomina.get("OtrosPagos"))
    ]
    rows += [
        (
            "Deducción",
            _text(d.get("TipoDeduccion")),
            _text(d.get("Concepto")),
            _money(d.get("Importe")),
            "",
        )
        for d in _nodes(nomina.get("Deducciones"), "Deduccion")
    ]
    deductions = nomina.get("Deducciones") or {}
    employee = [
        ("CURP", receiver.get("Curp")),
        ("No. empleado", receiver.get("NumEmpleado")),
        ("NSS", receiver.get("NumSeguridadSocial")),
        ("Puesto", receiver.get("Puesto")),
        ("Departamento", receiver.get("Departamento")),
        ("Inicio de relación laboral", receiver.get("FechaInicioRelLaboral")),
        ("Antigüedad", receiver.get("Antigüedad")),
        ("Tipo de contrato", receiver.get("TipoContrato")),
        ("Régimen", receiver.get("TipoRegimen")),
        ("Jornada", receiver.get("TipoJornada")),
        ("Periodicidad", receiver.get("PeriodicidadPago")),
        ("Riesgo del puesto", receiver.get("RiesgoPuesto")),
        (
            "SDI",
            _money(receiver.get("SalarioDiarioIntegrado"))
            if receiver.get("SalarioDiarioIntegrado")
            else None,
        ),
        ("Banco", receiver.get("Banco")),
        ("Cuenta", receiver.get("CuentaBancaria")),
        ("Entidad", receiver.get("ClaveEntFed")),
        ("Registro patronal", issuer.get("RegistroPatronal")),
    ]
    return {
        "type": "Ordinaria"
        if _text(nomina.get("TipoNomina")).startswith("O")
        else "Extraordinaria",
        "payment_date": _text(nomina.get("FechaPago")),
        "period": f"{nomina.get('FechaInicialPago')} a {nomina.get('FechaFinalPago')}",
        "days": _text(nomina.get("NumDiasPagados")),
        "employee": [(label, _text(value)) for label, value in employee if value not in (None, "")],
        "rows": rows,
        "totals": [
            ("Total percepciones", _money(nomina.get("TotalPercepciones"))),
            ("Total otros pagos", _money(nomina.get("TotalOtrosPagos"))),
            ("Total deducciones", _money(nomina.get("TotalDeducciones"))),
            ("ISR retenido", _money(deductions.get("TotalImpuestosRetenidos"))),
        ],
    }


def _address(node: Mapping[str, Any] | None) -> str:
    if not node:
        return ""
    parts = ("Calle", "NumeroExterior", "Colonia", "Localidad", "Municipio", "Estado", "Pais")
    text = ", ".join(_text(node.get(p)) for p in parts if node.get(p))
    return f"{text}, C.P. {node.get('CodigoPostal')}" if node.get("CodigoPostal") else text


def carta_porte(cfdi: Mapping[str, Any]) -> dict[str, Any] | None:
    """Locations, goods, the vehicle and the transport figures."""
    carta = _complement(cfdi, "CartaPorte")
    if carta is None:
        return None
    cargo = carta.get("Mercancias") or {}
    road = cargo.get("Autotransporte") or {}
    vehicle = road.get("IdentificacionVehicular") or {}
    insurance = road.get("Seguros") or {}
    return {
        "id": _text(carta.get("IdCCP")),
        "version": _text(carta.get("Version")),
        "international": _text(carta.get("TranspInternac")),
        "distance": _text(carta.get("TotalDistRec")),
        "locations": [
            {
                "kind": _text(u.get("TipoUbicacion")),
                "id": _text(u.get("IDUbicacion")),
                "rfc": _text(u.get("RFCRemitenteDestinatario")),
                "name": _text(u.get("NombreRemitenteDestinatario")),
                "when": _text(u.get("FechaHoraSalidaLlegada")),
                "distance": _text(u.get("DistanciaRecorrida")),
                "address": _address(u.get("Domicilio")),
            }
            for u in _nodes(carta.get("Ubicaciones"))
        ],
        "weight": f"{cargo.get('PesoBrutoTotal')} {_text(cargo.get('UnidadPeso'))}",
        "goods": [
            {
                "key": _text(g.get("BienesTransp")),
                "description": _text(g.get("Descripcion")),
                "quantity": _text(g.get("Cantidad")),
                "unit": _text(g.get("ClaveUnidad")),
                "weight": _text(g.get("PesoEnKg")),
                "hazardous": _text(g.get("MaterialPeligroso")) or "No",
            }
            for g in _nodes(cargo.get("Mercancia"))
        ],
        "road": {
            "permit": f"{_text(road.get('PermSCT'))} · {_text(road.get('NumPermisoSCT'))}",
            "vehicle": f"{_text(vehicle.get('ConfigVehicular'))} · Placa "
            f"{_text(vehicle.get('PlacaVM'))} · Modelo {_text(vehicle.get('AnioModeloVM'))}",
            "insurance": f"{_text(insurance.get('AseguraRespCivil'))} · Póliza "
            f"{_text(insurance.get('PolizaRespCivil'))}",
            "trailers": ", ".join(
                f"{_text(t.get('SubTipoRem'))} ({_text(t.get('Placa'))})"
                for t in _nodes(road.get("Remolques"))
            ),
        }
        if road
        else None,
        "figures": [
            {
                "kind": _text(f.get("TipoFigura")),
                "name": _text(f.get("NombreFigura")),
                "rfc": _text(f.get("RFCFigura")),
                "license": _text(f.get("NumLicencia")),
            }
            for f in _nodes(carta.get("FiguraTransporte"))
        ],
    }
