"""CFDI 4.0 rules of SAT's matrix (CFDI40xxx); see the package docstring.

Codes and messages follow SAT's "Matriz de errores" of Anexo 20 version 4.0 (CFDI40101 to
CFDI40221), as public validators number them. Rules that need SAT's own lists (l_RFC, LCO,
confirmation keys issued by a PAC) or catalogue columns that satcfdi does not ship are in
``NOT_IMPLEMENTED`` with the reason. Rounding is SAT's: half up to the currency's decimals; the
limits of a concept's Importe and of a tax's Importe are SAT's (the factors widened by half a
unit of their last decimal, the lower limit truncated and the upper one rounded up).
"""

from __future__ import annotations

import base64
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from cryptography.x509.oid import NameOID
from lxml import etree

from portal.cfdi import catalogs, rules
from portal.cfdi.sat_matrix import CFDI_NS, NOT_IMPLEMENTED, Context, rule
from portal.errors import PortalError

CCE_NS = "http://www.sat.gob.mx/ComercioExterior20"
IMPLOCAL_NS = "http://www.sat.gob.mx/implocal"
PUBLIC_RFC, FOREIGN_RFC = rules.GENERIC_NATIONAL, rules.GENERIC_FOREIGN
PUBLIC_NAME = rules.GENERAL_PUBLIC_NAME
INCOME_TYPES = frozenset("IEN")  # types whose concepts carry amounts
NO_AMOUNT_TYPES = frozenset("TP")
DATE_PATTERN = re.compile(
    r"(20[1-9][0-9])-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T(([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9])"
)
EXCHANGE_PATTERN = re.compile(r"[0-9]{1,18}(\.[0-9]{1,6})?")
PEDIMENTO_PATTERN = re.compile(r"([0-9]{2})  [0-9]{2}  [0-9]{4}  [0-9]{7}")
TRANSFER_TAXES = frozenset({"002", "003"})  # c_Impuesto: ISR (001) is never transferred
WITHHOLDING_TAXES = frozenset({"001", "002", "003"})
FACTORS = frozenset({"Tasa", "Cuota", "Exento"})
# c_ObjetoImp keys whose concept carries no Impuestos node (CFDI40172); 06-08 (2024) are left
# to the XSD and the complement's own rules.
NO_TAX_NODE_OBJECTS = frozenset({"01", "03", "04", "05"})
IEPS_FIXED_RATES = frozenset(
    Decimal(r)
    for r in "0.265 0.300 0.530 0.500 1.600 0.304 0.250 0.090 0.080 0.070 0.060 0.030".split()
)
IEPS_QUOTA_MAX = Decimal("59.144900")  # c_TasaOCuota: IEPS Cuota, range 0 to this value
ISR_MAX = Decimal("0.350000")
IVA_MAX = Decimal("0.160000")
ADDRESSED_USES_FISICA_ONLY = frozenset({f"D{n:02d}" for n in range(1, 11)} | {"CN01"})

NOT_IMPLEMENTED.update(
    {
        "CFDI40118": "El rango de variación del tipo de cambio depende del tipo de cambio "
        "publicado por Banxico para el día; sin esa fuente no se puede calcular. El proyecto "
        "nunca escribe Confirmacion.",
        "CFDI40120": "El SAT no publica el límite del Total que exige Confirmacion; el proyecto "
        "nunca escribe Confirmacion.",
        "CFDI40127": "Confirmacion: el proyecto nunca la escribe y los límites que la exigen "
        "(CFDI40118, CFDI40120) no son calculables sin fuentes externas.",
        "CFDI40128": "Confirmacion: la clave la emite el PAC de forma no automática; el PAC de "
        "pruebas no emite claves.",
        "CFDI40129": "Confirmacion: exige el registro de claves ya usadas del PAC.",
        "CFDI40138": "Requiere la lista de RFC inscritos no cancelados del SAT (l_RFC); el "
        "emisor se verifica con su CSD (CFDI40106).",
        "CFDI40139": "Requiere el nombre registrado en la lista l_RFC del SAT.",
        "CFDI40142": "FacAtrAdquirente requiere los números de operación que asigna el SAT; el "
        "proyecto no lo escribe.",
        "CFDI40143": "Requiere la lista l_RFC del SAT; la API valida el patrón y el dígito "
        "verificador del RFC (portal.cfdi.rules).",
        "CFDI40144": "Requiere la lista l_RFC del SAT.",
        "CFDI40145": "Requiere el nombre registrado en la lista l_RFC del SAT.",
        "CFDI40147": "Requiere la lista l_RFC del SAT; la API valida que el código postal "
        "exista en c_CodigoPostal.",
        "CFDI40148": "Requiere el domicilio fiscal registrado en la lista l_RFC del SAT.",
        "CFDI40156": "satcfdi no incluye la columna «Formato de Registro de Identidad "
        "Tributaria» de c_Pais; la API limita NumRegIdTrib a 40 caracteres.",
        "CFDI40163": "satcfdi no incluye la columna «Complemento que debe incluir» de "
        "c_ClaveProdServ.",
        "CFDI40164": "satcfdi no incluye las columnas «Incluir IVA/IEPS trasladado» de "
        "c_ClaveProdServ.",
        "CFDI40187": "ACuentaTerceros: requiere la lista l_RFC del SAT.",
        "CFDI40188": "ACuentaTerceros: requiere la lista l_RFC del SAT.",
        "CFDI40189": "ACuentaTerceros: requiere la lista l_RFC del SAT.",
        "CFDI40190": "ACuentaTerceros: requiere la lista l_RFC del SAT.",
        "CFDI40191": "ACuentaTerceros: el XSD del SAT ya restringe el régimen al catálogo; la "
        "numeración de este bloque difiere entre fuentes.",
        "CFDI40192": "ACuentaTerceros: requiere la lista l_RFC del SAT.",
        "CFDI40193": "ACuentaTerceros: requiere la lista l_RFC del SAT.",
        "CFDI40213": "Base, Impuesto y TipoFactor del Traslado son obligatorios en el XSD del "
        "SAT, que el motor valida al sellar.",
        "CFDI40999": "Error no clasificado del SAT: no es una validación concreta.",
    }
)


# ---------------------------------------------------------------- helpers


def _number(text: str | None) -> Decimal | None:
    """The decimal in an attribute, or None when absent or not a number."""
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _amount(node: etree._Element | None, name: str) -> Decimal:
    """An attribute as a Decimal, zero when absent or unreadable."""
    value = _number(node.get(name)) if node is not None else None
    return value if value is not None else Decimal(0)


def _places(text: str | None) -> int:
    """Decimals written in a numeric attribute ("1.50" has 2)."""
    if not text or "." not in text:
        return 0
    return len(text.split(".", 1)[1])


def _unit(places: int) -> Decimal:
    return Decimal(1).scaleb(-places)


def _round(value: Decimal, places: int) -> Decimal:
    """SAT's rounding: half up to ``places`` decimals."""
    return value.quantize(_unit(places), rounding=ROUND_HALF_UP)


def _decimals(context: Context) -> int:
    """Decimals of the document's currency (c_Moneda); 2 when the currency is unknown."""
    cached = context.extra.get("decimals")
    if isinstance(cached, int):
        return cached
    decimals = 2
    currency = context.root.get("Moneda", "")
    if catalogs.is_valid("currency", currency):
        from satcfdi.catalogs import moneda_decimales

        decimals = int(moneda_decimales(currency))
    context.extra["decimals"] = decimals
    return decimals


