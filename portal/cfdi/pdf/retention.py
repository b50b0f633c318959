"""The PDF of a stamped Retenciones 2.0 document, in the house style of the invoice PDF
(``portal.cfdi.pdf``: same base stylesheet, branding, fonts and seal layout)."""

from __future__ import annotations

from typing import Any

from lxml import etree
from satcfdi.catalogs import select

from portal.cfdi import qr
from portal.cfdi.pac import tfd_cadena_original
from portal.cfdi.pdf.branding import Branding, sanitize_custom_section
from portal.cfdi.pdf.formatting import money, seal_lines
from portal.cfdi.pdf.render import html_to_pdf, render_html

RET = "{http://www.sat.gob.mx/esquemas/retencionpago/2}"
TFD = "{http://www.sat.gob.mx/TimbreFiscalDigital}"
CVE_RETENC_TABLE = "Ccb0_c_CveRetenc"
TAX_NAMES = {"001": "ISR", "002": "IVA", "003": "IEPS"}
PAYMENT_TYPES = {
    "01": "Pago definitivo IVA",
    "02": "Pago definitivo",
    "03": "Pago provisional",
    "04": "Pago definitivo IEPS",
}
MONTHS = (
    "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre"
).split()


def _key_text(key: str) -> str:
    description = select(CVE_RETENC_TABLE, key)  # SAT's c_CveRetenc, as satcfdi ships it
    return f"{key} - {description}" if description else key


def _attrs(node: etree._Element | None) -> dict[str, str]:
    return dict(node.attrib) if node is not None else {}


def _complements(root: etree._Element) -> list[dict[str, Any]]:
    """Each SAT complement as its name and its attributes (nested nodes flattened)."""
    found = []
    for node in root.iterfind(f"{RET}Complemento/*"):
        if node.tag == f"{TFD}TimbreFiscalDigital":
            continue
        rows = [
            (name if child is node else f"{etree.QName(child).localname} · {name}", value)
            for child in node.iter()
            for name, value in child.attrib.items()
            if not name.startswith("{") and name != "Version"
        ]
        found.append({"name": etree.QName(node).localname, "rows": rows})
    return found


def retention_context(xml: bytes, verification_url: str) -> dict[str, Any]:
    """What the template shows, read from the stamped XML."""
    root = etree.fromstring(xml)
    issuer = _attrs(root.find(f"{RET}Emisor"))
    receptor = root.find(f"{RET}Receptor")
    national = _attrs(root.find(f"{RET}Receptor/{RET}Nacional"))
    foreign = _attrs(root.find(f"{RET}Receptor/{RET}Extranjero"))
    period = _attrs(root.find(f"{RET}Periodo"))
    totals_node = root.find(f"{RET}Totales")
    totals = _attrs(totals_node)
    tfd_node = next(root.iter(f"{TFD}TimbreFiscalDigital"), None)
    tfd = _attrs(tfd_node)
    months = [MONTHS[int(period.get(k, "1")) - 1] for k in ("MesIni", "MesFin")]
    return {
        "uuid": tfd.get("UUID", ""),
        "folio": root.get("FolioInt", ""),
        "date": root.get("FechaExp", "").replace("T", " "),
        "place": root.get("LugarExpRetenc", ""),
        "key": _key_text(root.get("CveRetenc", "")),
        "description": root.get("DescRetenc", ""),
        "certificate": root.get("NoCertificado", ""),
        "issuer": {
            "rfc": issuer.get("RfcE", ""),
            "name": issuer.get("NomDenRazSocE", ""),
            "regime": issuer.get("RegimenFiscalE", ""),
        },
        "receiver": {
            "nationality": receptor.get("NacionalidadR", "") if receptor is not None else "",
            "rfc": national.get("RfcR", ""),
            "name": national.get("NomDenRazSocR") or foreign.get("NomDenRazSocR", ""),
            "zip": national.get("DomicilioFiscalR", ""),
            "curp": national.get("CurpR", ""),
            "foreign_id": foreign.get("NumRegIdTribR", ""),
        },
        "period": {
            "months": months[0] if months[0] == months[1] else f"{months[0]} a {months[1]}",
            "year": period.get("Ejercicio", ""),
        },
        "totals": [
            ("Monto total de la operación", money(totals.get("MontoTotOperacion"))),
            ("Monto total gravado", money(totals.get("MontoTotGrav"))),
            ("Monto total exento", money(totals.get("MontoTotExent"))),
            ("Monto total retenido", money(totals.get("MontoTotRet"))),
        ],
        "withheld": [
            {
                "tax": TAX_NAMES.get(row.get("ImpuestoRet", ""), row.get("ImpuestoRet", "—")),
                "base": money(row.get("BaseRet")) if row.get("BaseRet") else "—",
                "amount": money(row.get("MontoRet")),
                "payment": PAYMENT_TYPES.get(row.get("TipoPagoRet", ""), row.get("TipoPagoRet")),
            }
            for row in (
                totals_node.iterfind(f"{RET}ImpRetenidos") if totals_node is not None else ()
            )
        ],
        "complements": _complements(root),
        "stamp": {
            "seal_cfd": seal_lines(root.get("Sello", "")),
            "seal_sat": seal_lines(tfd.get("SelloSAT", "")),
            "chain": seal_lines(tfd_cadena_original(tfd_node) if tfd_node is not None else ""),
            "sat_certificate": tfd.get("NoCertificadoSAT", ""),
            "pac_rfc": tfd.get("RfcProvCertif", ""),
            "stamped_at": tfd.get("FechaTimbrado", "").replace("T", " "),
            "qr": qr.qr_data_uri(verification_url),
        },
    }


def render_retention(
    xml: bytes,
    verification_url: str,
    branding: Branding | None = None,
    *,
    custom_section: str | None = None,
    test_mode: bool = False,
) -> bytes:
    """The PDF of a stamped retention (US Letter, like the invoice)."""
    branding = branding or Branding()
    html = render_html(
        "retention.html",
        doc=retention_context(xml, verification_url),
        custom_section=sanitize_custom_section(custom_section),
        brand=branding,
        color=branding.css_color,
        logo=branding.logo_uri,
        on_color=branding.css_text_on_color,
        ink=branding.css_ink,
        test_mode=test_mode,
    )
    return html_to_pdf(html, "invoice.css")
