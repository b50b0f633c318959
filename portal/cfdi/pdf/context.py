"""What the templates print, derived from the stamped CFDI, a receipt or a cancellation acuse."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from satcfdi.cfdi import CFDI

from portal.cfdi import catalogs
from portal.cfdi.pdf import complements as complement_pdf
from portal.cfdi.pdf.formatting import (
    _code,
    _decimal,
    breakable,
    money,
    plain_number,
    rate,
    seal_lines,
    unit_price,
    when,
)
from portal.cfdi.pdf.words import amount_in_words
from portal.cfdi.qr import qr_data_uri, verification_url

DOCUMENT_TITLES = {
    "I": "Factura",
    "E": "Nota de crédito",
    "P": "Recibo electrónico de pago",
    "T": "Comprobante de traslado",
    "N": "Recibo de nómina",
}
CANCELLATION_STATUS = {
    "accepted": "Cancelado",
    "canceled": "Cancelado",
    "pending": "En proceso de cancelación",
    "rejected": "Cancelación rechazada",
    "expired": "Solicitud vencida",
}


# --------------------------------------------------------------------------- options


@dataclass(frozen=True)
class PdfExtra:
    """Facturapi's ``pdf_extra`` switches: optional details shown on the PDF."""

    codes: bool = True
    product_key: bool = True
    round_unit_price: bool = False
    tax_breakdown: bool = True
    ieps_breakdown: bool = True

    @classmethod
    def from_value(cls, value: PdfExtra | Mapping[str, Any] | None) -> PdfExtra:
        """From an instance, a (partial) ``pdf_extra`` dict, or None for the defaults."""
        if isinstance(value, PdfExtra):
            return value
        known = {f.name for f in fields(cls)}
        return cls(**{k: bool(v) for k, v in (value or {}).items() if k in known})


# --------------------------------------------------------------------------- invoice context


def _describe(catalog: str, value: Any, extra: PdfExtra) -> str:
    """A catalog value for print: "G03 - Gastos en general" or just the label."""
    code = _code(value)
    text = catalogs.label(catalog, code) if code else None
    if not text:
        return code or ""
    return f"{code} - {text}" if extra.codes else text


_TAX_NAMES = {"001": "ISR", "002": "IVA", "003": "IEPS"}


def _tax_name(tax: Mapping[str, Any]) -> str:
    """ "IVA 16%", "IEPS $3.00/u" or "IVA Exento"."""
    name = _TAX_NAMES.get(_code(tax.get("Impuesto")) or "", _code(tax.get("Impuesto")) or "")
    factor = _code(tax.get("TipoFactor"))
    if factor == "Exento":
        return f"{name} Exento"
    if factor == "Cuota":
        return f"{name} {money(tax.get('TasaOCuota'), 4)}/u"
    return f"{name} {rate(tax.get('TasaOCuota'))}"


def _taxes_of(node: Mapping[str, Any] | None, kind: str) -> list[Mapping[str, Any]]:
    """``Traslados`` or ``Retenciones`` of an ``Impuestos`` node as a list."""
    group = (node or {}).get(kind) or {}
    return list(group.values()) if isinstance(group, Mapping) else list(group)


def _is_ieps(tax: Mapping[str, Any]) -> bool:
    """True for an IEPS tax line."""
    return _code(tax.get("Impuesto")) == "003"


def _item_tax_lines(concept: Mapping[str, Any], extra: PdfExtra) -> list[str]:
    """ "IVA 16%: $16.00" lines of one concept (traslados, then retenciones)."""
    lines = []
    for tax in _taxes_of(concept.get("Impuestos"), "Traslados"):
        if extra.ieps_breakdown or not _is_ieps(tax):
            amount = "" if tax.get("Importe") is None else f": {money(tax.get('Importe'))}"
            lines.append(f"{_tax_name(tax)}{amount}")
    for tax in _taxes_of(concept.get("Impuestos"), "Retenciones"):
        lines.append(f"Ret. {_tax_name(tax)}: -{money(tax.get('Importe'))}")
    return lines


def _hidden_ieps(concept: Mapping[str, Any], extra: PdfExtra) -> Decimal:
    """IEPS folded into the price when ``ieps_breakdown`` is off."""
    if extra.ieps_breakdown:
        return Decimal(0)
    taxes = _taxes_of(concept.get("Impuestos"), "Traslados")
    return sum((_decimal(t.get("Importe")) for t in taxes if _is_ieps(t)), Decimal(0))


