"""Nómina 1.2 rules (NOM132-NOM229); see the package docstring.

SAT's "Matriz de errores" of the payroll complement for CFDI 3.3 and later numbers its
validations NOM132 to NOM229 (NOM101-NOM131 were CFDI 3.2's and no longer apply); PACs report
them by those codes under CFDI 4.0 too. The messages below follow the matrix as PACs publish it;
a number that disagrees with SAT's current sheet should be corrected here, in one place. Where
CFDI 4.0 replaced a 3.3 requirement (FormaPago 99 is now no FormaPago: CFDI40103), the old code
is in ``NOT_IMPLEMENTED`` with the rule that now covers it. CFDI 4.0's own payroll requirements
(UsoCFDI CN01 only on N and only for regime 605: CFDI40161 family; no FormaPago: CFDI40103) are
in ``cfdi40``; this module adds the payroll guide's fixed concept and the complement's sums.

The rules run on every document that carries a nomina12:Nomina node, and the envelope rules on
every type N document.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree

from portal.cfdi import catalogs
from portal.cfdi.sat_matrix import CFDI_NS, NOT_IMPLEMENTED, Context, rule

NOMINA_NS = "http://www.sat.gob.mx/nomina12"
N = f"{{{NOMINA_NS}}}"
C = f"{{{CFDI_NS}}}"
SEPARATION = frozenset({"022", "023", "025"})
RETIREMENT = frozenset({"039", "044"})
LABOUR_CONTRACTS = frozenset(f"{n:02d}" for n in range(1, 9))
LABOUR_REGIMES = frozenset({"02", "03", "04"})
WEEKS = re.compile(r"P([0-9]+)W")
CLABE_WEIGHTS = ((3, 7, 1) * 6)[:17]

NOT_IMPLEMENTED.update(
    {
        "NOM133": "CFDI 3.3 pedía FormaPago 99; en CFDI 4.0 un tipo N no lleva FormaPago "
        "(CFDI40103, en cfdi40).",
        "NOM138": "Requiere la lista l_RFC del SAT (RFC inscritos no cancelados).",
        "NOM161": "Requiere la lista l_RFC del SAT para RfcPatronOrigen.",
        "NOM165": "EntidadSNCF depende de la marca SNCF del emisor en la lista l_RFC del SAT.",
        "NOM166": "EntidadSNCF depende de la marca SNCF del emisor en la lista l_RFC del SAT.",
        "NOM175": "El SAT no publica cómo cuenta el día final en P{a}Y{m}M{d}D y los "
        "validadores difieren; la API escribe semanas (P{n}W) cuando calcula la antigüedad, "
        "que NOM174 comprueba.",
        "NOM187": "Requiere la lista l_RFC del SAT para RfcLabora.",
        "NOM221": "El tope del SubsidioCausado cambia con cada decreto del subsidio al empleo "
        "(407.02 hasta 2024); no está en un catálogo que se pueda consultar.",
        "NOM225": "Error no clasificado del SAT: no es una validación concreta.",
        "NOM229": "El factor diario del SubsidioCausado cambia con cada decreto del subsidio al "
        "empleo; no está en un catálogo que se pueda consultar.",
    }
)


# ---------------------------------------------------------------- helpers


def _payrolls(context: Context) -> list[etree._Element]:
    return list(context.root.iterfind(f"{C}Complemento/{N}Nomina"))


def _payroll(context: Context) -> etree._Element | None:
    found = _payrolls(context)
    return found[0] if found else None


def _number(node: etree._Element | None, name: str) -> Decimal | None:
    value = node.get(name) if node is not None else None
    try:
        return Decimal(value) if value is not None else None
    except InvalidOperation:
        return None


def _zero(node: etree._Element | None, name: str) -> Decimal:
    return _number(node, name) or Decimal(0)


def _date(node: etree._Element | None, name: str) -> date | None:
    value = node.get(name) if node is not None else None
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _path(node: etree._Element, attribute: str | None = None) -> str:
    relative = node.getroottree().getelementpath(node)
    path = ("/cfdi:Comprobante/" + relative).replace(C, "cfdi:").replace(N, "nomina12:")
    return f"{path}/@{attribute}" if attribute else path


def _child(node: etree._Element | None, name: str) -> etree._Element | None:
    return node.find(f"{N}{name}") if node is not None else None


def _children(node: etree._Element | None, path: str) -> list[etree._Element]:
    return list(node.iterfind(path.replace("n:", N))) if node is not None else []


def _receiver(nomina: etree._Element) -> etree._Element | None:
    return _child(nomina, "Receptor")


def _perceptions(nomina: etree._Element) -> list[etree._Element]:
    return _children(nomina, "n:Percepciones/n:Percepcion")


def _deductions(nomina: etree._Element) -> list[etree._Element]:
    return _children(nomina, "n:Deducciones/n:Deduccion")


def _other_payments(nomina: etree._Element) -> list[etree._Element]:
    return _children(nomina, "n:OtrosPagos/n:OtroPago")


def _amount(perception: etree._Element) -> Decimal:
    return _zero(perception, "ImporteGravado") + _zero(perception, "ImporteExento")


def _paid(nomina: etree._Element) -> Decimal:
    return _zero(nomina, "TotalPercepciones") + _zero(nomina, "TotalOtrosPagos")


def _concepts(context: Context) -> list[etree._Element]:
    return list(context.root.iterfind(f"{C}Conceptos/{C}Concepto"))


def _catalog_rule(code: str, node_path: str, attribute: str, table: str) -> None:
    """A rule: ``attribute`` of every node at ``node_path`` (under Nomina) is in ``table``."""

    def check(context: Context) -> Iterator[str]:
        for nomina in _payrolls(context):
            for node in _children(nomina, node_path):
                value = node.get(attribute)
                if value is not None and catalogs._select(table, value) is None:
                    yield _path(node, attribute)

    name = node_path.rsplit(":", 1)[-1]
    rule(code, f"El valor del atributo {name}.{attribute} no cumple con un valor del catálogo.")(
        check
    )


def _envelope(context: Context) -> bool:
    """Whether the CFDI is a payroll envelope (type N)."""
    return context.document_type == "N"


# ---------------------------------------------------------------- the CFDI envelope


@rule("NOM132", "El atributo Moneda no tiene el valor = “MXN”.")
def currency(context: Context) -> Iterator[str]:
    if _envelope(context) and context.root.get("Moneda") != "MXN":
        yield "@Moneda"


@rule("NOM134", "El atributo TipoDeComprobante no tiene el valor = N.")
def document_type(context: Context) -> Iterator[str]:
    if _payrolls(context) and context.document_type != "N":
        yield "@TipoDeComprobante"


def _issuer_rfc(context: Context) -> str:
    node = context.root.find(f"{C}Emisor")
    return node.get("Rfc", "") if node is not None else ""


@rule("NOM135", "El atributo Nomina12:Emisor:Curp, no aplica para persona moral.")
def curp_for_company(context: Context) -> Iterator[str]:
    if len(_issuer_rfc(context)) != 12:
        return
    for nomina in _payrolls(context):
        issuer = _child(nomina, "Emisor")
        if issuer is not None and issuer.get("Curp") is not None:
            yield _path(issuer, "Curp")


@rule("NOM136", "El atributo Nomina12:Emisor:Curp, debe aplicar para persona fisica.")
def curp_for_individual(context: Context) -> Iterator[str]:
    if len(_issuer_rfc(context)) != 13:
        return
    for nomina in _payrolls(context):
        issuer = _child(nomina, "Emisor")
        if issuer is None or issuer.get("Curp") is None:
            yield _path(nomina) + "/nomina12:Emisor/@Curp"


@rule("NOM137", "El atributo Comprobante.Receptor.rfc, debe ser de longitud 13.")
def receiver_rfc(context: Context) -> Iterator[str]:
    node = context.root.find(f"{C}Receptor")
    if _envelope(context) and node is not None and len(node.get("Rfc", "")) != 13:
        yield "cfdi:Receptor/@Rfc"


@rule(
    "NOM139",
    "El nodo Comprobante.Conceptos.Concepto, Solo puede registrarse un nodo concepto, sin "
    "elementos hijo.",
)
def one_concept(context: Context) -> Iterator[str]:
    if not _envelope(context):
        return
    concepts = _concepts(context)
    if len(concepts) != 1 or len(concepts[0]):
        yield "cfdi:Conceptos"


def _concept_rule(code: str, message: str, attribute: str, wanted: str | None) -> None:
    """The one concept's ``attribute`` equals ``wanted`` (absent when ``wanted`` is None)."""

    def check(context: Context) -> Iterator[str]:
        if not _envelope(context):
            return
        for concept in _concepts(context):
            value = concept.get(attribute)
            if wanted is None and value is not None:
                yield _path(concept, attribute)
            elif wanted is not None and value != wanted:
                yield _path(concept, attribute)

    rule(code, message)(check)


