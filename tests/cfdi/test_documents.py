"""Documents built, sealed, stamped by the test PAC, re-parsed and verified end to end."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from lxml import etree

from portal.cfdi import errors as E
from portal.cfdi.documents import (
    build_cancellation,
    build_global_invoice,
    build_invoice,
    build_payment,
    build_retention,
    local_now,
)
from portal.cfdi.errors import invalid
from portal.cfdi.pac import cadena_original
from portal.cfdi.types import (
    Address,
    Customer,
    GlobalInfo,
    InvoiceInput,
    Item,
    LocalTax,
    Namespace,
    Payment,
    PaymentDocument,
    Product,
    RelatedDocuments,
    RetentionInput,
    RetentionTaxInput,
    Tax,
    ThirdParty,
)
from portal.errors import ValidationError

CFDI = "{http://www.sat.gob.mx/cfd/4}"
PAGO = "{http://www.sat.gob.mx/Pagos20}"
UUID = "6F1D6E7D-6D3B-4F7B-9A55-1C1E2E3F4A5B"


def _attr(xml: bytes, tag: str, name: str) -> str:
    node = next(etree.fromstring(xml).iter(tag))
    return node.get(name)


def test_income_invoice(issuer_csd, issuer, sample_invoice, stamp_and_check) -> None:
    document = build_invoice(issuer_csd, issuer, sample_invoice)
    stamped = stamp_and_check(document)
    assert stamped.uuid == stamped.uuid.upper() and len(stamped.uuid) == 36
    assert document.cadena_original == cadena_original(stamped.xml)
    assert document.cadena_original.startswith("||4.0|")
    # 2 × 345.60 with IVA included + 120 − 20 exempt.
    assert (
        document.total
        == Decimal("791.20")
        == Decimal(_attr(stamped.xml, CFDI + "Comprobante", "Total"))
    )
    assert (
        _attr(stamped.xml, CFDI + "Comprobante", "NoCertificado") == issuer_csd.certificate_number
    )


def test_expense_invoice_with_relation(issuer_csd, issuer, customer, stamp_and_check) -> None:
    items = [Item(Product("Devolución", "84111506", Decimal("58"), unit_key="ACT"))]
    data = InvoiceInput(
        customer,
        items,
        "03",
        use="G02",
        type="E",
        related_documents=[RelatedDocuments("01", [UUID.lower()])],
    )
    stamped = stamp_and_check(build_invoice(issuer_csd, issuer, data))
    assert _attr(stamped.xml, CFDI + "Comprobante", "TipoDeComprobante") == "E"
    assert _attr(stamped.xml, CFDI + "CfdiRelacionado", "UUID") == UUID


def test_withholdings_ieps_cuota_parts_and_third_party(
    issuer_csd, issuer, customer, stamp_and_check
) -> None:
    honorarios = Product(
        "Honorarios",
        "80111500",
        Decimal("10000"),
        tax_included=False,
        taxes=[Tax(), Tax("IVA", Decimal("0.106667"), True), Tax("ISR", Decimal("0.10"), True)],
    )
    gasolina = Product(
        "Gasolina",
        "15101514",
        Decimal("23.50"),
        unit_key="LTR",
        taxes=[Tax("IEPS", Decimal("6.1752"), factor="Cuota"), Tax()],
    )
    items = [
        Item(
            honorarios,
            third_party=ThirdParty("UNIVERSIDAD ROBOTICA ESPAÑOLA", "URE180429TM6", "601", "86991"),
        ),
        Item(gasolina, quantity=Decimal("40.5"), customs_keys=["21  47  3807  8003832"]),
    ]
    document = build_invoice(issuer_csd, issuer, InvoiceInput(customer, items, "03"))
    stamped = stamp_and_check(document)
    totals = document.totals
    assert totals.withheld == Decimal("2066.67")  # 1066.67 IVA + 1000.00 ISR
    assert totals.total == totals.subtotal - totals.discount + totals.transferred - totals.withheld
    gas = document.lines[1]
    assert gas.total == Decimal("951.75")  # 40.5 × 23.50 paid at the pump
    assert b"ACuentaTerceros" in stamped.xml and b"InformacionAduanera" in stamped.xml


def test_local_taxes_complement(issuer_csd, issuer, customer, stamp_and_check) -> None:
    room = Product(
        "Hospedaje",
        "90111500",
        Decimal("1000"),
        tax_included=False,
        local_taxes=[LocalTax("ISH", Decimal("0.03"))],
    )
    document = build_invoice(issuer_csd, issuer, InvoiceInput(customer, [Item(room)], "04"))
    stamped = stamp_and_check(document)
    assert document.total == Decimal("1190.00")
    assert (
        _attr(stamped.xml, "{http://www.sat.gob.mx/implocal}TrasladosLocales", "TasadeTraslado")
        == "3.00"
    )


def test_global_invoice(issuer_csd, issuer, stamp_and_check) -> None:
    items = [
        Item(Product(f"Venta {i}", "01010101", Decimal("99.90"), unit_key="ACT")) for i in range(3)
    ]
    now = local_now(issuer.zip)
    info = GlobalInfo("month", f"{now.month:02d}", now.year)
    stamped = stamp_and_check(build_global_invoice(issuer_csd, issuer, items, info, "01"))
    assert _attr(stamped.xml, CFDI + "InformacionGlobal", "Periodicidad") == "04"
    assert _attr(stamped.xml, CFDI + "Receptor", "Nombre") == "PUBLICO EN GENERAL"
    assert _attr(stamped.xml, CFDI + "Receptor", "DomicilioFiscalReceptor") == issuer.zip


def test_global_invoice_needs_public_rfc(issuer_csd, issuer, customer) -> None:
    items = [Item(Product("Venta", "01010101", Decimal(10)))]
    data = InvoiceInput(customer, items, "01", global_info=GlobalInfo("day", "01", 2026))
    with pytest.raises(ValidationError) as caught:
        build_invoice(issuer_csd, issuer, data)
    assert caught.value.code == E.INVALID_GLOBAL


def test_ppd_invoice_and_its_payment(issuer_csd, issuer, customer, stamp_and_check) -> None:
    items = [Item(Product("Servicio", "81111500", Decimal("2320"), unit_key="E48"))]
    invoice = build_invoice(issuer_csd, issuer, InvoiceInput(customer, items, payment_method="PPD"))
    stamped_invoice = stamp_and_check(invoice)
    assert _attr(stamped_invoice.xml, CFDI + "Comprobante", "FormaPago") == "99"
    first = PaymentDocument(stamped_invoice.uuid, Decimal("1000"), invoice.total, 1)
    payment = InvoiceInput(customer, type="P", payments=[Payment("03", [first])])
    document = build_payment(issuer_csd, issuer, payment)
    stamped = stamp_and_check(document)
    assert _attr(stamped.xml, PAGO + "DoctoRelacionado", "ImpSaldoInsoluto") == "1320.00"
    assert _attr(stamped.xml, PAGO + "Pago", "Monto") == "1000.00"
    assert _attr(stamped.xml, PAGO + "TrasladoDR", "BaseDR") == "862.07"
    assert _attr(stamped.xml, PAGO + "Totales", "TotalTrasladosImpuestoIVA16") == "137.93"
    assert _attr(stamped.xml, CFDI + "Comprobante", "Moneda") == "XXX"


def test_payment_cannot_exceed_balance(issuer_csd, issuer, customer) -> None:
    doc = PaymentDocument(UUID, Decimal("10"), Decimal("5"))
    with pytest.raises(ValidationError) as caught:
        build_payment(
            issuer_csd, issuer, InvoiceInput(customer, type="P", payments=[Payment("03", [doc])])
        )
    assert caught.value.code == E.INVALID_PAYMENT
    assert caught.value.path == "payments[0].related_documents[0].amount"


def test_foreign_customer(issuer_csd, issuer, stamp_and_check) -> None:
    foreign = Customer("ACME INC", "123456789", None, Address(zip="90210", country="USA"))
    items = [
        Item(Product("Consultoría", "80101500", Decimal("100"), taxes=[Tax("IVA", Decimal(0))]))
    ]
    data = InvoiceInput(
        foreign, items, "03", use="S01", currency="USD", exchange=Decimal("17.25"), export="01"
    )  # a service to a foreign resident; Exportacion 02 needs Comercio Exterior (CFDI40122)
    stamped = stamp_and_check(build_invoice(issuer_csd, issuer, data))
    assert _attr(stamped.xml, CFDI + "Receptor", "Rfc") == "XEXX010101000"
    assert _attr(stamped.xml, CFDI + "Receptor", "ResidenciaFiscal") == "USA"
    assert _attr(stamped.xml, CFDI + "Comprobante", "TipoCambio") == "17.25"


def test_transfer_document(issuer_csd, issuer, customer, stamp_and_check) -> None:
    items = [Item(Product("Mercancía", "01010101", Decimal("500")), quantity=Decimal(3))]
    stamped = stamp_and_check(
        build_invoice(issuer_csd, issuer, InvoiceInput(customer, items, use="S01", type="T"))
    )
    assert _attr(stamped.xml, CFDI + "Comprobante", "Total") == "0"


def test_addenda_is_outside_the_seal(issuer_csd, issuer, sample_invoice, stamp_and_check) -> None:
    sample_invoice.addenda = '<acme:Pedido xmlns:acme="urn:acme" numero="42"/>'
    sample_invoice.namespaces = [Namespace("acme", "urn:acme", "urn:acme acme.xsd")]
    stamped = stamp_and_check(build_invoice(issuer_csd, issuer, sample_invoice))
    root = etree.fromstring(stamped.xml)
    assert root[-1].tag == CFDI + "Addenda" and root[-2].tag == CFDI + "Complemento"
    assert "urn:acme" in root.get("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation")


def test_bad_addenda_is_refused(issuer_csd, issuer, sample_invoice) -> None:
    sample_invoice.addenda = "<sin-cerrar>"
    with pytest.raises(ValidationError) as caught:
        build_invoice(issuer_csd, issuer, sample_invoice)
    assert caught.value.code == E.INVALID_ADDENDA


def test_retention(issuer_csd, issuer, customer, stamp_and_check) -> None:
    now = local_now(issuer.zip)
    data = RetentionInput(
        customer,
        "14",
        now.month,
        now.month,
        now.year,
        Decimal("10000"),
        Decimal("10000"),
        Decimal(0),
        Decimal("1000"),
        [RetentionTaxInput(Decimal("1000"), "1", Decimal("10000"), "ISR")],
        internal_folio="R1",
    )
    document = build_retention(issuer_csd, issuer, data)
    root = document.element
    assert root.get("NoCertificado") == issuer_csd.certificate_number  # strings, not tuples
    stamped = stamp_and_check(document)
    assert b"retenciones:Complemento" in stamped.xml and b"tfd:TimbreFiscalDigital" in stamped.xml


@pytest.mark.parametrize("motive", ["02", "03", "04"])
def test_cancellation_request(issuer_csd, motive: str) -> None:
    request = build_cancellation(issuer_csd, UUID.lower(), motive)
    assert request.uuid == UUID and request.issuer_rfc == issuer_csd.rfc
    root = etree.fromstring(request.xml)
    folio = next(root.iter("{http://cancelacfd.sat.gob.mx}Folio"))
    assert folio.get("Motivo") == motive and folio.get("FolioSustitucion") is None
    assert next(root.iter("{http://www.w3.org/2000/09/xmldsig#}SignatureValue")).text


def test_cancellation_01_needs_substitution(issuer_csd) -> None:
    with pytest.raises(ValidationError) as caught:
        build_cancellation(issuer_csd, UUID, "01")
    assert caught.value.code == E.CANCEL_SUBSTITUTION_REQUIRED
    request = build_cancellation(issuer_csd, UUID, "01", UUID.replace("6F", "7A"))
    assert b'FolioSustitucion="7A1D' in request.xml


@pytest.mark.parametrize(
    ("motive", "substitution", "code"),
    [("05", None, E.CANCEL_MOTIVE_INVALID), ("02", UUID, E.CANCEL_SUBSTITUTION_NOT_ALLOWED)],
)
def test_cancellation_refusals(issuer_csd, motive: str, substitution, code: str) -> None:
    with pytest.raises(ValidationError) as caught:
        build_cancellation(issuer_csd, UUID, motive, substitution)
    assert caught.value.code == code


def test_dates_outside_the_72_hour_window(issuer_csd, issuer, sample_invoice) -> None:
    for delta in (timedelta(hours=73), timedelta(hours=-2)):
        sample_invoice.date = local_now(issuer.zip) - delta
        with pytest.raises(ValidationError) as caught:
            build_invoice(issuer_csd, issuer, sample_invoice)
        assert caught.value.code == "invalid_date"
    sample_invoice.date = local_now(issuer.zip) - timedelta(hours=71)
    assert build_invoice(issuer_csd, issuer, sample_invoice).issued_at == sample_invoice.date


def test_csd_of_another_issuer_is_refused(issuer_csd, issuer, sample_invoice) -> None:
    other = type(issuer)("URE180429TM6", "OTRA", "601", "42501")
    with pytest.raises(ValidationError) as caught:
        build_invoice(issuer_csd, other, sample_invoice)
    assert caught.value.code == E.CSD_RFC_MISMATCH


def test_coded_error_helper_keeps_path() -> None:
    error = invalid("x", "some_code", "items[0].product.price")
    assert error.as_dict()["path"] == "items[0].product.price"
    assert isinstance(datetime.now(), datetime)