def _limits(factor_a: str, factor_b: str, places: int) -> tuple[Decimal, Decimal] | None:
    """SAT's limits of ``a × b``: each factor ± half a unit of its last decimal, the lower
    product truncated and the upper rounded up to ``places``."""
    a, b = _number(factor_a), _number(factor_b)
    if a is None or b is None:
        return None
    half_a, half_b = _unit(_places(factor_a)) / 2, _unit(_places(factor_b)) / 2
    low = ((a - half_a) * (b - half_b)).quantize(_unit(places), rounding=ROUND_FLOOR)
    high = ((a + half_a) * (b + half_b)).quantize(_unit(places), rounding=ROUND_CEILING)
    return low, high


def _tax_limits(base: str, rate: str, places: int) -> tuple[Decimal, Decimal] | None:
    """Limits of a tax's Importe: only the Base is widened (the rate is exact)."""
    b, r = _number(base), _number(rate)
    if b is None or r is None:
        return None
    half = _unit(_places(base)) / 2
    low = ((b - half) * r).quantize(_unit(places), rounding=ROUND_FLOOR)
    high = ((b + half) * r).quantize(_unit(places), rounding=ROUND_CEILING)
    return low, high


def _cached(context: Context, key: str, compute: Callable[[], Any]) -> Any:
    """What ``compute`` returns, computed once per document (a 5000-concept invoice is read
    by some thirty rules)."""
    if key not in context.extra:
        context.extra[key] = compute()
    return context.extra[key]


def _concepts(context: Context) -> list[etree._Element]:
    return _cached(context, "concepts", lambda: context.findall("cfdi:Conceptos/cfdi:Concepto"))


def _children(concept: etree._Element, path: str) -> list[etree._Element]:
    return list(concept.iterfind(path, {"cfdi": CFDI_NS}))


def _concept_path(index: int, rest: str = "") -> str:
    return f"Conceptos/Concepto[{index}]{rest}"


def _receptor(context: Context) -> etree._Element:
    node = context.find("cfdi:Receptor")
    return node if node is not None else etree.Element("missing")


def _emisor(context: Context) -> etree._Element:
    node = context.find("cfdi:Emisor")
    return node if node is not None else etree.Element("missing")


def _has_cce(context: Context) -> bool:
    path = "*[local-name()='Complemento']/*[namespace-uri()=$ns]"
    return bool(context.root.xpath(path, ns=CCE_NS))


def _too_many_places(text: str | None, places: int) -> bool:
    return text is not None and _places(text) > places


def _concept_taxes(context: Context, kind: str) -> list[tuple[int, int, etree._Element]]:
    """(concept index, tax index, node) of every concept Traslado or Retencion."""
    plural = "Traslados" if kind == "Traslado" else "Retenciones"

    def compute() -> list[tuple[int, int, etree._Element]]:
        return [
            (index, position, node)
            for index, concept in enumerate(_concepts(context), 1)
            for position, node in enumerate(
                _children(concept, f"cfdi:Impuestos/cfdi:{plural}/cfdi:{kind}"), 1
            )
        ]

    return _cached(context, f"concept_{kind}", compute)


def _tax_path(index: int, kind: str, position: int, attribute: str) -> str:
    plural = "Traslados" if kind == "Traslado" else "Retenciones"
    return _concept_path(index, f"/Impuestos/{plural}/{kind}[{position}]/@{attribute}")


def _rate_key(node: etree._Element) -> tuple[str, str, Decimal | None]:
    """(Impuesto, TipoFactor, TasaOCuota) of a Traslado, the key SAT sums by."""
    return node.get("Impuesto", ""), node.get("TipoFactor", ""), _number(node.get("TasaOCuota"))


def _rate_allowed(tax: str, factor: str, rate: Decimal, withheld: bool) -> bool:
    """Whether c_TasaOCuota has ``rate`` for this tax and factor (transfer or withholding)."""
    if tax == "002" and factor == "Tasa":
        if withheld:
            return Decimal(0) <= rate <= IVA_MAX
        return rate in (Decimal(0), Decimal("0.16"), Decimal("0.08"))
    if tax == "003" and factor == "Tasa":
        return rate in IEPS_FIXED_RATES or (not withheld and rate == 0)
    if tax == "003" and factor == "Cuota":
        return Decimal(0) <= rate <= IEPS_QUOTA_MAX
    if tax == "001" and factor == "Tasa":
        return withheld and Decimal(0) <= rate <= ISR_MAX
    return False


# ---------------------------------------------------------------- Comprobante


@rule("CFDI40101", "El campo Fecha no cumple con el patrón requerido.")
def fecha_pattern(context: Context) -> Iterator[str]:
    if not DATE_PATTERN.fullmatch(context.root.get("Fecha", "")):
        yield "@Fecha"


@rule(
    "CFDI40102",
    "El resultado de la digestión debe ser igual al resultado de la desencripción del sello.",
)
def sello(context: Context) -> Iterator[str]:
    from portal.cfdi.pac import verify_seal  # pac imports documents; load lazily

    try:
        verify_seal(context.root)
    except (PortalError, ValueError, TypeError):  # bad seal, or no readable certificate
        yield "@Sello"


@rule("CFDI40103", "Si existe el tipo de comprobante T, N o P, el campo FormaPago no debe existir.")
def forma_pago_absent(context: Context) -> Iterator[str]:
    if context.document_type in ("T", "N", "P") and context.root.get("FormaPago") is not None:
        yield "@FormaPago"


@rule("CFDI40104", "El campo FormaPago no contiene un valor del catálogo c_FormaPago.")
def forma_pago_catalog(context: Context) -> Iterator[str]:
    value = context.root.get("FormaPago")
    if value is not None and not catalogs.is_valid("payment_form", value):
        yield "@FormaPago"


@rule(
    "CFDI40105",
    "El campo FormaPago no contiene el valor 99 cuando el campo MetodoPago contiene el valor PPD.",
)
def forma_pago_ppd(context: Context) -> Iterator[str]:
    root = context.root
    if root.get("MetodoPago") == "PPD" and root.get("FormaPago") != "99":
        yield "@FormaPago"


@rule("CFDI40106", "Este campo no cumple con alguno de los valores permitidos (Certificado).")
def certificado(context: Context) -> Iterator[str]:
    from portal.cfdi.csd import load_certificate
    from portal.cfdi.pac import _certificate_number

    root = context.root
    try:
        certificate = load_certificate(base64.b64decode(root.get("Certificado", "")))
    except Exception:  # any unreadable certificate is refused; the kind does not matter
        yield "@Certificado"
        return
    # SAT writes "RFC / representative's RFC" in the subject's x500UniqueIdentifier.
    names = certificate.subject.get_attributes_for_oid(NameOID.X500_UNIQUE_IDENTIFIER)
    rfc = str(names[0].value).split("/")[0].strip() if names else ""
    if root.get("NoCertificado") != _certificate_number(certificate):
        yield "@NoCertificado"
    elif _emisor(context).get("Rfc") != rfc:
        yield "@Certificado"


@rule(
    "CFDI40107",
    "El valor de este campo SubTotal excede la cantidad de decimales que soporta la moneda.",
)
def subtotal_places(context: Context) -> Iterator[str]:
    if _too_many_places(context.root.get("SubTotal"), _decimals(context)):
        yield "@SubTotal"