_concept_rule(
    "NOM140",
    "El atributo Comprobante.Conceptos.Concepto,ClaveProdServ no tiene el valor = “84111505”.",
    "ClaveProdServ",
    "84111505",
)
_concept_rule(
    "NOM141",
    "El atributo Comprobante.Conceptos.Concepto.NoIdentificacion, no debe existir.",
    "NoIdentificacion",
    None,
)
_concept_rule(
    "NOM142",
    "El atributo Comprobante.Conceptos.Concepto,Cantidad no tiene el valor = “1”.",
    "Cantidad",
    "1",
)
_concept_rule(
    "NOM143",
    "El atributo Comprobante.Conceptos.Concepto,ClaveUnidad no tiene el valor = “ACT”.",
    "ClaveUnidad",
    "ACT",
)
_concept_rule(
    "NOM144", "El atributo Comprobante.Conceptos.Concepto,Unidad, no debe existir.", "Unidad", None
)
_concept_rule(
    "NOM145",
    "El atributo Comprobante.Conceptos.Concepto,Descripcion no tiene el valor = “Pago de nómina”.",
    "Descripcion",
    "Pago de nómina",
)


def _concept_sum_rule(code: str, message: str, attribute: str) -> None:
    def check(context: Context) -> Iterator[str]:
        nomina = _payroll(context) if _envelope(context) else None
        if nomina is None:
            return
        paid = sum((_paid(n) for n in _payrolls(context)), Decimal(0))
        for concept in _concepts(context):
            if _number(concept, attribute) != paid:
                yield _path(concept, attribute)

    rule(code, message)(check)


_concept_sum_rule(
    "NOM146",
    "El valor del atributo Comprobante.Conceptos.Concepto,ValorUnitario no coincide con la suma "
    "TotalPercepciones más TotalOtrosPagos.",
    "ValorUnitario",
)
_concept_sum_rule(
    "NOM147",
    "El valor del atributo Comprobante.Conceptos.Concepto,Importe no coincide con la suma "
    "TotalPercepciones más TotalOtrosPagos.",
    "Importe",
)


