"""Building and sealing documents with satcfdi: CFDI 4.0 (I, E, T, global), Pagos 2.0 (P),
Retenciones 2.0 and the signed cancellation request.

The money is computed in ``portal.cfdi.money`` and handed to satcfdi ready-made (its own
``compute()`` is skipped: it would re-round per line with a carry and make totals harder to
reason about). Sealing works on one lxml tree: the cadena original is taken from it with SAT's
XSLT, the seal is set on it, and it is validated as is, so nothing is serialized twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache, cached_property
from typing import Any

from lxml import etree
from satcfdi.create.cancela import cancelacion, cancelacionretencion
from satcfdi.create.cfd import cfdi40, implocal10, pago20
from satcfdi.create.retencion import retenciones20
from satcfdi.transform import xslt_transform

from portal.cfdi import (
    carta_porte,
    catalogs,
    comercio_exterior,
    money,
    payments,
    payroll,
    retention_complements,
    sat_matrix,
    zones,
)
from portal.cfdi import errors as E
from portal.cfdi.csd import CSD
from portal.cfdi.errors import invalid
from portal.cfdi.money import Line, LineTax, Totals
from portal.cfdi.types import (
    TAX_CODES,
    Customer,
    GlobalInfo,
    InvoiceInput,
    Issuer,
    Item,
    Namespace,
    Payment,
    PaymentDocument,
    Product,
    RetentionInput,
)
from portal.cfdi.validation import validate

CFDI_NS = "http://www.sat.gob.mx/cfd/4"
RETENCIONES_NS = "http://www.sat.gob.mx/esquemas/retencionpago/2"
PUBLIC_RFC = "XAXX010101000"
FOREIGN_RFC = "XEXX010101000"
PUBLIC_NAME = "PUBLICO EN GENERAL"
MAX_AGE = timedelta(hours=72)  # SAT: the issue date may be at most 72 h old
CANCEL_MOTIVES = ("01", "02", "03", "04")
INVALID_DATE = "invalid_date"


@dataclass
class BuiltDocument:
    """A sealed (not yet stamped) document: its tree, cadena original, seal and figures."""

    kind: str
    element: etree._Element
    cadena_original: str
    seal: str
    certificate_number: str
    issued_at: datetime
    lines: list[Line] = field(default_factory=list)
    totals: Totals | None = None
    total: Decimal = Decimal(0)
    currency: str = "MXN"
    receiver_rfc: str = ""

    @cached_property
    def xml(self) -> bytes:
        """The sealed XML (UTF-8, with declaration)."""
        return etree.tostring(self.element, xml_declaration=True, encoding="UTF-8")


@dataclass
class CancellationRequest:
    """A signed SAT cancellation request for one UUID (what a PAC forwards to SAT)."""

    uuid: str
    motive: str
    substitution_uuid: str | None
    issuer_rfc: str
    date: datetime
    request: cancelacion.Cancelacion | cancelacionretencion.Cancelacion

    @cached_property
    def xml(self) -> bytes:
        """The signed ``Cancelacion`` XML."""
        return self.request.xml_bytes()


class _Comprobante(cfdi40.Comprobante):
    """satcfdi's Comprobante fed with figures from ``money``; its compute() is not used."""

    def compute(self) -> None:
        """Totals are set by the builder from ``money.summarize``."""


# ---------------------------------------------------------------- dates and places


def _timezone(zip_code: str) -> Any:
    """The zone of a place of issue (our checked table: ``portal.cfdi.zones``)."""
    return zones.zone_of(zip_code)


def local_now(zip_code: str) -> datetime:
    """Current local time (naive, to the second) at a Mexican zip code."""
    return datetime.now(_timezone(zip_code)).replace(tzinfo=None, microsecond=0)


def issue_date(requested: datetime | None, zip_code: str, check: bool = True) -> datetime:
    """The Fecha of a document: local, naive; never in the future nor older than 72 h."""
    now = local_now(zip_code)
    if requested is None:
        return now
    date = requested
    if date.tzinfo is not None:
        date = date.astimezone(_timezone(zip_code)).replace(tzinfo=None)
    date = date.replace(microsecond=0)
    if check and date > now + timedelta(minutes=1):
        raise invalid("La fecha de emisión no puede estar en el futuro.", INVALID_DATE, "date")
    if check and date < now - MAX_AGE:
        raise invalid(
            "La fecha de emisión no puede tener más de 72 horas de antigüedad.",
            INVALID_DATE,
            "date",
        )
    return date


def check_csd_period(csd: CSD, fecha: datetime, zip_code: str, path: str = "date") -> None:
    """Refuse a Fecha outside the CSD's validity (a PAC refuses it: SAT's validation 305)."""
    zone = _timezone(zip_code)
    moment = fecha.replace(tzinfo=zone)
    if csd.valid_from <= moment <= csd.valid_to:
        return
    before = moment < csd.valid_from
    limit = (csd.valid_from if before else csd.valid_to).astimezone(zone)
    when = "anterior al inicio" if before else "posterior al fin"
    raise invalid(
        f"La fecha de emisión es {when} de la vigencia del CSD ({limit:%Y-%m-%d %H:%M}).",
        INVALID_DATE,
        path,
    )


# ---------------------------------------------------------------- custom complements

XSI_LOCATION = "{http://www.w3.org/2001/XMLSchema-instance}schemaLocation"
# SAT complements accepted as ``custom`` (their schemas are in ``validation.SCHEMAS``).
SAT_COMPLEMENT_LOCATIONS = {
    "http://www.sat.gob.mx/leyendasFiscales": (
        "http://www.sat.gob.mx/sitio_internet/cfd/leyendasFiscales/leyendasFisc.xsd"
    ),
    "http://www.sat.gob.mx/donat": "http://www.sat.gob.mx/sitio_internet/cfd/donat/donat11.xsd",
    "http://www.sat.gob.mx/divisas": (
        "http://www.sat.gob.mx/sitio_internet/cfd/divisas/divisas.xsd"
    ),
    "http://www.sat.gob.mx/ine": "http://www.sat.gob.mx/sitio_internet/cfd/ine/ine11.xsd",
}


