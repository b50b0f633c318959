"""Retenciones 2.0: built, sealed and stamped by the engine, then checked with code written for
the tests (tests/fixtures/sat_retention_checks.py): SAT's XSDs, the cadena original by SAT's
XSLT for retentions, the seal over it and the Totales sums. Each SAT complement of the
reference's examples, and the rules of SAT's guides that the XSD cannot express."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from cryptography.exceptions import InvalidSignature
from lxml import etree
from satcfdi.create.retencion import (
    dividendos10,
    enajenaciondeacciones10,
    intereses10,
    pagosaextranjeros10,
    plataformasTecnologicas10,
)

from portal.cfdi import errors as E
from portal.cfdi.documents import build_cancellation, build_retention, local_now
from portal.cfdi.errors import CFDIValidationError
from portal.cfdi.pdf.retention import render_retention
from portal.cfdi.types import Address, Customer, RetentionInput, RetentionTaxInput
from portal.errors import ValidationError
from tests.fixtures.sat_retention_checks import (
    check_retention_totals,
    retention_cadena,
    retention_xsd_problems,
    verify_retention_seal,
)

FOREIGN = Customer("ACME HOLDINGS LLC", "123456789", "", Address(country="USA"))


def _xml(complement) -> str:
    return etree.tostring(complement.to_xml()).decode()


def _retention(customer: Customer, key: str, zip_code: str, **extra) -> RetentionInput:
    now = local_now(zip_code)
    return RetentionInput(
        customer,
        key,
        now.month,
        now.month,
        now.year,
        Decimal("10000"),
        Decimal("8000"),
        Decimal("2000"),
        Decimal("1000"),
        [RetentionTaxInput(Decimal("1000"), "1", Decimal("8000"), "ISR")],
        internal_folio="R1",
        **extra,
    )


def _stamp_checked(test_pac, document) -> bytes:
    stamped = test_pac.stamp(document).xml
    assert retention_xsd_problems(stamped) == []
    verify_retention_seal(stamped)
    check_retention_totals(stamped)
    return stamped


def test_retention_seal_is_over_sats_cadena(issuer_csd, issuer, customer, test_pac) -> None:
    document = build_retention(issuer_csd, issuer, _retention(customer, "14", issuer.zip))
    stamped = _stamp_checked(test_pac, document)
    cadena = retention_cadena(stamped)
    assert cadena.startswith(f"||2.0|{issuer_csd.certificate_number}|R1|")
    assert document.cadena_original == cadena
    root = etree.fromstring(stamped)
    assert root.get("NoCertificado") == issuer_csd.certificate_number  # a string, not a tuple
    assert root.find("{*}Complemento/{*}TimbreFiscalDigital") is not None


def test_tampered_retention_fails_the_seal_check(issuer_csd, issuer, customer) -> None:
    document = build_retention(issuer_csd, issuer, _retention(customer, "14", issuer.zip))
    document.element.find("{*}Totales").set("MontoTotRet", "999")
    with pytest.raises(InvalidSignature):
        verify_retention_seal(etree.tostring(document.element))


def _dividendos() -> str:
    return _xml(
        dividendos10.Dividendos(
            divid_o_util=dividendos10.DividOUtil(
                cve_tip_div_outil="01",
                mont_isr_acred_ret_mexico=Decimal("1000"),
                mont_isr_acred_ret_extranjero=Decimal("0"),
                tipo_soc_distr_div="Sociedad Nacional",
            )
        )
    )


def _intereses() -> str:
    return _xml(
        intereses10.Intereses(
            sist_financiero="SI",
            retiro_aoresret_int="NO",
            oper_financ_derivad="NO",
            mont_int_nominal=Decimal("10000"),
            mont_int_real=Decimal("8000"),
            perdida=Decimal("0"),
        )
    )


def _pagos_extranjeros(beneficiary: str = "NO") -> str:
    return _xml(
        pagosaextranjeros10.Pagosaextranjeros(
            es_benef_efect_del_cobro=beneficiary,
            no_beneficiario=pagosaextranjeros10.NoBeneficiario(
                pais_de_resid_para_efec_fisc="US",
                concepto_pago="1",
                descripcion_concepto="Regalías por uso de software",
            ),
        )
    )


def _enajenacion(gain: str = "8000", loss: str = "0") -> str:
    return _xml(
        enajenaciondeacciones10.EnajenaciondeAcciones(
            contrato_intermediacion="CONTRATO-001",
            ganancia=Decimal(gain),
            perdida=Decimal(loss),
        )
    )


def _plataformas(count: int = 2) -> str:
    service = plataformasTecnologicas10.DetallesDelServicio(
        forma_pago_serv="03",
        tipo_de_serv="01",
        fecha_serv=date.today(),
        precio_serv_sin_iva=Decimal("5000"),
        impuestos_trasladadosdel_servicio=plataformasTecnologicas10.ImpuestosTrasladadosdelServicio(
            base=Decimal("5000"),
            impuesto="02",
            tasa_cuota=Decimal("0.160000"),
            importe=Decimal("800"),
        ),
    )
    return _xml(
        plataformasTecnologicas10.ServiciosPlataformasTecnologicas(
            periodicidad="02",
            num_serv=count,
            mon_tot_serv_siva=Decimal("10000"),
            total_iva_trasladado=Decimal("1600"),
            total_iva_retenido=Decimal("800"),
            total_isr_retenido=Decimal("200"),
            dif_iva_entregado_prest_serv=Decimal("800"),
            mon_totalpor_uso_plataforma=Decimal("1000"),
            servicios=[service, service],
        )
    )


COMPLEMENTS = {
    "dividendos": ("14", _dividendos, "|Sociedad Nacional|"),
    "intereses": ("16", _intereses, "|SI|NO|NO|10000|8000|0|"),
    "pagosaextranjeros": ("18", _pagos_extranjeros, "|Regalías por uso de software|"),
    "enajenaciondeacciones": ("06", _enajenacion, "|CONTRATO-001|8000|0|"),
    "plataformas": ("26", _plataformas, "|10000|1600|800|200|800|1000|"),
}


@pytest.mark.parametrize("name", list(COMPLEMENTS))
def test_retention_complement(issuer_csd, issuer, customer, test_pac, name: str) -> None:
    key, make, in_cadena = COMPLEMENTS[name]
    receiver = FOREIGN if name == "pagosaextranjeros" else customer
    data = _retention(receiver, key, issuer.zip, complements=[make()])
    stamped = _stamp_checked(test_pac, build_retention(issuer_csd, issuer, data))
    # SAT's XSLT puts the complement's data in the cadena, so the seal covers it.
    assert in_cadena in retention_cadena(stamped)


def _refused(issuer_csd, issuer, data: RetentionInput) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        build_retention(issuer_csd, issuer, data)
    return caught.value


@pytest.mark.parametrize(
    ("name", "key", "receiver", "path"),
    [
        # Each complement details its own c_CveRetenc key (SAT's guide).
        ("dividendos", "16", "national", "cve_retenc"),
        ("plataformas", "14", "national", "cve_retenc"),
        # Pagos a residentes en el extranjero: the receiver is foreign.
        ("pagosaextranjeros", "18", "national", "complements[0]"),
    ],
)
def test_complement_rules(issuer_csd, issuer, customer, name, key, receiver, path) -> None:
    make = COMPLEMENTS[name][1]
    data = _retention(
        customer if receiver == "national" else FOREIGN, key, issuer.zip, complements=[make()]
    )
    error = _refused(issuer_csd, issuer, data)
    assert (error.code, error.path) == (E.RETENTION_COMPLEMENT_INVALID, path)


def test_platform_totals_must_add_up(issuer_csd, issuer, customer) -> None:
    data = _retention(customer, "26", issuer.zip, complements=[_plataformas(count=3)])
    error = _refused(issuer_csd, issuer, data)
    assert (error.code, error.path) == (E.RETENTION_COMPLEMENT_INVALID, "complements[0].NumServ")


def test_beneficiary_node_must_match(issuer_csd, issuer) -> None:
    data = _retention(FOREIGN, "18", issuer.zip, complements=[_pagos_extranjeros("SI")])
    error = _refused(issuer_csd, issuer, data)
    assert error.path == "complements[0].Beneficiario"


def test_gain_and_loss_together_are_refused(issuer_csd, issuer, customer) -> None:
    data = _retention(customer, "06", issuer.zip, complements=[_enajenacion("10", "5")])
    assert _refused(issuer_csd, issuer, data).path == "complements[0].Perdida"


def test_unknown_complement_is_refused(issuer_csd, issuer, customer) -> None:
    leyenda = (
        '<leyendasFisc:LeyendasFiscales version="1.0" '
        'xmlns:leyendasFisc="http://www.sat.gob.mx/leyendasFiscales"/>'
    )
    data = _retention(customer, "14", issuer.zip, complements=[leyenda])
    error = _refused(issuer_csd, issuer, data)
    assert (error.code, error.path) == (E.INVALID_INPUT, "complements[0].data")


def test_complement_against_its_xsd(issuer_csd, issuer, customer) -> None:
    broken = _intereses().replace('SistFinanciero="SI"', 'SistFinanciero="TAL VEZ"')
    data = _retention(customer, "16", issuer.zip, complements=[broken])
    assert _refused(issuer_csd, issuer, data).code == E.XSD_INVALID


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"total_operation": Decimal("9999")}, "RET20_MONTO_TOT_OPERACION"),
        ({"total_withheld": Decimal("999")}, "RET20_MONTO_TOT_RET"),
        ({"period_start_month": 12, "period_end_month": 1}, "RET20_PERIODO"),
        ({"retention_key": "25"}, "RET20_DESC_RETENC"),
    ],
)
def test_pac_applies_retention_rules(issuer_csd, issuer, customer, test_pac, change, code) -> None:
    data = replace(_retention(customer, "14", issuer.zip), **change)
    document = build_retention(issuer_csd, issuer, data)
    with pytest.raises(CFDIValidationError) as caught:
        test_pac.stamp(document)
    assert caught.value.code == code


def test_retention_cancellation_uses_sats_retention_schema(issuer_csd) -> None:
    uuid = "6F1D6E7D-6D3B-4F7B-9A55-1C1E2E3F4A5B"
    request = build_cancellation(issuer_csd, uuid, "02", retention=True)
    root = etree.fromstring(request.xml)
    assert root.tag == "{http://www.sat.gob.mx/esquemas/retencionpago/1}Cancelacion"
    assert root.get("RfcEmisor") == issuer_csd.rfc
    folio = next(root.iter("{http://www.sat.gob.mx/esquemas/retencionpago/1}Folio"))
    assert (folio.get("UUID"), folio.get("Motivo")) == (uuid, "02")
    assert next(root.iter("{http://www.w3.org/2000/09/xmldsig#}SignatureValue")).text


@pytest.mark.parametrize("zip_code", ["77500", "22000"])  # Cancún (UTC−5), Tijuana (Pacific)
def test_issue_date_is_local_to_the_place_of_issue(
    issuer_csd, issuer, customer, test_pac, zip_code
):
    local = replace(issuer, zip=zip_code)
    document = build_retention(issuer_csd, local, _retention(customer, "14", zip_code))
    _stamp_checked(test_pac, document)


def test_an_old_issue_date_is_refused_by_the_pac(issuer_csd, issuer, customer, test_pac) -> None:
    old = local_now(issuer.zip) - timedelta(hours=73)
    data = replace(_retention(customer, "14", issuer.zip), date=old)
    document = build_retention(issuer_csd, issuer, data, check_date=False)
    with pytest.raises(CFDIValidationError) as caught:
        test_pac.stamp(document)
    assert caught.value.code == "RET20_FECHA_EXP"


def test_retention_pdf_shows_the_fiscal_data(issuer_csd, issuer, customer, test_pac) -> None:
    data = _retention(customer, "26", issuer.zip, complements=[_plataformas()])
    stamped = test_pac.stamp(build_retention(issuer_csd, issuer, data))
    pdf = render_retention(stamped.xml, "https://prodretencionverificacion.clouda.sat.gob.mx/")
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    for expected in (
        stamped.uuid,
        "Constancia de retenciones",
        "26 - Servicios mediante",  # c_CveRetenc description (wrapped in the box)
        "$10,000.00",
        "ServiciosPlataformasTecnologicas",
        customer.tax_id,
    ):
        assert expected in text, expected