@rule(
    "CFDI40108",
    "El TipoDeComprobante es I, E o N, el importe registrado en el campo no es igual al redondeo "
    "de la suma de los importes de los conceptos registrados.",
)
def subtotal_sum(context: Context) -> Iterator[str]:
    if context.document_type not in INCOME_TYPES:
        return
    total = sum((_amount(c, "Importe") for c in _concepts(context)), Decimal(0))
    if _round(total, _decimals(context)) != _amount(context.root, "SubTotal"):
        yield "@SubTotal"


@rule(
    "CFDI40109",
    "El TipoDeComprobante es T o P y el importe no es igual a 0, o cero con decimales.",
)
def subtotal_zero(context: Context) -> Iterator[str]:
    if context.document_type in NO_AMOUNT_TYPES and _amount(context.root, "SubTotal") != 0:
        yield "@SubTotal"


@rule(
    "CFDI40110",
    "El valor registrado en el campo Descuento no es menor o igual que el campo Subtotal.",
)
def descuento_le_subtotal(context: Context) -> Iterator[str]:
    root = context.root
    if root.get("Descuento") is not None and _amount(root, "Descuento") > _amount(root, "SubTotal"):
        yield "@Descuento"


@rule(
    "CFDI40111",
    "El TipoDeComprobante NO es I, E o N, y un concepto incluye el campo descuento.",
)
def descuento_types(context: Context) -> Iterator[str]:
    if context.document_type in INCOME_TYPES:
        return
    for index, concept in enumerate(_concepts(context), 1):
        if concept.get("Descuento") is not None:
            yield _concept_path(index, "/@Descuento")


@rule(
    "CFDI40112",
    "El valor del campo Descuento excede la cantidad de decimales que soporta la moneda.",
)
def descuento_places(context: Context) -> Iterator[str]:
    if _too_many_places(context.root.get("Descuento"), _decimals(context)):
        yield "@Descuento"


@rule("CFDI40113", "El campo Moneda no contiene un valor del catálogo c_Moneda.")
def moneda_catalog(context: Context) -> Iterator[str]:
    if not catalogs.is_valid("currency", context.root.get("Moneda", "")):
        yield "@Moneda"


@rule(
    "CFDI40114",
    "Si el campo Moneda contiene el valor MXN, el campo TipoCambio puede omitirse, pero si se "
    "incluye debe tener el valor 1.",
)
def tipo_cambio_mxn(context: Context) -> Iterator[str]:
    root = context.root
    if root.get("Moneda") == "MXN" and root.get("TipoCambio") not in (None, "1"):
        yield "@TipoCambio"


@rule(
    "CFDI40115",
    "El campo TipoCambio se debe registrar cuando el campo Moneda tiene un valor distinto de MXN "
    "y XXX.",
)
def tipo_cambio_required(context: Context) -> Iterator[str]:
    root = context.root
    if root.get("Moneda") not in ("MXN", "XXX") and root.get("TipoCambio") is None:
        yield "@TipoCambio"


@rule("CFDI40116", "Si el campo Moneda contiene el valor XXX, el campo TipoCambio no debe existir.")
def tipo_cambio_xxx(context: Context) -> Iterator[str]:
    if context.root.get("Moneda") == "XXX" and context.root.get("TipoCambio") is not None:
        yield "@TipoCambio"


@rule("CFDI40117", "El campo TipoCambio no cumple con el patrón requerido.")
def tipo_cambio_pattern(context: Context) -> Iterator[str]:
    value = context.root.get("TipoCambio")
    if value is not None and (not EXCHANGE_PATTERN.fullmatch(value) or Decimal(value) <= 0):
        yield "@TipoCambio"


def _local_taxes(context: Context) -> tuple[Decimal, Decimal]:
    """(transferred, withheld) totals of the local taxes complement (implocal)."""
    nodes = context.root.xpath(
        "*[local-name()='Complemento']/*[namespace-uri()=$ns]", ns=IMPLOCAL_NS
    )
    if not nodes:
        return Decimal(0), Decimal(0)
    return _amount(nodes[0], "TotaldeTraslados"), _amount(nodes[0], "TotaldeRetenciones")


@rule(
    "CFDI40119",
    "El campo Total no corresponde con la suma del subtotal, menos los descuentos aplicables, "
    "más las contribuciones recibidas (impuestos trasladados - federales o locales, derechos, "
    "productos, aprovechamientos, aportaciones de seguridad social, contribuciones de mejoras) "
    "menos los impuestos retenidos.",
)
def total(context: Context) -> Iterator[str]:
    root = context.root
    taxes = context.find("cfdi:Impuestos")
    local_transferred, local_withheld = _local_taxes(context)
    expected = (
        _amount(root, "SubTotal")
        - _amount(root, "Descuento")
        + _amount(taxes, "TotalImpuestosTrasladados")
        - _amount(taxes, "TotalImpuestosRetenidos")
        + local_transferred
        - local_withheld
    )
    if _round(expected, _decimals(context)) != _amount(root, "Total"):
        yield "@Total"


@rule(
    "CFDI40121", "El campo TipoDeComprobante no contiene un valor del catálogo c_TipoDeComprobante."
)
def tipo_catalog(context: Context) -> Iterator[str]:
    if not catalogs.is_valid("invoice_type", context.document_type):
        yield "@TipoDeComprobante"


@rule(
    "CFDI40122",
    "El campo Exportacion contiene el valor 02, el CFDI debe contener el complemento para "
    "Comercio Exterior.",
)
def exportacion_cce(context: Context) -> Iterator[str]:
    if context.root.get("Exportacion") == "02" and not _has_cce(context):
        yield "@Exportacion"


@rule("CFDI40123", "El campo Exportacion no contiene un valor del catálogo c_Exportacion.")
def exportacion_catalog(context: Context) -> Iterator[str]:
    if not catalogs.is_valid("export", context.root.get("Exportacion", "")):
        yield "@Exportacion"


@rule("CFDI40124", "El campo MetodoPago no contiene un valor del catálogo c_MetodoPago.")
def metodo_pago_catalog(context: Context) -> Iterator[str]:
    value = context.root.get("MetodoPago")
    if value is not None and not catalogs.is_valid("payment_method", value):
        yield "@MetodoPago"


@rule("CFDI40125", "Se debe omitir el campo MetodoPago cuando el TipoDeComprobante es T o P.")
def metodo_pago_absent(context: Context) -> Iterator[str]:
    if context.document_type in NO_AMOUNT_TYPES and context.root.get("MetodoPago") is not None:
        yield "@MetodoPago"


@rule("CFDI40126", "El campo LugarExpedicion no contiene un valor del catálogo c_CodigoPostal.")
def lugar_expedicion(context: Context) -> Iterator[str]:
    if not catalogs.zip_exists(context.root.get("LugarExpedicion")):
        yield "@LugarExpedicion"


# ---------------------------------------------------------------- InformacionGlobal


@rule(
    "CFDI40130",
    "Cuando el TipoDeComprobante sea I y el campo Rfc del nodo Receptor contenga el valor "
    "XAXX010101000 y el campo Nombre del Receptor contenga el valor PUBLICO EN GENERAL, el nodo "
    "InformacionGlobal debe existir.",
)
def informacion_global_required(context: Context) -> Iterator[str]:
    receptor = _receptor(context)
    if (
        context.document_type == "I"
        and receptor.get("Rfc") == PUBLIC_RFC
        and receptor.get("Nombre") == PUBLIC_NAME
        and context.find("cfdi:InformacionGlobal") is None
    ):
        yield "InformacionGlobal"