@rule(
    "NOM148",
    "El valor del atributo Comprobante.Conceptos.Concepto,Descuento no es igual a el valor del "
    "campo Nomina12:TotalDeducciones.",
)
def concept_discount(context: Context) -> Iterator[str]:
    if not _envelope(context) or not _payrolls(context):
        return
    deductions = sum((_zero(n, "TotalDeducciones") for n in _payrolls(context)), Decimal(0))
    for concept in _concepts(context):
        if _zero(concept, "Descuento") != deductions:
            yield _path(concept, "Descuento")


@rule("NOM149", "El nodo Comprobante.Impuestos, no debe existir.")
def no_taxes(context: Context) -> Iterator[str]:
    if _envelope(context) and context.root.find(f"{C}Impuestos") is not None:
        yield "cfdi:Impuestos"


@rule("NOM150", "El nodo Nomina no se puede utilizar dentro del elemento ComplementoConcepto.")
def not_in_concept(context: Context) -> Iterator[str]:
    for node in context.root.iterfind(f"{C}Conceptos/{C}Concepto/{C}ComplementoConcepto/{N}Nomina"):
        yield _path(node)


# ---------------------------------------------------------------- Nomina


@rule("NOM151", "El nodo Nomina no tiene TotalPercepciones y/o TotalOtrosPagos.")
def pays_something(context: Context) -> Iterator[str]:
    for nomina in _payrolls(context):
        if nomina.get("TotalPercepciones") is None and nomina.get("TotalOtrosPagos") is None:
            yield _path(nomina)


@rule(
    "NOM152",
    "El valor del atributo Nomina.TipoNomina no cumple con un valor del catálogo c_TipoNomina.",
)
def payroll_type(context: Context) -> Iterator[str]:
    for nomina in _payrolls(context):
        if nomina.get("TipoNomina") not in ("O", "E"):
            yield _path(nomina, "TipoNomina")


def _frequency(nomina: etree._Element) -> str | None:
    receiver = _receiver(nomina)
    return receiver.get("PeriodicidadPago") if receiver is not None else None


@rule("NOM153", "El valor del atributo tipo de periodicidad es 99.")
def ordinary_frequency(context: Context) -> Iterator[str]:
    for nomina in _payrolls(context):
        if nomina.get("TipoNomina") == "O" and _frequency(nomina) == "99":
            yield _path(nomina) + "/nomina12:Receptor/@PeriodicidadPago"


@rule("NOM154", "El valor del atributo tipo de periodicidad no es 99.")
def extraordinary_frequency(context: Context) -> Iterator[str]:
    for nomina in _payrolls(context):
        if nomina.get("TipoNomina") == "E" and _frequency(nomina) != "99":
            yield _path(nomina) + "/nomina12:Receptor/@PeriodicidadPago"


@rule(
    "NOM155",
    "El valor del atributo FechaInicialPago no es menor o igual al valor del atributo "
    "FechaFinalPago.",
)
def period(context: Context) -> Iterator[str]:
    for nomina in _payrolls(context):
        start, end = _date(nomina, "FechaInicialPago"), _date(nomina, "FechaFinalPago")
        if start and end and start > end:
            yield _path(nomina, "FechaInicialPago")


@rule("NOM156", "El atributo Nomina.TotalPercepciones, no debe existir.")
def perceptions_total_without_node(context: Context) -> Iterator[str]:
    for nomina in _payrolls(context):
        if nomina.get("TotalPercepciones") is not None and _child(nomina, "Percepciones") is None:
            yield _path(nomina, "TotalPercepciones")


@rule(
    "NOM157",
    "El valor del atributo Nomina.TotalPercepciones no coincide con la suma TotalSueldos más "
    "TotalSeparacionIndemnizacion más TotalJubilacionPensionRetiro del nodo Percepciones.",
)
def perceptions_total(context: Context) -> Iterator[str]:
    for nomina in _payrolls(context):
        node = _child(nomina, "Percepciones")
        if node is None:
            continue
        parts = ("TotalSueldos", "TotalSeparacionIndemnizacion", "TotalJubilacionPensionRetiro")
        if _number(nomina, "TotalPercepciones") != sum((_zero(node, p) for p in parts), Decimal(0)):
            yield _path(nomina, "TotalPercepciones")


@rule("NOM158", "El atributo Nomina.TotalDeducciones, no debe existir.")
def deductions_total_without_node(context: Context) -> Iterator[str]:
    for nomina in _payrolls(context):
        if nomina.get("TotalDeducciones") is not None and _child(nomina, "Deducciones") is None:
            yield _path(nomina, "TotalDeducciones")


@rule(
    "NOM159",
    "El valor del atributo Nomina.TotalDeducciones no coincide con la suma de los atributos "
    "TotalOtrasDeducciones más TotalImpuestosRetenidos del elemento Deducciones.",
)
def deductions_total(context: Context) -> Iterator[str]:
    for nomina in _payrolls(context):
        node = _child(nomina, "Deducciones")
        if node is None:
            continue
        parts = _zero(node, "TotalOtrasDeducciones") + _zero(node, "TotalImpuestosRetenidos")
        if _number(nomina, "TotalDeducciones") != parts:
            yield _path(nomina, "TotalDeducciones")


@rule(
    "NOM160",
    "El valor del atributo Nomina.TotalOtrosPagos no está registrado o no coincide con la suma "
    "de los atributos Importe de los nodos nomina12:OtrosPagos:OtroPago.",
)
def other_payments_total(context: Context) -> Iterator[str]:
    for nomina in _payrolls(context):
        others = _other_payments(nomina)
        if others and _number(nomina, "TotalOtrosPagos") != sum(
            (_zero(o, "Importe") for o in others), Decimal(0)
        ):
            yield _path(nomina, "TotalOtrosPagos")


