"""A corpus of varied documents issued through /v2, each stamped XML verified by the tests' own
SAT checks (tests/fixtures/sat_checks.py): SAT's XSD, the Sello over SAT's XSLT cadena
original, the TFD 1.1 (its own cadena and the test PAC's certificate) and the CFDI 4.0
arithmetic redone (CFDI40108 SubTotal, CFDI40110/CFDI40111 Descuento, CFDI40119 Total,
CFDI40167 concept Importe limits, CFDI40180/CFDI40186 tax Importe limits, CFDI40211/CFDI40217/
CFDI40221 Impuestos totals; Pagos 2.0 CRP20201-CRP20276 for payments).

One entry of ``CORPUS`` is one document: the request body, the issuer's zip, the document it
needs first (a PPD invoice to pay, an invoice to credit) and what its XML must say. Adding a case
is adding an entry.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from lxml import etree

from portal.models.invoices import LocalPacCredential
from portal.services import organizations as orgs
from tests.cfdi.test_comercio_exterior import check_export, export_body
from tests.fixtures.factories import LEGAL
from tests.fixtures.sat_checks import CFDI, IMPLOCAL, PAGO, check_stamped_cfdi

YEAR = datetime.now(UTC).year
MONTH = f"{datetime.now(UTC).month:02d}"
BIMESTER = f"{12 + (datetime.now(UTC).month + 1) // 2}"  # c_Meses 13-18

COMPANY = {
    "legal_name": "Universidad Robótica Española",
    "tax_id": "URE180429TM6",
    "tax_system": "601",
    "address": {"zip": "86991"},
}
PERSON = {
    "legal_name": "KARLA FUENTE NOLASCO",
    "tax_id": "FUNK671228PH6",
    "tax_system": "612",
    "address": {"zip": "01160"},
}
PUBLIC = {"legal_name": "PUBLICO EN GENERAL", "tax_id": "XAXX010101000", "tax_system": "616"}
NOMINATIVE = {"legal_name": "MARIA LOPEZ", "tax_id": "XAXX010101000", "tax_system": "616"}
FOREIGN = {
    "legal_name": "Acme Corporation",
    "tax_id": "123456789",
    "tax_system": "616",
    "address": {"country": "USA", "zip": "90210"},  # its own zip, kept in the record
}
FOREIGN_CA = {
    "legal_name": "Maple Goods Ltd",
    "tax_id": "123456789RT0001",
    "tax_system": "616",
    "address": {"country": "CAN", "zip": "M5V 2T6"},
}
LEYENDA = (
    '<leyendasFisc:LeyendasFiscales xmlns:leyendasFisc="http://www.sat.gob.mx/leyendasFiscales" '
    'version="1.0"><leyendasFisc:Leyenda disposicionFiscal="RESDERAUTH" '
    'norma="Artículo 2 Fracción IV" textoLeyenda="Obra protegida por derechos de autor"/>'
    "</leyendasFisc:LeyendasFiscales>"
)


def item(
    price: Any,
    taxes: list[dict[str, Any]] | None = None,
    quantity: Any = 1,
    included: bool = False,
    key: str = "81111500",
    **extra: Any,
) -> dict[str, Any]:
    """One item of a body (taxes None: the default IVA 16 %)."""
    product: dict[str, Any] = {
        "description": "Servicio de prueba",
        "product_key": key,
        "price": price,
        "tax_included": included,
    }
    if taxes is not None:
        product["taxes"] = taxes
    product.update(extra.pop("product", {}))
    return {"quantity": quantity, "product": product, **extra}


IVA = {"type": "IVA", "rate": 0.16}
IVA8 = {"type": "IVA", "rate": 0.08}
IVA0 = {"type": "IVA", "rate": 0}
EXENTO = {"type": "IVA", "factor": "Exento"}
ISR_RET = {"type": "ISR", "rate": 0.1, "withholding": True}
IVA_RET = {"type": "IVA", "rate": 0.106667, "withholding": True}
IVA_RET4 = {"type": "IVA", "rate": 0.04, "withholding": True}
ISR_RESICO = {"type": "ISR", "rate": 0.0125, "withholding": True}
IEPS265 = {"type": "IEPS", "rate": 0.265}
IEPS8 = {"type": "IEPS", "rate": 0.08}
IEPS_CUOTA = {"type": "IEPS", "factor": "Cuota", "rate": 0.5}


@dataclass(frozen=True)
class Doc:
    """One corpus document: its body, its issuer's zip and what the stamped XML must say."""

    body: dict[str, Any]
    expect: dict[str, str] = field(default_factory=dict)
    zip: str = "42501"
    zone: str = "America/Mexico_City"
    regime: str | None = None  # an issuer of this regime (a persona física with its own CSD)
    needs: dict[str, Any] | None = None  # a body issued first; its result fills the body
    fill: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]] | None = None