@dataclass
class CustomComplement:
    """A complement node sent as XML, with the schema location to declare for it."""

    element: etree._Element
    schema_location: str


def custom_complements(
    texts: Sequence[str],
    namespaces: Sequence[Namespace] = (),
    locations: Mapping[str, str] = SAT_COMPLEMENT_LOCATIONS,
) -> list[CustomComplement]:
    """Parse ``complements[].data`` (well-formed XML, one namespaced node each) and find each
    node's schema location (``namespaces[]`` or SAT's own, from ``locations``: the complements
    the root document accepts); a 400 naming the entry otherwise."""
    found = []
    declared = {n.uri: n for n in namespaces}
    prefixes = " ".join(f'xmlns:{n.prefix}="{n.uri}"' for n in namespaces)
    for index, text in enumerate(texts):
        path = f"complements[{index}].data"
        try:
            wrapper = etree.fromstring(f"<c {prefixes}>{text}</c>", parser=_addenda_parser())
        except etree.XMLSyntaxError as error:
            raise invalid(
                f"El complemento no es XML bien formado: {error}", E.INVALID_INPUT, path
            ) from None
        nodes = [n for n in wrapper if isinstance(n.tag, str)]
        if len(nodes) != 1 or (wrapper.text or "").strip() or (nodes[0].tail or "").strip():
            raise invalid("El complemento debe ser un solo nodo XML.", E.INVALID_INPUT, path)
        found.append(_complement(nodes[0], declared, path, locations))
    return found


def _complement(
    node: etree._Element,
    declared: dict[str, Namespace],
    path: str,
    locations: Mapping[str, str],
) -> CustomComplement:
    uri = etree.QName(node).namespace
    if not uri or uri == CFDI_NS or not node.prefix:
        raise invalid(
            "El nodo del complemento necesita un prefijo y un namespace propio (no el de cfdi).",
            E.INVALID_INPUT,
            path,
        )
    if uri not in locations:
        # The XSD validates Complemento strictly: a PAC refuses what SAT publishes no schema for.
        known = ", ".join(sorted(u.rsplit("/", 1)[1] for u in locations))
        raise invalid(
            f"El complemento «{uri}» no es un complemento del SAT que se pueda timbrar aquí "
            f"(se aceptan: {known}).",
            E.INVALID_INPUT,
            path,
        )
    namespace = declared.get(uri)
    location = (namespace.schema_location if namespace else None) or locations[uri]
    return CustomComplement(node, location)


def insert_complements(root: etree._Element, complements: Sequence[CustomComplement]) -> None:
    """Append the nodes to cfdi:Complemento, declare their namespaces on the root and write
    their schema locations (as Anexo 20 asks of every complement)."""
    tag = f"{{{etree.QName(root).namespace}}}Complemento"  # cfdi: or retenciones:
    container = root.find(tag)
    if container is None:
        container = etree.SubElement(root, tag)
    top = {}
    locations = [root.get(XSI_LOCATION, "")]
    for complement in complements:
        node = complement.element
        uri = etree.QName(node).namespace
        container.append(node)
        top[node.prefix] = uri
        locations.append(f"{uri} {complement.schema_location}")
    etree.cleanup_namespaces(root, top_nsmap={**root.nsmap, **top})
    root.set(XSI_LOCATION, " ".join(filter(None, locations)))


# ---------------------------------------------------------------- sealing


def seal(
    document: Any, csd: CSD, version: str, complements: Sequence[CustomComplement] = ()
) -> tuple[etree._Element, str, str]:
    """Put NoCertificado/Certificado, take the cadena original and sign it; one tree only.
    ``complements`` (custom XML nodes) go into cfdi:Complemento before the cadena is taken."""
    document["NoCertificado"] = csd.certificate_number
    document["Certificado"] = csd.certificate_base64
    element = document.to_xml(include_schema_location=True)
    if complements:
        insert_complements(element, complements)
    cadena = str(xslt_transform(document.tag, version)(element))
    signature = csd.sign_sha256(cadena.encode())
    element.set("Sello", signature)
    return element, cadena, signature


def _check_issuer(csd: CSD, issuer: Issuer) -> None:
    if csd.rfc != issuer.rfc.upper():
        raise invalid(
            f"El CSD pertenece al RFC {csd.rfc} y el emisor es {issuer.rfc}.",
            E.CSD_RFC_MISMATCH,
            "issuer.rfc",
        )


# ---------------------------------------------------------------- CFDI 4.0 nodes


def _emisor(issuer: Issuer) -> dict[str, str]:
    return {
        "Rfc": issuer.rfc.upper(),
        "Nombre": issuer.legal_name,
        "RegimenFiscal": issuer.tax_system,
    }


def _receptor(customer: Customer, use: str, place: str) -> dict[str, str | None]:
    """Receptor node; generic RFCs get SAT's fixed regime and the place of issue as zip."""
    if customer.is_foreign:
        return {
            "Rfc": FOREIGN_RFC,
            "Nombre": customer.legal_name,
            "DomicilioFiscalReceptor": place,
            "ResidenciaFiscal": customer.address.country,
            "NumRegIdTrib": customer.tax_id,
            "RegimenFiscalReceptor": "616",
            "UsoCFDI": use,
        }
    rfc = customer.tax_id.upper()
    generic = rfc in (PUBLIC_RFC, FOREIGN_RFC)
    zip_code = place if generic else customer.address.zip
    regime = "616" if generic else customer.tax_system
    if not zip_code or not regime:
        field_name = "customer.address.zip" if not zip_code else "customer.tax_system"
        raise invalid(
            f"El campo «{field_name}» es obligatorio para el receptor.", E.INVALID_INPUT, field_name
        )
    return {
        "Rfc": rfc,
        "Nombre": customer.legal_name,
        "DomicilioFiscalReceptor": zip_code,
        "RegimenFiscalReceptor": regime,
        "UsoCFDI": use,
    }


