"""PDF rendering: invoice from a stamped XML, receipt ticket, cancellation acknowledgment."""

from __future__ import annotations

import io
import re
import subprocess
import uuid as uuidlib
import zlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache

import pytest
import weasyprint
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from OpenSSL import crypto
from PIL import Image
from satcfdi.create.cfd import cfdi40
from satcfdi.create.cfd.tfd11 import TimbreFiscalDigital
from satcfdi.models import Signer
from weasyprint.formatting_structure.boxes import BlockBox

from portal.cfdi import pdf, qr
from portal.cfdi.csd import CSD
from portal.cfdi.documents import build_global_invoice, build_invoice
from portal.cfdi.pac import LocalTestPAC
from portal.cfdi.pdf import render
from portal.cfdi.types import (
    Customer,
    GlobalInfo,
    InvoiceInput,
    Issuer,
    Item,
    Payment,
    PaymentDocument,
    Product,
    RelatedDocuments,
)

ISSUER_RFC = "EKU9003173C9"
RECEIVER_RFC = "GODE561231GR8"


# --------------------------------------------------------------------------- fixtures


def _signer(rfc: str, name: str, number: str, branch: str | None = None) -> Signer:
    """A throwaway SAT-shaped certificate and key (never a real one)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    attributes = [
        x509.NameAttribute(NameOID.COMMON_NAME, name),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
        x509.NameAttribute(NameOID.X500_UNIQUE_IDENTIFIER, f"{rfc} / "),
    ]
    if branch:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, branch))
    subject = x509.Name(attributes)
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(int.from_bytes(number.encode(), "big"))
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False), True
        )
        .sign(key, hashes.SHA256())
    )
    return Signer(crypto.X509.from_cryptography(certificate), key)


@cache
def _signers() -> tuple[Signer, Signer]:
    """Issuer CSD and test PAC certificate, made once per process."""
    issuer = _signer(ISSUER_RFC, "ESCUELA KEMPER URGATE", "30001000000500003416")
    pac = _signer("SPR190613I52", "PAC DE PRUEBAS", "30001000000500003456", "PACSPR190613I52")
    return issuer, pac


def _concept(i: int) -> cfdi40.Concepto:
    """Concept ``i``: IVA 16%, every fifth with IEPS 8% and every seventh with a discount."""
    transfers = [cfdi40.Traslado(impuesto="002", tipo_factor="Tasa", tasa_o_cuota=Decimal("0.16"))]
    if i % 5 == 4:
        transfers.append(
            cfdi40.Traslado(impuesto="003", tipo_factor="Tasa", tasa_o_cuota=Decimal("0.08"))
        )
    return cfdi40.Concepto(
        clave_prod_serv="43211503" if i % 2 else "50202306",
        cantidad=Decimal(1 + i % 3),
        clave_unidad="H87",
        unidad="Pieza",
        descripcion=f"Artículo de prueba número {i + 1}" + (" con descripción larga" * (i % 4)),
        valor_unitario=Decimal("1034.125") + i,
        no_identificacion=f"SKU-{i:05d}",
        descuento=Decimal("10.00") if i % 7 == 6 else None,
        impuestos=cfdi40.Impuestos(traslados=transfers),
    )


def make_stamped_xml(items: int = 1, receiver_rfc: str = RECEIVER_RFC) -> bytes:
    """A sealed and test-stamped CFDI 4.0 with ``items`` concepts."""
    issuer, pac = _signers()
    invoice = cfdi40.Comprobante(
        emisor=cfdi40.Emisor(rfc=ISSUER_RFC, nombre="ESCUELA KEMPER URGATE", regimen_fiscal="601"),
        lugar_expedicion="42501",
        receptor=cfdi40.Receptor(
            rfc=receiver_rfc,
            nombre="EMILIO GOMEZ DIAZ",
            domicilio_fiscal_receptor="06600",
            regimen_fiscal_receptor="612",
            uso_cfdi="G03",
        ),
        conceptos=[_concept(i) for i in range(items)],
        forma_pago="03",
        metodo_pago="PUE",
        serie="F",
        folio="123",
        fecha=datetime(2026, 3, 10, 12, 0, 0),
    )
    invoice.sign(issuer)
    invoice["Complemento"] = TimbreFiscalDigital(
        proveedor=pac,
        uuid=str(uuidlib.UUID(int=items)).upper(),
        fecha_timbrado=datetime(2026, 3, 10, 12, 0, 5),
        sello_cfd=invoice["Sello"],
    )
    return invoice.xml_bytes()


@pytest.fixture(scope="module")
def one_item() -> bytes:
    """A stamped invoice with one concept."""
    return make_stamped_xml(1)


@pytest.fixture(scope="module")
def logo() -> bytes:
    """A small PNG logo."""
    raw = b"".join(b"\x00" + b"\x1f\x4e\x79" * 8 for _ in range(8))
    header = (8).to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0])

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def pdf_text(data: bytes, *, raw: bool = False, page: int | None = None) -> str:
    """Text of a PDF by ``pdftotext`` (``raw`` keeps drawing order, for rotated text)."""
    args = ["pdftotext", "-enc", "UTF-8"] + (["-raw"] if raw else [])
    if page is not None:
        args += ["-f", str(page), "-l", str(page)]
    result = subprocess.run([*args, "-", "-"], input=data, capture_output=True, check=True)
    return result.stdout.decode("utf-8")


def squeeze(text: str) -> str:
    """Text without any whitespace."""
    return re.sub(r"\s+", "", text)


def pdf_info(data: bytes) -> dict[str, str]:
    """``pdfinfo`` fields."""
    result = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True, check=True)
    lines = result.stdout.decode().splitlines()
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in lines)}


def image_count(data: bytes) -> int:
    """Images drawn in a PDF (soft masks not counted)."""
    result = subprocess.run(
        ["pdfimages", "-list", "-"], input=data, capture_output=True, check=True
    )
    rows = result.stdout.decode().splitlines()[2:]
    return sum(1 for row in rows if row.split()[2] == "image")


# --------------------------------------------------------------------------- invoice


def test_invoice_shows_stamp_total_and_words(one_item: bytes) -> None:
    data = pdf.render_invoice(one_item, pdf.Branding("Escuela Kemper", color="1F4E79"))
    text = pdf_text(data)
    assert data.startswith(b"%PDF")
    assert "00000000-0000-0000-0000-000000000001" in text
    assert "$1,199.58" in text  # 1034.12 + 16% IVA
    assert "UN MIL CIENTO NOVENTA Y NUEVE PESOS 58/100 M.N." in text
    assert "EKU9003173C9" in text and "GODE561231GR8" in text
    assert "Página 1 de 1" in text
    assert "SELLO DIGITAL DEL SAT" in text and "||1.1|00000000-0000" in squeeze(text)
    assert "PRUEBA" not in text


def test_test_mode_has_watermark(one_item: bytes) -> None:
    data = pdf.render_invoice(one_item, test_mode=True)
    text = squeeze(pdf_text(data, raw=True))
    assert "DOCUMENTODEPRUEBA" in text and "SINVALIDEZFISCAL" in text


def test_custom_section_is_sanitized(one_item: bytes) -> None:
    section = (
        '<p><b>Gracias</b> por su compra</p><script>alert("x")</script>'
        '<img src="http://example.com/x.png" onerror="alert(1)">'
        '<a href="javascript:alert(2)">liga</a><ul><li>Pedido 77</li></ul>'
        '<style>body{display:none}</style><table><tr><td colspan="2">Celda</td></tr></table>'
    )
    clean = pdf.sanitize_custom_section(section)
    assert "<script" not in clean and "alert" not in clean and "<img" not in clean
    assert "<style" not in clean and "href" not in clean and "onerror" not in clean
    assert "<b>Gracias</b>" in clean and '<td colspan="2">' in clean
    text = pdf_text(pdf.render_invoice(one_item, custom_section=section))
    assert "Gracias por su compra" in text and "Pedido 77" in text and "Celda" in text
    assert "alert" not in text and "display" not in text


def test_logo_is_embedded(one_item: bytes, logo: bytes) -> None:
    with_logo = pdf.render_invoice(one_item, pdf.Branding("Kemper", logo=logo))
    without = pdf.render_invoice(one_item, pdf.Branding("Kemper", logo=b"not an image"))
    assert image_count(with_logo) == image_count(without) + 1 == 2  # logo + QR


def test_large_png_logo_is_embedded_at_print_size(one_item: bytes) -> None:
    buffer = io.BytesIO()
    Image.new("RGBA", (2000, 500), (31, 78, 121, 255)).save(buffer, "PNG")
    data = pdf.render_invoice(one_item, pdf.Branding("Kemper", logo=buffer.getvalue()))
    listing = subprocess.run(
        ["pdfimages", "-list", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    sizes = {tuple(int(n) for n in row.split()[3:5]) for row in listing.splitlines()[2:]}
    assert (787, 197) in sizes  # 400 dpi in a 50 mm box; the QR is the other image
    assert image_count(data) == 2


def test_pdf_extra_switches(one_item: bytes) -> None:
    default = squeeze(pdf_text(pdf.render_invoice(one_item)))
    assert "ClaveSAT" in default and "G03-Gastosengeneral" in default
    assert "$1,034.125" in default and "IVA16%:$165.46" in default
    extra = {"codes": False, "product_key": False, "round_unit_price": True, "tax_breakdown": False}
    text = squeeze(pdf_text(pdf.render_invoice(one_item, pdf_extra=extra)))
    assert "ClaveSAT" not in text and "50202306" not in text
    assert "Gastosengeneral" in text and "G03-" not in text
    assert "$1,034.13" in text and "$1,034.125" not in text
    assert "IVA16%:$165.46" not in text and "IVA16%" in text  # totals still show it


def test_ieps_breakdown_off_folds_ieps_into_prices() -> None:
    xml = make_stamped_xml(5)  # the fifth concept carries IEPS 8%
    shown = pdf_text(pdf.render_invoice(xml))
    hidden = pdf_text(pdf.render_invoice(xml, pdf_extra={"ieps_breakdown": False}))
    assert "IEPS 8%" in shown and "IEPS" not in hidden
    total = re.search(r"Total\s+(\$[\d,.]+)", shown).group(1)
    assert total in hidden


def test_seal_lines_fit_their_column(one_item: bytes) -> None:
    # Seals are laid out without line breaking (white-space: pre): pdf.SEAL_LINE must fit.
    page = render._document(pdf.invoice_html(one_item), "invoice.css").pages[0]._page_box
    seals = [
        box
        for box in page.descendants()
        if isinstance(box, BlockBox) and box.element.get("class") == "seal"
    ]
    assert len(seals) == 3
    assert all(line.width <= seal.width for seal in seals for line in seal.children)
    assert max(line.width for line in seals[0].children) > seals[0].width * 0.95  # not too short


def test_weasyprint_still_has_the_user_agent_hook() -> None:
    # render._HTML swaps WeasyPrint's user-agent stylesheet for ua.css through this private hook;
    # without it the stock sheet applies again: the same look, a slower render.
    assert "_ua_stylesheets" in vars(weasyprint.HTML)
    assert render._HTML(string="<p>.</p>")._ua_stylesheets() == [render._stylesheet("ua.css")]


def test_bad_brand_colour_falls_back() -> None:
    assert pdf.Branding(color="red;} body{x").css_color == pdf.DEFAULT_COLOR
    assert pdf.Branding(color="bada55").css_color == "#BADA55"
    assert pdf.Branding(color="FFFFFF").css_text_on_color == "#000000"
    assert pdf.Branding(color="FFFFFF").css_ink != "#FFFFFF"


@pytest.mark.slow
def test_long_invoice_repeats_header_on_every_page() -> None:
    data = pdf.render_invoice(make_stamped_xml(300), pdf_extra={"tax_breakdown": False})
    pages = int(pdf_info(data)["Pages"])
    assert pages >= 5
    for page in (1, pages // 2, pages):
        text = pdf_text(data, page=page)
        assert f"Página {page} de {pages}" in text
        if page < pages:
            assert "Descripción" in text and "Importe" in text
    assert "Artículo de prueba número 300" in pdf_text(data)


# --------------------------------------------------------------------------- ticket, acuse

RECEIPT = {
    "folio_number": 120,
    "date": "2026-03-10T15:21:23.456Z",
    "expires_at": "2026-03-17T15:21:23Z",
    "key": "r9YqYarL",
    "total": 1200.50,
    "payment_form": "01",
    "self_invoice_url": "https://factura.ejemplo.mx/kemper/r9YqYarL",
    "items": [
        {"quantity": 2, "product": {"description": "Ukelele soprano", "price": 345.60}},
        {"quantity": 1, "discount": 20, "product": {"description": "Cuerdas", "price": 529.30}},
    ],
}


def test_receipt_ticket(logo: bytes) -> None:
    data = pdf.render_receipt(RECEIPT, pdf.Branding("Música Kemper", logo=logo), test_mode=True)
    text = squeeze(pdf_text(data, raw=True))  # raw: the rotated watermark stays apart
    width = float(pdf_info(data)["Page size"].split()[0])
    assert abs(width - 80 / 25.4 * 72) < 1  # 80 mm
    assert "Facturesucompraen:" in text and "https://factura.ejemplo.mx/kemper/r9YqYarL" in text
    assert "MúsicaKemper" in text and "120" in text and "$1,200.50" in text
    assert "$691.20" in text and "$509.30" in text and "r9YqYarL" in text
    assert "10/03/202609:21:23" in text  # shown in Mexico City time
    assert "DOCUMENTODEPRUEBA" in text
    assert image_count(data) == 2  # logo + QR


def test_receipt_longer_than_a_metre_keeps_metre_pages_and_watermarks() -> None:
    items = [{"quantity": 1, "product": {"description": f"A{i}", "price": 1}} for i in range(400)]
    data = pdf.render_receipt({**RECEIPT, "items": items}, test_mode=True)
    assert pdf_info(data)["Pages"] == "2"
    assert abs(float(pdf_info(data)["Page size"].split()[2]) - 1000 / 25.4 * 72) < 1
    for page in (1, 2):
        assert "DOCUMENTODEPRUEBA" in squeeze(pdf_text(data, raw=True, page=page))


def test_cancellation_acknowledgment() -> None:
    ack = {
        "uuid": "2b1040b2-1f14-4a89-9955-3f48d9a25dd0",
        "issuer_tax_id": ISSUER_RFC,
        "date": datetime(2026, 3, 11, 9, 30),
        "status": "accepted",
        "motive": "01",
        "substitution": "7e1d6c44-0c33-4a0e-9d0f-2f1a4c0b9e11",
        "seal": "QUJD" * 80,
    }
    text = pdf_text(pdf.render_cancellation(ack, pdf.Branding("Escuela Kemper")))
    assert "Acuse de cancelación de CFDI" in text
    assert "2B1040B2-1F14-4A89-9955-3F48D9A25DD0" in text and ISSUER_RFC in text
    assert "Cancelado" in text and "Comprobante emitido con errores con relación" in text
    assert "7E1D6C44-0C33-4A0E-9D0F-2F1A4C0B9E11" in text
    assert "QUJD" * 10 in squeeze(text)


# --------------------------------------------------------------------------- words and QR


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("1200.50", "UN MIL DOSCIENTOS PESOS 50/100 M.N."),
        ("1", "UN PESO 00/100 M.N."),
        ("0.5", "CERO PESOS 50/100 M.N."),
        ("21", "VEINTIÚN PESOS 00/100 M.N."),
        ("100", "CIEN PESOS 00/100 M.N."),
        ("101.999", "CIENTO DOS PESOS 00/100 M.N."),
        ("115", "CIENTO QUINCE PESOS 00/100 M.N."),
        ("1000000", "UN MILLÓN DE PESOS 00/100 M.N."),
        ("2500000.99", "DOS MILLONES QUINIENTOS MIL PESOS 99/100 M.N."),
        ("21021", "VEINTIÚN MIL VEINTIÚN PESOS 00/100 M.N."),
        (
            "999999999.01",
            "NOVECIENTOS NOVENTA Y NUEVE MILLONES NOVECIENTOS NOVENTA Y NUEVE MIL "
            "NOVECIENTOS NOVENTA Y NUEVE PESOS 01/100 M.N.",
        ),
    ],
)
def test_amount_in_words(amount: str, words: str) -> None:
    assert pdf.amount_in_words(Decimal(amount)) == words


def test_amount_in_words_other_currencies() -> None:
    assert pdf.amount_in_words(Decimal("1.10"), "USD") == "UN DÓLAR 10/100 USD"
    assert pdf.amount_in_words(Decimal("30"), "EUR") == "TREINTA EUROS 00/100 EUR"


def test_qr_data_uris() -> None:
    assert qr.qr_data_uri("hola").startswith("data:image/png;base64,")
    assert qr.qr_data_uri("hola", fmt="svg").startswith("data:image/svg+xml;base64,")


# --------------------------------------------------------------------------- engine documents
# Documents built by portal.cfdi.documents and stamped by the local test PAC (conftest fixtures).


def test_engine_invoice_with_exempt_item_and_discount(
    issuer_csd: CSD, issuer: Issuer, test_pac: LocalTestPAC, sample_invoice: InvoiceInput
) -> None:
    stamped = test_pac.stamp(build_invoice(issuer_csd, issuer, sample_invoice))
    text = squeeze(pdf_text(pdf.render_invoice(stamped.xml, test_mode=True)))
    assert stamped.uuid in text and "-$20.00" in text and "Objetoimp.:01-Noobjeto" in text
    assert "UNIVERSIDADROBOTICAESPAÑOLA" in text and "SETECIENTOSNOVENTAYUNPESOS" in text


def test_engine_global_invoice(issuer_csd: CSD, issuer: Issuer, test_pac: LocalTestPAC) -> None:
    items = [Item(Product("Venta", "01010101", Decimal("116")))]
    # Monthly: bimonthly (05) is for regime 621 only (CFDI40132) and this issuer is 601.
    built = build_global_invoice(issuer_csd, issuer, items, GlobalInfo("04", "02", 2026), "01")
    text = squeeze(pdf_text(pdf.render_invoice(test_pac.stamp(built).xml)))
    assert "informaciónglobal" in text.lower() and "02-Febrero" in text
    assert "04-Mensual" in text and "Año:2026" in text
    assert "XAXX010101000" in text and "PUBLICOENGENERAL" in text


def test_engine_payment_and_credit_note(
    issuer_csd: CSD, issuer: Issuer, test_pac: LocalTestPAC, customer: Customer
) -> None:
    paid = "7E1D6C44-0C33-4A0E-9D0F-2F1A4C0B9E11"
    payment = Payment("03", [PaymentDocument(paid, Decimal("500"), Decimal("1160"))])
    data = InvoiceInput(customer, type="P", use="CP01", payments=[payment])
    text = squeeze(
        pdf_text(pdf.render_invoice(test_pac.stamp(build_invoice(issuer_csd, issuer, data)).xml))
    )
    assert "Reciboelectrónicodepago" in text and paid in text and "$660.00" in text
    note = InvoiceInput(
        customer,
        [Item(Product("Devolución", "84111506", Decimal("116")))],
        "03",
        type="E",
        use="G02",
        related_documents=[RelatedDocuments("01", [paid])],
    )
    text = squeeze(
        pdf_text(pdf.render_invoice(test_pac.stamp(build_invoice(issuer_csd, issuer, note)).xml))
    )
    assert "Notadecrédito" in text and "cfdirelacionados" in text.lower() and paid in text
    assert "01-Notadecréditodelosdocumentosrelacionados" in text
