"""Pagos 2.0 rules of SAT's matrix (CRP2xxxx); see the package docstring.

Codes and messages follow SAT's "Matriz de errores" of the complemento para recepción de pagos
2.0 (CRP20101-CRP20279), as real PACs return them. Sums follow SAT's guide the way phpcfdi's
CfdiUtils (SumasPagos20) computes them: ImpuestosP from the documents' taxes divided by
EquivalenciaDR, to 6 decimals either rounded or truncated (SAT's guide admitted both from June
2023; CfdiUtils truncated until 2.24.1 and rounds since, as Finkok announced), Totales from
ImpuestosP times TipoCambioP, rounded to 2 decimals in MXN. Rules that apply only to a document
carrying the Pagos 2.0 complement check for it first, so every other document passes them untouched.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

from lxml import etree

from portal.cfdi.money import currency_decimals
from portal.cfdi.sat_matrix import CFDI_NS, NOT_IMPLEMENTED, PAGOS_NS, Context, rule

PAGO = "pago20:Pagos/pago20:Pago"
PAGOS = "cfdi:Complemento/pago20:Pagos"
CONCEPTO = "cfdi:Conceptos/cfdi:Concepto"
OBJETO_IMP = ("01", "02", "03", "04", "05", "06", "07", "08")
NO_TAXES = ("01", "03", "04", "05")
SIX = Decimal("0.000001")


def _decimal(value: str | None) -> Decimal | None:
    try:
        number = Decimal(value) if value is not None else None
    except InvalidOperation:
        return None
    return number if number is not None and number.is_finite() else None


def _places(value: str | None) -> int:
    if value is None or "." not in value:
        return 0
    return len(value.split(".", 1)[1])


def _decimals(currency: str | None) -> int:
    """Decimals of a currency in c_Moneda."""
    try:
        return currency_decimals(currency or "")
    except Exception:  # an unknown currency is the XSD's problem (c_Moneda), not this rule's
        return 6


def _is_payment(context: Context) -> bool:
    return context.find(PAGOS) is not None


def _path(node: etree._Element, attribute: str | None = None) -> str:
    """An XPath-like location of ``node`` (``/cfdi:Comprobante/cfdi:Complemento/...``)."""
    relative = node.getroottree().getelementpath(node)
    path = "/cfdi:Comprobante" + ("" if relative == "." else "/" + relative)
    for prefix, uri in (("cfdi", CFDI_NS), ("pago20", PAGOS_NS)):
        path = path.replace(f"{{{uri}}}", f"{prefix}:")
    return f"{path}/@{attribute}" if attribute else path


def _pagos(context: Context) -> list[etree._Element]:
    return context.findall(f"cfdi:Complemento/{PAGO}")


def _doctos(pago: etree._Element) -> list[etree._Element]:
    return list(pago.iterfind(f"{{{PAGOS_NS}}}DoctoRelacionado"))


def _children(node: etree._Element, path: str) -> list[etree._Element]:
    return list(node.xpath(path, namespaces={"pago20": PAGOS_NS}))


def _equivalence(docto: etree._Element) -> Decimal:
    return _decimal(docto.get("EquivalenciaDR")) or Decimal(1)


# ---------------------------------------------------------------- the CFDI of type P


def _fixed(code: str, message: str, attribute: str, expected: str | None, node: str = "") -> None:
    """A rule that an attribute of the Comprobante (or its concept) has a fixed value, or is
    absent when ``expected`` is None."""

    @rule(code, message)
    def check(context: Context) -> Iterator[str]:
        if not _is_payment(context):
            return
        for element in context.findall(node) if node else [context.root]:
            value = element.get(attribute)
            if expected is None and value is not None:
                yield _path(element, attribute)
            elif expected is not None and not _equal(value, expected):
                yield _path(element, attribute)


def _equal(value: str | None, expected: str) -> bool:
    """Equal as text; the amounts 0 and 1 equal as numbers ("0.00" is zero)."""
    if value is None:
        return False
    if expected in ("0", "1"):
        return _decimal(value) == Decimal(expected)
    return value == expected


@rule("CRP20101", 'El valor del campo TipoDeComprobante debe ser "P".')
def _tipo(context: Context) -> Iterator[str]:
    if _is_payment(context) and context.document_type != "P":
        yield "/cfdi:Comprobante/@TipoDeComprobante"


_fixed("CRP20102", 'El valor del campo Exportacion debe ser "01".', "Exportacion", "01")
_fixed("CRP20103", 'El valor del campo SubTotal debe ser cero "0".', "SubTotal", "0")
_fixed("CRP20104", 'El valor del campo Moneda debe ser "XXX".', "Moneda", "XXX")
_fixed("CRP20105", "El campo FormaPago no se debe registrar en el CFDI.", "FormaPago", None)
_fixed("CRP20106", "El campo MetodoPago no se debe registrar en el CFDI.", "MetodoPago", None)
_fixed(
    "CRP20107",
    "El campo CondicionesDePago no se debe registrar en el CFDI.",
    "CondicionesDePago",
    None,
)
_fixed("CRP20108", "El campo Descuento no se debe registrar en el CFDI.", "Descuento", None)
_fixed("CRP20109", "El campo TipoCambio no se debe registrar en el CFDI.", "TipoCambio", None)
_fixed("CRP20110", 'El valor del campo Total debe ser cero "0".', "Total", "0")


@rule("CRP20111", "Solo debe existir un Concepto en el CFDI.")
def _one_concept(context: Context) -> Iterator[str]:
    if _is_payment(context) and len(context.findall(CONCEPTO)) != 1:
        yield "/cfdi:Comprobante/cfdi:Conceptos"


@rule(
    "CRP20112",
    "Si no existe el nodo ACuentaTerceros, no se deben registrar apartados dentro de Conceptos.",
)
def _concept_children(context: Context) -> Iterator[str]:
    if not _is_payment(context):
        return
    for concept in context.findall(CONCEPTO):
        for child in concept:
            if etree.QName(child).localname not in ("ACuentaTerceros", "Impuestos"):
                yield _path(child)


_fixed(
    "CRP20113",
    'El valor del campo ClaveProdServ debe ser "84111506".',
    "ClaveProdServ",
    "84111506",
    CONCEPTO,
)
_fixed(
    "CRP20114",
    "El campo NoIdentificacion no se debe registrar en el CFDI.",
    "NoIdentificacion",
    None,
    CONCEPTO,
)
_fixed("CRP20115", 'El valor del campo Cantidad debe ser "1".', "Cantidad", "1", CONCEPTO)
_fixed("CRP20116", 'El valor del campo ClaveUnidad debe ser "ACT".', "ClaveUnidad", "ACT", CONCEPTO)
_fixed("CRP20117", "El campo Unidad no se debe registrar en el CFDI.", "Unidad", None, CONCEPTO)
_fixed(
    "CRP20118", 'El valor del campo Descripcion debe ser "Pago".', "Descripcion", "Pago", CONCEPTO
)
_fixed(
    "CRP20119",
    'El valor del campo ValorUnitario debe ser cero "0".',
    "ValorUnitario",
    "0",
    CONCEPTO,
)
_fixed("CRP20120", 'El valor del campo Importe debe ser cero "0".', "Importe", "0", CONCEPTO)
_fixed(
    "CRP20121", "El campo Descuento no se debe registrar en el CFDI.", "Descuento", None, CONCEPTO
)
_fixed("CRP20122", 'El valor del campo ObjetoImp debe ser "01".', "ObjetoImp", "01", CONCEPTO)


@rule("CRP20123", "No se debe registrar el apartado de Impuestos en el CFDI.")
def _no_taxes(context: Context) -> Iterator[str]:
    if not _is_payment(context):
        return
    for node in context.findall("cfdi:Impuestos") + context.findall(f"{CONCEPTO}/cfdi:Impuestos"):
        yield _path(node)


# ---------------------------------------------------------------- Totales


def _impuestos_p(pago: etree._Element) -> dict[tuple[str, str, str, str], tuple[Decimal, Decimal]]:
    """ImpuestosP as SAT recomputes it: (kind, impuesto, factor, rate) → (base, importe), in the
    payment's currency, from the documents' ImpuestosDR divided by EquivalenciaDR (exact: each
    declared value is compared with its 6-decimal rounding and truncation)."""
    sums: dict[tuple[str, str, str, str], tuple[Decimal, Decimal]] = {}
    for docto in _doctos(pago):
        equivalence = _equivalence(docto)
        for kind, path in (
            ("T", "pago20:ImpuestosDR/pago20:TrasladosDR/pago20:TrasladoDR"),
            ("R", "pago20:ImpuestosDR/pago20:RetencionesDR/pago20:RetencionDR"),
        ):
            for tax in _children(docto, path):
                rate = tax.get("TasaOCuotaDR") or ""
                if kind == "R":
                    key = ("R", tax.get("ImpuestoDR", ""), "", "")
                else:
                    key = ("T", tax.get("ImpuestoDR", ""), tax.get("TipoFactorDR", ""), _rate(rate))
                base = (_decimal(tax.get("BaseDR")) or Decimal(0)) / equivalence
                amount = (_decimal(tax.get("ImporteDR")) or Decimal(0)) / equivalence
                old_base, old_amount = sums.get(key, (Decimal(0), Decimal(0)))
                sums[key] = (old_base + base, old_amount + amount)
    return sums


def _six_decimals(value: Decimal) -> tuple[Decimal, Decimal]:
    """The two 6-decimal readings of an exact sum SAT accepts: rounded half up and truncated."""
    return value.quantize(SIX, ROUND_HALF_UP), value.quantize(SIX, ROUND_DOWN)


def _rate(value: str) -> str:
    number = _decimal(value)
    return "" if number is None else f"{number.quantize(SIX):f}"


def _declared_p(pago: etree._Element) -> dict[tuple[str, str, str, str], tuple[Decimal, Decimal]]:
    """ImpuestosP as the document declares it."""
    rows: dict[tuple[str, str, str, str], tuple[Decimal, Decimal]] = {}
    for tax in _children(pago, "pago20:ImpuestosP/pago20:TrasladosP/pago20:TrasladoP"):
        key = (
            "T",
            tax.get("ImpuestoP", ""),
            tax.get("TipoFactorP", ""),
            _rate(tax.get("TasaOCuotaP") or ""),
        )
        rows[key] = (
            _decimal(tax.get("BaseP")) or Decimal(0),
            _decimal(tax.get("ImporteP")) or Decimal(0),
        )
    for tax in _children(pago, "pago20:ImpuestosP/pago20:RetencionesP/pago20:RetencionP"):
        rows[("R", tax.get("ImpuestoP", ""), "", "")] = (
            Decimal(0),
            _decimal(tax.get("ImporteP")) or Decimal(0),
        )
    return rows


def _round2(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), ROUND_HALF_UP)


def _totals(context: Context, key: tuple[str, str, str, str], index: int) -> Decimal | None:
    """Σ declared ImpuestosP value (0 base, 1 importe) × TipoCambioP, rounded; None if absent."""
    total, seen = Decimal(0), False
    for pago in _pagos(context):
        exchange = _decimal(pago.get("TipoCambioP")) or Decimal(1)
        for row_key, values in _declared_p(pago).items():
            if row_key == key:
                total += values[index] * exchange
                seen = True
    return _round2(total) if seen else None


def _total_rule(
    code: str, attribute: str, key: tuple[str, str, str, str], index: int, what: str
) -> None:
    message = (
        f"El valor del campo {attribute} no es igual al redondeo de la suma del resultado de "
        f"multiplicar cada uno de los importes de los atributos {what}, por el valor registrado "
        "en el atributo TipoCambioP de cada nodo Pago."
    )

    @rule(code, message)
    def check(context: Context) -> Iterator[str]:
        totales = context.find(f"{PAGOS}/pago20:Totales")
        if totales is None:
            return
        expected = _totals(context, key, index)
        declared = _decimal(totales.get(attribute))
        if (expected is None) != (declared is None) or (
            expected is not None and declared is not None and _round2(declared) != expected
        ):
            yield _path(totales, attribute)


_RET = (
    "ImporteP de los impuestos retenidos registrados en el elemento RetencionP donde el "
    "atributo ImpuestoP contenga el valor"
)
_TRA = (
    "de los impuestos trasladados registrados en el elemento TrasladoP donde los atributos "
    "contengan en ImpuestoP el valor IVA"
)
_total_rule("CRP20201", "TotalRetencionesIVA", ("R", "002", "", ""), 1, f"{_RET} IVA")
_total_rule("CRP20202", "TotalRetencionesISR", ("R", "001", "", ""), 1, f"{_RET} ISR")
_total_rule("CRP20203", "TotalRetencionesIEPS", ("R", "003", "", ""), 1, f"{_RET} IEPS")
for _code, _attribute, _rate_value, _index, _field in (
    ("CRP20204", "TotalTrasladosBaseIVA16", "0.160000", 0, "BaseP"),
    ("CRP20205", "TotalTrasladosImpuestoIVA16", "0.160000", 1, "ImporteP"),
    ("CRP20206", "TotalTrasladosBaseIVA8", "0.080000", 0, "BaseP"),
    ("CRP20207", "TotalTrasladosImpuestoIVA8", "0.080000", 1, "ImporteP"),
    ("CRP20208", "TotalTrasladosBaseIVA0", "0.000000", 0, "BaseP"),
    ("CRP20209", "TotalTrasladosImpuestoIVA0", "0.000000", 1, "ImporteP"),
):
    _total_rule(
        _code,
        _attribute,
        ("T", "002", "Tasa", _rate_value),
        _index,
        f"{_field} {_TRA}, en TipoFactorP el valor Tasa y en TasaOCuotaP el valor {_rate_value}",
    )
_total_rule(
    "CRP20210",
    "TotalTrasladosBaseIVAExento",
    ("T", "002", "Exento", ""),
    0,
    f"BaseP {_TRA} y en TipoFactorP el valor Exento",
)


@rule(
    "CRP20211",
    "El valor del campo MontoTotalPagos no es igual al redondeo de la suma del resultado de "
    "multiplicar cada uno de los atributos Monto por el valor registrado en el atributo "
    "TipoCambioP de cada nodo Pago.",
)
def _monto_total(context: Context) -> Iterator[str]:
    totales = context.find(f"{PAGOS}/pago20:Totales")
    if totales is None:
        return
    expected = _round2(
        sum(
            (
                (_decimal(p.get("Monto")) or Decimal(0))
                * (_decimal(p.get("TipoCambioP")) or Decimal(1))
                for p in _pagos(context)
            ),
            Decimal(0),
        )
    )
    declared = _decimal(totales.get("MontoTotalPagos"))
    if declared is None or _round2(declared) != expected:
        yield _path(totales, "MontoTotalPagos")


# ---------------------------------------------------------------- Pago


def _pago_rule(code: str, message: str):  # type: ignore[no-untyped-def]
    """Register a check of each Pago node: ``check(pago) -> attribute or None``."""

    def register(check):  # type: ignore[no-untyped-def]
        @rule(code, message)
        def run(context: Context) -> Iterator[str]:
            for pago in _pagos(context):
                attribute = check(pago)
                if attribute:
                    yield _path(pago, attribute)

        return check

    return register


@_pago_rule("CRP20212", 'El valor del campo FormaDePagoP debe ser distinto de "99".')
def _forma(pago: etree._Element) -> str | None:
    return "FormaDePagoP" if pago.get("FormaDePagoP") == "99" else None


@_pago_rule("CRP20213", 'El campo MonedaP debe ser distinto de "XXX".')
def _moneda_p(pago: etree._Element) -> str | None:
    return "MonedaP" if pago.get("MonedaP") == "XXX" else None


@_pago_rule("CRP20214", "El campo TipoCambioP se debe registrar.")
def _tipo_cambio_required(pago: etree._Element) -> str | None:
    missing = pago.get("MonedaP") != "MXN" and pago.get("TipoCambioP") is None
    return "TipoCambioP" if missing else None


@_pago_rule("CRP20215", 'El campo TipoCambioP debe contener el valor "1".')
def _tipo_cambio_mxn(pago: etree._Element) -> str | None:
    wrong = pago.get("MonedaP") == "MXN" and pago.get("TipoCambioP") not in (None, "1")
    return "TipoCambioP" if wrong else None


@_pago_rule(
    "CRP20217",
    "La suma de los valores registrados en el campo ImpPagado de los apartados DoctoRelacionado "
    "no es menor o igual que el valor del campo Monto.",
)
def _monto_covers(pago: etree._Element) -> str | None:
    same = [d for d in _doctos(pago) if d.get("MonedaDR") == pago.get("MonedaP")]
    paid = sum((_decimal(d.get("ImpPagado")) or Decimal(0) for d in same), Decimal(0))
    monto = _decimal(pago.get("Monto")) or Decimal(0)
    return "Monto" if same and len(same) == len(_doctos(pago)) and paid > monto else None


@_pago_rule("CRP20218", 'El valor del campo Monto no es mayor que cero "0".')
def _monto_positive(pago: etree._Element) -> str | None:
    monto = _decimal(pago.get("Monto"))
    return "Monto" if monto is None or monto <= 0 else None


@_pago_rule(
    "CRP20219",
    "El valor del campo Monto debe tener hasta la cantidad de decimales que soporte la moneda "
    "registrada en el campo MonedaP.",
)
def _monto_decimals(pago: etree._Element) -> str | None:
    return "Monto" if _places(pago.get("Monto")) > _decimals(pago.get("MonedaP")) else None


@_pago_rule(
    "CRP20276",
    "El valor del campo Monto no se encuentra entre la suma de los límites inferiores y la suma "
    "de los límites superiores de los importes pagados (ImpPagado) convertidos a la moneda del "
    "pago.",
)
def _monto_limits(pago: etree._Element) -> str | None:
    """SAT's margin: each ImpPagado ± half a unit of its last decimal, divided by EquivalenciaDR
    ∓ half a unit of its last decimal (1.0000000000 when it is 1, CRP20277)."""
    doctos = _doctos(pago)
    if all(d.get("MonedaDR") == pago.get("MonedaP") for d in doctos):
        return None  # CRP20217 applies instead
    places = _decimals(pago.get("MonedaP"))
    low = high = Decimal(0)
    for docto in doctos:
        paid = _decimal(docto.get("ImpPagado")) or Decimal(0)
        half_paid = Decimal(5).scaleb(-_places(docto.get("ImpPagado")) - 1)
        equivalence = _equivalence(docto)
        half_eq = Decimal(5).scaleb(-max(_places(docto.get("EquivalenciaDR")), 10) - 1)
        low += (paid - half_paid) / (equivalence + half_eq)
        high += (paid + half_paid) / (equivalence - half_eq)
    exponent = Decimal(1).scaleb(-places)
    monto = _decimal(pago.get("Monto")) or Decimal(0)
    low, high = low.quantize(exponent, ROUND_DOWN), high.quantize(exponent, ROUND_CEILING)
    return None if low <= monto <= high else "Monto"


# ---------------------------------------------------------------- DoctoRelacionado


def _docto_rule(code: str, message: str):  # type: ignore[no-untyped-def]
    """Register a check of each DoctoRelacionado: ``check(pago, docto) -> attribute or None``."""

    def register(check):  # type: ignore[no-untyped-def]
        @rule(code, message)
        def run(context: Context) -> Iterator[str]:
            for pago in _pagos(context):
                for docto in _doctos(pago):
                    attribute = check(pago, docto)
                    if attribute:
                        yield _path(docto, attribute if attribute != "." else None)

        return check

    return register


@_docto_rule("CRP20236", 'El valor del campo MonedaDR debe ser distinto de "XXX".')
def _moneda_dr(pago: etree._Element, docto: etree._Element) -> str | None:
    return "MonedaDR" if docto.get("MonedaDR") == "XXX" else None


@_docto_rule("CRP20237", "El campo EquivalenciaDR se debe registrar.")
def _equivalence_required(pago: etree._Element, docto: etree._Element) -> str | None:
    differs = docto.get("MonedaDR") != pago.get("MonedaP")
    return "EquivalenciaDR" if differs and docto.get("EquivalenciaDR") is None else None


@_docto_rule("CRP20238", 'El campo EquivalenciaDR debe contener el valor "1".')
def _equivalence_one(pago: etree._Element, docto: etree._Element) -> str | None:
    same = docto.get("MonedaDR") == pago.get("MonedaP")
    return "EquivalenciaDR" if same and docto.get("EquivalenciaDR") != "1" else None


def _positive(attribute: str):  # type: ignore[no-untyped-def]
    def check(pago: etree._Element, docto: etree._Element) -> str | None:
        value = _decimal(docto.get(attribute))
        return attribute if value is None or value <= 0 else None

    return check


def _currency_places(attribute: str):  # type: ignore[no-untyped-def]
    def check(pago: etree._Element, docto: etree._Element) -> str | None:
        too_many = _places(docto.get(attribute)) > _decimals(docto.get("MonedaDR"))
        return attribute if too_many else None

    return check


_docto_rule("CRP20239", "El campo ImpSaldoAnt debe mayor a cero.")(_positive("ImpSaldoAnt"))
_docto_rule(
    "CRP20240",
    "El valor del campo ImpSaldoAnt debe tener hasta la cantidad de decimales que soporte la "
    "moneda registrada en el campo MonedaDR.",
)(_currency_places("ImpSaldoAnt"))
_docto_rule("CRP20241", "El campo ImpPagado debe mayor a cero.")(_positive("ImpPagado"))
_docto_rule(
    "CRP20242",
    "El valor del campo ImpPagado debe tener hasta la cantidad de decimales que soporte la "
    "moneda registrada en el campo MonedaDR.",
)(_currency_places("ImpPagado"))
_docto_rule(
    "CRP20243",
    "El valor del campo ImpSaldoInsoluto debe tener hasta la cantidad de decimales que soporte "
    "la moneda registrada en el campo MonedaDR.",
)(_currency_places("ImpSaldoInsoluto"))


@_docto_rule(
    "CRP20244",
    "El campo ImpSaldoInsoluto debe ser mayor o igual a cero y calcularse con la suma de los "
    "campos ImSaldoAnt menos el ImpPagado.",
)
def _insoluto(pago: etree._Element, docto: etree._Element) -> str | None:
    before, paid = _decimal(docto.get("ImpSaldoAnt")), _decimal(docto.get("ImpPagado"))
    after = _decimal(docto.get("ImpSaldoInsoluto"))
    if before is None or paid is None or after is None:
        return "ImpSaldoInsoluto"
    return "ImpSaldoInsoluto" if after < 0 or after != before - paid else None


@_docto_rule("CRP20245", "El campo ObjetoImpDR, debe tener un valor del catálogo c_ObjetoImp.")
def _objeto(pago: etree._Element, docto: etree._Element) -> str | None:
    return "ObjetoImpDR" if docto.get("ObjetoImpDR") not in OBJETO_IMP else None


def _impuestos_dr(docto: etree._Element) -> etree._Element | None:
    return docto.find(f"{{{PAGOS_NS}}}ImpuestosDR")


@_docto_rule("CRP20246", "El nodo hijo ImpuestosDR del nodo DoctoRelacionado debe existir.")
def _taxes_required(pago: etree._Element, docto: etree._Element) -> str | None:
    missing = docto.get("ObjetoImpDR") == "02" and _impuestos_dr(docto) is None
    return "ObjetoImpDR" if missing else None


@_docto_rule(
    "CRP20247",
    "Cuando el campo ObjetoImpDR contiene el valor 01, 03, 04 o 05, el nodo hijo ImpuestosDR "
    "del nodo DoctoRelacionado no debe existir.",
)
def _taxes_forbidden(pago: etree._Element, docto: etree._Element) -> str | None:
    present = docto.get("ObjetoImpDR") in NO_TAXES and _impuestos_dr(docto) is not None
    return "ObjetoImpDR" if present else None


@_docto_rule(
    "CRP20248",
    "En caso de utilizar el nodo Impuestos en un documento relacionado, se deben incluir "
    "impuestos de traslados y/o retenciones.",
)
def _taxes_not_empty(pago: etree._Element, docto: etree._Element) -> str | None:
    node = _impuestos_dr(docto)
    return "." if node is not None and len(node) == 0 else None


# ---------------------------------------------------------------- ImpuestosDR


def _dr_rule(code: str, message: str, kind: str):  # type: ignore[no-untyped-def]
    """Register a check of each TrasladoDR (``kind`` T) or RetencionDR (R)."""
    path = (
        "pago20:ImpuestosDR/pago20:TrasladosDR/pago20:TrasladoDR"
        if kind == "T"
        else "pago20:ImpuestosDR/pago20:RetencionesDR/pago20:RetencionDR"
    )

    def register(check):  # type: ignore[no-untyped-def]
        @rule(code, message)
        def run(context: Context) -> Iterator[str]:
            for pago in _pagos(context):
                for docto in _doctos(pago):
                    decimals = _decimals(docto.get("MonedaDR"))
                    for tax in _children(docto, path):
                        attribute = check(tax, decimals)
                        if attribute:
                            yield _path(tax, attribute)

        return check

    return register


def _base_positive(tax: etree._Element, decimals: int) -> str | None:
    base = _decimal(tax.get("BaseDR"))
    return "BaseDR" if base is None or base <= 0 else None


_dr_rule(
    "CRP20249",
    "El valor del campo BaseDR que corresponde a Retención debe ser mayor que cero.",
    "R",
)(_base_positive)
_dr_rule(
    "CRP20255", "El valor del campo BaseDR que corresponde a Traslado debe ser mayor que cero.", "T"
)(_base_positive)


@_dr_rule(
    "CRP20252",
    "El valor registrado en el campo TipoFactorDR que corresponde a Retención debe ser distinto "
    "de Exento.",
    "R",
)
def _withholding_not_exempt(tax: etree._Element, decimals: int) -> str | None:
    return "TipoFactorDR" if tax.get("TipoFactorDR") == "Exento" else None


def _within_limits(tax: etree._Element, decimals: int) -> str | None:
    """ImporteDR between (BaseDR − ½ unit) × rate truncated and (BaseDR + ½ unit) × rate
    rounded up, to the document's currency decimals (SAT's margin for CRP20254/CRP20261)."""
    if tax.get("TipoFactorDR") == "Exento":
        return None
    base, rate = _decimal(tax.get("BaseDR")), _decimal(tax.get("TasaOCuotaDR"))
    amount = _decimal(tax.get("ImporteDR"))
    if base is None or rate is None or amount is None:
        return "ImporteDR"
    half = Decimal(5).scaleb(-_places(tax.get("BaseDR")) - 1)
    exponent = Decimal(1).scaleb(-decimals)
    low = ((base - half) * rate).quantize(exponent, ROUND_DOWN)
    high = ((base + half) * rate).quantize(exponent, ROUND_CEILING)
    return None if low <= amount <= high else "ImporteDR"


_dr_rule(
    "CRP20254",
    "El valor del campo ImporteDR que corresponde a Retención no se encuentra entre el limite "
    "inferior y superior permitido.",
    "R",
)(_within_limits)


@_dr_rule(
    "CRP20258",
    "Si el valor registrado es Exento no se deben registrar los atributos TasaOCuotaDR ni "
    "ImporteDR.",
    "T",
)
def _exempt_bare(tax: etree._Element, decimals: int) -> str | None:
    exempt = tax.get("TipoFactorDR") == "Exento"
    present = tax.get("TasaOCuotaDR") is not None or tax.get("ImporteDR") is not None
    return "TipoFactorDR" if exempt and present else None


@_dr_rule(
    "CRP20259",
    "Si el valor registrado en el campo TipoFactorDR es Tasa o Cuota, se deben registrar los "
    "atributos TasaOCuotaDR e ImporteDR.",
    "T",
)
def _rated_complete(tax: etree._Element, decimals: int) -> str | None:
    rated = tax.get("TipoFactorDR") in ("Tasa", "Cuota")
    missing = tax.get("TasaOCuotaDR") is None or tax.get("ImporteDR") is None
    return "TipoFactorDR" if rated and missing else None


_dr_rule(
    "CRP20261",
    "El valor del campo ImporteDR que corresponde a Traslado no se encuentra entre el limite "
    "inferior y superior permitido.",
    "T",
)(_within_limits)


# ---------------------------------------------------------------- ImpuestosP


def _p_rule(code: str, message: str, kind: str, index: int, exempt: bool | None) -> None:
    """A declared ImpuestosP value (base 0 / importe 1) equals the documents' sum."""

    @rule(code, message)
    def check(context: Context) -> Iterator[str]:
        for pago in _pagos(context):
            expected, declared = _impuestos_p(pago), _declared_p(pago)
            for key in sorted(set(expected) | set(declared)):
                if key[0] != kind or (exempt is not None and (key[2] == "Exento") != exempt):
                    continue
                want = expected.get(key, (None, None))[index]
                have = declared.get(key, (None, None))[index]
                if want is None or have is None or have not in _six_decimals(want):
                    yield _path(pago) + f"/pago20:ImpuestosP[{'/'.join(key[1:])}]"