def _item_details(concept: Mapping[str, Any], extra: PdfExtra) -> list[str]:
    """Small print under a concept's description, one line each."""
    lines = []
    if concept.get("NoIdentificacion"):
        lines.append(f"No. ident.: {concept['NoIdentificacion']}")
    if extra.tax_breakdown:
        lines.append(f"Objeto imp.: {_describe('tax_object', concept.get('ObjetoImp'), extra)}")
        lines += _item_tax_lines(concept, extra)
    if customs := ", ".join(_as_list(concept.get("InformacionAduanera"), "NumeroPedimento")):
        lines.append(f"Pedimento: {customs}")
    if predial := ", ".join(_as_list(concept.get("CuentaPredial"), "Numero")):
        lines.append(f"Cuenta predial: {predial}")
    if third := (concept.get("ACuentaTerceros") or {}).get("RfcACuentaTerceros"):
        lines.append(f"A cuenta de terceros: {third}")
    return lines


def _item(concept: Mapping[str, Any], extra: PdfExtra) -> dict[str, Any]:
    """One row of the concepts table; small print joined in one paragraph (fewer boxes)."""
    ieps = _hidden_ieps(concept, extra)
    quantity = _decimal(concept.get("Cantidad")) or Decimal(1)
    price = _decimal(concept.get("ValorUnitario")) + ieps / quantity
    unit = _code(concept.get("ClaveUnidad")) or ""
    unit_name = concept.get("Unidad") or catalogs.label("unit", unit) or ""
    return {
        "product_key": _code(concept.get("ClaveProdServ")) or "",
        "quantity": plain_number(concept.get("Cantidad")),
        "unit": f"{unit} {unit_name}" if extra.codes else unit_name,
        "description": concept.get("Descripcion") or "",
        "details": " · ".join(_item_details(concept, extra)),
        "unit_price": unit_price(price, extra.round_unit_price),
        "discount": money(concept.get("Descuento")) if concept.get("Descuento") else "",
        "amount": money(_decimal(concept.get("Importe")) + ieps),
    }


def _as_list(value: Any, key: str) -> list[str]:
    """Strings of a repeated child node (or a single one)."""
    if not value:
        return []
    nodes = value if isinstance(value, list) else [value]
    return [str(n.get(key, "")) if isinstance(n, Mapping) else str(n) for n in nodes]


def _totals(cfdi: Mapping[str, Any], extra: PdfExtra, decimals: int) -> list[tuple[str, str]]:
    """(label, amount) rows above the total."""
    taxes = cfdi.get("Impuestos") or {}
    transfers = _taxes_of(taxes, "Traslados")
    hidden = Decimal(0)
    if not extra.ieps_breakdown:
        hidden = sum((_decimal(t.get("Importe")) for t in transfers if _is_ieps(t)), Decimal(0))
        transfers = [t for t in transfers if not _is_ieps(t)]
    rows = [("Subtotal", money(_decimal(cfdi.get("SubTotal")) + hidden, decimals))]
    if cfdi.get("Descuento"):
        rows.append(("Descuento", "-" + money(cfdi.get("Descuento"), decimals)))
    rows += [(_tax_name(t), money(t.get("Importe"), decimals)) for t in transfers]
    rows += [
        (
            f"{_TAX_NAMES.get(_code(t.get('Impuesto')) or '', '')} retenido",
            "-" + money(t.get("Importe"), decimals),
        )
        for t in _taxes_of(taxes, "Retenciones")
    ]
    return rows + _local_tax_rows(cfdi, decimals)


def _local_tax_rows(cfdi: Mapping[str, Any], decimals: int) -> list[tuple[str, str]]:
    """Rows of the ``implocal`` complement (state taxes), when present."""
    local = (cfdi.get("Complemento") or {}).get("ImpuestosLocales") or {}
    rows = []
    for tax in _as_nodes(local.get("TrasladosLocales")):
        rows.append(
            (
                f"{tax.get('ImpLocTrasladado')} {rate(_decimal(tax.get('TasadeTraslado')) / 100)}",
                money(tax.get("Importe"), decimals),
            )
        )
    for tax in _as_nodes(local.get("RetencionesLocales")):
        rows.append(
            (f"{tax.get('ImpLocRetenido')} retenido", "-" + money(tax.get("Importe"), decimals))
        )
    return rows