def _global(context: Context) -> etree._Element | None:
    return context.find("cfdi:InformacionGlobal")


@rule("CFDI40131", "El campo Periodicidad no contiene un valor del catálogo c_Periodicidad.")
def periodicidad_catalog(context: Context) -> Iterator[str]:
    node = _global(context)
    if node is not None and not catalogs.is_valid("periodicity", node.get("Periodicidad", "")):
        yield "InformacionGlobal/@Periodicidad"


@rule(
    "CFDI40132",
    "Si el campo Periodicidad contiene el valor 05, el campo RegimenFiscal del Emisor debe "
    "contener el valor 621.",
)
def periodicidad_bimestral(context: Context) -> Iterator[str]:
    node = _global(context)
    if node is not None and node.get("Periodicidad") == "05":
        if _emisor(context).get("RegimenFiscal") != "621":
            yield "InformacionGlobal/@Periodicidad"


@rule("CFDI40133", "El campo Meses no contiene un valor del catálogo c_Meses.")
def meses_catalog(context: Context) -> Iterator[str]:
    node = _global(context)
    if node is not None and not catalogs.is_valid("month", node.get("Meses", "")):
        yield "InformacionGlobal/@Meses"


@rule(
    "CFDI40134",
    "Si el campo Periodicidad contiene un valor distinto de 05, el campo Meses debe contener un "
    "valor entre 01 y 12.",
)
def meses_mensual(context: Context) -> Iterator[str]:
    node = _global(context)
    if node is not None and node.get("Periodicidad") != "05":
        if node.get("Meses") not in {f"{m:02d}" for m in range(1, 13)}:
            yield "InformacionGlobal/@Meses"


@rule(
    "CFDI40135",
    "Si el campo Periodicidad contiene el valor 05, el campo Meses debe contener un valor entre "
    "13 y 18.",
)
def meses_bimestral(context: Context) -> Iterator[str]:
    node = _global(context)
    if node is not None and node.get("Periodicidad") == "05":
        if node.get("Meses") not in {str(m) for m in range(13, 19)}:
            yield "InformacionGlobal/@Meses"


@rule(
    "CFDI40136",
    "El campo Año debe ser igual al año en curso o al año inmediato anterior.",
)
def anio(context: Context) -> Iterator[str]:
    node = _global(context)
    if node is not None:
        year = node.get("Año", "")
        if year not in (str(context.now.year), str(context.now.year - 1)):
            yield "InformacionGlobal/@Año"


@rule("CFDI40137", "El campo TipoRelacion no contiene un valor del catálogo c_TipoRelacion.")
def tipo_relacion(context: Context) -> Iterator[str]:
    for index, node in enumerate(context.findall("cfdi:CfdiRelacionados"), 1):
        if not catalogs.is_valid("relationship", node.get("TipoRelacion", "")):
            yield f"CfdiRelacionados[{index}]/@TipoRelacion"


# ---------------------------------------------------------------- Emisor


@rule("CFDI40140", "El campo RegimenFiscal no contiene un valor del catálogo c_RegimenFiscal.")
def regimen_emisor_catalog(context: Context) -> Iterator[str]:
    if not catalogs.is_valid("tax_system", _emisor(context).get("RegimenFiscal", "")):
        yield "Emisor/@RegimenFiscal"


@rule(
    "CFDI40141",
    "La clave del campo RegimenFiscal debe corresponder con el tipo de persona (física o moral).",
)
def regimen_emisor_persona(context: Context) -> Iterator[str]:
    emisor = _emisor(context)
    kind = rules.person_type(emisor.get("Rfc"))
    allowed = {"fisica": rules.FISICA_REGIMES, "moral": rules.MORAL_REGIMES}.get(kind or "")
    if allowed is not None and emisor.get("RegimenFiscal") not in allowed:
        yield "Emisor/@RegimenFiscal"


# ---------------------------------------------------------------- Receptor


@rule(
    "CFDI40146",
    "Cuando el campo Nombre del Receptor contiene el valor PUBLICO EN GENERAL, el campo Rfc debe "
    "contener el valor XAXX010101000.",
)
def nombre_publico(context: Context) -> Iterator[str]:
    receptor = _receptor(context)
    if receptor.get("Nombre") == PUBLIC_NAME and receptor.get("Rfc") != PUBLIC_RFC:
        yield "Receptor/@Rfc"


@rule(
    "CFDI40149",
    "Si el valor del campo Rfc del Receptor es XAXX010101000 o XEXX010101000, el campo "
    "DomicilioFiscalReceptor debe ser igual al valor del campo LugarExpedicion.",
)
def domicilio_generico(context: Context) -> Iterator[str]:
    receptor = _receptor(context)
    if receptor.get("Rfc") in rules.GENERIC_RFCS:
        if receptor.get("DomicilioFiscalReceptor") != context.root.get("LugarExpedicion"):
            yield "Receptor/@DomicilioFiscalReceptor"


@rule("CFDI40150", "El campo ResidenciaFiscal no contiene un valor del catálogo c_Pais.")
def residencia_catalog(context: Context) -> Iterator[str]:
    value = _receptor(context).get("ResidenciaFiscal")
    if value is not None and not catalogs.is_valid("country", value):
        yield "Receptor/@ResidenciaFiscal"


@rule(
    "CFDI40151",
    "Si el RFC del receptor es de un RFC registrado en el SAT o un RFC genérico nacional, el "
    "campo ResidenciaFiscal no debe existir.",
)
def residencia_nacional(context: Context) -> Iterator[str]:
    receptor = _receptor(context)
    if receptor.get("Rfc") != FOREIGN_RFC and receptor.get("ResidenciaFiscal") is not None:
        yield "Receptor/@ResidenciaFiscal"


@rule("CFDI40152", "El valor del campo ResidenciaFiscal no puede ser MEX.")
def residencia_mex(context: Context) -> Iterator[str]:
    if _receptor(context).get("ResidenciaFiscal") == "MEX":
        yield "Receptor/@ResidenciaFiscal"


@rule(
    "CFDI40153",
    "Se debe registrar un valor en el campo ResidenciaFiscal cuando en el campo NumRegIdTrib se "
    "registre información, o cuando el RFC del receptor sea el genérico extranjero y el "
    "comprobante incluya el complemento de Comercio Exterior.",
)
def residencia_required(context: Context) -> Iterator[str]:
    receptor = _receptor(context)
    if receptor.get("ResidenciaFiscal") is not None:
        return
    foreign_export = receptor.get("Rfc") == FOREIGN_RFC and _has_cce(context)
    if receptor.get("NumRegIdTrib") is not None or foreign_export:
        yield "Receptor/@ResidenciaFiscal"


@rule(
    "CFDI40154",
    "Si el RFC del receptor es de un RFC registrado en el SAT o un RFC genérico nacional, el "
    "campo NumRegIdTrib no debe existir.",
)
def num_reg_nacional(context: Context) -> Iterator[str]:
    receptor = _receptor(context)
    if receptor.get("Rfc") != FOREIGN_RFC and receptor.get("NumRegIdTrib") is not None:
        yield "Receptor/@NumRegIdTrib"


@rule(
    "CFDI40155",
    "Si el RFC del receptor es un RFC genérico extranjero y el comprobante incluye el complemento "
    "de Comercio Exterior, el campo NumRegIdTrib debe existir.",
)
def num_reg_cce(context: Context) -> Iterator[str]:
    receptor = _receptor(context)
    if receptor.get("Rfc") == FOREIGN_RFC and _has_cce(context):
        if receptor.get("NumRegIdTrib") is None:
            yield "Receptor/@NumRegIdTrib"