_p_rule(
    "CRP20265",
    "El campo ImporteP que corresponde a Retención, no es igual a la suma de los importes de los "
    "impuestos retenidos registrados en el documento relacionado donde el impuesto sea igual al "
    "campo ImpuestoP de este elemento.",
    "R",
    1,
    None,
)
_p_rule(
    "CRP20268",
    "El campo BaseP que corresponde a Traslado, no es igual a la suma de los importes de las "
    "bases registrados en los documentos relacionados donde el impuesto del documento "
    "relacionado sea igual al campo ImpuestoP de este elemento y la TasaOCuotaDR del documento "
    "relacionado sea igual al campo TasaOCuotaP de este elemento.",
    "T",
    0,
    False,
)
_p_rule(
    "CRP20269",
    "El importe del campo BaseP que corresponde a Traslado, no es igual a la suma de los "
    "importes de las bases registrados en los documentos relacionados.",
    "T",
    0,
    True,
)
_p_rule(
    "CRP20274",
    "El campo ImporteP que corresponde a Traslado, no es igual a la suma de los importes de los "
    "impuestos registrados en el documento relacionado donde el impuesto del documento "
    "relacionado sea igual al campo ImpuestoP de este elemento y la TasaOCuotaP del documento "
    "relacionado sea igual al campo TasaOCuotaP de este elemento.",
    "T",
    1,
    False,
)


