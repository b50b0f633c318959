"""The PAC layer: local test stamping, SAT-like cancellations, live PAC selection and errors."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from portal.cfdi import errors as E
from portal.cfdi.documents import build_cancellation, build_invoice
from portal.cfdi.errors import PACError
from portal.cfdi.pac import (
    PAC,
    CancelTarget,
    LocalTestPAC,
    SatcfdiPAC,
    live_pac,
    make_pac,
    mexico_now,
    requires_acceptance,
    verify_seal,
    verify_tfd,
)
from portal.cfdi.testcsd import make_test_pac_signer


@pytest.fixture(scope="module")
def stamped(issuer_csd, issuer, test_pac):
    from portal.cfdi.types import Address, Customer, InvoiceInput, Item, Product

    customer = Customer(
        "UNIVERSIDAD ROBOTICA ESPAÑOLA", "URE180429TM6", "601", Address(zip="86991")
    )
    items = [Item(Product("Servicio", "81111500", Decimal("2320"), unit_key="E48"))]
    document = build_invoice(issuer_csd, issuer, InvoiceInput(customer, items, "03"))
    return document, test_pac.stamp(document)


def _target(document, result, age: timedelta = timedelta(0), total: str | None = None):
    return CancelTarget(
        result.uuid,
        document.element.find("{*}Emisor").get("Rfc"),
        document.receiver_rfc,
        Decimal(total or document.total),
        mexico_now() - age,
    )


def test_local_pac_is_a_pac(test_pac) -> None:
    assert isinstance(test_pac, PAC) and test_pac.livemode is False


def test_stamp_is_verifiable(stamped, test_pac_credentials, issuer_csd) -> None:
    document, result = stamped
    verify_seal(result.xml, issuer_csd.certificate)
    info = verify_tfd(result.xml, test_pac_credentials.cer_der)
    assert info.uuid == result.uuid and result.pac_rfc == "TPR010101PA6"
    assert result.sello_cfd == document.seal and len(result.sat_cert_number) == 20


def test_tampered_document_fails_seal(stamped, issuer_csd) -> None:
    _, result = stamped
    tampered = result.xml.replace(b'Total="2320.00"', b'Total="2321.00"')
    with pytest.raises(PACError) as caught:
        verify_seal(tampered, issuer_csd.certificate)
    assert caught.value.code == E.SEAL_INVALID


def test_tfd_of_another_pac_fails(stamped) -> None:
    _, result = stamped
    other = make_test_pac_signer()
    with pytest.raises(PACError) as caught:
        verify_tfd(result.xml, other.cer_der)
    assert caught.value.code == E.TFD_INVALID


def test_cannot_stamp_twice(stamped, test_pac) -> None:
    with pytest.raises(PACError) as caught:
        test_pac.stamp(stamped[1].xml)
    assert caught.value.code == E.PAC_STAMP_REJECTED


def test_recent_cancellation_is_accepted_at_once(stamped, issuer_csd, test_pac) -> None:
    document, result = stamped
    target = _target(document, result)
    answer = test_pac.cancel(target, build_cancellation(issuer_csd, result.uuid, "02"))
    assert answer.status == "accepted"
    status = test_pac.status(target, cancellation_requested_at=answer.requested_at)
    assert (status.status, status.cancellation_status) == ("canceled", "accepted")


def test_old_and_large_cancellation_waits_for_acceptance(stamped, issuer_csd, test_pac) -> None:
    document, result = stamped
    target = _target(document, result, age=timedelta(days=7))
    answer = test_pac.cancel(target, build_cancellation(issuer_csd, result.uuid, "03"))
    assert answer.status == "pending"
    settled = test_pac.status(target, cancellation_requested_at=answer.requested_at)
    assert (settled.status, settled.cancellation_status) == ("canceled", "accepted")


def test_old_but_small_cancellation_is_immediate(stamped, issuer_csd, test_pac) -> None:
    document, result = stamped
    target = _target(document, result, age=timedelta(days=3), total="999.99")
    assert test_pac.cancel(target, build_cancellation(issuer_csd, result.uuid, "02")).status == (
        "accepted"
    )


def test_settlement_delay_and_rejection(stamped, issuer_csd, test_pac_credentials) -> None:
    document, result = stamped
    clock = [mexico_now()]
    pac = LocalTestPAC(
        test_pac_credentials.signer(),
        acceptance_delay=timedelta(hours=72),
        pending_outcome="rejected",
        clock=lambda: clock[0],
    )
    target = _target(document, result, age=timedelta(days=7))
    answer = pac.cancel(target, build_cancellation(issuer_csd, result.uuid, "02"))
    assert pac.status(
        target, cancellation_requested_at=answer.requested_at
    ).cancellation_status == ("pending")
    clock[0] += timedelta(hours=73)
    final = pac.status(target, cancellation_requested_at=answer.requested_at)
    assert (final.status, final.cancellation_status) == ("valid", "rejected")


def test_cancellation_must_match_the_document(stamped, issuer_csd, test_pac) -> None:
    document, result = stamped
    request = build_cancellation(issuer_csd, "6F1D6E7D-6D3B-4F7B-9A55-1C1E2E3F4A5B", "02")
    with pytest.raises(PACError) as caught:
        test_pac.cancel(_target(document, result), request)
    assert caught.value.code == E.PAC_CANCEL_REJECTED


def test_live_without_pac_is_a_coded_error() -> None:
    for config in (None, {}, {"provider": ""}):
        with pytest.raises(PACError) as caught:
            live_pac(config)
        assert caught.value.code == E.PAC_NOT_CONFIGURED


def test_pac_configuration_errors() -> None:
    with pytest.raises(PACError) as caught:
        make_pac("patito", {})
    assert caught.value.code == E.PAC_UNKNOWN_PROVIDER
    with pytest.raises(PACError) as caught:
        live_pac({"provider": "finkok", "username": "u"})
    assert caught.value.code == E.PAC_BAD_CONFIG and "password" in caught.value.message
    pac = live_pac({"provider": "finkok", "username": "u", "password": "p", "environment": "test"})
    assert isinstance(pac, SatcfdiPAC) and pac.livemode is True


class _RefusingClient:
    def stamp(self, cfdi):
        from satcfdi.exceptions import ResponseError

        raise ResponseError("CFDI40161 - El UsoCFDI no corresponde al régimen")

    def cancel_comprobante(self, request):
        import requests

        raise requests.ConnectionError("timeout")


def test_pac_errors_keep_the_pac_message(stamped, issuer_csd) -> None:
    document, result = stamped
    pac = SatcfdiPAC(_RefusingClient())
    with pytest.raises(PACError) as caught:
        pac.stamp(document)
    assert caught.value.code == E.PAC_STAMP_REJECTED
    assert caught.value.pac_message == "CFDI40161 - El UsoCFDI no corresponde al régimen"
    assert "CFDI40161" in caught.value.message
    with pytest.raises(PACError) as caught:
        pac.cancel(_target(document, result), build_cancellation(issuer_csd, result.uuid, "02"))
    assert caught.value.code == E.PAC_UNAVAILABLE and caught.value.status == 503


def test_our_tfd_is_identical_to_satcfdis(test_pac_credentials) -> None:
    from lxml import etree
    from satcfdi.create.cfd.tfd11 import TimbreFiscalDigital

    from portal.cfdi.pac import make_tfd, tfd_cadena, tfd_cadena_original

    signer = test_pac_credentials.signer()
    moment, uuid, sello = mexico_now(), "6F1D6E7D-6D3B-4F7B-9A55-1C1E2E3F4A5B", "c2VsbG8="
    reference = TimbreFiscalDigital(signer, uuid, moment, sello).to_xml(
        include_schema_location=True
    )
    ours = make_tfd(signer, str(signer.rfc_pac), signer.certificate_number, uuid, moment, sello)
    assert etree.tostring(ours, method="c14n") == etree.tostring(reference, method="c14n")
    rfc, number = str(signer.rfc_pac), signer.certificate_number
    assert tfd_cadena(uuid, moment, rfc, sello, number) == tfd_cadena_original(reference)


def test_cancellation_signed_by_another_rfc_is_refused(stamped, test_pac) -> None:
    """SAT 203: the request must be signed with a certificate of the issuer."""
    from portal.cfdi.csd import load_csd
    from portal.cfdi.testcsd import make_test_credentials

    document, result = stamped
    other = make_test_credentials("XIA190128J61", "DUNDER MIFFLIN")
    csd = load_csd(other.cer_der, other.key_der, other.password)
    request = build_cancellation(csd, result.uuid, "02")
    request.issuer_rfc = _target(document, result).issuer_rfc  # claims to be the issuer
    with pytest.raises(PACError) as caught:
        test_pac.cancel(_target(document, result), request)
    assert caught.value.code == E.PAC_CANCEL_REJECTED


def test_cancellation_substituted_by_itself_is_refused(stamped, issuer_csd, test_pac) -> None:
    document, result = stamped
    request = build_cancellation(issuer_csd, result.uuid, "01", result.uuid)
    with pytest.raises(PACError) as caught:
        test_pac.cancel(_target(document, result), request)
    assert caught.value.code == E.PAC_CANCEL_REJECTED


def _stamped_on(
    stamped_at: str, kind: str = "I", total: str = "2320.00", rfc: str = "URE180429TM6"
):
    return CancelTarget(
        "6F1D6E7D-6D3B-4F7B-9A55-1C1E2E3F4A5B",
        "EKU9003173C9",
        rfc,
        Decimal(total),
        datetime.fromisoformat(stamped_at),
        kind=kind,
    )


@pytest.mark.parametrize(
    ("stamped_at", "free_until"),
    [
        ("2026-12-01T09:00:00", "2026-12-02T23:59:59"),  # Tuesday → Wednesday
        ("2026-12-04T23:30:00", "2026-12-07T23:59:59"),  # Friday → Monday
        ("2026-12-24T10:00:00", "2026-12-28T23:59:59"),  # 25 December is not a business day
        ("2026-11-13T10:00:00", "2026-11-17T23:59:59"),  # third Monday of November (16th)
        ("2026-02-01T10:00:00", "2026-02-03T23:59:59"),  # first Monday of February (2nd)
        ("2026-03-13T10:00:00", "2026-03-17T23:59:59"),  # third Monday of March (16th)
        ("2026-04-30T10:00:00", "2026-05-04T23:59:59"),  # 1 May, then the weekend
        ("2030-09-30T10:00:00", "2030-10-02T23:59:59"),  # 1 October of an inauguration year
    ],
)
def test_acceptance_is_needed_after_the_next_business_day(stamped_at, free_until) -> None:
    """RMF 2.7.1.35 fr. IX: no acceptance while the cancellation is asked by the end of the
    business day after the stamping (CFF art. 12: weekends and its holidays do not count)."""
    target = _stamped_on(stamped_at)
    last = datetime.fromisoformat(free_until)
    assert requires_acceptance(target, last) is False
    assert requires_acceptance(target, last + timedelta(seconds=1)) is True


@pytest.mark.parametrize(
    ("kind", "total", "rfc", "needed"),
    [
        ("I", "1000.00", "URE180429TM6", False),  # fr. I: up to $1,000
        ("I", "1000.01", "URE180429TM6", True),
        ("P", "0", "URE180429TM6", True),  # fr. I excludes payment complements (RMF 2026)
        ("P", "0", "XAXX010101000", False),  # fr. VII: público en general
        ("I", "5000.00", "XEXX010101000", False),  # fr. VIII: foreign receiver
        ("E", "5000.00", "URE180429TM6", False),  # fr. III: egresos
        ("T", "0", "URE180429TM6", False),  # fr. IV: traslado
        ("N", "5000.00", "URE180429TM6", False),  # fr. II: nómina
    ],
)
def test_acceptance_exceptions_of_rule_2_7_1_35(kind, total, rfc, needed) -> None:
    target = _stamped_on("2026-12-01T09:00:00", kind, total, rfc)
    assert requires_acceptance(target, datetime(2026, 12, 10, 12)) is needed