def _tax_node(tax: LineTax) -> dict[str, Any]:
    node: dict[str, Any] = {"Base": tax.base, "Impuesto": tax.code, "TipoFactor": tax.factor}
    if tax.factor != "Exento":
        node["TasaOCuota"] = tax.rate
        node["Importe"] = tax.amount
    return node


def _concept_taxes(line: Line) -> dict[str, list[dict[str, Any]]] | None:
    transfers = [_tax_node(t) for t in line.taxes if not t.withholding]
    withholdings = [_tax_node(t) for t in line.taxes if t.withholding]
    node = {k: v for k, v in (("Traslados", transfers), ("Retenciones", withholdings)) if v}
    return node or None


def _part(part: Any, decimals: int) -> dict[str, Any]:
    node: dict[str, Any] = {
        "ClaveProdServ": part.product_key,
        "Cantidad": part.quantity,
        "Descripcion": part.description,
    }
    if part.sku:
        node["NoIdentificacion"] = part.sku
    if part.unit_name:
        node["Unidad"] = part.unit_name
    if part.unit_price is not None:
        node["ValorUnitario"] = money.tidy(money.round_to(part.unit_price, 6), decimals)
        node["Importe"] = money.round_to(part.quantity * part.unit_price, decimals)
    if part.customs_keys:
        node["InformacionAduanera"] = list(part.customs_keys)
    return node


def _concept(item: Item, line: Line, decimals: int) -> dict[str, Any]:
    product = item.product
    node: dict[str, Any] = {
        "ClaveProdServ": product.product_key,
        "Cantidad": line.quantity,
        "ClaveUnidad": product.unit_key,
        "Descripcion": product.description,
        "ValorUnitario": line.unit_value,
        "Importe": line.amount,
        "ObjetoImp": line.taxability,
        "Impuestos": _concept_taxes(line),
    }
    if product.sku:
        node["NoIdentificacion"] = product.sku
    unit_name = product.unit_name or catalogs.unit_name(product.unit_key)
    if unit_name:
        node["Unidad"] = unit_name
    if line.discount:
        node["Descuento"] = line.discount
    _concept_extras(node, item, decimals)
    return node


def _concept_extras(node: dict[str, Any], item: Item, decimals: int) -> None:
    if item.third_party:
        third = item.third_party
        node["ACuentaTerceros"] = {
            "RfcACuentaTerceros": third.tax_id,
            "NombreACuentaTerceros": third.legal_name,
            "RegimenFiscalACuentaTerceros": third.tax_system,
            "DomicilioFiscalACuentaTerceros": third.zip,
        }
    if item.customs_keys:
        node["InformacionAduanera"] = list(item.customs_keys)
    if item.property_tax_account:
        node["CuentaPredial"] = [item.property_tax_account]
    if item.parts:
        node["Parte"] = [_part(part, decimals) for part in item.parts]


def _impuestos(totals: Totals) -> dict[str, Any] | None:
    node: dict[str, Any] = {}
    if totals.withholdings:
        node["Retenciones"] = [
            {"Impuesto": r.code, "Importe": r.amount} for r in totals.withholdings
        ]
        node["TotalImpuestosRetenidos"] = totals.withheld
    if totals.transfers:
        node["Traslados"] = [_summary_transfer(r) for r in totals.transfers]
        if totals.transferred is not None:
            node["TotalImpuestosTrasladados"] = totals.transferred
    return node or None


def _summary_transfer(row: money.TaxSummary) -> dict[str, Any]:
    node: dict[str, Any] = {"Base": row.base, "Impuesto": row.code, "TipoFactor": row.factor}
    if row.factor != "Exento":
        node["TasaOCuota"] = row.rate
        node["Importe"] = row.amount
    return node


def _local_taxes_complement(lines: Sequence[Line], totals: Totals) -> Any:
    grouped: dict[tuple[str, Decimal, bool], Decimal] = {}
    for line in lines:
        for tax in line.local_taxes:
            key = (tax.name, tax.rate, tax.withholding)
            grouped[key] = grouped.get(key, Decimal(0)) + tax.amount
    transfers = [
        implocal10.TrasladosLocales(name, _percent(rate), amount)
        for (name, rate, held), amount in grouped.items()
        if not held
    ]
    withholdings = [
        implocal10.RetencionesLocales(name, _percent(rate), amount)
        for (name, rate, held), amount in grouped.items()
        if held
    ]
    if len(transfers) > 1 or len(withholdings) > 1:
        # satcfdi 26.10 writes a single TrasladosLocales/RetencionesLocales node.
        raise invalid(
            "Solo se admite un impuesto local trasladado y uno retenido por factura.",
            E.INVALID_TAX,
            "items.product.local_taxes",
        )
    return implocal10.ImpuestosLocales(
        total_de_retenciones=money.round_to(totals.local_withheld, 2),
        total_de_traslados=money.round_to(totals.local_transferred, 2),
        retenciones_locales=withholdings[0] if withholdings else None,
        traslados_locales=transfers[0] if transfers else None,
    )


def _percent(rate: Decimal) -> Decimal:
    """implocal writes rates as percentages with 2 decimals (0.03 → 3.00)."""
    percent = rate * 100
    if money.round_to(percent, 2) != percent:
        raise invalid(
            "La tasa de un impuesto local admite hasta 4 decimales (2 en porcentaje).",
            E.INVALID_TAX,
            "items.product.local_taxes.rate",
        )
    return money.round_to(percent, 2)