def _as_nodes(value: Any) -> list[Mapping[str, Any]]:
    """A repeated node as a list of mappings."""
    if not value:
        return []
    return [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, Mapping)]


def _related(cfdi: Mapping[str, Any], extra: PdfExtra) -> list[dict[str, Any]]:
    """``CfdiRelacionados`` groups: relationship and UUIDs."""
    groups = []
    for node in _as_nodes(cfdi.get("CfdiRelacionados")):
        uuids = node.get("CfdiRelacionado") or []
        uuids = [u.get("UUID") if isinstance(u, Mapping) else u for u in _listify(uuids)]
        groups.append(
            {
                "type": _describe("relationship", node.get("TipoRelacion"), extra),
                "uuids": [str(u) for u in uuids],
            }
        )
    return groups


def _listify(value: Any) -> list[Any]:
    """A value or a list as a list."""
    return value if isinstance(value, list) else [value]


def _global_info(cfdi: Mapping[str, Any], extra: PdfExtra) -> dict[str, str] | None:
    """``InformacionGlobal`` of a global invoice, for print."""
    node = cfdi.get("InformacionGlobal")
    if not node:
        return None
    return {
        "periodicity": _describe("periodicity", node.get("Periodicidad"), extra),
        "months": _describe("month", node.get("Meses"), extra),
        "year": str(node.get("Año") or ""),
    }


def _payments(cfdi: Mapping[str, Any], extra: PdfExtra) -> list[dict[str, Any]]:
    """Pagos 2.0 complement: one entry per payment with its related documents, its exchange
    rate (TipoCambioP) and its taxes (ImpuestosP)."""
    pagos = (cfdi.get("Complemento") or {}).get("Pagos") or {}
    result = []
    for pago in _as_nodes(pagos.get("Pago")):
        currency = _code(pago.get("MonedaP"))
        result.append(
            {
                "date": when(pago.get("FechaPago")),
                "form": _describe("payment_form", pago.get("FormaDePagoP"), extra),
                "currency": currency,
                "amount": money(pago.get("Monto")),
                "exchange": None if currency == "MXN" else plain_number(pago.get("TipoCambioP")),
                "documents": [_paid_document(d) for d in _as_nodes(pago.get("DoctoRelacionado"))],
                "taxes": _payment_taxes(pago.get("ImpuestosP")),
            }
        )
    return result


def _catalog_text(table: str, code: Any) -> str:
    """``code · description`` from a SAT catalog the label helpers do not cover."""
    code = _code(code)
    if not code:
        return ""
    value = catalogs._select(table, code)
    text = value if isinstance(value, str) else (value[-1] if value else "")
    return f"{code} · {text}" if text else code


def _address_line(node: Mapping[str, Any] | None) -> str:
    """A Comercio Exterior Domicilio on one line (street, numbers, zip, state, country)."""
    if not node:
        return ""
    street = " ".join(str(node.get(k)) for k in ("Calle", "NumeroExterior") if node.get(k))
    if node.get("NumeroInterior"):
        street += f" int. {node.get('NumeroInterior')}"
    parts = [street, node.get("Colonia"), node.get("Municipio"), f"C.P. {node.get('CodigoPostal')}"]
    parts += [_code(node.get("Estado")), _code(node.get("Pais"))]
    return ", ".join(str(p) for p in parts if p)


def _goods_of(mercancias: Any) -> list[Mapping[str, Any]]:
    # satcfdi reads Mercancias as the list of its Mercancia nodes.
    if isinstance(mercancias, Mapping):
        return _as_nodes(mercancias.get("Mercancia"))
    return _as_nodes(mercancias)