# ---------------------------------------------------------------- Emisor and Receptor


def _contract(nomina: etree._Element) -> str | None:
    receiver = _receiver(nomina)
    return receiver.get("TipoContrato") if receiver is not None else None


def _employer_registration(nomina: etree._Element) -> str | None:
    issuer = _child(nomina, "Emisor")
    return issuer.get("RegistroPatronal") if issuer is not None else None


@rule("NOM162", "El atributo Nomina.Emisor.RegistroPatronal se debe registrar.")
def registration_required(context: Context) -> Iterator[str]:
    for nomina in _payrolls(context):
        if _contract(nomina) in LABOUR_CONTRACTS and _employer_registration(nomina) is None:
            yield _path(nomina) + "/nomina12:Emisor/@RegistroPatronal"


@rule("NOM163", "El atributo Nomina.Emisor.RegistroPatronal no se debe registrar.")
def registration_forbidden(context: Context) -> Iterator[str]:
    for nomina in _payrolls(context):
        contract = _contract(nomina)
        if contract and contract not in LABOUR_CONTRACTS and _employer_registration(nomina):
            yield _path(nomina) + "/nomina12:Emisor/@RegistroPatronal"


SOCIAL_SECURITY = (
    "NumSeguridadSocial",
    "FechaInicioRelLaboral",
    "Antigüedad",
    "RiesgoPuesto",
    "SalarioDiarioIntegrado",
)


@rule(
    "NOM164",
    "Los atributos nomina12:Receptor: NumSeguridadSocial, FechaInicioRelLaboral, Antigüedad, "
    "RiesgoPuesto y SalarioDiarioIntegrado deben existir.",
)
def social_security(context: Context) -> Iterator[str]:
    for nomina in _payrolls(context):
        receiver = _receiver(nomina)
        if _employer_registration(nomina) is None or receiver is None:
            continue
        for name in SOCIAL_SECURITY:
            if receiver.get(name) is None:
                yield _path(receiver, name)


_catalog_rule("NOM167", "n:Emisor/n:EntidadSNCF", "OrigenRecurso", "C75b_c_OrigenRecurso")


@rule("NOM168", "El atributo Nomina.Emisor.EntidadSNCF.MontoRecursoPropio debe existir.")
def own_resources_required(context: Context) -> Iterator[str]:
    for nomina in _payrolls(context):
        for node in _children(nomina, "n:Emisor/n:EntidadSNCF"):
            if node.get("OrigenRecurso") == "IM" and node.get("MontoRecursoPropio") is None:
                yield _path(node, "MontoRecursoPropio")


@rule("NOM169", "El atributo Nomina.Emisor.EntidadSNCF.MontoRecursoPropio no debe existir.")
def own_resources_forbidden(context: Context) -> Iterator[str]:
    for nomina in _payrolls(context):
        for node in _children(nomina, "n:Emisor/n:EntidadSNCF"):
            if node.get("OrigenRecurso") != "IM" and node.get("MontoRecursoPropio") is not None:
                yield _path(node, "MontoRecursoPropio")


@rule(
    "NOM170",
    "El valor del atributo Nomina.Emisor.EntidadSNCF.MontoRecursoPropio no es menor a la suma de "
    "los valores de los atributos TotalPercepciones y TotalOtrosPagos.",
)
def own_resources_limit(context: Context) -> Iterator[str]:
    for nomina in _payrolls(context):
        for node in _children(nomina, "n:Emisor/n:EntidadSNCF"):
            amount = _number(node, "MontoRecursoPropio")
            if amount is not None and amount >= _paid(nomina):
                yield _path(node, "MontoRecursoPropio")


_catalog_rule("NOM171", "n:Receptor", "TipoContrato", "C75b_c_TipoContrato")
_catalog_rule("NOM172", "n:Receptor", "TipoJornada", "C75b_c_TipoJornada")


@rule(
    "NOM173",
    "El valor del atributo Nomina.Receptor.FechaInicioRelLaboral no es menor o igual al "
    "atributo a FechaFinalPago.",
)
def start_of_employment(context: Context) -> Iterator[str]:
    for nomina in _payrolls(context):
        receiver = _receiver(nomina)
        start, end = _date(receiver, "FechaInicioRelLaboral"), _date(nomina, "FechaFinalPago")
        if receiver is not None and start and end and start > end:
            yield _path(receiver, "FechaInicioRelLaboral")


@rule(
    "NOM174",
    "El valor numérico del atributo Nomina.Receptor.Antigüedad no es menor o igual al cociente "
    "de (la suma del número de días transcurridos entre la FechaInicioRelLaboral y la "
    "FechaFinalPago más uno) dividido entre siete.",
)
def seniority_weeks(context: Context) -> Iterator[str]:
    for nomina in _payrolls(context):
        receiver = _receiver(nomina)
        start, end = _date(receiver, "FechaInicioRelLaboral"), _date(nomina, "FechaFinalPago")
        weeks = WEEKS.fullmatch(receiver.get("Antigüedad", "")) if receiver is not None else None
        if receiver is not None and weeks and start and end:
            if Decimal(weeks.group(1)) > Decimal((end - start).days + 1) / 7:
                yield _path(receiver, "Antigüedad")


_catalog_rule("NOM176", "n:Receptor", "TipoRegimen", "C75b_c_TipoRegimen")


def _regime(nomina: etree._Element) -> str | None:
    receiver = _receiver(nomina)
    return receiver.get("TipoRegimen") if receiver is not None else None