# ---------------------------------------------------------------- invoices (I, E, T)


def _payment_terms(data: InvoiceInput) -> tuple[str | None, str | None]:
    if data.type == "T":
        return None, None
    if data.payment_method not in ("PUE", "PPD"):
        raise invalid("El método de pago debe ser PUE o PPD.", E.INVALID_INPUT, "payment_method")
    if data.payment_method == "PPD":
        # SAT: a deferred invoice carries FormaPago 99 ("por definir").
        if data.payment_form not in (None, "99"):
            raise invalid(
                "Con método de pago PPD la forma de pago debe ser 99 (Por definir).",
                E.INVALID_INPUT,
                "payment_form",
            )
        return "99", "PPD"
    if not data.payment_form:
        raise invalid("El campo «payment_form» es obligatorio.", E.INVALID_INPUT, "payment_form")
    return data.payment_form, "PUE"


def _exchange(currency: str, exchange: Decimal) -> Decimal | None:
    if currency in ("MXN", "XXX"):
        return None
    if exchange <= 0 or money.round_to(exchange, 6) != exchange:
        raise invalid(
            "El tipo de cambio debe ser mayor a cero y tener hasta 6 decimales.",
            E.INVALID_EXCHANGE,
            "exchange",
        )
    return exchange


def _global_node(info: GlobalInfo, receptor: dict[str, Any]) -> dict[str, Any]:
    code = info.periodicity_code
    months = info.months.zfill(2)
    if receptor["Rfc"] != PUBLIC_RFC:
        raise invalid(
            "La factura global debe emitirse al RFC XAXX010101000.",
            E.INVALID_GLOBAL,
            "customer.tax_id",
        )
    if code not in ("01", "02", "03", "04", "05"):
        raise invalid(
            "La periodicidad no existe en c_Periodicidad.", E.INVALID_GLOBAL, "global.periodicity"
        )
    bimonthly = months in ("13", "14", "15", "16", "17", "18")
    if (code == "05") != bimonthly:
        raise invalid(
            "Los bimestres (13 a 18) van solo con periodicidad bimestral (05).",
            E.INVALID_GLOBAL,
            "global.months",
        )
    receptor["Nombre"], receptor["UsoCFDI"] = PUBLIC_NAME, "S01"
    return {"Periodicidad": code, "Meses": months, "Año": info.year}


def _transfer_items(items: Sequence[Item]) -> list[Item]:
    """A T document moves goods: value 0 and no taxes, whatever prices were sent."""
    return [
        Item(
            product=Product(
                p.description,
                p.product_key,
                Decimal(0),
                False,
                "01",
                [],
                [],
                p.unit_key,
                p.unit_name,
                p.sku,
            ),
            quantity=item.quantity,
            customs_keys=item.customs_keys,
            parts=item.parts,
        )
        for item in items
        for p in (item.product,)
    ]


def _related(data: InvoiceInput) -> list[dict[str, Any]] | None:
    nodes = [
        {"TipoRelacion": r.relationship, "CfdiRelacionado": [u.upper() for u in r.documents]}
        for r in data.related_documents
    ]
    return nodes or None


def build_invoice(
    csd: CSD,
    issuer: Issuer,
    data: InvoiceInput,
    *,
    check_date: bool = True,
    validate_schema: bool = True,
) -> BuiltDocument:
    """Build, seal and validate a CFDI 4.0 of type I, E or T (global when ``global_info``)."""
    _check_complement_fits(data)
    if data.type == "P":
        return build_payment(csd, issuer, data, check_date=check_date)
    if data.type == "N":
        return build_payroll(csd, issuer, data, check_date=check_date)
    if data.type not in ("I", "E", "T"):
        raise invalid(
            "El tipo de comprobante debe ser I, E, N, P o T.", E.INVALID_DOCUMENT_TYPE, "type"
        )
    if not data.items:
        raise invalid("La factura debe tener al menos un concepto.", E.INVALID_INPUT, "items")
    _check_issuer(csd, issuer)
    currency = "XXX" if data.type == "T" else data.currency
    decimals = money.currency_decimals(currency)
    items = _transfer_items(data.items) if data.type == "T" else data.items
    lines = money.compute_lines(items, decimals, require_positive=data.type != "T")
    totals = money.summarize(lines, decimals)
    comprobante = _invoice_comprobante(issuer, data, items, lines, totals, currency, check_date)
    if data.carta_porte is not None:
        _add_complement(comprobante, carta_porte.build(data.carta_porte, data.type))
    extra = custom_complements(data.custom_complements, data.namespaces)
    # Export and Carta Porte documents answer to their complement's rules (SAT's codes) before
    # the schema's enumerations and before a PAC sees them (the matrix runs again at stamping).
    checked = data.export != "01" or data.carta_porte is not None
    document = _finish(
        comprobante, csd, data.type, lines, totals, validate_schema and not checked, extra
    )
    if checked:
        sat_matrix.enforce(document.element, local_now(comprobante["LugarExpedicion"]))
        if validate_schema:
            validate(document.element)
    if data.addenda:
        attach_addenda(document.element, data.addenda, data.namespaces)
    return document


def _check_complement_fits(data: InvoiceInput) -> None:
    """Nómina goes only on N and Carta Porte only on I or T: never dropped from another type."""
    if data.payroll is not None and data.type != "N":
        raise invalid(
            'El complemento de nómina solo va en facturas de nómina (type "N").',
            payroll.INVALID_PAYROLL,
            "type",
        )
    if data.carta_porte is not None and data.type not in ("I", "T"):
        raise invalid(
            "El complemento Carta Porte solo va en facturas de ingreso (I) o traslado (T).",
            carta_porte.INVALID_CARTA_PORTE,
            "type",
        )