@rule(
    "CFDI40157", "El campo RegimenFiscalReceptor no contiene un valor del catálogo c_RegimenFiscal."
)
def regimen_receptor_catalog(context: Context) -> Iterator[str]:
    value = _receptor(context).get("RegimenFiscalReceptor", "")
    if not catalogs.is_valid("tax_system", value):
        yield "Receptor/@RegimenFiscalReceptor"


@rule(
    "CFDI40158",
    "La clave del campo RegimenFiscalReceptor debe corresponder con el tipo de persona (física o "
    "moral).",
)
def regimen_receptor_persona(context: Context) -> Iterator[str]:
    receptor = _receptor(context)
    rfc = receptor.get("Rfc", "")
    if rfc in rules.GENERIC_RFCS:
        return
    kind = rules.person_type(rfc)
    allowed = {"fisica": rules.FISICA_REGIMES, "moral": rules.MORAL_REGIMES}.get(kind or "")
    if allowed is not None and receptor.get("RegimenFiscalReceptor") not in allowed:
        yield "Receptor/@RegimenFiscalReceptor"


@rule(
    "CFDI40159",
    "Si el campo Rfc del Receptor contiene el valor XAXX010101000 o XEXX010101000, en el campo "
    "RegimenFiscalReceptor se debe registrar la clave 616.",
)
def regimen_generico(context: Context) -> Iterator[str]:
    receptor = _receptor(context)
    if receptor.get("Rfc") in rules.GENERIC_RFCS:
        if receptor.get("RegimenFiscalReceptor") != rules.GENERIC_TAX_SYSTEM:
            yield "Receptor/@RegimenFiscalReceptor"


@rule("CFDI40160", "El campo UsoCFDI no contiene un valor del catálogo c_UsoCFDI.")
def uso_catalog(context: Context) -> Iterator[str]:
    if _receptor(context).get("UsoCFDI") not in rules.USE_REGIMES:
        yield "Receptor/@UsoCFDI"


@rule(
    "CFDI40161",
    "La clave del campo UsoCFDI debe corresponder con el tipo de persona (física o moral) y el "
    "régimen correspondiente conforme al catálogo c_UsoCFDI.",
)
def uso_regimen(context: Context) -> Iterator[str]:
    receptor = _receptor(context)
    use, regime = receptor.get("UsoCFDI", ""), receptor.get("RegimenFiscalReceptor", "")
    if use not in rules.USE_REGIMES:
        return  # CFDI40160
    if rules.use_problem_for_type(context.document_type, use) is not None:
        yield "Receptor/@UsoCFDI"
        return
    kind = rules.person_type(receptor.get("Rfc"))
    rfc = receptor.get("Rfc", "")
    if rfc in rules.GENERIC_RFCS:
        if use not in rules.GENERIC_USES:
            yield "Receptor/@UsoCFDI"
        return
    if kind == "moral" and use in ADDRESSED_USES_FISICA_ONLY:
        yield "Receptor/@UsoCFDI"
    elif catalogs.is_valid("tax_system", regime) and use not in rules.uses_for(regime):
        yield "Receptor/@UsoCFDI"


# ---------------------------------------------------------------- Conceptos


@rule("CFDI40162", "El campo ClaveProdServ no contiene un valor del catálogo c_ClaveProdServ.")
def clave_prod_serv(context: Context) -> Iterator[str]:
    for index, concept in enumerate(_concepts(context), 1):
        if not catalogs.is_valid("product_key", concept.get("ClaveProdServ", "")):
            yield _concept_path(index, "/@ClaveProdServ")


@rule("CFDI40165", "El campo ClaveUnidad no contiene un valor del catálogo c_ClaveUnidad.")
def clave_unidad(context: Context) -> Iterator[str]:
    for index, concept in enumerate(_concepts(context), 1):
        if not catalogs.is_valid("unit", concept.get("ClaveUnidad", "")):
            yield _concept_path(index, "/@ClaveUnidad")


@rule(
    "CFDI40166",
    "El valor del campo ValorUnitario debe ser mayor que cero (0) cuando el tipo de comprobante "
    "es Ingreso, Egreso o Nómina.",
)
def valor_unitario(context: Context) -> Iterator[str]:
    if context.document_type not in INCOME_TYPES:
        return
    for index, concept in enumerate(_concepts(context), 1):
        if _amount(concept, "ValorUnitario") <= 0:
            yield _concept_path(index, "/@ValorUnitario")


def _importe_outside(node: etree._Element, places: int) -> bool:
    limits = _limits(node.get("Cantidad", ""), node.get("ValorUnitario", ""), places)
    if limits is None:
        return True
    value = _number(node.get("Importe"))
    return value is None or not limits[0] <= value <= limits[1]


@rule(
    "CFDI40167",
    "El valor del campo Importe no se encuentra entre el límite inferior y superior permitido.",
)
def importe_concepto(context: Context) -> Iterator[str]:
    places = _decimals(context)
    for index, concept in enumerate(_concepts(context), 1):
        if _importe_outside(concept, places):
            yield _concept_path(index, "/@Importe")


@rule(
    "CFDI40168",
    "El valor del campo Descuento debe tener hasta la cantidad de decimales que tenga registrado "
    "el campo Importe del concepto.",
)
def descuento_concepto_places(context: Context) -> Iterator[str]:
    for index, concept in enumerate(_concepts(context), 1):
        discount = concept.get("Descuento")
        if discount is not None and _places(discount) > _places(concept.get("Importe")):
            yield _concept_path(index, "/@Descuento")


@rule(
    "CFDI40169",
    "El valor del campo Descuento es mayor que el campo Importe.",
)
def descuento_concepto(context: Context) -> Iterator[str]:
    for index, concept in enumerate(_concepts(context), 1):
        if _amount(concept, "Descuento") > _amount(concept, "Importe"):
            yield _concept_path(index, "/@Descuento")


@rule("CFDI40170", "El campo ObjetoImp no contiene un valor del catálogo c_ObjetoImp.")
def objeto_imp_catalog(context: Context) -> Iterator[str]:
    for index, concept in enumerate(_concepts(context), 1):
        if not catalogs.is_valid("tax_object", concept.get("ObjetoImp", "")):
            yield _concept_path(index, "/@ObjetoImp")


def _concept_impuestos(concept: etree._Element) -> etree._Element | None:
    return concept.find(f"{{{CFDI_NS}}}Impuestos")


@rule(
    "CFDI40171",
    "Si el valor del campo ObjetoImp es 02, el nodo hijo Impuestos del nodo Concepto debe existir.",
)
def objeto_imp_02(context: Context) -> Iterator[str]:
    for index, concept in enumerate(_concepts(context), 1):
        if concept.get("ObjetoImp") == "02" and _concept_impuestos(concept) is None:
            yield _concept_path(index, "/Impuestos")


@rule(
    "CFDI40172",
    "Si el valor del campo ObjetoImp es 01, 03, 04 o 05, el nodo hijo Impuestos del nodo Concepto "
    "no debe existir.",
)
def objeto_imp_sin_impuestos(context: Context) -> Iterator[str]:
    for index, concept in enumerate(_concepts(context), 1):
        if (
            concept.get("ObjetoImp") in NO_TAX_NODE_OBJECTS
            and _concept_impuestos(concept) is not None
        ):
            yield _concept_path(index, "/Impuestos")