@rule("NOM177", "El atributo Nomina.Receptor.TipoRegimen no es 02, 03 ó 04.")
def labour_regime(context: Context) -> Iterator[str]:
    for nomina in _payrolls(context):
        if _contract(nomina) in LABOUR_CONTRACTS and _regime(nomina) not in LABOUR_REGIMES:
            yield _path(nomina) + "/nomina12:Receptor/@TipoRegimen"


@rule("NOM178", "El atributo Nomina.Receptor.TipoRegimen no está entre 05 a 99.")
def assimilated_regime(context: Context) -> Iterator[str]:
    for nomina in _payrolls(context):
        contract, regime = _contract(nomina), _regime(nomina)
        if contract and contract not in LABOUR_CONTRACTS and regime in LABOUR_REGIMES:
            yield _path(nomina) + "/nomina12:Receptor/@TipoRegimen"


_catalog_rule("NOM179", "n:Receptor", "RiesgoPuesto", "C75b_c_RiesgoPuesto")
_catalog_rule("NOM180", "n:Receptor", "PeriodicidadPago", "C75b_c_PeriodicidadPago")
_catalog_rule("NOM181", "n:Receptor", "Banco", "C75b_c_Banco")


def _accounts(context: Context) -> Iterator[tuple[etree._Element, str]]:
    for nomina in _payrolls(context):
        receiver = _receiver(nomina)
        if receiver is not None and receiver.get("CuentaBancaria"):
            yield receiver, receiver.get("CuentaBancaria", "")


@rule(
    "NOM182", "El atributo CuentaBancaria no cumple con la longitud de 10, 11, 16 ó 18 posiciones."
)
def account_length(context: Context) -> Iterator[str]:
    for receiver, account in _accounts(context):
        if len(account) not in (10, 11, 16, 18):
            yield _path(receiver, "CuentaBancaria")


@rule("NOM183", "El atributo Banco no debe existir.")
def clabe_without_bank(context: Context) -> Iterator[str]:
    for receiver, account in _accounts(context):
        if len(account) == 18 and receiver.get("Banco") is not None:
            yield _path(receiver, "Banco")


@rule("NOM184", "El dígito de control del atributo CLABE no es correcto.")
def clabe_check_digit(context: Context) -> Iterator[str]:
    for receiver, account in _accounts(context):
        if len(account) == 18 and account.isdigit():
            total = sum(int(d) * w % 10 for d, w in zip(account[:17], CLABE_WEIGHTS, strict=True))
            if (10 - total % 10) % 10 != int(account[17]):
                yield _path(receiver, "CuentaBancaria")


@rule("NOM185", "El atributo Banco debe existir.")
def bank_required(context: Context) -> Iterator[str]:
    for receiver, account in _accounts(context):
        if len(account) in (10, 11, 16) and receiver.get("Banco") is None:
            yield _path(receiver, "Banco")


@rule("NOM186", "El valor del atributo ClaveEntFed no cumple con un valor del catálogo c_Estado.")
def state(context: Context) -> Iterator[str]:
    for nomina in _payrolls(context):
        receiver = _receiver(nomina)
        if receiver is None:
            continue
        found = catalogs._select("C756_c_Estado", receiver.get("ClaveEntFed", ""))
        if not found or found[0] != "MEX":
            yield _path(receiver, "ClaveEntFed")


@rule(
    "NOM188",
    "La suma de los valores registrados en el atributo Nomina.Receptor.SubContratacion."
    "PorcentajeTiempo no es igual a 100.",
)
def subcontracting(context: Context) -> Iterator[str]:
    for nomina in _payrolls(context):
        shares = _children(nomina, "n:Receptor/n:SubContratacion")
        if shares and sum((_zero(s, "PorcentajeTiempo") for s in shares), Decimal(0)) != 100:
            yield _path(nomina) + "/nomina12:Receptor/nomina12:SubContratacion"


# ---------------------------------------------------------------- Percepciones


def _perception_totals(context: Context) -> Iterator[tuple[etree._Element, etree._Element]]:
    for nomina in _payrolls(context):
        node = _child(nomina, "Percepciones")
        if node is not None:
            yield nomina, node


@rule(
    "NOM189",
    "La suma de los valores de los atributos TotalSueldos más TotalSeparacionIndemnizacion más "
    "TotalJubilacionPensionRetiro no es igual a la suma de los valores de los atributos "
    "TotalGravado más TotalExento.",
)
def perceptions_balance(context: Context) -> Iterator[str]:
    for _, node in _perception_totals(context):
        parts = ("TotalSueldos", "TotalSeparacionIndemnizacion", "TotalJubilacionPensionRetiro")
        left = sum((_zero(node, p) for p in parts), Decimal(0))
        if left != _zero(node, "TotalGravado") + _zero(node, "TotalExento"):
            yield _path(node)


def _group_rule(code: str, message: str, attribute: str, kinds: frozenset[str], inside: bool):
    def check(context: Context) -> Iterator[str]:
        for nomina, node in _perception_totals(context):
            chosen = [
                _amount(p)
                for p in _perceptions(nomina)
                if (p.get("TipoPercepcion") in kinds) == inside
            ]
            if chosen and _number(node, attribute) != sum(chosen, Decimal(0)):
                yield _path(node, attribute)

    rule(code, message)(check)