def build_payroll(
    csd: CSD, issuer: Issuer, data: InvoiceInput, *, check_date: bool = True
) -> BuiltDocument:
    """Build, seal and validate a payroll CFDI (type N) with the Nómina 1.2 complement, as
    SAT's guide fixes it; refused with SAT's codes (``sat_matrix.nomina12``) when it breaks a
    rule."""
    if data.payroll is None:
        raise invalid(
            'Una factura de nómina requiere complements: [{"type": "nomina", "data": {...}}].',
            payroll.INVALID_PAYROLL,
            "complements",
        )
    if data.payment_method != "PUE":
        raise invalid(
            "La nómina se paga en una exhibición: payment_method debe ser PUE.",
            E.INVALID_INPUT,
            "payment_method",
        )
    payroll.items_absent(data.items)
    payroll.check_totals(data.payroll)
    _check_issuer(csd, issuer)
    place = (data.address.zip if data.address and data.address.zip else None) or issuer.zip
    sheet = data.payroll
    comprobante = _Comprobante(
        emisor=_emisor(issuer),
        lugar_expedicion=place,
        receptor=_receptor(data.customer, data.use, place),
        conceptos=[payroll.concept(sheet)],
        moneda="MXN",
        tipo_de_comprobante="N",
        exportacion=data.export,
        serie=data.series or None,
        folio=str(data.folio_number) if data.folio_number is not None else None,
        metodo_pago="PUE",
        cfdi_relacionados=_related(data),
        fecha=issue_date(data.date, place, check_date),
        complemento=payroll.complement(sheet),
    )
    comprobante["SubTotal"] = sheet.subtotal
    comprobante["Descuento"] = sheet.total_deductions or None
    comprobante["Total"] = sheet.subtotal - (sheet.total_deductions or Decimal(0))
    extra = custom_complements(data.custom_complements, data.namespaces)
    document = _finish(comprobante, csd, "N", [], None, True, extra)
    sat_matrix.enforce(document.element, local_now(place))
    if data.addenda:
        attach_addenda(document.element, data.addenda, data.namespaces)
    return document


def attach_addenda(
    element: etree._Element, addenda: str, namespaces: Sequence[Namespace] = ()
) -> None:
    """Append free-form XML to the root's Addenda (cfdi: or retenciones:; outside the seal, so
    after sealing is fine)."""
    declarations = " ".join(f'xmlns:{n.prefix}="{n.uri}"' for n in namespaces)
    try:
        wrapper = etree.fromstring(
            f"<addenda {declarations}>{addenda}</addenda>", parser=_addenda_parser()
        )
    except etree.XMLSyntaxError as error:
        raise invalid(
            f"La addenda no es XML válido: {error}", E.INVALID_ADDENDA, "addenda"
        ) from None
    tag = f"{{{etree.QName(element).namespace}}}Addenda"
    node = element.find(tag)
    if node is None:
        node = etree.SubElement(element, tag)
    node.extend(list(wrapper))
    locations = [f"{n.uri} {n.schema_location}" for n in namespaces if n.schema_location]
    if locations:
        key = "{http://www.w3.org/2001/XMLSchema-instance}schemaLocation"
        element.set(key, " ".join([element.get(key, ""), *locations]).strip())


@cache
def _addenda_parser() -> etree.XMLParser:
    # Addenda text comes from API users: no entities, no network.
    return etree.XMLParser(resolve_entities=False, no_network=True)


def _invoice_comprobante(
    issuer: Issuer,
    data: InvoiceInput,
    items: Sequence[Item],
    lines: Sequence[Line],
    totals: Totals,
    currency: str,
    check_date: bool,
) -> _Comprobante:
    place = (data.address.zip if data.address and data.address.zip else None) or issuer.zip
    receptor = _receptor(data.customer, data.use, place)
    global_node = _global_node(data.global_info, receptor) if data.global_info else None
    forma, metodo = _payment_terms(data)
    decimals = money.currency_decimals(currency)
    comprobante = _Comprobante(
        emisor=_emisor(issuer),
        lugar_expedicion=place,
        receptor=receptor,
        conceptos=[_concept(i, ln, decimals) for i, ln in zip(items, lines, strict=True)],
        moneda=currency,
        tipo_de_comprobante=data.type,
        exportacion=data.export,
        serie=data.series or None,
        folio=str(data.folio_number) if data.folio_number is not None else None,
        forma_pago=forma,
        condiciones_de_pago=data.conditions or None,
        tipo_cambio=_exchange(currency, data.exchange),
        metodo_pago=metodo,
        informacion_global=global_node,
        cfdi_relacionados=_related(data),
        fecha=issue_date(data.date, place, check_date),
    )
    _set_totals(comprobante, lines, totals)
    _attach_foreign_trade(comprobante, issuer, data, items, lines)
    return comprobante


def _attach_foreign_trade(
    comprobante: _Comprobante,
    issuer: Issuer,
    data: InvoiceInput,
    items: Sequence[Item],
    lines: Sequence[Line],
) -> None:
    """Exportacion 02 carries Comercio Exterior 2.0 (CFDI40122); 01, 03 and 04 never do
    (CCE20102)."""
    trade = data.foreign_trade
    if data.export == "02" and trade is None:
        raise invalid(
            "Una exportación definitiva (export 02) requiere el complemento de comercio "
            'exterior: complements: [{"type": "comercio_exterior", "data": {...}}].',
            comercio_exterior.INVALID_FOREIGN_TRADE,
            "complements",
        )
    if trade is None:
        return
    if data.export != "02":
        raise invalid(
            "El complemento de comercio exterior solo va con export 02 (exportación "
            "definitiva con clave A1); 03 y 04 no lo llevan.",
            comercio_exterior.INVALID_FOREIGN_TRADE,
            "export",
        )
    node = comercio_exterior.build(
        trade,
        document_type=data.type,
        currency=comprobante["Moneda"],
        exchange=comprobante.get("TipoCambio") or Decimal(1),
        concepts=[(i.product.sku, ln.amount) for i, ln in zip(items, lines, strict=True)],
        customer=data.customer,
        issuer_zip=issuer.zip,
        issuer_street=issuer.street,
    )
    _add_complement(comprobante, node)


