"""SAT-shaped test certificates made with ``cryptography``: never real ones.

A SAT CSD is an X.509 RSA certificate whose subject carries the RFC in ``x500UniqueIdentifier``
(``"RFC / REPRESENTATIVE"``), whose serial number is the ASCII of the 20-digit NoCertificado,
and which has exactly two extensions (a FIEL has four). The key ships as encrypted PKCS#8 DER.
Test certificates are signed by a throwaway "AC DE PRUEBAS" so they never chain to SAT's roots.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from satcfdi.models import Signer

TEST_PAC_RFC = "TPR010101PA6"
TEST_PAC_NAME = "PAC DE PRUEBAS SIN VALIDEZ FISCAL"
DEFAULT_PASSWORD = "12345678a"
_NAME_OID = x509.ObjectIdentifier("2.5.4.41")  # "name", present in SAT certificates


@dataclass(frozen=True)
class TestCredentials:
    """A certificate and its encrypted key as the files a user would upload."""

    __test__ = False  # not a pytest test class despite the name

    cer_der: bytes
    key_der: bytes
    password: str

    def signer(self) -> Signer:
        """The satcfdi Signer for these files."""
        return Signer.load(certificate=self.cer_der, key=self.key_der, password=self.password)


def new_certificate_number() -> str:
    """A random 20-digit NoCertificado in the shape SAT assigns (``3000100000…``)."""
    return "30001" + f"{secrets.randbelow(10**15):015d}"


def serial_for(certificate_number: str) -> int:
    """The X.509 serial whose hex digits spell the NoCertificado in ASCII, as SAT does."""
    return int.from_bytes(certificate_number.encode("ascii"), "big")


def new_rsa_key() -> rsa.RSAPrivateKey:
    """A fresh RSA-2048 private key."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@cache
def _test_ca() -> tuple[rsa.RSAPrivateKey, x509.Name]:
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "AC DE PRUEBAS SIN VALIDEZ FISCAL"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "PORTAL CFDI PRUEBAS"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "MX"),
        ]
    )
    return new_rsa_key(), name


def _subject(rfc: str, legal_name: str, branch: str | None) -> x509.Name:
    attributes = [
        x509.NameAttribute(NameOID.COMMON_NAME, legal_name),
        x509.NameAttribute(_NAME_OID, legal_name),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, legal_name),
        x509.NameAttribute(NameOID.COUNTRY_NAME, "MX"),
        x509.NameAttribute(NameOID.X500_UNIQUE_IDENTIFIER, f"{rfc} / "),
        x509.NameAttribute(NameOID.SERIAL_NUMBER, " / "),
    ]
    if branch:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, branch))
    return x509.Name(attributes)


def _add_extensions(builder: x509.CertificateBuilder, fiel: bool) -> x509.CertificateBuilder:
    # satcfdi tells a CSD (2 extensions) from a FIEL (4 extensions) by the count alone.
    builder = builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=True,
        key_encipherment=fiel,
        data_encipherment=fiel,
        key_agreement=fiel,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    builder = builder.add_extension(usage, True)
    if fiel:
        purposes = [ExtendedKeyUsageOID.EMAIL_PROTECTION, ExtendedKeyUsageOID.CLIENT_AUTH]
        builder = builder.add_extension(x509.ExtendedKeyUsage(purposes), False)
        ca_key, _ = _test_ca()
        aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key())
        builder = builder.add_extension(aki, False)
    return builder


def _certificate(
    key: rsa.RSAPrivateKey,
    subject: x509.Name,
    valid_from: datetime,
    valid_to: datetime,
    certificate_number: str,
    fiel: bool,
) -> x509.Certificate:
    ca_key, ca_name = _test_ca()
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(serial_for(certificate_number))
        .not_valid_before(valid_from)
        .not_valid_after(valid_to)
    )
    return _add_extensions(builder, fiel).sign(ca_key, hashes.SHA256())


def encrypt_key(key: rsa.RSAPrivateKey, password: str) -> bytes:
    """The key as encrypted PKCS#8 DER, the format of SAT's ``.key`` files."""
    return key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(password.encode()),
    )


def make_test_csd(
    rfc: str,
    legal_name: str,
    password: str = DEFAULT_PASSWORD,
    *,
    valid_from: datetime | None = None,
    valid_to: datetime | None = None,
    fiel: bool = False,
    key: rsa.RSAPrivateKey | None = None,
    certificate_number: str | None = None,
    branch: str | None = None,
) -> tuple[bytes, bytes]:
    """A test CSD (or FIEL with ``fiel=True``) as ``(cer_der, key_der)``; RSA-2048."""
    now = datetime.now(UTC)
    key = key or new_rsa_key()
    certificate = _certificate(
        key,
        _subject(rfc, legal_name, branch),
        valid_from or now - timedelta(days=7),  # as if issued a while ago: 72 h back-dating fits
        valid_to or now + timedelta(days=4 * 365),
        certificate_number or new_certificate_number(),
        fiel,
    )
    return certificate.public_bytes(serialization.Encoding.DER), encrypt_key(key, password)


def make_mismatched_csd(
    rfc: str, legal_name: str, password: str = DEFAULT_PASSWORD
) -> tuple[bytes, bytes]:
    """A certificate with the key of another certificate: the pair must be refused."""
    cer_der, _ = make_test_csd(rfc, legal_name, password)
    return cer_der, encrypt_key(new_rsa_key(), password)


def make_expired_csd(
    rfc: str, legal_name: str, password: str = DEFAULT_PASSWORD
) -> tuple[bytes, bytes]:
    """A CSD whose validity ended yesterday."""
    now = datetime.now(UTC)
    return make_test_csd(
        rfc,
        legal_name,
        password,
        valid_from=now - timedelta(days=4 * 365),
        valid_to=now - timedelta(days=1),
    )


def make_test_credentials(
    rfc: str, legal_name: str, password: str = DEFAULT_PASSWORD, **options: object
) -> TestCredentials:
    """``make_test_csd`` wrapped with its password."""
    cer_der, key_der = make_test_csd(rfc, legal_name, password, **options)  # type: ignore[arg-type]
    return TestCredentials(cer_der, key_der, password)


def make_test_pac_signer(
    password: str = DEFAULT_PASSWORD, rfc: str = TEST_PAC_RFC
) -> TestCredentials:
    """Certificate and key of the local test PAC; OU ``PAC<RFC>`` as SAT gives PACs."""
    return make_test_credentials(rfc, TEST_PAC_NAME, password, branch=f"PAC{rfc}")