_group_rule(
    "NOM190",
    "El valor del atributo Nomina.Percepciones.TotalSueldos, no es igual a la suma de los "
    "atributos ImporteGravado e ImporteExento donde la clave expresada en el atributo "
    "TipoPercepcion es distinta de 022, 023, 025, 039 y 044.",
    "TotalSueldos",
    SEPARATION | RETIREMENT,
    False,
)
_group_rule(
    "NOM191",
    "El valor del atributo Nomina.Percepciones.TotalSeparacionIndemnizacion, no es igual a la "
    "suma de los atributos ImporteGravado e ImporteExento donde la clave en el atributo "
    "TipoPercepcion es igual a 022, 023 ó 025.",
    "TotalSeparacionIndemnizacion",
    SEPARATION,
    True,
)
_group_rule(
    "NOM192",
    "El valor del atributo Nomina.Percepciones.TotalJubilacionPensionRetiro, no es igual a la "
    "suma de los atributos ImporteGravado e ImporteExento donde la clave expresada en el "
    "atributo TipoPercepcion es igual a 039 ó 044.",
    "TotalJubilacionPensionRetiro",
    RETIREMENT,
    True,
)


def _column_rule(code: str, message: str, attribute: str, column: str) -> None:
    def check(context: Context) -> Iterator[str]:
        for nomina, node in _perception_totals(context):
            total = sum((_zero(p, column) for p in _perceptions(nomina)), Decimal(0))
            if _number(node, attribute) != total:
                yield _path(node, attribute)

    rule(code, message)(check)


_column_rule(
    "NOM193",
    "El valor del atributo Nomina.Percepciones.TotalGravado, no es igual a la suma de los "
    "atributos ImporteGravado de los nodos Percepcion.",
    "TotalGravado",
    "ImporteGravado",
)
_column_rule(
    "NOM194",
    "El valor del atributo Nomina.Percepciones.TotalExento, debe ser igual a la suma de los "
    "atributos ImporteExento de los nodos Percepcion.",
    "TotalExento",
    "ImporteExento",
)


@rule(
    "NOM195",
    "La suma de los importes de los atributos ImporteGravado e ImporteExento no es mayor que cero.",
)
def perception_positive(context: Context) -> Iterator[str]:
    for nomina in _payrolls(context):
        for perception in _perceptions(nomina):
            if _amount(perception) <= 0:
                yield _path(perception)


_catalog_rule("NOM196", "n:Percepciones/n:Percepcion", "TipoPercepcion", "C75b_c_TipoPercepcion")


def _kinds(nomina: etree._Element) -> set[str]:
    return {p.get("TipoPercepcion", "") for p in _perceptions(nomina)}


@rule(
    "NOM197",
    "TotalSueldos, debe existir. Ya que la clave expresada en TipoPercepcion es distinta de 022, "
    "023, 025, 039 y 044.",
)
def wages_total_required(context: Context) -> Iterator[str]:
    for nomina, node in _perception_totals(context):
        if _kinds(nomina) - SEPARATION - RETIREMENT and node.get("TotalSueldos") is None:
            yield _path(node, "TotalSueldos")


@rule(
    "NOM198",
    "TotalSeparacionIndemnizacion y el elemento SeparacionIndemnizacion, debe existir. Ya que la "
    "clave expresada en TipoPercepcion es 022 ó 023 ó 025.",
)
def separation_required(context: Context) -> Iterator[str]:
    for nomina, node in _perception_totals(context):
        if _kinds(nomina) & SEPARATION and (
            node.get("TotalSeparacionIndemnizacion") is None
            or _child(node, "SeparacionIndemnizacion") is None
        ):
            yield _path(node, "TotalSeparacionIndemnizacion")


@rule(
    "NOM199",
    "TotalJubilacionPensionRetiro y el elemento JubilacionPensionRetiro debe existir, ya que la "
    "clave expresada en el atributo TipoPercepcion es 039 ó 044.",
)
def retirement_required(context: Context) -> Iterator[str]:
    for nomina, node in _perception_totals(context):
        if _kinds(nomina) & RETIREMENT and (
            node.get("TotalJubilacionPensionRetiro") is None
            or _child(node, "JubilacionPensionRetiro") is None
        ):
            yield _path(node, "TotalJubilacionPensionRetiro")


def _retirement_node(node: etree._Element) -> etree._Element | None:
    return _child(node, "JubilacionPensionRetiro")


@rule(
    "NOM200",
    "TotalUnaExhibicion debe existir y no deben existir TotalParcialidad, MontoDiario. Ya que la "
    "clave expresada en el atributo TipoPercepcion es 039.",
)
def lump_sum_retirement(context: Context) -> Iterator[str]:
    for nomina, node in _perception_totals(context):
        retirement = _retirement_node(node)
        if "039" in _kinds(nomina) and retirement is not None:
            if retirement.get("TotalUnaExhibicion") is None or retirement.get("TotalParcialidad"):
                yield _path(retirement)


@rule(
    "NOM201",
    "TotalUnaExhibicion no debe existir y deben existir TotalParcialidad, MontoDiario. Ya que la "
    "clave expresada en el atributo TipoPercepcion es 044.",
)
def partial_retirement(context: Context) -> Iterator[str]:
    for nomina, node in _perception_totals(context):
        retirement = _retirement_node(node)
        if "044" in _kinds(nomina) and retirement is not None:
            if (
                retirement.get("TotalUnaExhibicion") is not None
                or retirement.get("TotalParcialidad") is None
                or retirement.get("MontoDiario") is None
            ):
                yield _path(retirement)


def _per_perception(code: str, message: str, child: str, kind: str, required: bool) -> None:
    def check(context: Context) -> Iterator[str]:
        for nomina in _payrolls(context):
            for perception in _perceptions(nomina):
                has = _child(perception, child) is not None
                if (perception.get("TipoPercepcion") == kind) == required and has != required:
                    yield _path(perception) + f"/nomina12:{child}"

    rule(code, message)(check)