def _foreign_trade(cfdi: Mapping[str, Any]) -> dict[str, Any] | None:
    """The Comercio Exterior 2.0 complement, readable: header, addresses and goods."""
    cce = (cfdi.get("Complemento") or {}).get("ComercioExterior")
    if not cce:
        return None
    goods = [
        {
            "sku": m.get("NoIdentificacion") or "",
            "tariff": _catalog_text("C5bc_c_FraccionArancelaria", m.get("FraccionArancelaria")),
            "quantity": plain_number(m.get("CantidadAduana")) if m.get("CantidadAduana") else "",
            "unit": _catalog_text("C5bc_c_UnidadAduana", m.get("UnidadAduana")),
            "unit_price": plain_number(m.get("ValorUnitarioAduana"))
            if m.get("ValorUnitarioAduana") is not None
            else "",
            "usd": money(m.get("ValorDolares")),
        }
        for m in _goods_of(cce.get("Mercancias"))
    ]
    receptor = cce.get("Receptor") or {}
    return {
        "pedimento": _catalog_text("C5bc_c_ClavePedimento", cce.get("ClaveDePedimento")),
        "incoterm": _catalog_text("C5bc_c_INCOTERM", cce.get("Incoterm")),
        "reason": _catalog_text("C5bc_c_MotivoTraslado", cce.get("MotivoTraslado")),
        "origin": "Sí" if str(cce.get("CertificadoOrigen")) == "1" else "No",
        "origin_number": cce.get("NumCertificadoOrigen") or "",
        "exchange_usd": plain_number(cce.get("TipoCambioUSD")),
        "total_usd": money(cce.get("TotalUSD")),
        "notes": cce.get("Observaciones") or "",
        "issuer_address": _address_line((cce.get("Emisor") or {}).get("Domicilio")),
        "receiver_address": _address_line(receptor.get("Domicilio")),
        "goods": goods,
    }


def _paid_document(node: Mapping[str, Any]) -> dict[str, Any]:
    equivalence = _decimal(node.get("EquivalenciaDR") or 1)
    return {
        "uuid": node.get("IdDocumento"),
        "series_folio": _series_folio(node),
        "installment": node.get("NumParcialidad"),
        "currency": _code(node.get("MonedaDR")),
        "equivalence": None if equivalence == 1 else plain_number(equivalence),
        "previous": money(node.get("ImpSaldoAnt")),
        "paid": money(node.get("ImpPagado")),
        "remaining": money(node.get("ImpSaldoInsoluto")),
    }


def _without_suffix(tax: Mapping[str, Any], suffix: str) -> dict[str, Any]:
    """A Pagos tax row (``ImpuestoP``, ``BaseP``...) under the CFDI's own attribute names."""
    return {key.removesuffix(suffix): value for key, value in tax.items()}


def _payment_taxes(node: Mapping[str, Any] | None) -> list[dict[str, str]]:
    """ImpuestosP as stamped (6 decimals): transfers with their base, then withholdings."""
    rows = []
    for tax in (_without_suffix(t, "P") for t in _taxes_of(node, "TrasladosP")):
        amount = "" if _code(tax.get("TipoFactor")) == "Exento" else tax.get("Importe")
        rows.append(
            {
                "name": _tax_name(tax),
                "base": unit_price(tax.get("Base"), False),
                "amount": unit_price(amount, False) if amount != "" else "",
            }
        )
    for tax in (_without_suffix(t, "P") for t in _taxes_of(node, "RetencionesP")):
        name = _TAX_NAMES.get(_code(tax.get("Impuesto")) or "", "")
        amount = unit_price(tax.get("Importe"), False)
        rows.append({"name": f"{name} retenido", "base": "", "amount": amount})
    return rows