def _add_complement(comprobante: _Comprobante, node: Any) -> None:
    existing = comprobante.get("Complemento")
    if existing is None:
        comprobante["Complemento"] = node
    else:
        comprobante["Complemento"] = [
            *(existing if isinstance(existing, list) else [existing]),
            node,
        ]


def _set_totals(comprobante: _Comprobante, lines: Sequence[Line], totals: Totals) -> None:
    comprobante["SubTotal"] = totals.subtotal
    comprobante["Descuento"] = totals.discount or None
    comprobante["Impuestos"] = _impuestos(totals)
    comprobante["Total"] = totals.total
    if totals.local_transferred or totals.local_withheld:
        comprobante["Complemento"] = _local_taxes_complement(lines, totals)


def _finish(
    comprobante: _Comprobante,
    csd: CSD,
    kind: str,
    lines: list[Line],
    totals: Totals | None,
    validate_schema: bool,
    complements: Sequence[CustomComplement] = (),
) -> BuiltDocument:
    check_csd_period(csd, comprobante["Fecha"], comprobante["LugarExpedicion"])
    element, cadena, signature = seal(comprobante, csd, "4.0", complements)
    if validate_schema:
        validate(element)
    return BuiltDocument(
        kind=kind,
        element=element,
        cadena_original=cadena,
        seal=signature,
        certificate_number=csd.certificate_number,
        issued_at=comprobante["Fecha"],
        lines=lines,
        totals=totals,
        total=comprobante["Total"],
        currency=comprobante["Moneda"],
        receiver_rfc=comprobante["Receptor"]["Rfc"],
    )


def build_global_invoice(
    csd: CSD,
    issuer: Issuer,
    items: list[Item],
    global_info: GlobalInfo,
    payment_form: str,
    **options: Any,
) -> BuiltDocument:
    """A global invoice to the general public (XAXX010101000, regime 616, use S01)."""
    customer = Customer(PUBLIC_NAME, PUBLIC_RFC, "616")
    data = InvoiceInput(
        customer, items, payment_form, "PUE", "S01", "I", global_info=global_info, **options
    )
    return build_invoice(csd, issuer, data)


# ---------------------------------------------------------------- payments (P, Pagos 2.0)


def _equivalence(doc: PaymentDocument, payment: Payment, path: str) -> Decimal:
    """EquivalenciaDR: 1 in the same currency (CRP20238); otherwise as sent, or the payment's
    TipoCambioP when the document is in MXN (pesos per unit of the payment's currency)."""
    if doc.currency == payment.currency:
        return Decimal(1)
    equivalence = doc.exchange
    if equivalence is None and doc.currency == "MXN":
        equivalence = payment.exchange
    if equivalence is None or equivalence <= 0 or money.round_to(equivalence, 10) != equivalence:
        raise invalid(
            f"El documento en {doc.currency} pagado en {payment.currency} necesita la "
            "equivalencia (EquivalenciaDR: unidades de su moneda por una de la del pago), "
            "mayor a cero y con hasta 10 decimales.",
            E.INVALID_PAYMENT,
            f"{path}.exchange",
        )
    return equivalence


def _docto_taxes(doc: PaymentDocument, decimals: int) -> tuple[str, list[LineTax]]:
    """ObjetoImpDR and ImpuestosDR: explicit taxes win, then the paid invoice's own taxes pro
    rata, then Facturapi's default (IVA 16 % included in the amount)."""
    if doc.taxes is None and doc.paid_invoice is not None:
        paid = doc.paid_invoice
        if not paid.taxes:  # objeto 01 (or 03, 04): no ImpuestosDR
            return paid.taxability, []
        taxes = payments.prorated_taxes(paid, doc.last_balance, doc.amount, decimals)
        return ("02" if taxes else "01"), taxes
    explicit = money.DEFAULT_TAXES if doc.taxes is None else doc.taxes
    if not explicit:
        return "01", []
    _, computed = money.payment_taxes(doc.amount, explicit, decimals)
    return "02", computed


def _check_docto(doc: PaymentDocument, path: str) -> int:
    decimals = money.currency_decimals(doc.currency)
    if doc.currency == "XXX":
        raise invalid(
            "La moneda del documento relacionado no puede ser XXX.",
            E.INVALID_PAYMENT,
            f"{path}.currency",
        )
    if doc.amount <= 0 or money.round_to(doc.amount, decimals) != doc.amount:
        raise invalid(
            "El importe pagado debe ser mayor a cero con los decimales de la moneda.",
            E.INVALID_PAYMENT,
            f"{path}.amount",
        )
    if doc.amount > doc.last_balance:
        raise invalid(
            f"El importe pagado ({doc.amount:,.{decimals}f}) no puede superar al saldo "
            f"anterior ({doc.last_balance:,.{decimals}f}).",
            E.INVALID_PAYMENT,
            f"{path}.amount",
        )
    if doc.installment < 1:
        raise invalid(
            "La parcialidad debe ser 1 o mayor.", E.INVALID_PAYMENT, f"{path}.installment"
        )
    return decimals