_per_perception(
    "NOM202",
    "El elemento AccionesOTitulos debe existir. Ya que la clave expresada en el atributo "
    "TipoPercepcion es 045.",
    "AccionesOTitulos",
    "045",
    True,
)
_per_perception(
    "NOM203",
    "El elemento AccionesOTitulos no debe existir. Ya que la clave expresada en el atributo "
    "TipoPercepcion no es 045.",
    "AccionesOTitulos",
    "045",
    False,
)
_per_perception(
    "NOM204",
    "El elemento HorasExtra, debe existir. Ya que la clave expresada en el atributo "
    "TipoPercepcion es 019.",
    "HorasExtra",
    "019",
    True,
)
_per_perception(
    "NOM205",
    "El elemento HorasExtra, no debe existir. Ya que la clave expresada en el atributo "
    "TipoPercepcion no es 019.",
    "HorasExtra",
    "019",
    False,
)


def _disability_sum(nomina: etree._Element) -> Decimal:
    return sum(
        (_zero(d, "ImporteMonetario") for d in _children(nomina, "n:Incapacidades/n:Incapacidad")),
        Decimal(0),
    )


@rule(
    "NOM206",
    "El nodo Incapacidades debe existir, Ya que la clave expresada en el atributo TipoPercepcion "
    "es 014.",
)
def disability_perception(context: Context) -> Iterator[str]:
    for nomina in _payrolls(context):
        if "014" in _kinds(nomina) and _child(nomina, "Incapacidades") is None:
            yield _path(nomina) + "/nomina12:Incapacidades"


@rule(
    "NOM207",
    "La suma de los campos ImporteMonetario no es igual a la suma de los valores ImporteGravado "
    "e ImporteExento de la percepción, Ya que la clave expresada en el atributo TipoPercepcion "
    "es 014.",
)
def disability_perception_sum(context: Context) -> Iterator[str]:
    for nomina in _payrolls(context):
        chosen = [_amount(p) for p in _perceptions(nomina) if p.get("TipoPercepcion") == "014"]
        if chosen and _child(nomina, "Incapacidades") is not None:
            if sum(chosen, Decimal(0)) != _disability_sum(nomina):
                yield _path(nomina) + "/nomina12:Incapacidades"


_catalog_rule("NOM208", "n:Percepciones/n:Percepcion/n:HorasExtra", "TipoHoras", "C75b_c_TipoHoras")


@rule(
    "NOM209",
    "Los atributos MontoDiario y TotalParcialidad no deben existir, ya que existe valor en "
    "TotalUnaExhibicion.",
)
def lump_sum_fields(context: Context) -> Iterator[str]:
    for _, node in _perception_totals(context):
        retirement = _retirement_node(node)
        if retirement is not None and retirement.get("TotalUnaExhibicion") is not None:
            if retirement.get("MontoDiario") or retirement.get("TotalParcialidad"):
                yield _path(retirement)


@rule(
    "NOM210",
    "El atributo MontoDiario debe existir y el atributo TotalUnaExhibicion no debe existir, ya "
    "que Nomina.Percepciones.JubilacionPensionRetiro.TotalParcialidad tiene valor.",
)
def partial_fields(context: Context) -> Iterator[str]:
    for _, node in _perception_totals(context):
        retirement = _retirement_node(node)
        if retirement is not None and retirement.get("TotalParcialidad") is not None:
            if retirement.get("MontoDiario") is None or retirement.get("TotalUnaExhibicion"):
                yield _path(retirement)


# ---------------------------------------------------------------- Deducciones


@rule(
    "NOM211",
    "El valor en el atributo Nomina.Deducciones.TotalImpuestosRetenidos no es igual a la suma "
    "de los atributos Importe de las deducciones que tienen expresada la clave 002 en el "
    "atributo TipoDeduccion.",
)
def withheld_isr(context: Context) -> Iterator[str]:
    for nomina in _payrolls(context):
        node = _child(nomina, "Deducciones")
        isr = [_zero(d, "Importe") for d in _deductions(nomina) if d.get("TipoDeduccion") == "002"]
        if (
            node is not None
            and isr
            and _number(node, "TotalImpuestosRetenidos") != sum(isr, Decimal(0))
        ):
            yield _path(node, "TotalImpuestosRetenidos")


@rule(
    "NOM212",
    "Nomina.Deducciones.TotalImpuestosRetenidos no debe existir, ya que no existen deducciones "
    "con clave 002 en el atributo TipoDeduccion.",
)
def withheld_isr_absent(context: Context) -> Iterator[str]:
    for nomina in _payrolls(context):
        node = _child(nomina, "Deducciones")
        kinds = {d.get("TipoDeduccion") for d in _deductions(nomina)}
        if node is not None and "002" not in kinds and node.get("TotalImpuestosRetenidos"):
            yield _path(node, "TotalImpuestosRetenidos")


_catalog_rule("NOM213", "n:Deducciones/n:Deduccion", "TipoDeduccion", "C75b_c_TipoDeduccion")


@rule(
    "NOM214",
    "Debe existir el elemento Incapacidades, ya que la clave expresada en Nomina.Deducciones."
    "Deduccion.TipoDeduccion es 006.",
)
def disability_deduction(context: Context) -> Iterator[str]:
    for nomina in _payrolls(context):
        kinds = {d.get("TipoDeduccion") for d in _deductions(nomina)}
        if "006" in kinds and _child(nomina, "Incapacidades") is None:
            yield _path(nomina) + "/nomina12:Incapacidades"