@rule(
    "CFDI40173",
    "En caso de utilizar el nodo Impuestos en un concepto, se deben incluir impuestos de traslado "
    "y/o retenciones.",
)
def impuestos_concepto_vacio(context: Context) -> Iterator[str]:
    for index, concept in enumerate(_concepts(context), 1):
        node = _concept_impuestos(concept)
        if node is not None and not node.xpath("*/*"):
            yield _concept_path(index, "/Impuestos")


@rule("CFDI40174", "El valor del campo Base que corresponde a Traslado debe ser mayor que cero.")
def traslado_base(context: Context) -> Iterator[str]:
    for index, position, node in _concept_taxes(context, "Traslado"):
        if _amount(node, "Base") <= 0:
            yield _tax_path(index, "Traslado", position, "Base")


@rule(
    "CFDI40175",
    "El valor del campo Impuesto que corresponde a Traslado no contiene un valor del catálogo "
    "c_Impuesto.",
)
def traslado_impuesto(context: Context) -> Iterator[str]:
    for index, position, node in _concept_taxes(context, "Traslado"):
        if node.get("Impuesto") not in TRANSFER_TAXES:
            yield _tax_path(index, "Traslado", position, "Impuesto")


@rule(
    "CFDI40176",
    "El valor del campo TipoFactor que corresponde a Traslado no contiene un valor del catálogo "
    "c_TipoFactor.",
)
def traslado_factor(context: Context) -> Iterator[str]:
    for index, position, node in _concept_taxes(context, "Traslado"):
        if node.get("TipoFactor") not in FACTORS:
            yield _tax_path(index, "Traslado", position, "TipoFactor")


@rule(
    "CFDI40177",
    "Si el valor registrado en el campo TipoFactor que corresponde a Traslado es Exento no se "
    "deben registrar los campos TasaOCuota ni Importe.",
)
def traslado_exento(context: Context) -> Iterator[str]:
    for index, position, node in _concept_taxes(context, "Traslado"):
        if node.get("TipoFactor") == "Exento":
            if node.get("TasaOCuota") is not None or node.get("Importe") is not None:
                yield _tax_path(index, "Traslado", position, "TipoFactor")


@rule(
    "CFDI40178",
    "Si el valor registrado en el campo TipoFactor que corresponde a Traslado es Tasa o Cuota, se "
    "deben registrar los campos TasaOCuota e Importe.",
)
def traslado_tasa(context: Context) -> Iterator[str]:
    for index, position, node in _concept_taxes(context, "Traslado"):
        if node.get("TipoFactor") in ("Tasa", "Cuota"):
            if node.get("TasaOCuota") is None or node.get("Importe") is None:
                yield _tax_path(index, "Traslado", position, "TipoFactor")


@rule(
    "CFDI40179",
    "El valor del campo TasaOCuota que corresponde a Traslado no contiene un valor del catálogo "
    "c_TasaOCuota o se encuentra fuera de rango.",
)
def traslado_tasa_catalog(context: Context) -> Iterator[str]:
    for index, position, node in _concept_taxes(context, "Traslado"):
        tax, factor, rate = _rate_key(node)
        if factor in ("Tasa", "Cuota") and rate is not None:
            if not _rate_allowed(tax, factor, rate, withheld=False):
                yield _tax_path(index, "Traslado", position, "TasaOCuota")


def _tax_importe_outside(node: etree._Element, places: int) -> bool:
    limits = _tax_limits(node.get("Base", ""), node.get("TasaOCuota", ""), places)
    value = _number(node.get("Importe"))
    return limits is not None and (value is None or not limits[0] <= value <= limits[1])


@rule(
    "CFDI40180",
    "El valor del campo Importe que corresponde a Traslado no se encuentra entre el límite "
    "inferior y superior permitido.",
)
def traslado_importe(context: Context) -> Iterator[str]:
    places = _decimals(context)
    for index, position, node in _concept_taxes(context, "Traslado"):
        if node.get("TipoFactor") != "Exento" and node.get("Importe") is not None:
            if _tax_importe_outside(node, places):
                yield _tax_path(index, "Traslado", position, "Importe")


@rule("CFDI40181", "El valor del campo Base que corresponde a Retención debe ser mayor que cero.")
def retencion_base(context: Context) -> Iterator[str]:
    for index, position, node in _concept_taxes(context, "Retencion"):
        if _amount(node, "Base") <= 0:
            yield _tax_path(index, "Retencion", position, "Base")


@rule(
    "CFDI40182",
    "El valor del campo Impuesto que corresponde a Retención no contiene un valor del catálogo "
    "c_Impuesto.",
)
def retencion_impuesto(context: Context) -> Iterator[str]:
    for index, position, node in _concept_taxes(context, "Retencion"):
        if node.get("Impuesto") not in WITHHOLDING_TAXES:
            yield _tax_path(index, "Retencion", position, "Impuesto")


@rule(
    "CFDI40183",
    "El valor del campo TipoFactor que corresponde a Retención no contiene un valor del catálogo "
    "c_TipoFactor.",
)
def retencion_factor(context: Context) -> Iterator[str]:
    for index, position, node in _concept_taxes(context, "Retencion"):
        if node.get("TipoFactor") not in FACTORS:
            yield _tax_path(index, "Retencion", position, "TipoFactor")


@rule(
    "CFDI40184",
    "Si el valor registrado en el campo TipoFactor que corresponde a Retención debe ser distinto "
    "de Exento.",
)
def retencion_exento(context: Context) -> Iterator[str]:
    for index, position, node in _concept_taxes(context, "Retencion"):
        if node.get("TipoFactor") == "Exento":
            yield _tax_path(index, "Retencion", position, "TipoFactor")


@rule(
    "CFDI40185",
    "El valor del campo TasaOCuota que corresponde a Retención no contiene un valor del catálogo "
    "c_TasaOCuota o se encuentra fuera de rango.",
)
def retencion_tasa_catalog(context: Context) -> Iterator[str]:
    for index, position, node in _concept_taxes(context, "Retencion"):
        tax, factor, rate = _rate_key(node)
        if factor in ("Tasa", "Cuota") and (
            rate is None or not _rate_allowed(tax, factor, rate, withheld=True)
        ):
            yield _tax_path(index, "Retencion", position, "TasaOCuota")


@rule(
    "CFDI40186",
    "El valor del campo Importe que corresponde a Retención no se encuentra entre el límite "
    "inferior y superior permitido.",
)
def retencion_importe(context: Context) -> Iterator[str]:
    places = _decimals(context)
    for index, position, node in _concept_taxes(context, "Retencion"):
        if _tax_importe_outside(node, places):
            yield _tax_path(index, "Retencion", position, "Importe")


def _pedimentos(context: Context, parts: bool) -> Iterator[tuple[str, str]]:
    """(path, NumeroPedimento) of every InformacionAduanera of the concepts or of their parts."""
    if parts:
        for path, part in _parts(context):
            for a, node in enumerate(_children(part, "cfdi:InformacionAduanera"), 1):
                yield (
                    f"{path}/InformacionAduanera[{a}]/@NumeroPedimento",
                    node.get("NumeroPedimento", ""),
                )
        return
    for index, concept in enumerate(_concepts(context), 1):
        for a, node in enumerate(_children(concept, "cfdi:InformacionAduanera"), 1):
            rest = f"/InformacionAduanera[{a}]/@NumeroPedimento"
            yield _concept_path(index, rest), node.get("NumeroPedimento", "")