def invoice(customer: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """An income invoice body (PUE, transfer, G03) with the given fields."""
    body = {
        "customer": copy.deepcopy(customer or COMPANY),
        "items": [item(100)],
        "payment_form": "03",
        "use": "G03",
    }
    return {**body, **fields}


def global_invoice(periodicity: str, months: str, **fields: Any) -> dict[str, Any]:
    """A global invoice to the general public (InformacionGlobal)."""
    return invoice(
        PUBLIC,
        use="S01",
        payment_form="01",
        items=[item(580, included=True, quantity=3), item(99.9, included=True)],
        **{"global": {"periodicity": periodicity, "months": months, "year": YEAR}},
        **fields,
    )


PPD = invoice(payment_method="PPD", payment_form="99", items=[item(1000)])
PPD_USD = invoice(
    payment_method="PPD", payment_form="99", currency="USD", exchange=17.25, items=[item(100)]
)
PPD_WITHHELD = invoice(
    payment_method="PPD", payment_form="99", items=[item(1000, [IVA, ISR_RET, IVA_RET])]
)
PPD_MIXED = invoice(
    payment_method="PPD",
    payment_form="99",
    items=[item(1000), item(333.33, [IVA0]), item(250, [EXENTO]), item(120, [IVA8])],
)


def payment(amount: Any, **fields: Any) -> Callable[[dict[str, Any], dict[str, Any]], Any]:
    """A payment body (type P) paying ``amount`` of the needed invoice."""

    def fill(body: dict[str, Any], paid: dict[str, Any]) -> dict[str, Any]:
        document = {"uuid": paid["uuid"], "amount": amount}
        data = {"payment_form": "03", "related_documents": [document], **fields}
        return {**body, "complements": [{"type": "pago", "data": [data]}]}

    return fill


def credit_note(body: dict[str, Any], paid: dict[str, Any]) -> dict[str, Any]:
    """Relate a credit note (E, TipoRelacion 01) to the needed invoice."""
    return {**body, "related_documents": [{"relationship": "01", "documents": [paid["uuid"]]}]}


PAYMENT_BODY = {"type": "P", "customer": COMPANY, "items": []}
CREDIT = invoice(type="E", use="G02", items=[item(100)])

CORPUS: dict[str, Doc] = {
    # --- every transferred tax
    "iva16": Doc(invoice(), {"Total": "116.00"}),
    "iva8": Doc(invoice(items=[item(100, [IVA8])]), {"Total": "108.00"}),
    "iva0": Doc(invoice(items=[item(100, [IVA0])]), {"Total": "100.00"}),
    "iva_exento": Doc(invoice(items=[item(100, [EXENTO])]), {"Total": "100.00"}),
    "no_object": Doc(invoice(items=[item(100, [])]), {"Conceptos/Concepto@ObjetoImp": "01"}),
    "ieps_tasa_iva": Doc(invoice(items=[item(100, [IEPS265, IVA])])),
    "ieps_8_only": Doc(invoice(items=[item(57.5, [IEPS8])], use="G01")),
    "ieps_cuota": Doc(invoice(items=[item(20, [IEPS_CUOTA, IVA], quantity=7)])),
    "ieps_in_iva_base": Doc(
        invoice(items=[item(1000, [IEPS265, IVA])]),
        {"Conceptos/Concepto/Impuestos/Traslados/Traslado[2]@Base": "1265.00"},
    ),
    "ieps_iva_included": Doc(invoice(items=[item(1463.4, [IEPS265, IVA], included=True)])),
    "iva_mixed_rates": Doc(
        invoice(items=[item(1000), item(333.33, [IVA0]), item(250, [EXENTO]), item(120, [IVA8])])
    ),
    # --- withholdings
    "ret_isr_iva": Doc(
        invoice(PERSON, items=[item(10000, [IVA, ISR_RET, IVA_RET])]), {"Total": "9533.33"}
    ),
    "ret_iva_freight": Doc(invoice(items=[item(2500, [IVA, IVA_RET4])], use="G03")),
    "ret_isr_resico": Doc(invoice(items=[item(8620.69, [IVA, ISR_RESICO])])),
    "ret_many_lines": Doc(
        invoice(items=[item(1234.56, [IVA, ISR_RET, IVA_RET], quantity=3), item(99.99)])
    ),
    # --- local taxes (implocal)
    "local_ish": Doc(
        invoice(items=[item(1000, product={"local_taxes": [{"type": "ISH", "rate": 0.03}]})]),
        {"Total": "1190.00"},
    ),
    "local_withholding": Doc(
        invoice(
            items=[
                item(
                    5000,
                    product={
                        "local_taxes": [{"type": "Cedular", "rate": 0.02, "withholding": True}]
                    },
                )
            ]
        )
    ),
    # --- discounts and quantities
    "discount": Doc(invoice(items=[item(100, discount=10)]), {"Descuento": "10.00"}),
    "discount_lines": Doc(
        invoice(items=[item(345.6, quantity=2, discount=20), item(59.99, quantity=3, discount=5.5)])
    ),
    "discount_withholding": Doc(invoice(items=[item(5000, [IVA, ISR_RET], discount=750)])),
    "fractional_quantity": Doc(invoice(items=[item(23.456789, quantity=2.375, key="50161509")])),
    "many_lines": Doc(invoice(items=[item(10 + n * 1.37, quantity=n % 4 + 1) for n in range(25)])),
    "unit_key_kgm": Doc(
        invoice(items=[item(30, [IVA0], key="50161509", product={"unit_key": "KGM"})]),
        {"Conceptos/Concepto@Unidad": "Kilogramo"},
    ),
    # --- prices with tax included: the total is what the customer paid
    "included_500": Doc(invoice(items=[item(500, included=True)]), {"Total": "500.00"}),
    "included_5000": Doc(invoice(items=[item(5000, included=True)]), {"Total": "5000.00"}),
    "included_qty3": Doc(
        invoice(items=[item(19.99, included=True, quantity=3)]), {"Total": "59.97"}
    ),
    "included_iva8": Doc(invoice(items=[item(1080, [IVA8], included=True)]), {"Total": "1080.00"}),
    "included_odd": Doc(invoice(items=[item(333.33, included=True, quantity=7)])),
    "included_withholding": Doc(invoice(items=[item(1160, [IVA, ISR_RET], included=True)])),
    # --- foreign currency
    "usd": Doc(
        invoice(currency="USD", exchange=17.2345, items=[item(99.99)]),
        {"Moneda": "USD", "TipoCambio": "17.2345"},
    ),
    "eur_discount": Doc(invoice(currency="EUR", exchange=20.1, items=[item(250, discount=25)])),
    "usd_withholdings": Doc(
        invoice(currency="USD", exchange=18, items=[item(1500, [IVA, ISR_RET, IVA_RET])])
    ),
    # --- foreign customers
    "foreign_usa": Doc(
        invoice(FOREIGN, use="S01", items=[item(1000, [IVA0])]),
        {
            "Receptor@Rfc": "XEXX010101000",
            "Receptor@ResidenciaFiscal": "USA",
            "Receptor@NumRegIdTrib": "123456789",
            "Receptor@DomicilioFiscalReceptor": "42501",
        },
    ),
    "foreign_usa_usd": Doc(
        invoice(FOREIGN, use="S01", currency="USD", exchange=17.5, items=[item(250, [IVA0])]),
        {"Receptor@ResidenciaFiscal": "USA", "Moneda": "USD"},
    ),
    "foreign_canada": Doc(
        invoice(FOREIGN_CA, use="S01", items=[item(800)]),
        {"Receptor@ResidenciaFiscal": "CAN", "Receptor@NumRegIdTrib": "123456789RT0001"},
    ),
    # --- export (Exportacion 02) with Comercio Exterior 2.0
    "export_usd": Doc(export_body(), {"Exportacion": "02", "Moneda": "USD"}),
    "export_mxn": Doc(
        {**export_body(usd_exchange="18.25"), "currency": "MXN", "exchange": 1},
        {"Exportacion": "02", "Moneda": "MXN"},
    ),
    "export_cif": Doc(export_body(incoterm="CIF"), {"Exportacion": "02"}),
    "export_tijuana": Doc(
        export_body(),
        {"LugarExpedicion": "22000", "Receptor@DomicilioFiscalReceptor": "22000"},
        zip="22000",
        zone="America/Tijuana",
    ),
    # --- general public: nominative with the generic RFC, and global invoices by periodicity
    "xaxx_nominative": Doc(
        invoice(NOMINATIVE, use="S01", payment_form="01", items=[item(250, included=True)]),
        {"Receptor@Rfc": "XAXX010101000", "Receptor@Nombre": "MARIA LOPEZ"},
    ),
    "global_daily": Doc(
        global_invoice("01", MONTH),
        {"InformacionGlobal@Periodicidad": "01", "Receptor@Rfc": "XAXX010101000"},
    ),
    "global_weekly": Doc(global_invoice("02", MONTH), {"InformacionGlobal@Periodicidad": "02"}),
    "global_fortnightly": Doc(global_invoice("03", MONTH), {"InformacionGlobal@Meses": MONTH}),
    "global_monthly": Doc(global_invoice("04", MONTH), {"InformacionGlobal@Periodicidad": "04"}),
    "global_bimonthly": Doc(  # CFDI40132: bimonthly only for régimen 621
        global_invoice("05", BIMESTER),
        {"InformacionGlobal@Periodicidad": "05", "InformacionGlobal@Meses": BIMESTER},
        regime="621",
    ),
    "global_usd": Doc(
        global_invoice("04", MONTH, currency="USD", exchange=17.1), {"Moneda": "USD"}
    ),
    "global_mixed_taxes": Doc(
        invoice(
            PUBLIC,
            use="S01",
            payment_form="01",
            items=[
                item(116, included=True),
                item(50, [IVA0]),
                item(35, [EXENTO]),
                item(10.8, [IVA8], included=True),
            ],
            **{"global": {"periodicity": "01", "months": MONTH, "year": YEAR}},
        )
    ),
    # --- credit notes (E, relation 01)
    "credit_note": Doc(
        CREDIT,
        {"TipoDeComprobante": "E", "CfdiRelacionados@TipoRelacion": "01"},
        needs=invoice(),
        fill=credit_note,
    ),
    "credit_note_withholdings": Doc(
        invoice(type="E", use="G02", items=[item(500, [IVA, ISR_RET, IVA_RET])]),
        {"TipoDeComprobante": "E"},
        needs=PPD_WITHHELD,
        fill=credit_note,
    ),
    "credit_note_usd": Doc(
        invoice(type="E", use="G02", currency="USD", exchange=17.25, items=[item(10)]),
        {"Moneda": "USD"},
        needs=PPD_USD,
        fill=credit_note,
    ),
    # --- payments (P)
    "payment_full": Doc(PAYMENT_BODY, {"TipoDeComprobante": "P"}, needs=PPD, fill=payment(1160)),
    "payment_partial": Doc(
        PAYMENT_BODY,
        {"Complemento/pago20:Pagos/pago20:Pago/pago20:DoctoRelacionado@ImpSaldoInsoluto": "760.00"},
        needs=PPD,
        fill=payment(400),
    ),
    "payment_usd_for_mxn": Doc(
        PAYMENT_BODY,
        {"Complemento/pago20:Pagos/pago20:Pago@MonedaP": "USD"},
        needs=PPD,
        fill=payment(580, currency="USD", exchange=17.2345),
    ),
    "payment_usd_for_usd": Doc(
        PAYMENT_BODY, needs=PPD_USD, fill=payment(116, currency="USD", exchange=18.1)
    ),
    "payment_withholdings": Doc(PAYMENT_BODY, needs=PPD_WITHHELD, fill=payment(953.33)),
    "payment_mixed_partial": Doc(PAYMENT_BODY, needs=PPD_MIXED, fill=payment(900)),
    "payment_cash": Doc(PAYMENT_BODY, needs=PPD, fill=payment(1160, payment_form="01")),
    # --- PPD invoices themselves
    "ppd": Doc(PPD, {"MetodoPago": "PPD", "FormaPago": "99"}),
    "ppd_usd": Doc(PPD_USD, {"MetodoPago": "PPD"}),
    # --- custom complements
    "custom_leyendas": Doc(invoice(complements=[{"type": "custom", "data": LEYENDA}])),
    # --- border zone and Quintana Roo issuers (Fecha in local time)
    "tijuana": Doc(invoice(), {"LugarExpedicion": "22000"}, zip="22000", zone="America/Tijuana"),
    "tijuana_global": Doc(
        global_invoice("01", MONTH),
        {"LugarExpedicion": "22000"},
        zip="22000",
        zone="America/Tijuana",
    ),
    "tijuana_foreign": Doc(
        invoice(FOREIGN, use="S01", currency="USD", exchange=17.5, items=[item(40, [IVA8])]),
        {"Receptor@DomicilioFiscalReceptor": "22000"},
        zip="22000",
        zone="America/Tijuana",
    ),
    "cancun": Doc(invoice(), {"LugarExpedicion": "77500"}, zip="77500", zone="America/Cancun"),
    "cancun_ieps": Doc(
        invoice(items=[item(45, [IEPS265, IVA], quantity=12)]), zip="77500", zone="America/Cancun"
    ),
    "juarez": Doc(invoice(items=[item(100, [IVA8])]), zip="32000", zone="America/Ciudad_Juarez"),
    "place_in_body": Doc(
        invoice(address={"zip": "22000"}), {"LugarExpedicion": "22000"}, zone="America/Tijuana"
    ),
    # --- persona física receivers and uses
    "person_d01": Doc(invoice(PERSON, use="D01", items=[item(1500, [EXENTO])])),
    "person_g01": Doc(invoice(PERSON, use="G01", items=[item(777.77, quantity=2)])),
    "series_folio": Doc(invoice(series="ZZ", folio_number=42), {"Serie": "ZZ", "Folio": "42"}),
}

NS = {"cfdi": CFDI[1:-1], "pago20": PAGO[1:-1], "implocal": IMPLOCAL[1:-1]}


def _xpath(expression: str) -> tuple[str, str]:
    """``Receptor@Rfc`` → (``cfdi:Receptor``, ``Rfc``); ``Total`` → (``.``, ``Total``)."""
    path, _, attribute = expression.rpartition("@") if "@" in expression else ("", "", expression)
    steps = [s if ":" in s else f"cfdi:{s}" for s in path.split("/") if s]
    return ("/".join(steps) or "."), attribute


@pytest.fixture
def pac_certificate(db: Any) -> Callable[[], bytes]:
    """The test PAC's certificate as persisted (read after the first stamp)."""
    return lambda: db.get(LocalPacCredential, "default", populate_existing=True).cer_der


def _issue(client: Any, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/invoices", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_corpus_is_large_and_varied() -> None:
    """Issue 14: at least 60 documents, of every type the project issues."""
    kinds = {d.body.get("type", "I") for d in CORPUS.values()}
    assert len(CORPUS) >= 60 and kinds == {"I", "E", "P"}


@pytest.mark.parametrize("name", list(CORPUS))
def test_corpus_document_passes_sat_checks(
    name: str, make_organization: Any, api: Any, db: Any, pac_certificate: Any
) -> None:
    """Stamp one corpus document and verify XSD, seal, TFD and arithmetic by the tests' code."""
    doc = CORPUS[name]
    organization, key = make_organization()
    if doc.regime:
        _become_persona_fisica(organization, doc.regime)
        db.commit()
    if doc.zip != LEGAL["address"]["zip"]:
        address = {**LEGAL["address"], "zip": doc.zip}
        orgs.update_legal(organization, {**LEGAL, "address": address})
        db.commit()
        assert organization.timezone == doc.zone
    client = api(key)
    body = copy.deepcopy(doc.body)
    if doc.needs is not None and doc.fill is not None:
        body = doc.fill(body, _issue(client, copy.deepcopy(doc.needs)))
    before = datetime.now(UTC).replace(microsecond=0)
    issued = _issue(client, body)
    xml = client.get(f"/invoices/{issued['id']}/xml").data
    root = check_stamped_cfdi(xml, pac_certificate())
    if root.get("Exportacion") == "02":
        check_export(xml)  # the complement's own sums (the export lane's checks)
    _check_expectations(root, doc.expect)
    _check_fecha(root, doc.zone, before)
    if root.get("TipoDeComprobante") == "I" and body.get("global") is not None:
        assert root.find(f"{CFDI}InformacionGlobal") is not None


PERSONA_FISICA = ("CACX7605101P8", "XOCHILT CASAS CHAVEZ")


@functools.cache
def _persona_fisica_csd() -> Any:
    from portal.cfdi.testcsd import make_test_credentials

    return make_test_credentials(*PERSONA_FISICA)


def _become_persona_fisica(organization: Any, regime: str) -> None:
    """Give the organization a persona física's test CSD and the given regime."""
    from portal.services import organizations as orgs

    csd = _persona_fisica_csd()
    orgs.upload_certificate(organization, csd.cer_der, csd.key_der, csd.password)
    orgs.update_legal(
        organization, {**LEGAL, "legal_name": PERSONA_FISICA[1], "tax_system": regime}
    )


def _check_expectations(root: etree._Element, expect: dict[str, str]) -> None:
    for expression, value in expect.items():
        path, attribute = _xpath(expression)
        nodes = root.xpath(path, namespaces=NS)
        assert nodes, f"{expression}: no such node"
        assert nodes[0].get(attribute) == value, (expression, nodes[0].get(attribute), value)


def _check_fecha(root: etree._Element, zone: str, before: datetime) -> None:
    """Fecha is the place of issue's wall-clock time (CFDI40101's local time)."""
    fecha = datetime.fromisoformat(root.get("Fecha")).replace(tzinfo=ZoneInfo(zone))
    assert before <= fecha.astimezone(UTC) <= datetime.now(UTC), (root.get("Fecha"), zone)


def test_corpus_totals_are_redone_not_copied() -> None:
    """The arithmetic check fails on a document whose Total is off by a cent."""
    from tests.fixtures.sat_checks import check_cfdi_arithmetic

    xml = (
        f'<cfdi:Comprobante xmlns:cfdi="{CFDI[1:-1]}" TipoDeComprobante="I" Moneda="MXN" '
        'SubTotal="100.00" Total="116.01"><cfdi:Conceptos><cfdi:Concepto Cantidad="1" '
        'ValorUnitario="100.00" Importe="100.00" ObjetoImp="02" Descripcion="x"><cfdi:Impuestos>'
        '<cfdi:Traslados><cfdi:Traslado Base="100.00" Impuesto="002" TipoFactor="Tasa" '
        'TasaOCuota="0.160000" Importe="16.00"/></cfdi:Traslados></cfdi:Impuestos></cfdi:Concepto>'
        '</cfdi:Conceptos><cfdi:Impuestos TotalImpuestosTrasladados="16.00"><cfdi:Traslados>'
        '<cfdi:Traslado Base="100.00" Impuesto="002" TipoFactor="Tasa" TasaOCuota="0.160000" '
        'Importe="16.00"/></cfdi:Traslados></cfdi:Impuestos></cfdi:Comprobante>'
    )
    root = etree.fromstring(xml.encode())
    with pytest.raises(AssertionError, match="CFDI40119"):
        check_cfdi_arithmetic(root)
    root.set("Total", "116.00")
    check_cfdi_arithmetic(root)
    assert Decimal(root.get("Total")) == Decimal("116.00")


def test_tfd_check_fails_with_another_certificate_or_a_changed_uuid(
    make_organization: Any, api: Any, org_csd: Any, pac_certificate: Any
) -> None:
    """The TFD check is able to fail: the issuer's certificate did not seal the TFD, and a TFD
    whose UUID was altered no longer matches SelloSAT."""
    from cryptography.exceptions import InvalidSignature

    from tests.fixtures.sat_checks import TFD, verify_tfd

    _organization, key = make_organization()
    client = api(key)
    xml = client.get(f"/invoices/{_issue(client, invoice())['id']}/xml").data
    verify_tfd(xml, pac_certificate())
    with pytest.raises(AssertionError):
        verify_tfd(xml, org_csd.cer_der)  # NoCertificadoSAT is the PAC's, not the issuer's
    root = etree.fromstring(xml)
    tfd = root.find(f"{CFDI}Complemento/{TFD}TimbreFiscalDigital")
    tfd.set("UUID", "00000000-0000-4000-8000-000000000000")
    with pytest.raises(InvalidSignature):
        verify_tfd(etree.tostring(root), pac_certificate())