def _docto(
    doc: PaymentDocument, payment: Payment, path: str
) -> tuple[dict[str, Any], payments.DocumentShare]:
    decimals = _check_docto(doc, path)
    equivalence = _equivalence(doc, payment, path)
    taxability, taxes = _docto_taxes(doc, decimals)
    node: dict[str, Any] = {
        "IdDocumento": doc.uuid.upper(),
        "MonedaDR": doc.currency,
        "EquivalenciaDR": 1 if equivalence == 1 else equivalence,
        "NumParcialidad": doc.installment,
        "ImpSaldoAnt": money.round_to(doc.last_balance, decimals),
        "ImpPagado": money.round_to(doc.amount, decimals),
        "ObjetoImpDR": taxability,
        "Serie": doc.series,
        "Folio": None if doc.folio_number is None else str(doc.folio_number),
        "ImpuestosDR": _taxes_dr(taxes) if taxes else None,
    }
    return node, payments.DocumentShare(doc.amount, equivalence, taxes)


def _taxes_dr(computed: Sequence[LineTax]) -> dict[str, Any]:
    transfers = [_dr(t) for t in computed if not t.withholding]
    withholdings = [_dr(t) for t in computed if t.withholding]
    node = {k: v for k, v in (("TrasladosDR", transfers), ("RetencionesDR", withholdings)) if v}
    return node


def _dr(tax: LineTax) -> dict[str, Any]:
    node: dict[str, Any] = {"BaseDR": tax.base, "ImpuestoDR": tax.code, "TipoFactorDR": tax.factor}
    if tax.factor != "Exento":
        node["TasaOCuotaDR"] = tax.rate
        node["ImporteDR"] = tax.amount
    return node


def _payment_exchange(payment: Payment, path: str) -> Decimal:
    """TipoCambioP: 1 for MXN (CRP20215), else as sent, up to 6 decimals (CRP20214)."""
    if payment.currency == "MXN":
        return Decimal(1)
    if payment.currency == "XXX":
        raise invalid("La moneda del pago no puede ser XXX.", E.INVALID_PAYMENT, f"{path}.currency")
    money.currency_decimals(payment.currency)  # refuses a currency outside c_Moneda
    exchange = payment.exchange
    if exchange == 1 or exchange <= 0 or money.round_to(exchange, 6) != exchange:
        raise invalid(
            f"Un pago en {payment.currency} necesita su tipo de cambio (pesos por unidad), "
            "mayor a cero, distinto de 1 y con hasta 6 decimales.",
            E.INVALID_EXCHANGE,
            f"{path}.exchange",
        )
    return exchange


def _payment_date(payment: Payment, place: str, path: str) -> datetime:
    now = local_now(place)
    paid_at = payment.date or now
    if paid_at.tzinfo is not None:
        paid_at = paid_at.astimezone(_timezone(place)).replace(tzinfo=None)
    paid_at = paid_at.replace(microsecond=0)
    if paid_at > now + timedelta(minutes=1):
        raise invalid(
            f"La fecha de pago ({paid_at:%Y-%m-%d %H:%M}) no puede estar en el futuro.",
            INVALID_DATE,
            f"{path}.date",
        )
    return paid_at


def _pago(
    payment: Payment, index: int, place: str
) -> tuple[dict[str, Any], payments.PaymentSums, Decimal]:
    path = f"payments[{index}]"
    if payment.payment_form == "99":
        raise invalid(
            "La forma de pago de un pago recibido no puede ser 99 (Por definir).",
            E.INVALID_PAYMENT,
            f"{path}.payment_form",
        )
    if not payment.related_documents:
        raise invalid(
            "El pago debe relacionar al menos un documento.",
            E.INVALID_PAYMENT,
            f"{path}.related_documents",
        )
    exchange = _payment_exchange(payment, path)
    built = [
        _docto(d, payment, f"{path}.related_documents[{i}]")
        for i, d in enumerate(payment.related_documents)
    ]
    decimals = money.currency_decimals(payment.currency)
    sums = payments.payment_sums((share for _, share in built), decimals)
    node = {
        "FechaPago": _payment_date(payment, place, path),
        "FormaDePagoP": payment.payment_form,
        "MonedaP": payment.currency,
        "TipoCambioP": exchange,
        "NumOperacion": payment.numero_operacion,
        "DoctoRelacionado": [docto for docto, _ in built],
    }
    return node, sums, exchange


def _payments_complement(data: InvoiceInput, place: str) -> Any:
    """The Pagos 2.0 complement, with Monto, ImpuestosP and Totales from ``payments``
    (satcfdi's own sums skip EquivalenciaDR and rounding)."""
    built = [_pago(p, i, place) for i, p in enumerate(data.payments)]
    complement = pago20.Pagos(pago=[node for node, _, _ in built])
    for pago, (_, sums, _) in zip(complement["Pago"], built, strict=True):
        decimals = money.currency_decimals(pago["MonedaP"])
        pago["Monto"] = sums.amount
        pago["ImpuestosP"] = sums.impuestos_p(decimals)
    complement["Totales"] = payments.totales((sums, exchange) for _, sums, exchange in built)
    return complement


def build_payment(
    csd: CSD, issuer: Issuer, data: InvoiceInput, *, check_date: bool = True
) -> BuiltDocument:
    """Build, seal and validate a payment CFDI (type P) with the Pagos 2.0 complement; refused
    with SAT's code when it breaks a rule of the matrix (CRP2xxxx)."""
    if not data.payments:
        raise invalid(
            "El comprobante de pago debe incluir al menos un pago.", E.INVALID_PAYMENT, "payments"
        )
    _check_issuer(csd, issuer)
    place = (data.address.zip if data.address and data.address.zip else None) or issuer.zip
    complement = _payments_complement(data, place)
    comprobante = _Comprobante.pago(
        emisor=_emisor(issuer),
        lugar_expedicion=place,
        receptor=_receptor(data.customer, "CP01", place),
        complemento_pago=complement,
        cfdi_relacionados=_related(data),
        serie=data.series or None,
        folio=str(data.folio_number) if data.folio_number is not None else None,
        fecha=issue_date(data.date, place, check_date),
    )
    # The fixed "Pago" concept is worth 0; satcfdi's compute() (skipped) would set Importe.
    comprobante["Conceptos"]["Importe"] = Decimal(0)
    comprobante["SubTotal"], comprobante["Total"] = Decimal(0), Decimal(0)
    document = _finish(comprobante, csd, "P", [], None, True)
    # Until stamping applies the matrix to every document, payments apply it here.
    sat_matrix.enforce(document.element, local_now(place))
    document.total = complement["Totales"]["MontoTotalPagos"]
    return document