@rule(
    "NOM215",
    "El atributo Deduccion:Importe no es igual a la suma de los nodos Incapacidad:"
    "ImporteMonetario. Ya que la clave expresada en Nomina.Deducciones.Deduccion.TipoDeduccion "
    "es 006",
)
def disability_deduction_sum(context: Context) -> Iterator[str]:
    for nomina in _payrolls(context):
        if _child(nomina, "Incapacidades") is None:
            continue
        for deduction in _deductions(nomina):
            if deduction.get("TipoDeduccion") == "006":
                if _zero(deduction, "Importe") != _disability_sum(nomina):
                    yield _path(deduction, "Importe")


@rule("NOM216", "Nomina.Deducciones.Deduccion.Importe no es mayor que cero.")
def deduction_positive(context: Context) -> Iterator[str]:
    for nomina in _payrolls(context):
        for deduction in _deductions(nomina):
            if _zero(deduction, "Importe") <= 0:
                yield _path(deduction, "Importe")


# ---------------------------------------------------------------- OtrosPagos


_catalog_rule("NOM217", "n:OtrosPagos/n:OtroPago", "TipoOtroPago", "C75b_c_TipoOtroPago")


def _other_child_rule(code: str, message: str, kind: str, child: str) -> None:
    def check(context: Context) -> Iterator[str]:
        for nomina in _payrolls(context):
            for other in _other_payments(nomina):
                if other.get("TipoOtroPago") == kind and _child(other, child) is None:
                    yield _path(other) + f"/nomina12:{child}"

    rule(code, message)(check)


_other_child_rule(
    "NOM218",
    "El nodo CompensacionSaldosAFavor debe existir, ya que el valor de Nomina.OtrosPagos."
    "OtroPago.TipoOtroPago es 004.",
    "004",
    "CompensacionSaldosAFavor",
)
_other_child_rule(
    "NOM219",
    "El nodo SubsidioAlEmpleo. debe existir, ya que el valor de Nomina.OtrosPagos.OtroPago."
    "TipoOtroPago es 002.",
    "002",
    "SubsidioAlEmpleo",
)


@rule("NOM220", "El Importe del elemento Nomina.OtrosPagos.OtroPago no es mayor que cero.")
def other_payment_positive(context: Context) -> Iterator[str]:
    # A 002 (employment subsidy) may be 0.00 when none was caused in the period.
    for nomina in _payrolls(context):
        for other in _other_payments(nomina):
            if other.get("TipoOtroPago") != "002" and _zero(other, "Importe") <= 0:
                yield _path(other, "Importe")


@rule(
    "NOM222",
    "Nomina.OtrosPagos.OtroPago.CompensacionSaldosAFavor.SaldoAFavor no es mayor o igual que el "
    "valor del atributo CompensacionSaldosAFavor:RemanenteSalFav.",
)
def balance_remainder(context: Context) -> Iterator[str]:
    for nomina in _payrolls(context):
        for node in _children(nomina, "n:OtrosPagos/n:OtroPago/n:CompensacionSaldosAFavor"):
            if _zero(node, "SaldoAFavor") < _zero(node, "RemanenteSalFav"):
                yield _path(node, "SaldoAFavor")


@rule(
    "NOM223",
    "Nomina.OtrosPagos.OtroPago.CompensacionSaldosAFavor.Año no es igual al año inmediato "
    "anterior o al año en curso. Favor de considerar el valor del atributo FechaPago.",
)
def balance_year(context: Context) -> Iterator[str]:
    for nomina in _payrolls(context):
        paid = _date(nomina, "FechaPago")
        for node in _children(nomina, "n:OtrosPagos/n:OtroPago/n:CompensacionSaldosAFavor"):
            year = node.get("Año", "")
            if paid and year not in (str(paid.year), str(paid.year - 1)):
                yield _path(node, "Año")


_catalog_rule(
    "NOM224", "n:Incapacidades/n:Incapacidad", "TipoIncapacidad", "C75b_c_TipoIncapacidad"
)


@rule(
    "NOM226",
    "TipoRegimen es igual a 02, por lo tanto, el valor del atributo OtroPago.TipoOtroPago debe "
    "ser 002 y no deben existir los valores 007 y 008 en el atributo OtroPago.TipoOtroPago.",
)
def wage_subsidy_required(context: Context) -> Iterator[str]:
    for nomina in _payrolls(context):
        kinds = {o.get("TipoOtroPago") for o in _other_payments(nomina)}
        if _regime(nomina) == "02" and "002" not in kinds and not kinds & {"007", "008"}:
            yield _path(nomina) + "/nomina12:OtrosPagos"


@rule(
    "NOM227",
    "En el atributo TipoOtroPago no deben registrarse las claves 002, 007 o 008 ya que en el "
    "atributo TipoRegimen no existe la clave 02.",
)
def wage_subsidy_forbidden(context: Context) -> Iterator[str]:
    for nomina in _payrolls(context):
        if _regime(nomina) == "02":
            continue
        for other in _other_payments(nomina):
            if other.get("TipoOtroPago") in ("002", "007", "008"):
                yield _path(other, "TipoOtroPago")


@rule(
    "NOM228",
    "El Importe del elemento OtroPago no es menor o igual que el valor del atributo "
    "SubsidioCausado.",
)
def subsidy_paid(context: Context) -> Iterator[str]:
    for nomina in _payrolls(context):
        for other in _other_payments(nomina):
            subsidy = _child(other, "SubsidioAlEmpleo")
            if subsidy is not None and _zero(other, "Importe") > _zero(subsidy, "SubsidioCausado"):
                yield _path(other, "Importe")
