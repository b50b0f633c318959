"""Comercio Exterior 2.0 rules (CCE20xxx); see the package docstring.

The checks follow SAT's "Guía de llenado del CFDI con complemento de comercio exterior 2.0" and
its "Matriz de errores" (the complement's validations a PAC applies). The numbering below
follows the matrix's order (document, header, Emisor, Receptor, Mercancías); no public copy of
the spreadsheet could be consulted while writing this table, so each rule quotes the condition
it checks, and a number that disagrees with SAT's sheet should be corrected here, in one place.

Rules about the complement's content run only when a document carries it. The other direction
(Exportacion 02 without the complement) is SAT's CFDI40122, and the foreign receiver's
ResidenciaFiscal / NumRegIdTrib with the complement are CFDI40153 / CFDI40155: all in
``cfdi40``. Exportacion 03 (temporal) and 04 (definitiva con clave distinta de A1) never carry
the complement (CCE20102).

Left out: ClaveDePedimento (c_ClavePedimento holds only A1, an XSD enumeration the schema already
enforces); Destinatario (the API issues none); Emisor:Curp against the RFC (needs SAT's registry).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

from lxml import etree

from portal.cfdi import catalogs
from portal.cfdi.sat_matrix import CFDI_NS, Context, rule

CCE_NS = "http://www.sat.gob.mx/ComercioExterior20"
CCE = f"{{{CCE_NS}}}"
CFDI = f"{{{CFDI_NS}}}"
FOREIGN_RFC = "XEXX010101000"
CENT = Decimal("0.01")


def _complements(context: Context) -> list[etree._Element]:
    return list(context.root.iterfind(f"{CFDI}Complemento/{CCE}ComercioExterior"))


def _complement(context: Context) -> etree._Element | None:
    found = _complements(context)
    return found[0] if found else None


def _path(node: etree._Element, attribute: str | None = None) -> str:
    relative = node.getroottree().getelementpath(node)
    path = "/cfdi:Comprobante/" + relative
    path = path.replace(CFDI, "cfdi:").replace(CCE, "cce20:")
    return f"{path}/@{attribute}" if attribute else path


def _decimal(value: str | None) -> Decimal | None:
    try:
        return Decimal(value) if value is not None else None
    except InvalidOperation:
        return None


def _cents(value: Decimal) -> Decimal:
    with localcontext() as context:  # XSD-valid customs figures multiply past 28 digits
        context.prec = 80
        return value.quantize(CENT, ROUND_HALF_UP)


def _goods(cce: etree._Element) -> list[etree._Element]:
    return list(cce.iterfind(f"{CCE}Mercancias/{CCE}Mercancia"))


def _concepts(context: Context) -> list[etree._Element]:
    return list(context.root.iterfind(f"{CFDI}Conceptos/{CFDI}Concepto"))


# ---------------------------------------------------------------- the document


@rule(
    "CCE20101",
    "El complemento de comercio exterior solo puede registrarse en un CFDI de tipo I, E o T.",
)
def document_type(context: Context) -> Iterator[str]:
    cce = _complement(context)
    if cce is not None and context.document_type not in ("I", "E", "T"):
        yield "/cfdi:Comprobante/@TipoDeComprobante"


@rule(
    "CCE20102",
    "Si se registra el complemento de comercio exterior, el atributo Exportacion debe ser 02.",
)
def export_is_definitive(context: Context) -> Iterator[str]:
    if _complement(context) is not None and context.root.get("Exportacion") != "02":
        yield "/cfdi:Comprobante/@Exportacion"


@rule("CCE20104", "Solo debe existir un complemento de comercio exterior.")
def one_complement(context: Context) -> Iterator[str]:
    found = _complements(context)
    if len(found) > 1:
        yield _path(found[1])


# ---------------------------------------------------------------- the header


@rule(
    "CCE20201",
    "El atributo MotivoTraslado debe registrarse cuando el TipoDeComprobante es T y no debe "
    "registrarse en otro caso.",
)
def transfer_reason(context: Context) -> Iterator[str]:
    cce = _complement(context)
    if cce is not None and (context.document_type == "T") != bool(cce.get("MotivoTraslado")):
        yield _path(cce, "MotivoTraslado")


@rule("CCE20202", "Si el MotivoTraslado es 05, debe registrarse el nodo Propietario.")
def owners_for_reason_05(context: Context) -> Iterator[str]:
    cce = _complement(context)
    if cce is not None and cce.get("MotivoTraslado") == "05":
        if cce.find(f"{CCE}Propietario") is None:
            yield _path(cce)


@rule(
    "CCE20203",
    "El atributo Incoterm debe registrarse cuando el TipoDeComprobante es I o E.",
)
def incoterm_required(context: Context) -> Iterator[str]:
    cce = _complement(context)
    if cce is not None and context.document_type in ("I", "E") and not cce.get("Incoterm"):
        yield _path(cce, "Incoterm")


@rule(
    "CCE20204",
    "NumCertificadoOrigen debe registrarse si CertificadoOrigen es 1 y no debe registrarse "
    "si es 0.",
)
def origin_certificate_number(context: Context) -> Iterator[str]:
    cce = _complement(context)
    if cce is None:
        return
    if (cce.get("CertificadoOrigen") == "1") != bool(cce.get("NumCertificadoOrigen")):
        yield _path(cce, "NumCertificadoOrigen")


@rule(
    "CCE20205",
    "Si la Moneda del comprobante es USD, TipoCambioUSD debe ser igual al TipoCambio.",
)
def usd_exchange_matches(context: Context) -> Iterator[str]:
    cce = _complement(context)
    if cce is None or context.root.get("Moneda") != "USD":
        return
    if _decimal(cce.get("TipoCambioUSD")) != _decimal(context.root.get("TipoCambio")):
        yield _path(cce, "TipoCambioUSD")


@rule(
    "CCE20206",
    "El atributo TotalUSD debe ser la suma de los ValorDolares de las mercancías, redondeada "
    "a 2 decimales.",
)
def total_usd(context: Context) -> Iterator[str]:
    cce = _complement(context)
    if cce is None:
        return
    values = [_decimal(m.get("ValorDolares")) or Decimal(0) for m in _goods(cce)]
    if _decimal(cce.get("TotalUSD")) != _cents(sum(values, Decimal(0))):
        yield _path(cce, "TotalUSD")


# ---------------------------------------------------------------- Emisor and Receptor


@rule(
    "CCE20301",
    "Debe registrarse el nodo Emisor:Domicilio, en México (Pais MEX), con Estado, Municipio, "
    "Localidad y Colonia del catálogo que correspondan a su CodigoPostal.",
)
def issuer_address(context: Context) -> Iterator[str]:
    cce = _complement(context)
    if cce is None:
        return
    address = cce.find(f"{CCE}Emisor/{CCE}Domicilio")
    if address is None:
        yield _path(cce) + "/cce20:Emisor"
        return
    zip_code, state = address.get("CodigoPostal", ""), address.get("Estado", "")
    row = catalogs._select("C756_c_CodigoPostal", zip_code)
    if address.get("Pais") != "MEX":
        yield _path(address, "Pais")
    elif row is None or row[0] != state:
        yield _path(address, "Estado")
    checks = (
        ("Municipio", "C756_c_Municipio", state),
        ("Localidad", "C756_c_Localidad", state),
        ("Colonia", "C756_c_Colonia", zip_code),
    )
    for attribute, table, second in checks:
        value = address.get(attribute)
        if value and catalogs._select(table, (value, second)) is None:
            yield _path(address, attribute)


def _foreign_address_problems(address: etree._Element) -> Iterator[str]:
    from portal.cfdi.comercio_exterior import foreign_address_problem

    wrong = foreign_address_problem(
        address.get("Pais", ""), address.get("Estado"), address.get("CodigoPostal")
    )
    if wrong:
        yield _path(address, "Estado" if wrong == "state" else "CodigoPostal")


@rule(
    "CCE20401",
    "Si el receptor es residente en el extranjero, debe registrarse Receptor:Domicilio del "
    "complemento con un Pais distinto de MEX.",
)
def foreign_receiver_address(context: Context) -> Iterator[str]:
    cce = _complement(context)
    receptor = context.root.find(f"{CFDI}Receptor")
    if cce is None or receptor is None or receptor.get("Rfc") != FOREIGN_RFC:
        return
    address = cce.find(f"{CCE}Receptor/{CCE}Domicilio")
    if address is None:
        yield _path(cce) + "/cce20:Receptor/cce20:Domicilio"
    elif address.get("Pais") == "MEX":
        yield _path(address, "Pais")


@rule(
    "CCE20402",
    "El atributo Receptor:NumRegIdTrib del complemento no debe registrarse: el número de "
    "registro fiscal del receptor va en cfdi:Receptor.",
)
def receiver_tax_id_not_repeated(context: Context) -> Iterator[str]:
    cce = _complement(context)
    receptor = None if cce is None else cce.find(f"{CCE}Receptor")
    if receptor is not None and receptor.get("NumRegIdTrib"):
        yield _path(receptor, "NumRegIdTrib")


@rule(
    "CCE20403",
    "En un domicilio de Estados Unidos o Canadá, Estado debe ser una clave de c_Estado de ese "
    "país y CodigoPostal debe tener su formato (99999 o 99999-9999; A9A 9A9).",
)
def foreign_state_and_zip(context: Context) -> Iterator[str]:
    cce = _complement(context)
    if cce is None:
        return
    for path in (f"{CCE}Receptor/{CCE}Domicilio", f"{CCE}Destinatario/{CCE}Domicilio"):
        for address in cce.iterfind(path):
            yield from _foreign_address_problems(address)


# ---------------------------------------------------------------- Mercancías


@rule(
    "CCE20501",
    "Cada concepto debe registrar NoIdentificacion y debe existir una mercancía con el mismo "
    "NoIdentificacion.",
)
def concepts_have_goods(context: Context) -> Iterator[str]:
    cce = _complement(context)
    if cce is None:
        return
    skus = {m.get("NoIdentificacion") for m in _goods(cce)}
    for concept in _concepts(context):
        if concept.get("NoIdentificacion") not in skus:
            yield _path(concept, "NoIdentificacion")


@rule(
    "CCE20502",
    "Cada Mercancia:NoIdentificacion debe existir en algún concepto del comprobante.",
)
def goods_have_concepts(context: Context) -> Iterator[str]:
    cce = _complement(context)
    if cce is None:
        return
    skus = {c.get("NoIdentificacion") for c in _concepts(context)}
    for goods in _goods(cce):
        if goods.get("NoIdentificacion") not in skus:
            yield _path(goods, "NoIdentificacion")


@rule(
    "CCE20503",
    "No debe repetirse la combinación de NoIdentificacion y FraccionArancelaria en las mercancías.",
)
def goods_not_repeated(context: Context) -> Iterator[str]:
    cce = _complement(context)
    seen: set[tuple[str | None, str | None]] = set()
    for goods in [] if cce is None else _goods(cce):
        key = (goods.get("NoIdentificacion"), goods.get("FraccionArancelaria"))
        if key in seen:
            yield _path(goods)
        seen.add(key)


@rule(
    "CCE20504",
    "CantidadAduana, UnidadAduana y ValorUnitarioAduana deben registrarse juntos.",
)
def customs_figures_together(context: Context) -> Iterator[str]:
    cce = _complement(context)
    names = ("CantidadAduana", "UnidadAduana", "ValorUnitarioAduana")
    for goods in [] if cce is None else _goods(cce):
        present = [goods.get(n) is not None for n in names]
        if any(present) and not all(present):
            yield _path(goods)


@rule(
    "CCE20505",
    "FraccionArancelaria debe registrarse (salvo UnidadAduana 99) y existir vigente en "
    "c_FraccionArancelaria.",
)
def tariff_code(context: Context) -> Iterator[str]:
    cce = _complement(context)
    for goods in [] if cce is None else _goods(cce):
        code = goods.get("FraccionArancelaria")
        if goods.get("UnidadAduana") == "99":
            if code:
                yield _path(goods, "FraccionArancelaria")
            continue
        found = catalogs._select("C5bc_c_FraccionArancelaria", code) if code else None
        if found is None or str(found).startswith("Derogada"):
            yield _path(goods, "FraccionArancelaria")


@rule(
    "CCE20506",
    "ValorDolares debe ser CantidadAduana por ValorUnitarioAduana, redondeado a 2 decimales.",
)
def usd_value_from_customs(context: Context) -> Iterator[str]:
    cce = _complement(context)
    for goods in [] if cce is None else _goods(cce):
        quantity = _decimal(goods.get("CantidadAduana"))
        price = _decimal(goods.get("ValorUnitarioAduana"))
        if quantity is None or price is None:
            continue
        if _decimal(goods.get("ValorDolares")) != _cents(quantity * price):
            yield _path(goods, "ValorDolares")


@rule(
    "CCE20507",
    "Sin datos aduaneros, ValorDolares debe ser la suma de los Importe de sus conceptos "
    "convertidos a dólares (Importe × TipoCambio ÷ TipoCambioUSD), con un centavo de margen "
    "por concepto.",
)
def usd_value_from_concepts(context: Context) -> Iterator[str]:
    cce = _complement(context)
    usd = _decimal(cce.get("TipoCambioUSD")) if cce is not None else None
    if cce is None or not usd:
        return
    rate = _decimal(context.root.get("TipoCambio")) or Decimal(1)
    for goods in _goods(cce):
        if goods.get("CantidadAduana") is not None:
            continue
        sku = goods.get("NoIdentificacion")
        mine = [c for c in _concepts(context) if c.get("NoIdentificacion") == sku]
        expected = sum(
            ((_decimal(c.get("Importe")) or Decimal(0)) * rate / usd for c in mine), Decimal(0)
        )
        written = _decimal(goods.get("ValorDolares")) or Decimal(0)
        if abs(written - expected) > CENT * max(len(mine), 1):
            yield _path(goods, "ValorDolares")