# ---------------------------------------------------------------- Retenciones 2.0


def _retention_receptor(customer: Customer) -> dict[str, Any]:
    if customer.is_foreign:
        return {
            "NacionalidadR": "Extranjero",
            "Extranjero": {"NomDenRazSocR": customer.legal_name, "NumRegIdTribR": customer.tax_id},
        }
    if not customer.address.zip:
        raise invalid(
            "El campo «customer.address.zip» es obligatorio.",
            E.INVALID_INPUT,
            "customer.address.zip",
        )
    return {
        "NacionalidadR": "Nacional",
        "Nacional": {
            "RfcR": customer.tax_id.upper(),
            "NomDenRazSocR": customer.legal_name,
            "DomicilioFiscalR": customer.address.zip,
        },
    }


def _withheld(data: RetentionInput) -> list[dict[str, Any]] | None:
    rows = []
    for tax in data.withheld_taxes:
        row: dict[str, Any] = {"MontoRet": tax.amount, "TipoPagoRet": tax.payment_type.zfill(2)}
        if tax.base is not None:
            row["BaseRet"] = tax.base
        if tax.type:
            row["ImpuestoRet"] = TAX_CODES.get(tax.type.upper(), tax.type)
        rows.append(row)
    return rows or None


def build_retention(
    csd: CSD, issuer: Issuer, data: RetentionInput, *, check_date: bool = True
) -> BuiltDocument:
    """Build, seal and validate a Retenciones 2.0 document (sealed by hand: see NOTES)."""
    _check_issuer(csd, issuer)
    related = (
        {"TipoRelacion": data.related_relationship, "UUID": data.related_uuid.upper()}
        if data.related_uuid and data.related_relationship
        else None
    )
    document = retenciones20.Retenciones(
        lugar_exp_retenc=issuer.zip,
        cve_retenc=data.retention_key.zfill(2),
        emisor={
            "RfcE": issuer.rfc.upper(),
            "NomDenRazSocE": issuer.legal_name,
            "RegimenFiscalE": issuer.tax_system,
        },
        receptor=_retention_receptor(data.customer),
        periodo={
            "MesIni": f"{data.period_start_month:02d}",
            "MesFin": f"{data.period_end_month:02d}",
            "Ejercicio": str(data.period_year),
        },
        totales={
            "MontoTotOperacion": data.total_operation,
            "MontoTotGrav": data.total_taxed,
            "MontoTotExent": data.total_exempt,
            "MontoTotRet": data.total_withheld,
            "ImpRetenidos": _withheld(data),
        },
        folio_int=data.internal_folio,
        desc_retenc=data.description,
        cfdi_reten_relacionados=related,
        fecha_exp=issue_date(data.date, issuer.zip, check_date),
    )
    check_csd_period(csd, document["FechaExp"], issuer.zip)
    complements = custom_complements(
        data.complements, data.namespaces, retention_complements.LOCATIONS
    )
    # satcfdi 26.10's Retenciones.sign() stores tuples (trailing commas); ``seal`` sets strings.
    element, cadena, signature = seal(document, csd, "2.0", complements)
    validate(element)
    retention_complements.check(element)
    if data.addenda:
        attach_addenda(element, data.addenda, data.namespaces)
    return BuiltDocument(
        "retenciones",
        element,
        cadena,
        signature,
        csd.certificate_number,
        document["FechaExp"],
        total=data.total_operation,
        receiver_rfc=_retention_receptor(data.customer)
        .get("Nacional", {})
        .get("RfcR", FOREIGN_RFC),
    )


# ---------------------------------------------------------------- cancellation


def build_cancellation(
    csd: CSD,
    uuid: str,
    motive: str,
    substitution_uuid: str | None = None,
    *,
    date: datetime | None = None,
    retention: bool = False,
) -> CancellationRequest:
    """The signed cancellation request (SAT's retentions schema for a retention); motive 01
    needs the substituting UUID."""
    if motive not in CANCEL_MOTIVES:
        raise invalid(
            "El motivo de cancelación debe ser 01, 02, 03 o 04.", E.CANCEL_MOTIVE_INVALID, "motive"
        )
    if motive == "01" and not substitution_uuid:
        raise invalid(
            "El motivo 01 requiere el UUID del comprobante que sustituye.",
            E.CANCEL_SUBSTITUTION_REQUIRED,
            "substitution",
        )
    if motive != "01" and substitution_uuid:
        raise invalid(
            "Solo el motivo 01 admite un UUID de sustitución.",
            E.CANCEL_SUBSTITUTION_NOT_ALLOWED,
            "substitution",
        )
    moment = (date or datetime.now()).replace(microsecond=0, tzinfo=None)
    kind = cancelacionretencion if retention else cancelacion
    folio = kind.Folio(
        uuid.upper(), motive, substitution_uuid.upper() if substitution_uuid else None
    )
    request = kind.Cancelacion(csd.signer, folio, fecha=moment)
    return CancellationRequest(uuid.upper(), motive, substitution_uuid, csd.rfc, moment, request)