def _pedimento_invalid(value: str, context: Context) -> bool:
    """SAT's pattern, with the year of the first two digits within the last ten years."""
    match = PEDIMENTO_PATTERN.fullmatch(value)
    if match is None:
        return True
    year = 2000 + int(match.group(1))
    return not context.now.year - 10 <= year <= context.now.year


@rule("CFDI40194", "El número de pedimento es inválido.")
def pedimento(context: Context) -> Iterator[str]:
    for path, value in _pedimentos(context, parts=False):
        if _pedimento_invalid(value, context):
            yield path


@rule(
    "CFDI40195",
    "Si se registra información en el campo NumeroPedimento, el CFDI no debe contener el "
    "complemento de Comercio Exterior.",
)
def pedimento_cce(context: Context) -> Iterator[str]:
    if _has_cce(context):
        for path, _value in _pedimentos(context, parts=False):
            yield path


def _parts(context: Context) -> list[tuple[str, etree._Element]]:
    def compute() -> list[tuple[str, etree._Element]]:
        return [
            (_concept_path(index, f"/Parte[{position}]"), part)
            for index, concept in enumerate(_concepts(context), 1)
            for position, part in enumerate(_children(concept, "cfdi:Parte"), 1)
        ]

    return _cached(context, "parts", compute)


@rule(
    "CFDI40196",
    "El campo ClaveProdServ de la Parte no contiene un valor del catálogo c_ClaveProdServ.",
)
def parte_clave(context: Context) -> Iterator[str]:
    for path, part in _parts(context):
        if not catalogs.is_valid("product_key", part.get("ClaveProdServ", "")):
            yield f"{path}/@ClaveProdServ"


@rule("CFDI40197", "El valor del campo ValorUnitario de la Parte debe ser mayor que cero (0).")
def parte_valor(context: Context) -> Iterator[str]:
    for path, part in _parts(context):
        if part.get("ValorUnitario") is not None and _amount(part, "ValorUnitario") <= 0:
            yield f"{path}/@ValorUnitario"


@rule(
    "CFDI40198",
    "El valor del campo Importe de la Parte no se encuentra entre el límite inferior y superior "
    "permitido.",
)
def parte_importe(context: Context) -> Iterator[str]:
    places = _decimals(context)
    for path, part in _parts(context):
        if part.get("Importe") is not None and _importe_outside(part, places):
            yield f"{path}/@Importe"


@rule("CFDI40199", "El número de pedimento de la Parte es inválido.")
def parte_pedimento(context: Context) -> Iterator[str]:
    for path, value in _pedimentos(context, parts=True):
        if _pedimento_invalid(value, context):
            yield path


@rule(
    "CFDI40200",
    "Si se registra información en el campo NumeroPedimento de la Parte, el CFDI no debe "
    "contener el complemento de Comercio Exterior.",
)
def parte_pedimento_cce(context: Context) -> Iterator[str]:
    if _has_cce(context):
        for path, _value in _pedimentos(context, parts=True):
            yield path


# ---------------------------------------------------------------- Impuestos (Comprobante)


def _summary(context: Context, kind: str) -> list[etree._Element]:
    plural = "Traslados" if kind == "Traslado" else "Retenciones"
    return context.findall(f"cfdi:Impuestos/cfdi:{plural}/cfdi:{kind}")


@rule(
    "CFDI40201",
    "Cuando el TipoDeComprobante sea T o P, el nodo Impuestos no debe existir.",
)
def impuestos_tp(context: Context) -> Iterator[str]:
    if context.document_type in NO_AMOUNT_TYPES and context.find("cfdi:Impuestos") is not None:
        yield "Impuestos"


@rule(
    "CFDI40202",
    "El valor del campo TotalImpuestosRetenidos debe tener hasta la cantidad de decimales que "
    "soporte la moneda.",
)
def total_retenidos_places(context: Context) -> Iterator[str]:
    node = context.find("cfdi:Impuestos")
    if node is not None and _too_many_places(
        node.get("TotalImpuestosRetenidos"), _decimals(context)
    ):
        yield "Impuestos/@TotalImpuestosRetenidos"


@rule(
    "CFDI40203",
    "El valor del campo TotalImpuestosRetenidos debe ser igual a la suma de los importes "
    "registrados en el elemento hijo Retencion.",
)
def total_retenidos(context: Context) -> Iterator[str]:
    node = context.find("cfdi:Impuestos")
    if node is None or node.get("TotalImpuestosRetenidos") is None:
        return
    total = sum((_amount(r, "Importe") for r in _summary(context, "Retencion")), Decimal(0))
    if total != _amount(node, "TotalImpuestosRetenidos"):
        yield "Impuestos/@TotalImpuestosRetenidos"


@rule(
    "CFDI40204",
    "El valor del campo TotalImpuestosTrasladados debe tener hasta la cantidad de decimales que "
    "soporte la moneda.",
)
def total_trasladados_places(context: Context) -> Iterator[str]:
    node = context.find("cfdi:Impuestos")
    if node is not None and _too_many_places(
        node.get("TotalImpuestosTrasladados"), _decimals(context)
    ):
        yield "Impuestos/@TotalImpuestosTrasladados"


@rule(
    "CFDI40205",
    "El valor del campo TotalImpuestosTrasladados no es igual a la suma de los importes "
    "registrados en el elemento hijo Traslado.",
)
def total_trasladados(context: Context) -> Iterator[str]:
    node = context.find("cfdi:Impuestos")
    if node is None or node.get("TotalImpuestosTrasladados") is None:
        return
    total = sum((_amount(t, "Importe") for t in _summary(context, "Traslado")), Decimal(0))
    if total != _amount(node, "TotalImpuestosTrasladados"):
        yield "Impuestos/@TotalImpuestosTrasladados"


@rule(
    "CFDI40206",
    "Debe existir el campo TotalImpuestosRetenidos y el nodo Retenciones cuando los conceptos "
    "registran retenciones.",
)
def retenciones_required(context: Context) -> Iterator[str]:
    if _concept_taxes(context, "Retencion"):
        node = context.find("cfdi:Impuestos")
        if node is None or not _summary(context, "Retencion"):
            yield "Impuestos/Retenciones"


@rule(
    "CFDI40207",
    "El valor del campo Impuesto que corresponde a Retención no contiene un valor del catálogo "
    "c_Impuesto.",
)
def retencion_global_impuesto(context: Context) -> Iterator[str]:
    for index, node in enumerate(_summary(context, "Retencion"), 1):
        if node.get("Impuesto") not in WITHHOLDING_TAXES:
            yield f"Impuestos/Retenciones/Retencion[{index}]/@Impuesto"


@rule("CFDI40208", "Debe haber sólo un registro por cada tipo de impuesto retenido.")
def retencion_global_unica(context: Context) -> Iterator[str]:
    seen: set[str] = set()
    for index, node in enumerate(_summary(context, "Retencion"), 1):
        tax = node.get("Impuesto", "")
        if tax in seen:
            yield f"Impuestos/Retenciones/Retencion[{index}]/@Impuesto"
        seen.add(tax)


@rule(
    "CFDI40209",
    "Si existe el nodo Retenciones, debe existir el campo TotalImpuestosRetenidos.",
)
def retenciones_total(context: Context) -> Iterator[str]:
    node = context.find("cfdi:Impuestos")
    if _summary(context, "Retencion") and node is not None:
        if node.get("TotalImpuestosRetenidos") is None:
            yield "Impuestos/@TotalImpuestosRetenidos"