@rule(
    "CRP20264",
    "Debe existir al menos uno de los campos TotalRetencionesIVA, TotalRetencionesISR, "
    "TotalRetencionesIEPS.",
)
def _withholding_totals(context: Context) -> Iterator[str]:
    totales = context.find(f"{PAGOS}/pago20:Totales")
    if totales is None or not context.findall(
        f"cfdi:Complemento/{PAGO}/pago20:ImpuestosP/pago20:RetencionesP"
    ):
        return
    names = ("TotalRetencionesIVA", "TotalRetencionesISR", "TotalRetencionesIEPS")
    if all(totales.get(name) is None for name in names):
        yield _path(totales)


@rule(
    "CRP20267",
    "Debe existir al menos uno de los campos TotalTrasladosBaseIVA16 y/o TotalTrasladosBaseIVA8 "
    "y/o TotalTrasladosBaseIVA0 y/o TotalTrasladosBaseIVAExento.",
)
def _transfer_totals(context: Context) -> Iterator[str]:
    totales = context.find(f"{PAGOS}/pago20:Totales")
    transfers = "pago20:ImpuestosP/pago20:TrasladosP/pago20:TrasladoP"
    iva = f"cfdi:Complemento/{PAGO}/{transfers}[@ImpuestoP='002']"
    if totales is None or not context.findall(iva):
        return
    names = (
        "TotalTrasladosBaseIVA16",
        "TotalTrasladosBaseIVA8",
        "TotalTrasladosBaseIVA0",
        "TotalTrasladosBaseIVAExento",
    )
    if all(totales.get(name) is None for name in names):
        yield _path(totales)


