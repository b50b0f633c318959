"""``complements: [{type: "custom", data: "<xml…>"}]``: the node goes into cfdi:Complemento
with its namespace declared and its schema location written, inside the seal (the cadena is
recomputed here with SAT's own XSLT), or the document is refused with a 400."""

from __future__ import annotations

import base64
import os

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from lxml import etree
from satcfdi.transform import SCHEMA_ROOT

from portal.cfdi.documents import build_invoice
from portal.cfdi.types import InvoiceInput, Namespace
from portal.errors import ValidationError

CFDI = "http://www.sat.gob.mx/cfd/4"
LEYENDAS = "http://www.sat.gob.mx/leyendasFiscales"
LEYENDA = (
    '<leyendasFisc:LeyendasFiscales xmlns:leyendasFisc="http://www.sat.gob.mx/leyendasFiscales" '
    'version="1.0"><leyendasFisc:Leyenda disposicionFiscal="RESDERAUTH" '
    'norma="Artículo 2 Fracción IV" textoLeyenda="Obra protegida por derechos de autor"/>'
    "</leyendasFisc:LeyendasFiscales>"
)
XSLT = "www.sat.gob.mx/sitio_internet/cfd/4/cadenaoriginal_4_0/cadenaoriginal_4_0.xslt"


def _sat_cadena(root: etree._Element) -> str:
    return str(etree.XSLT(etree.parse(os.path.join(SCHEMA_ROOT, XSLT)))(root))


def _verify_seal(root: etree._Element) -> str:
    """SAT's rule: Sello is the RSA-SHA256 of the cadena original, checked with Certificado."""
    cadena = _sat_cadena(root)
    certificate = x509.load_der_x509_certificate(base64.b64decode(root.get("Certificado")))
    certificate.public_key().verify(
        base64.b64decode(root.get("Sello")), cadena.encode(), padding.PKCS1v15(), hashes.SHA256()
    )
    return cadena


def test_custom_complement_is_inside_the_sealed_xml(
    issuer_csd, issuer, sample_invoice, stamp_and_check
) -> None:
    sample_invoice.custom_complements = [LEYENDA]
    document = build_invoice(issuer_csd, issuer, sample_invoice)
    root = etree.fromstring(document.xml)
    node = root.find(f"{{{CFDI}}}Complemento/{{{LEYENDAS}}}LeyendasFiscales")
    assert node is not None and node.find(f"{{{LEYENDAS}}}Leyenda") is not None
    assert root.nsmap["leyendasFisc"] == LEYENDAS  # declared on cfdi:Comprobante
    locations = root.get("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation").split()
    pairs = dict(zip(locations[::2], locations[1::2], strict=True))
    assert pairs[LEYENDAS].endswith("/leyendasFiscales/leyendasFisc.xsd")
    assert "Obra protegida por derechos de autor" in _verify_seal(root)
    stamped = etree.fromstring(stamp_and_check(document).xml)
    assert stamped.find(f"{{{CFDI}}}Complemento/{{{LEYENDAS}}}LeyendasFiscales") is not None


def test_prefix_declared_in_namespaces_is_accepted(issuer_csd, issuer, sample_invoice) -> None:
    sample_invoice.custom_complements = [LEYENDA.replace(f' xmlns:leyendasFisc="{LEYENDAS}"', "")]
    sample_invoice.namespaces = [Namespace("leyendasFisc", LEYENDAS)]
    root = etree.fromstring(build_invoice(issuer_csd, issuer, sample_invoice).xml)
    assert root.find(f"{{{CFDI}}}Complemento/{{{LEYENDAS}}}LeyendasFiscales") is not None
    _verify_seal(root)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ("<leyendasFisc:LeyendasFiscales", "bien formado"),
        ("texto suelto", "un solo nodo"),
        ("<Sin/>", "prefijo"),
        ('<x:Nodo xmlns:x="urn:desconocido"/>', "se aceptan"),
        (
            '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x:a xmlns:x="urn:y">&e;</x:a>',
            "",
        ),
    ],
)
def test_bad_custom_complement_is_a_400(
    issuer_csd, issuer, sample_invoice, data: str, fragment: str
) -> None:
    sample_invoice.custom_complements = [data]
    with pytest.raises(ValidationError) as caught:
        build_invoice(issuer_csd, issuer, sample_invoice)
    assert caught.value.status == 400 and caught.value.path == "complements[0].data"
    assert fragment in caught.value.message


def test_complement_sat_does_not_know_is_refused(issuer_csd, issuer, sample_invoice) -> None:
    """cfdv40.xsd's Complemento takes xs:any strictly: a node without a SAT schema is refused,
    even with a schema location of its own."""
    sample_invoice.custom_complements = ['<acme:Extra xmlns:acme="urn:acme" dato="1"/>']
    sample_invoice.namespaces = [Namespace("acme", "urn:acme", "acme.xsd")]
    with pytest.raises(ValidationError) as caught:
        build_invoice(issuer_csd, issuer, sample_invoice)
    assert caught.value.status == 400 and "se aceptan" in caught.value.message


def test_known_complement_with_invalid_content_fails_sats_schema(
    issuer_csd, issuer, sample_invoice
) -> None:
    sample_invoice.custom_complements = [
        f'<leyendasFisc:LeyendasFiscales xmlns:leyendasFisc="{LEYENDAS}" version="9"/>'
    ]
    with pytest.raises(ValidationError) as caught:
        build_invoice(issuer_csd, issuer, sample_invoice)
    assert caught.value.status == 400 and caught.value.code == "cfdi_schema_invalid"


def test_complement_types_that_are_not_built_are_refused() -> None:
    body = {
        "customer": {"legal_name": "X", "tax_id": "URE180429TM6"},
        "complements": [{"type": "detallista", "data": {}}],
    }
    with pytest.raises(ValidationError) as caught:
        InvoiceInput.from_dict(body)
    assert caught.value.path == "complements[0].type"