@rule(
    "CFDI40210",
    "El valor del campo Importe correspondiente a Retención debe tener hasta la cantidad de "
    "decimales que soporte la moneda.",
)
def retencion_global_places(context: Context) -> Iterator[str]:
    places = _decimals(context)
    for index, node in enumerate(_summary(context, "Retencion"), 1):
        if _too_many_places(node.get("Importe"), places):
            yield f"Impuestos/Retenciones/Retencion[{index}]/@Importe"


@rule(
    "CFDI40211",
    "El valor del campo Importe correspondiente a Retención no es igual al redondeo de la suma de "
    "los importes de los impuestos retenidos registrados en los conceptos donde el impuesto sea "
    "igual al campo impuesto de este elemento.",
)
def retencion_global_importe(context: Context) -> Iterator[str]:
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for _index, _position, node in _concept_taxes(context, "Retencion"):
        sums[node.get("Impuesto", "")] += _amount(node, "Importe")
    places = _decimals(context)
    summary = _summary(context, "Retencion")
    for index, node in enumerate(summary, 1):
        if _round(sums.get(node.get("Impuesto", ""), Decimal(0)), places) != _amount(
            node, "Importe"
        ):
            yield f"Impuestos/Retenciones/Retencion[{index}]/@Importe"
    if summary:
        missing = set(sums) - {n.get("Impuesto", "") for n in summary}
        for tax in sorted(missing):
            yield f"Impuestos/Retenciones/Retencion[@Impuesto='{tax}']"


@rule(
    "CFDI40212",
    "Si existe el nodo Traslados, debe existir el campo TotalImpuestosTrasladados (salvo que "
    "todos los traslados sean exentos).",
)
def traslados_total(context: Context) -> Iterator[str]:
    node = context.find("cfdi:Impuestos")
    taxed = [t for t in _summary(context, "Traslado") if t.get("TipoFactor") != "Exento"]
    if taxed and node is not None and node.get("TotalImpuestosTrasladados") is None:
        yield "Impuestos/@TotalImpuestosTrasladados"


@rule(
    "CFDI40214",
    "El valor del campo Base correspondiente a Traslado debe tener hasta la cantidad de "
    "decimales que soporte la moneda.",
)
def traslado_global_base_places(context: Context) -> Iterator[str]:
    places = _decimals(context)
    for index, node in enumerate(_summary(context, "Traslado"), 1):
        if _too_many_places(node.get("Base"), places):
            yield f"Impuestos/Traslados/Traslado[{index}]/@Base"


def _concept_sums(
    context: Context, attribute: str
) -> dict[tuple[str, str, Decimal | None], Decimal]:
    def compute() -> dict[tuple[str, str, Decimal | None], Decimal]:
        sums: dict[tuple[str, str, Decimal | None], Decimal] = defaultdict(Decimal)
        for _index, _position, node in _concept_taxes(context, "Traslado"):
            sums[_rate_key(node)] += _amount(node, attribute)
        return sums

    return _cached(context, f"sums_{attribute}", compute)


@rule(
    "CFDI40215",
    "El valor del campo Base correspondiente a Traslado no es igual al redondeo de la suma de las "
    "bases de los impuestos trasladados registrados en los conceptos donde el impuesto, el tipo "
    "factor y la tasa o cuota sean iguales a los de este elemento.",
)
def traslado_global_base(context: Context) -> Iterator[str]:
    sums, places = _concept_sums(context, "Base"), _decimals(context)
    for index, node in enumerate(_summary(context, "Traslado"), 1):
        if node.get("TipoFactor") == "Exento":
            continue
        if _round(sums.get(_rate_key(node), Decimal(0)), places) != _amount(node, "Base"):
            yield f"Impuestos/Traslados/Traslado[{index}]/@Base"


@rule(
    "CFDI40216",
    "El valor del campo Base correspondiente a Traslado exento no es igual al redondeo de la suma "
    "de las bases exentas registradas en los conceptos para el mismo impuesto.",
)
def traslado_global_base_exento(context: Context) -> Iterator[str]:
    sums, places = _concept_sums(context, "Base"), _decimals(context)
    for index, node in enumerate(_summary(context, "Traslado"), 1):
        if node.get("TipoFactor") != "Exento":
            continue
        if _round(sums.get(_rate_key(node), Decimal(0)), places) != _amount(node, "Base"):
            yield f"Impuestos/Traslados/Traslado[{index}]/@Base"


@rule(
    "CFDI40217",
    "El valor del campo Impuesto correspondiente a Traslado no contiene un valor del catálogo "
    "c_Impuesto.",
)
def traslado_global_impuesto(context: Context) -> Iterator[str]:
    for index, node in enumerate(_summary(context, "Traslado"), 1):
        if node.get("Impuesto") not in TRANSFER_TAXES:
            yield f"Impuestos/Traslados/Traslado[{index}]/@Impuesto"


@rule(
    "CFDI40218",
    "Debe haber sólo un registro con la misma combinación de impuesto, factor y tasa por cada "
    "traslado, y uno por cada combinación presente en los conceptos.",
)
def traslado_global_unico(context: Context) -> Iterator[str]:
    seen: set[tuple[str, str, Decimal | None]] = set()
    summary = _summary(context, "Traslado")
    for index, node in enumerate(summary, 1):
        key = _rate_key(node)
        if key in seen:
            yield f"Impuestos/Traslados/Traslado[{index}]"
        seen.add(key)
    for key in sorted(set(_concept_sums(context, "Base")) - seen, key=str):
        yield f"Impuestos/Traslados/Traslado[@Impuesto='{key[0]}'][@TipoFactor='{key[1]}']"


@rule(
    "CFDI40219",
    "El valor del campo TasaOCuota correspondiente a Traslado no contiene un valor del catálogo "
    "c_TasaOCuota o se encuentra fuera de rango.",
)
def traslado_global_tasa(context: Context) -> Iterator[str]:
    for index, node in enumerate(_summary(context, "Traslado"), 1):
        tax, factor, rate = _rate_key(node)
        if factor in ("Tasa", "Cuota") and (
            rate is None or not _rate_allowed(tax, factor, rate, withheld=False)
        ):
            yield f"Impuestos/Traslados/Traslado[{index}]/@TasaOCuota"


@rule(
    "CFDI40220",
    "El valor del campo Importe correspondiente a Traslado debe tener hasta la cantidad de "
    "decimales que soporte la moneda.",
)
def traslado_global_importe_places(context: Context) -> Iterator[str]:
    places = _decimals(context)
    for index, node in enumerate(_summary(context, "Traslado"), 1):
        if _too_many_places(node.get("Importe"), places):
            yield f"Impuestos/Traslados/Traslado[{index}]/@Importe"


@rule(
    "CFDI40221",
    "El valor del campo Importe correspondiente a Traslado no es igual al redondeo de la suma de "
    "los importes de los impuestos trasladados registrados en los conceptos donde el impuesto sea "
    "igual al campo impuesto de este elemento y la TasaOCuota sea igual al campo TasaOCuota de "
    "este elemento.",
)
def traslado_global_importe(context: Context) -> Iterator[str]:
    sums, places = _concept_sums(context, "Importe"), _decimals(context)
    for index, node in enumerate(_summary(context, "Traslado"), 1):
        if node.get("TipoFactor") == "Exento":
            continue
        if _round(sums.get(_rate_key(node), Decimal(0)), places) != _amount(node, "Importe"):
            yield f"Impuestos/Traslados/Traslado[{index}]/@Importe"
