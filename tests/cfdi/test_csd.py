"""CSD loading: every refusal has its own code; the test CSDs read like SAT's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization

from portal.cfdi import errors as E
from portal.cfdi.csd import load_csd
from portal.cfdi.errors import CSDError
from portal.cfdi.testcsd import (
    TestCredentials,
    make_expired_csd,
    make_mismatched_csd,
    make_test_csd,
)

RFC, NAME, PASSWORD = "EKU9003173C9", "ESCUELA KEMPER URGATE", "12345678a"


def _code(cer: bytes, key: bytes, password: str = PASSWORD, **options: object) -> str:
    with pytest.raises(CSDError) as caught:
        load_csd(cer, key, password, **options)  # type: ignore[arg-type]
    assert caught.value.message and caught.value.status == 400
    return caught.value.code


def test_loads_and_exposes_sat_fields(issuer_credentials: TestCredentials) -> None:
    c = issuer_credentials
    csd = load_csd(c.cer_der, c.key_der, c.password)
    assert csd.rfc == RFC and csd.legal_name == NAME
    assert len(csd.certificate_number) == 20 and csd.certificate_number.isdigit()
    assert csd.valid_from < datetime.now(UTC) < csd.valid_to
    assert csd.signer.certificate_number == csd.certificate_number


def test_wrong_password(issuer_credentials: TestCredentials) -> None:
    c = issuer_credentials
    assert _code(c.cer_der, c.key_der, "otra-clave") == E.CSD_WRONG_PASSWORD


def test_key_not_matching_certificate() -> None:
    cer, key = make_mismatched_csd(RFC, NAME, PASSWORD)
    assert _code(cer, key) == E.CSD_KEY_MISMATCH


def test_fiel_is_refused() -> None:
    cer, key = make_test_csd(RFC, NAME, PASSWORD, fiel=True)
    assert _code(cer, key) == E.CSD_IS_FIEL


def test_expired() -> None:
    cer, key = make_expired_csd(RFC, NAME, PASSWORD)
    assert _code(cer, key) == E.CSD_EXPIRED


def test_not_yet_valid() -> None:
    start = datetime.now(UTC) + timedelta(days=3)
    cer, key = make_test_csd(
        RFC, NAME, PASSWORD, valid_from=start, valid_to=start + timedelta(days=30)
    )
    assert _code(cer, key) == E.CSD_NOT_YET_VALID


def test_unreadable_certificate(issuer_credentials: TestCredentials) -> None:
    assert _code(b"no soy un certificado", issuer_credentials.key_der) == (
        E.CSD_CERTIFICATE_UNREADABLE
    )


def test_unreadable_key(issuer_credentials: TestCredentials) -> None:
    assert _code(issuer_credentials.cer_der, b"\x30\x03\x02\x01\x00") == E.CSD_KEY_UNREADABLE


def test_not_issued_by_sat_when_chain_required(issuer_credentials: TestCredentials) -> None:
    c = issuer_credentials
    assert load_csd(c.cer_der, c.key_der, c.password).rfc == RFC  # fine in test mode
    assert _code(c.cer_der, c.key_der, require_sat_chain=True) == E.CSD_NOT_ISSUED_BY_SAT


def test_rfc_of_another_organization(issuer_credentials: TestCredentials) -> None:
    c = issuer_credentials
    assert _code(c.cer_der, c.key_der, expected_rfc="URE180429TM6") == E.CSD_RFC_MISMATCH


def test_every_refusal_code_is_distinct() -> None:
    codes = [
        E.CSD_WRONG_PASSWORD,
        E.CSD_KEY_MISMATCH,
        E.CSD_IS_FIEL,
        E.CSD_EXPIRED,
        E.CSD_NOT_YET_VALID,
        E.CSD_CERTIFICATE_UNREADABLE,
        E.CSD_KEY_UNREADABLE,
        E.CSD_NOT_ISSUED_BY_SAT,
        E.CSD_RFC_MISMATCH,
    ]
    assert len(set(codes)) == len(codes)


def test_pem_files_are_accepted_too(issuer_credentials: TestCredentials, issuer_csd) -> None:
    pem_cer = issuer_csd.certificate.public_bytes(serialization.Encoding.PEM)
    csd = load_csd(pem_cer, issuer_credentials.key_der, PASSWORD)
    assert csd.certificate_number == issuer_csd.certificate_number


def test_certificate_number_is_the_ascii_of_the_serial(issuer_csd) -> None:
    serial = issuer_csd.certificate.serial_number.to_bytes(20, "big")
    assert serial.decode("ascii") == issuer_csd.certificate_number


def test_test_authority_csd_is_not_issued_by_sat_even_when_expired() -> None:
    """Readiness asks this of every stored CSD: a generated one is never SAT's, expired or not,
    and the answer needs no private key."""
    from portal.cfdi.csd import issued_by_sat
    from portal.cfdi.testcsd import make_expired_csd, make_test_csd

    assert issued_by_sat(make_test_csd("EKU9003173C9", "ESCUELA KEMPER URGATE")[0]) is False
    assert issued_by_sat(make_expired_csd("EKU9003173C9", "ESCUELA KEMPER URGATE")[0]) is False
    assert issued_by_sat(b"not a certificate") is False


def test_sats_own_ca_certificates_chain_to_sat() -> None:
    """The positive side, with SAT's public CA certificates (shipped by satcfdi, not a CSD)."""
    import os
    import zipfile

    import satcfdi.transform

    from portal.cfdi.csd import issued_by_sat

    store = os.path.join(os.path.dirname(satcfdi.transform.__file__), "CertsProd.zip")
    with zipfile.ZipFile(store) as archive:
        assert issued_by_sat(archive.read("AC4_SAT.cer")) is True