NOT_IMPLEMENTED.update(
    {
        "CRP20216": "TipoCambioP's limits and Confirmacion: SAT publishes the limits per day "
        "and the PAC issues the key; the portal never sends Confirmacion.",
        "CRP20220": "Monto's limits and Confirmacion: the same daily limits as CRP20216.",
        "CRP20221": "Ordering/beneficiary account fields (RfcEmisorCtaOrd, CtaOrdenante, ...): "
        "the portal does not write them.",
        "CRP20222": "RfcEmisorCtaOrd in SAT's l_RFC list: the portal does not write it.",
        "CRP20223": "NomBancoOrdExt: the portal does not write account fields.",
        "CRP20224": "CtaOrdenante: the portal does not write account fields.",
        "CRP20225": "CtaOrdenante pattern: the portal does not write account fields.",
        "CRP20226": "CtaBeneficiario pattern: the portal does not write account fields.",
        "CRP20227": "RfcEmisorCtaBen: the portal does not write account fields.",
        "CRP20228": "CtaBeneficiario: the portal does not write account fields.",
        "CRP20229": "TipoCadPago (SPEI chains): the portal does not write it.",
        "CRP20230": "CertPago: only with TipoCadPago, which the portal does not write.",
        "CRP20231": "CertPago: only with TipoCadPago, which the portal does not write.",
        "CRP20232": "CadPago: only with TipoCadPago, which the portal does not write.",
        "CRP20233": "CadPago: only with TipoCadPago, which the portal does not write.",
        "CRP20234": "SelloPago: only with TipoCadPago, which the portal does not write.",
        "CRP20235": "SelloPago: only with TipoCadPago, which the portal does not write.",
        "CRP20250": "ImpuestoDR of a RetencionDR in c_Impuesto: the XSD's enumeration.",
        "CRP20251": "TipoFactorDR of a RetencionDR in c_TipoFactor: the XSD's enumeration.",
        "CRP20253": "TasaOCuotaDR of a RetencionDR in c_TasaOCuota: the engine checks rates "
        "against c_TasaOCuota before building (money.check_tax).",
        "CRP20256": "ImpuestoDR of a TrasladoDR in c_Impuesto: the XSD's enumeration.",
        "CRP20257": "TipoFactorDR of a TrasladoDR in c_TipoFactor: the XSD's enumeration.",
        "CRP20260": "TasaOCuotaDR of a TrasladoDR in c_TasaOCuota: the engine checks rates "
        "against c_TasaOCuota before building (money.check_tax).",
        "CRP20262": "ImpuestoP of a RetencionP in c_Impuesto: the XSD's enumeration.",
        "CRP20263": "One RetencionP per impuesto: ImpuestosP is grouped by construction and "
        "CRP20265 compares each row with the documents' sum.",
        "CRP20266": "BaseP, ImpuestoP and TipoFactorP of an exempt TrasladoP: required by the XSD.",
        "CRP20270": "ImpuestoP of a TrasladoP in c_Impuesto: the XSD's enumeration.",
        "CRP20271": "One TrasladoP per impuesto, factor and rate: grouped by construction and "
        "compared with the documents' sums by CRP20268/CRP20274.",
        "CRP20272": "TasaOCuotaP in c_TasaOCuota: follows from CRP20268/CRP20274 and the "
        "documents' rates.",
        "CRP20273": "TotalTrasladosImpuestoIVA*: CRP20205/CRP20207/CRP20209 refuse a missing "
        "total whose ImpuestosP exists.",
        "CRP20275": "Each ImpPagado's own margin in another currency: CRP20276 checks the sum "
        "of those margins against Monto.",
        "CRP20277": "EquivalenciaDR 1 read as 1.0000000000 in margins: applied inside CRP20276.",
        "CRP20278": "ObjetoImpDR 06/08: the portal writes 01 or 02 only (or the paid "
        "invoice's 03/04).",
        "CRP20279": "ObjetoImpDR 07: the portal writes 01 or 02 only (or the paid invoice's "
        "03/04).",
        "CRP20999": "SAT's catch-all for structure errors: the XSD validation.",
    }
)
