"""Nómina 1.2 (nomina12): payroll invoices, CFDI 4.0 of type N.

The API takes the complement as Facturapi does, ``type: "N"`` with ``complements: [{"type":
"nomina", "data": {...}}]``; ``data`` uses the snake_case names of the complement's attributes
(the official SDK's ``NominaComplementData``):

- ``tipo_nomina`` (O/E), ``fecha_pago``, ``fecha_inicial_pago``, ``fecha_final_pago``,
  ``num_dias_pagados``;
- ``emisor``: ``registro_patronal``, ``curp`` (issuer persona física), ``rfc_patron_origen``;
- ``receptor``: ``curp``, ``num_empleado``, ``tipo_contrato``, ``tipo_regimen``,
  ``periodicidad_pago``, ``clave_ent_fed``, ``num_seguridad_social``,
  ``fecha_inicio_rel_laboral``, ``antiguedad`` (``true`` computes ``P{n}W`` from the start date
  to ``fecha_final_pago``), ``sindicalizado`` (bool), ``tipo_jornada``, ``departamento``,
  ``puesto``, ``riesgo_puesto``, ``banco``, ``cuenta_bancaria``, ``salario_base_cot_apor``,
  ``salario_diario_integrado``, ``sub_contratacion: [{rfc_labora, porcentaje_tiempo}]``;
- ``percepciones``: a list (or ``{"percepcion": [...]}``) of ``tipo_percepcion``, ``clave``,
  ``concepto``, ``importe_gravado``, ``importe_exento`` (plus ``horas_extra`` and
  ``acciones_o_titulos``), with ``jubilacion_pension_retiro`` / ``separacion_indemnizacion``
  beside the list when the object form is used;
- ``deducciones``: ``tipo_deduccion``, ``clave``, ``concepto``, ``importe`` (002 is the ISR
  withheld);
- ``otros_pagos``: ``tipo_otro_pago``, ``clave``, ``concepto``, ``importe``,
  ``subsidio_causado`` (type 002), ``compensacion_saldos_a_favor`` (type 004);
- ``incapacidades``: ``dias_incapacidad``, ``tipo_incapacidad``, ``importe_monetario``.

Every total of the complement and of the CFDI is computed here (satcfdi's own Nomina totals
misplace TotalSeparacionIndemnizacion), and the CFDI follows SAT's "Guía de llenado" for
payroll: one concept 84111505 / ACT / Cantidad 1 / "Pago de nómina" / ObjetoImp 01 whose
Descuento is the deductions, MetodoPago PUE, no FormaPago, Exportacion 01, Moneda MXN, use CN01,
receiver regime 605. SAT's rules on the finished XML live in ``sat_matrix.nomina12``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from satcfdi.create.cfd import nomina12

from portal.cfdi.errors import invalid
from portal.cfdi.reading import Reader

TYPE = "nomina"
INVALID_PAYROLL = "invalid_payroll"
PRODUCT_KEY, UNIT_KEY, DESCRIPTION = "84111505", "ACT", "Pago de nómina"
SEPARATION = frozenset({"022", "023", "025"})
RETIREMENT = frozenset({"039", "044"})
ISR = "002"
CENT = Decimal("0.01")


@dataclass
class Perception:
    """One Percepcion."""

    kind: str
    key: str
    concept: str
    taxed: Decimal
    exempt: Decimal
    overtime: list[dict[str, Any]] = field(default_factory=list)
    shares: dict[str, Any] | None = None

    @property
    def amount(self) -> Decimal:
        """ImporteGravado + ImporteExento."""
        return self.taxed + self.exempt


@dataclass
class Deduction:
    """One Deduccion (kind 002 is the ISR withheld)."""

    kind: str
    key: str
    concept: str
    amount: Decimal


@dataclass
class OtherPayment:
    """One OtroPago (002: employment subsidy; 004: compensation of a balance in favour)."""

    kind: str
    key: str
    concept: str
    amount: Decimal
    subsidy_caused: Decimal | None = None
    compensation: dict[str, Any] | None = None


@dataclass
class Payroll:
    """The Nómina 1.2 data of a type N invoice."""

    payroll_type: str
    payment_date: date
    period_start: date
    period_end: date
    days_paid: Decimal
    receiver: dict[str, Any]
    issuer: dict[str, Any] = field(default_factory=dict)
    perceptions: list[Perception] = field(default_factory=list)
    retirement: dict[str, Any] | None = None
    separation: dict[str, Any] | None = None
    deductions: list[Deduction] = field(default_factory=list)
    other_payments: list[OtherPayment] = field(default_factory=list)
    disabilities: list[dict[str, Any]] = field(default_factory=list)
    path: str = "complements[0].data"

    @property
    def total_perceptions(self) -> Decimal | None:
        """TotalPercepciones (None without perceptions)."""
        if not self.perceptions:
            return None
        return sum((p.amount for p in self.perceptions), Decimal(0))

    @property
    def total_deductions(self) -> Decimal | None:
        """TotalDeducciones (None without deductions)."""
        if not self.deductions:
            return None
        return sum((d.amount for d in self.deductions), Decimal(0))

    @property
    def total_other_payments(self) -> Decimal | None:
        """TotalOtrosPagos (None without other payments)."""
        if not self.other_payments:
            return None
        return sum((o.amount for o in self.other_payments), Decimal(0))

    @property
    def subtotal(self) -> Decimal:
        """The concept's Importe and the CFDI's SubTotal: perceptions plus other payments."""
        return (self.total_perceptions or Decimal(0)) + (self.total_other_payments or Decimal(0))


# ---------------------------------------------------------------- reading


def _refuse(message: str, path: str) -> None:
    raise invalid(message, INVALID_PAYROLL, path)


KNOWN: dict[str, frozenset[str]] = {
    "data": frozenset(
        "tipo_nomina fecha_pago fecha_inicial_pago fecha_final_pago num_dias_pagados emisor "
        "receptor percepciones deducciones otros_pagos incapacidades".split()
    ),
    "emisor": frozenset({"curp", "registro_patronal", "rfc_patron_origen"}),
    "receptor": frozenset(
        "curp num_seguridad_social fecha_inicio_rel_laboral antiguedad tipo_contrato "
        "sindicalizado tipo_jornada tipo_regimen num_empleado departamento puesto riesgo_puesto "
        "periodicidad_pago banco cuenta_bancaria salario_base_cot_apor salario_diario_integrado "
        "clave_ent_fed sub_contratacion nombre_banco".split()
    ),
    "percepcion": frozenset(
        "tipo_percepcion clave concepto importe_gravado importe_exento horas_extra "
        "acciones_o_titulos".split()
    ),
    "deduccion": frozenset({"tipo_deduccion", "clave", "concepto", "importe"}),
    "incapacidad": frozenset({"dias_incapacidad", "tipo_incapacidad", "importe_monetario"}),
    "otro_pago": frozenset(
        "tipo_otro_pago clave concepto importe subsidio_causado subsidio_al_empleo "
        "compensacion_saldos_a_favor".split()
    ),
}


def _known(r: Reader, kind: str) -> Reader:
    """Refuse a key the complement does not have (a typo must not vanish from the CFDI)."""
    for key in r.data:
        if key not in KNOWN[kind]:
            _refuse(f"El campo «{r.at(key)}» no pertenece al complemento de nómina 1.2.", r.at(key))
    return r


def _date(r: Reader, key: str, required: bool = True) -> date | None:
    value = r.text(key, required=required)
    if value is None:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        _refuse(f"El campo «{r.at(key)}» debe ser una fecha AAAA-MM-DD.", r.at(key))
    raise AssertionError  # unreachable: _refuse raises


def _money(r: Reader, key: str, required: bool = True) -> Decimal | None:
    value = r.decimal(key, required=required)
    if value is None:
        return None
    if value < 0 or value.quantize(CENT) != value:
        _refuse(
            f"El campo «{r.at(key)}» debe ser un importe no negativo con hasta 2 decimales.",
            r.at(key),
        )
    return value.quantize(CENT)


def _list(r: Reader, key: str, inner: str) -> tuple[list[Reader], Reader | None]:
    """A list given as such or as ``{inner: [...]}`` (Facturapi's object form)."""
    value = r.raw(key)
    if value is None:
        return [], None
    if isinstance(value, dict):
        holder = Reader(value, r.at(key))
        return holder.items(inner, lambda item: item), holder
    return r.items(key, lambda item: item), None


def _perception(r: Reader) -> Perception:
    _known(r, "percepcion")
    shares = r.child("acciones_o_titulos")
    return Perception(
        kind=r.text("tipo_percepcion", required=True) or "",
        key=r.text("clave", required=True) or "",
        concept=r.text("concepto", required=True) or "",
        taxed=_money(r, "importe_gravado") or Decimal(0),
        exempt=_money(r, "importe_exento") or Decimal(0),
        overtime=[
            {
                "Dias": int(h.decimal("dias", required=True)),
                "TipoHoras": h.text("tipo_horas", required=True),
                "HorasExtra": int(h.decimal("horas_extra", required=True)),
                "ImportePagado": _money(h, "importe_pagado"),
            }
            for h in r.items("horas_extra", lambda item: item)
        ],
        shares={
            "ValorMercado": shares.decimal("valor_mercado", required=True),
            "PrecioAlOtorgarse": shares.decimal("precio_al_otorgarse", required=True),
        }
        if shares
        else None,
    )


def _deduction(r: Reader) -> Deduction:
    _known(r, "deduccion")
    return Deduction(
        kind=r.text("tipo_deduccion", required=True) or "",
        key=r.text("clave", required=True) or "",
        concept=r.text("concepto", required=True) or "",
        amount=_money(r, "importe") or Decimal(0),
    )


def _other_payment(r: Reader) -> OtherPayment:
    _known(r, "otro_pago")
    compensation = r.child("compensacion_saldos_a_favor")
    subsidy = r.child("subsidio_al_empleo")
    caused = (
        _money(subsidy, "subsidio_causado") if subsidy else _money(r, "subsidio_causado", False)
    )
    return OtherPayment(
        kind=r.text("tipo_otro_pago", required=True) or "",
        key=r.text("clave", required=True) or "",
        concept=r.text("concepto", required=True) or "",
        amount=_money(r, "importe") or Decimal(0),
        subsidy_caused=caused,
        compensation={
            "SaldoAFavor": _money(compensation, "saldo_a_favor"),
            "Año": int(
                compensation.decimal("ano", None) or compensation.decimal("año", required=True)
            ),
            "RemanenteSalFav": _money(compensation, "remanente_sal_fav"),
        }
        if compensation
        else None,
    )


def _disability(r: Reader) -> dict[str, Any]:
    _known(r, "incapacidad")
    return {
        "DiasIncapacidad": int(r.decimal("dias_incapacidad", required=True)),
        "TipoIncapacidad": r.text("tipo_incapacidad", required=True),
        "ImporteMonetario": _money(r, "importe_monetario", False),
    }


def _seniority(r: Reader, start: date | None, end: date) -> str | None:
    value = r.raw("antiguedad")
    if value is None or value is False:
        return None
    if value is True:
        if start is None:
            _refuse(
                "Para calcular la antigüedad se necesita «fecha_inicio_rel_laboral».",
                r.at("fecha_inicio_rel_laboral"),
            )
        return f"P{((end - start).days + 1) // 7}W"  # type: ignore[operator]
    return r.text("antiguedad")


def _receiver(r: Reader, period_end: date) -> dict[str, Any]:
    _known(r, "receptor")
    start = _date(r, "fecha_inicio_rel_laboral", required=False)
    union = r.raw("sindicalizado")
    if union is not None and not isinstance(union, bool):
        _refuse(f"El campo «{r.at('sindicalizado')}» debe ser booleano.", r.at("sindicalizado"))
    return {
        "Curp": (r.text("curp", required=True) or "").upper(),
        "NumSeguridadSocial": r.text("num_seguridad_social"),
        "FechaInicioRelLaboral": start,
        "Antigüedad": _seniority(r, start, period_end),
        "TipoContrato": r.text("tipo_contrato", required=True),
        "Sindicalizado": None if union is None else ("Sí" if union else "No"),
        "TipoJornada": r.text("tipo_jornada"),
        "TipoRegimen": r.text("tipo_regimen", required=True),
        "NumEmpleado": r.text("num_empleado", required=True),
        "Departamento": r.text("departamento"),
        "Puesto": r.text("puesto"),
        "RiesgoPuesto": r.text("riesgo_puesto"),
        "PeriodicidadPago": r.text("periodicidad_pago", required=True),
        "Banco": r.text("banco"),
        "CuentaBancaria": r.text("cuenta_bancaria"),
        "SalarioBaseCotApor": _money(r, "salario_base_cot_apor", False),
        "SalarioDiarioIntegrado": _money(r, "salario_diario_integrado", False),
        "ClaveEntFed": r.text("clave_ent_fed", required=True),
        "SubContratacion": [
            {
                "RfcLabora": (s.text("rfc_labora", required=True) or "").upper(),
                "PorcentajeTiempo": s.decimal("porcentaje_tiempo", required=True),
            }
            for s in r.items("sub_contratacion", lambda item: item)
        ]
        or None,
    }


def _issuer(r: Reader | None) -> dict[str, Any]:
    if r is None:
        return {}
    _known(r, "emisor")
    node = {
        "Curp": r.text("curp"),
        "RegistroPatronal": r.text("registro_patronal"),
        "RfcPatronOrigen": r.text("rfc_patron_origen"),
    }
    return {k: v for k, v in node.items() if v is not None}


def _retirement(r: Reader | None) -> dict[str, Any] | None:
    if r is None:
        return None
    return {
        "TotalUnaExhibicion": _money(r, "total_una_exhibicion", False),
        "TotalParcialidad": _money(r, "total_parcialidad", False),
        "MontoDiario": _money(r, "monto_diario", False),
        "IngresoAcumulable": _money(r, "ingreso_acumulable"),
        "IngresoNoAcumulable": _money(r, "ingreso_no_acumulable"),
    }


def _separation(r: Reader | None) -> dict[str, Any] | None:
    if r is None:
        return None
    return {
        "TotalPagado": _money(r, "total_pagado"),
        "NumAñosServicio": int(r.decimal("num_anos_servicio", required=True)),
        "UltimoSueldoMensOrd": _money(r, "ultimo_sueldo_mens_ord"),
        "IngresoAcumulable": _money(r, "ingreso_acumulable"),
        "IngresoNoAcumulable": _money(r, "ingreso_no_acumulable"),
    }


def read(r: Reader) -> Payroll:
    """The payroll of ``complements[i].data``; a missing or malformed field names its path."""
    _known(r, "data")
    period_end = _date(r, "fecha_final_pago")
    assert period_end is not None
    receiver = r.child("receptor")
    if receiver is None:
        _refuse(f"El campo «{r.at('receptor')}» es obligatorio.", r.at("receptor"))
    perceptions, holder = _list(r, "percepciones", "percepcion")
    deductions, _ = _list(r, "deducciones", "deduccion")
    others, _ = _list(r, "otros_pagos", "otro_pago")
    disabilities, _ = _list(r, "incapacidades", "incapacidad")
    days = r.decimal("num_dias_pagados", required=True)
    return Payroll(
        payroll_type=(r.text("tipo_nomina") or "O").upper(),
        payment_date=_date(r, "fecha_pago") or period_end,
        period_start=_date(r, "fecha_inicial_pago") or period_end,
        period_end=period_end,
        days_paid=days,
        receiver=_receiver(receiver, period_end),  # type: ignore[arg-type]
        issuer=_issuer(r.child("emisor")),
        perceptions=[_perception(p) for p in perceptions],
        retirement=_retirement(holder.child("jubilacion_pension_retiro") if holder else None),
        separation=_separation(holder.child("separacion_indemnizacion") if holder else None),
        deductions=[_deduction(d) for d in deductions],
        other_payments=[_other_payment(o) for o in others],
        disabilities=[_disability(d) for d in disabilities],
        path=r.path,
    )


def from_complements(r: Reader) -> Payroll | None:
    """The nomina complement of an invoice body, if any (one per invoice here)."""
    message = "Solo se admite un complemento de nómina por factura."
    return r.complement(TYPE, read, message, INVALID_PAYROLL)


# ---------------------------------------------------------------- building


def _perceptions_node(payroll: Payroll) -> dict[str, Any] | None:
    if not payroll.perceptions:
        return None
    items = payroll.perceptions

    def total(kinds: frozenset[str], inside: bool) -> Decimal | None:
        chosen = [p.amount for p in items if (p.kind in kinds) == inside]
        return sum(chosen, Decimal(0)) if chosen else None

    return {
        "Percepcion": [
            {
                "TipoPercepcion": p.kind,
                "Clave": p.key,
                "Concepto": p.concept,
                "ImporteGravado": p.taxed,
                "ImporteExento": p.exempt,
                "HorasExtra": p.overtime or None,
                "AccionesOTitulos": p.shares,
            }
            for p in items
        ],
        "TotalSueldos": total(SEPARATION | RETIREMENT, False),
        "TotalSeparacionIndemnizacion": total(SEPARATION, True),
        "TotalJubilacionPensionRetiro": total(RETIREMENT, True),
        "TotalGravado": sum((p.taxed for p in items), Decimal(0)),
        "TotalExento": sum((p.exempt for p in items), Decimal(0)),
        "JubilacionPensionRetiro": payroll.retirement,
        "SeparacionIndemnizacion": payroll.separation,
    }


def _deductions_node(payroll: Payroll) -> dict[str, Any] | None:
    if not payroll.deductions:
        return None
    isr = [d.amount for d in payroll.deductions if d.kind == ISR]
    other = [d.amount for d in payroll.deductions if d.kind != ISR]
    return {
        "Deduccion": [
            {"TipoDeduccion": d.kind, "Clave": d.key, "Concepto": d.concept, "Importe": d.amount}
            for d in payroll.deductions
        ],
        "TotalOtrasDeducciones": sum(other, Decimal(0)) if other else None,
        "TotalImpuestosRetenidos": sum(isr, Decimal(0)) if isr else None,
    }


def _other_payments_node(payroll: Payroll) -> list[dict[str, Any]] | None:
    return [
        {
            "TipoOtroPago": o.kind,
            "Clave": o.key,
            "Concepto": o.concept,
            "Importe": o.amount,
            "SubsidioAlEmpleo": o.subsidy_caused,
            "CompensacionSaldosAFavor": o.compensation,
        }
        for o in payroll.other_payments
    ] or None


def complement(payroll: Payroll) -> Any:
    """The nomina12:Nomina node with every total computed."""
    node = nomina12.Nomina(
        tipo_nomina=payroll.payroll_type,
        fecha_pago=payroll.payment_date,
        fecha_inicial_pago=payroll.period_start,
        fecha_final_pago=payroll.period_end,
        num_dias_pagados=payroll.days_paid,
        receptor={k: v for k, v in payroll.receiver.items() if v is not None},
        emisor=payroll.issuer or None,
    )
    node["Percepciones"] = _clean(_perceptions_node(payroll))
    node["Deducciones"] = _clean(_deductions_node(payroll))
    node["OtrosPagos"] = [_clean(o) for o in _other_payments_node(payroll) or []] or None
    node["Incapacidades"] = [_clean(d) for d in payroll.disabilities] or None
    node["TotalPercepciones"] = payroll.total_perceptions
    node["TotalDeducciones"] = payroll.total_deductions
    node["TotalOtrosPagos"] = payroll.total_other_payments
    return node


def _clean(node: dict[str, Any] | None) -> dict[str, Any] | None:
    """Drop absent attributes (satcfdi writes every key it is given)."""
    if node is None:
        return None
    return {k: v for k, v in node.items() if v is not None}


def concept(payroll: Payroll) -> dict[str, Any]:
    """The one concept SAT fixes for payroll (84111505, ACT, 1, "Pago de nómina", ObjetoImp 01)."""
    node: dict[str, Any] = {
        "ClaveProdServ": PRODUCT_KEY,
        "Cantidad": Decimal(1),
        "ClaveUnidad": UNIT_KEY,
        "Descripcion": DESCRIPTION,
        "ValorUnitario": payroll.subtotal,
        "Importe": payroll.subtotal,
        "ObjetoImp": "01",
    }
    if payroll.total_deductions:
        node["Descuento"] = payroll.total_deductions
    return node


def check_totals(payroll: Payroll) -> None:
    """Refuse, before building, a payroll whose deductions exceed what is paid (a negative
    Total) or that pays nothing (NOM151)."""
    if payroll.total_perceptions is None and payroll.total_other_payments is None:
        _refuse("La nómina debe tener percepciones u otros pagos (NOM151).", f"{payroll.path}")
    if (payroll.total_deductions or Decimal(0)) > payroll.subtotal:
        _refuse(
            "Las deducciones no pueden superar la suma de percepciones y otros pagos.",
            f"{payroll.path}.deducciones",
        )


def items_absent(items: Sequence[object]) -> None:
    """A payroll's concept is SAT's fixed one: sent items are refused, never dropped."""
    if items:
        _refuse(
            "Una factura de nómina (type N) no lleva «items»: el concepto lo fija el SAT "
            "(84111505, ACT, «Pago de nómina») con los totales del complemento.",
            "items",
        )