def _payment_totals(cfdi: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The complement's Totales (in MXN), as stamped."""
    totals = ((cfdi.get("Complemento") or {}).get("Pagos") or {}).get("Totales") or {}
    return [(label, money(totals[key])) for key, label in PAYMENT_TOTALS.items() if key in totals]


PAYMENT_TOTALS = {
    "TotalTrasladosBaseIVA16": "Base IVA 16%",
    "TotalTrasladosImpuestoIVA16": "IVA 16%",
    "TotalTrasladosBaseIVA8": "Base IVA 8%",
    "TotalTrasladosImpuestoIVA8": "IVA 8%",
    "TotalTrasladosBaseIVA0": "Base IVA 0%",
    "TotalTrasladosImpuestoIVA0": "IVA 0%",
    "TotalTrasladosBaseIVAExento": "Base IVA exento",
    "TotalRetencionesISR": "ISR retenido",
    "TotalRetencionesIVA": "IVA retenido",
    "TotalRetencionesIEPS": "IEPS retenido",
    "MontoTotalPagos": "Monto total de los pagos",
}


def _series_folio(node: Mapping[str, Any]) -> str:
    """ "A-123" from ``Serie`` and ``Folio``."""
    return "-".join(str(p) for p in (node.get("Serie"), node.get("Folio")) if p)


def _party(node: Mapping[str, Any], regime_key: str, extra: PdfExtra) -> dict[str, str]:
    """Issuer or receiver block."""
    return {
        "name": node.get("Nombre") or "",
        "rfc": node.get("Rfc") or "",
        "regime": _describe("tax_system", node.get(regime_key), extra),
        "zip": node.get("DomicilioFiscalReceptor") or "",
        "use": _describe("use", node.get("UsoCFDI"), extra) if node.get("UsoCFDI") else "",
        "residence": _code(node.get("ResidenciaFiscal")) or "",
        "foreign_id": node.get("NumRegIdTrib") or "",
    }


def _stamp(cfdi: CFDI) -> dict[str, Any]:
    """The fiscal block: UUID, seals, TFD chain, certificate numbers, QR."""
    tfd = (cfdi.get("Complemento") or {}).get("TimbreFiscalDigital") or {}
    uuid = str(tfd.get("UUID") or "")
    chain = tfd.cadena_original() if uuid and hasattr(tfd, "cadena_original") else ""
    url = (
        verification_url(
            uuid,
            cfdi["Emisor"]["Rfc"],
            cfdi["Receptor"]["Rfc"],
            cfdi.get("Total") or 0,
            cfdi.get("Sello") or "",
        )
        if uuid
        else ""
    )
    return {
        "uuid": uuid,
        "stamped_at": when(tfd.get("FechaTimbrado")),
        "pac_rfc": tfd.get("RfcProvCertif") or "",
        "sat_certificate": tfd.get("NoCertificadoSAT") or "",
        "seal_cfd": seal_lines(cfdi.get("Sello")),
        "seal_sat": seal_lines(tfd.get("SelloSAT")),
        "chain": seal_lines(chain),
        "url": url,
        "qr": qr_data_uri(url) if url else None,
    }


def invoice_context(
    cfdi: CFDI, extra: PdfExtra | Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Everything the invoice template prints, derived from the stamped CFDI."""
    extra = PdfExtra.from_value(extra)
    currency = _code(cfdi.get("Moneda")) or "MXN"
    decimals = 2 if currency in ("MXN", "XXX") else catalogs.currency_decimals(currency)
    kind = _code(cfdi.get("TipoDeComprobante")) or "I"
    concepts = cfdi.get("Conceptos") or []
    return {
        "kind": kind,
        "title": DOCUMENT_TITLES.get(kind, "CFDI"),
        "version": cfdi.get("Version"),
        "series_folio": _series_folio(cfdi),
        "date": when(cfdi.get("Fecha")),
        "place": cfdi.get("LugarExpedicion") or "",
        "export": _describe("export", cfdi.get("Exportacion"), extra),
        "issuer": _party(cfdi["Emisor"], "RegimenFiscal", extra),
        "receiver": _party(cfdi["Receptor"], "RegimenFiscalReceptor", extra),
        "payment_form": _describe("payment_form", cfdi.get("FormaPago"), extra),
        "payment_method": _describe("payment_method", cfdi.get("MetodoPago"), extra),
        "conditions": cfdi.get("CondicionesDePago") or "",
        "currency": _describe("currency", currency, extra),
        "exchange": plain_number(cfdi.get("TipoCambio")) if cfdi.get("TipoCambio") else "",
        "certificate": cfdi.get("NoCertificado") or "",
        "lines": [_item(c, extra) for c in concepts],
        "show_discount": any(c.get("Descuento") for c in concepts),
        "extra": extra,
        "totals": _totals(cfdi, extra, decimals),
        "total": money(cfdi.get("Total"), decimals),
        "total_words": amount_in_words(cfdi.get("Total") or 0, currency)
        if kind not in ("P", "T")
        else "",
        "related": _related(cfdi, extra),
        "global_info": _global_info(cfdi, extra),
        "payments": _payments(cfdi, extra),
        "foreign_trade": _foreign_trade(cfdi),
        "payroll": complement_pdf.payroll(cfdi),
        "carta_porte": complement_pdf.carta_porte(cfdi),
        "payment_totals": _payment_totals(cfdi),
        "stamp": _stamp(cfdi),
    }


# --------------------------------------------------------------------------- receipt ticket


def _receipt_item(item: Mapping[str, Any]) -> dict[str, str]:
    """One ticket line from a Facturapi receipt item (or a flat dict)."""
    product = item.get("product") or {}
    quantity = _decimal(item.get("quantity") or 1)
    price = _decimal(product.get("price", item.get("price")))
    amount = item.get("amount")
    if amount is None:
        amount = quantity * price - _decimal(item.get("discount"))
    return {
        "quantity": plain_number(quantity),
        "description": str(product.get("description") or item.get("description") or ""),
        "amount": money(amount),
    }


def purchase_context(receipt: Mapping[str, Any]) -> dict[str, Any]:
    """The purchase a receipt lists (folio, branch, lines, total), as its ticket prints it and
    its self-invoice page shows it, from a receipt dict (Facturapi's receipt shape)."""
    return {
        "folio": receipt.get("folio_number") or "",
        "branch": receipt.get("branch") or "",
        "lines": [_receipt_item(i) for i in receipt.get("items") or []],
        "total": money(receipt.get("total")),
    }


def receipt_context(receipt: Mapping[str, Any]) -> dict[str, Any]:
    """What the ticket prints: the purchase, its dates in words and figures, and the QR code."""
    url = str(receipt.get("self_invoice_url") or "")
    currency = str(receipt.get("currency") or "MXN")
    zone = str(receipt.get("timezone") or "America/Mexico_City")
    return {
        **purchase_context(receipt),
        "key": receipt.get("key") or "",
        "date": when(receipt.get("date") or receipt.get("created_at"), zone),
        "expires": when(receipt.get("expires_at"), zone) if receipt.get("expires_at") else "",
        "total_words": amount_in_words(_decimal(receipt.get("total")), currency),
        "payment_form": catalogs.label("payment_form", str(receipt.get("payment_form") or "")),
        "url": url,
        "qr": qr_data_uri(url) if url else None,
    }


# --------------------------------------------------------------------------- cancellation


def signature_label(signer: str, certificate_number: str, test_mode: bool) -> str:
    """Whose a signature of a cancellation document is: SAT's (or the test PAC's on its
    behalf) on the acuse, or the issuer's own on its request, which is never SAT's seal."""
    number = f" (certificado {certificate_number})" if certificate_number else ""
    if signer == "issuer":
        return f"Firma del emisor en su solicitud de cancelación, con su CSD{number}"
    if test_mode:
        return f"Sello del acuse del PAC de pruebas{number}, sin validez fiscal (no es del SAT)"
    return f"Sello digital del SAT en el acuse{number}"


def _signatures(ack: Mapping[str, Any], test_mode: bool) -> list[dict[str, str]]:
    found = ack.get("signatures")
    if found is None:  # a bare seal: only an acuse's seal is given this way
        found = [{"signer": "sat", "value": ack.get("seal") or ack.get("sello") or ""}]
    return [
        {
            "label": signature_label(
                str(s.get("signer")), str(s.get("certificate_number") or ""), test_mode
            ),
            "value": breakable(str(s.get("value") or "")),
        }
        for s in found
        if s.get("value")
    ]


def cancellation_context(ack: Mapping[str, Any], test_mode: bool = False) -> dict[str, Any]:
    """What the cancellation acknowledgment prints, from a plain dict; ``signatures`` lists
    ``{signer: "sat"|"issuer", value, certificate_number}``."""
    motive = str(ack.get("motive") or "")
    status = str(ack.get("status") or "")
    return {
        "uuid": str(ack.get("uuid") or "").upper(),
        "issuer_rfc": ack.get("issuer_tax_id") or ack.get("rfc_emisor") or "",
        "receiver_rfc": ack.get("receiver_tax_id") or "",
        "requested_at": when(ack.get("date") or ack.get("requested_at")),
        "canceled_at": when(ack.get("canceled_at")) if ack.get("canceled_at") else "",
        "status": CANCELLATION_STATUS.get(status, status),
        "motive": f"{motive} - {catalogs.label('cancellation_motive', motive) or ''}".strip(" -"),
        "substitution": str(ack.get("substitution") or "").upper(),
        "total": money(ack["total"]) if ack.get("total") is not None else "",
        "acuse_date": str(ack.get("acuse_date") or ""),
        "folio_status": str(ack.get("folio_status") or ""),
        "signatures": _signatures(ack, test_mode),
    }
