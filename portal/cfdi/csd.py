"""Loading a CSD (``.cer`` + ``.key`` + password) and refusing the ones that cannot seal.

Each refusal has its own code (see ``portal.cfdi.errors``): unreadable files, wrong password,
key not matching the certificate, a FIEL instead of a CSD, expired or not yet valid, and
(with ``require_sat_chain=True``, as live mode does) a certificate not issued by SAT.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property, lru_cache
from types import SimpleNamespace

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import (
    load_der_private_key,
    load_pem_private_key,
)
from OpenSSL import crypto
from satcfdi.models import Signer
from satcfdi.models.certificate import CertificateType

from portal.cfdi import errors as E
from portal.cfdi.errors import CSDError


def _refuse(message: str, code: str, path: str | None = None) -> CSDError:
    return CSDError(message, code, 400, path)


@dataclass(frozen=True)
class CSD:
    """A loaded, checked CSD. Its Signer seals documents; the properties are cached."""

    signer: Signer
    certificate: x509.Certificate

    @cached_property
    def rfc(self) -> str:
        """The RFC in the certificate subject."""
        return str(self.signer.rfc)

    @cached_property
    def legal_name(self) -> str:
        """The registered name, without the corporate regime suffix (as CFDI 4.0 wants)."""
        return self.signer.legal_name or ""

    @cached_property
    def certificate_number(self) -> str:
        """NoCertificado: the 20 digits SAT encodes in the serial number."""
        return self.signer.certificate_number

    @cached_property
    def certificate_base64(self) -> str:
        """The certificate as the base64 of ``Certificado``."""
        return self.signer.certificate_base64()

    @property
    def valid_from(self) -> datetime:
        """Start of validity (UTC)."""
        return self.certificate.not_valid_before_utc

    @property
    def valid_to(self) -> datetime:
        """End of validity (UTC)."""
        return self.certificate.not_valid_after_utc

    def sign_sha256(self, data: bytes) -> str:
        """Base64 RSA-SHA256 signature of ``data`` (the seal of a cadena original)."""
        return self.signer.sign_sha256(data)


def _load_certificate(cer: bytes) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(cer)
    except (ValueError, TypeError):
        pass
    try:
        return x509.load_pem_x509_certificate(cer)
    except (ValueError, TypeError):
        raise _refuse(
            "El archivo .cer no es un certificado válido (se espera DER o PEM).",
            E.CSD_CERTIFICATE_UNREADABLE,
            "cer",
        ) from None


def _is_encrypted(key: bytes) -> bool | None:
    """True if ``key`` is an encrypted key, False if plain, None if it is no key at all."""
    for loader in (load_der_private_key, load_pem_private_key):
        try:
            loader(key, password=None)
            return False
        except TypeError:  # "Password was not given but private key is encrypted"
            return True
        except (ValueError, UnsupportedAlgorithm):
            continue
    return None


def _load_key(key: bytes, password: str) -> rsa.RSAPrivateKey:
    encrypted = _is_encrypted(key)
    if encrypted is None:
        raise _refuse(
            "El archivo .key no es una llave privada válida.", E.CSD_KEY_UNREADABLE, "key"
        )
    secret = password.encode() if encrypted else None
    for loader in (load_der_private_key, load_pem_private_key):
        try:
            private_key = loader(key, password=secret)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            continue
        if not isinstance(private_key, rsa.RSAPrivateKey):
            raise _refuse("La llave privada debe ser RSA.", E.CSD_KEY_UNREADABLE, "key")
        return private_key
    raise _refuse(
        "La contraseña de la llave privada es incorrecta.", E.CSD_WRONG_PASSWORD, "password"
    )


def _same_public_key(key: rsa.RSAPrivateKey, certificate: x509.Certificate) -> bool:
    public = certificate.public_key()
    return isinstance(public, rsa.RSAPublicKey) and public.public_numbers() == (
        key.public_key().public_numbers()
    )


def _check_type(signer: Signer) -> None:
    kind = signer.type
    if kind == CertificateType.Fiel:
        raise _refuse(
            "El certificado es una e.firma (FIEL), no un certificado de sello digital (CSD).",
            E.CSD_IS_FIEL,
            "cer",
        )
    if kind != CertificateType.CSD:
        raise _refuse(
            "El certificado no es un certificado de sello digital (CSD) del SAT.",
            E.CSD_NOT_CSD,
            "cer",
        )


def _check_dates(certificate: x509.Certificate, at: datetime) -> None:
    if at < certificate.not_valid_before_utc:
        start = certificate.not_valid_before_utc.date().isoformat()
        raise _refuse(
            f"El certificado aún no es vigente (inicia el {start}).", E.CSD_NOT_YET_VALID, "cer"
        )
    if at > certificate.not_valid_after_utc:
        end = certificate.not_valid_after_utc.date().isoformat()
        raise _refuse(f"El certificado venció el {end}.", E.CSD_EXPIRED, "cer")


def _check_sat_chain(signer: Signer, at: datetime) -> None:
    from satcfdi.transform import verify_certificate

    try:
        trusted = verify_certificate(signer, at)
    except KeyError:  # satcfdi's store raises KeyError when the issuer is not a SAT CA
        trusted = False
    if not trusted:
        raise _refuse("El certificado no fue emitido por el SAT.", E.CSD_NOT_ISSUED_BY_SAT, "cer")


def _check_rfc(signer: Signer, expected_rfc: str | None) -> None:
    try:
        rfc = signer.rfc
    except ValueError:
        rfc = None
    if not rfc:
        raise _refuse("El certificado no contiene un RFC válido.", E.CSD_WITHOUT_RFC, "cer")
    if expected_rfc and str(rfc) != expected_rfc.upper():
        raise _refuse(
            f"El certificado pertenece al RFC {rfc}, no a {expected_rfc.upper()}.",
            E.CSD_RFC_MISMATCH,
            "cer",
        )


def load_csd(
    cer: bytes,
    key: bytes,
    password: str,
    *,
    require_sat_chain: bool = False,
    expected_rfc: str | None = None,
    at: datetime | None = None,
) -> CSD:
    """Load and check a CSD; raise ``CSDError`` with a specific code when it cannot seal."""
    certificate = _load_certificate(cer)
    private_key = _load_key(key, password)
    if not _same_public_key(private_key, certificate):
        raise _refuse("La llave privada no corresponde al certificado.", E.CSD_KEY_MISMATCH, "key")
    signer = Signer(crypto.X509.from_cryptography(certificate), private_key, check=False)
    _check_type(signer)
    _check_rfc(signer, expected_rfc)
    moment = at or datetime.now(UTC)
    _check_dates(certificate, moment)
    if require_sat_chain:
        _check_sat_chain(signer, moment)
    return CSD(signer, certificate)


@lru_cache(maxsize=256)
def issued_by_sat(cer: bytes) -> bool:
    """Whether a certificate chains to SAT's production roots (a test authority's does not),
    judged within its own validity so that an expired CSD is still told apart."""
    try:
        certificate = _load_certificate(cer)
    except CSDError:
        return False
    now = datetime.now(UTC)
    moment = min(max(now, certificate.not_valid_before_utc), certificate.not_valid_after_utc)
    from satcfdi.transform import verify_certificate

    # satcfdi's check only reads ``.certificate`` (an OpenSSL X509): no key is needed.
    holder = SimpleNamespace(certificate=crypto.X509.from_cryptography(certificate))
    try:
        return bool(verify_certificate(holder, moment))  # type: ignore[arg-type]
    except (KeyError, ValueError):  # the issuer is not one of SAT's CAs
        return False


def load_certificate(cer: bytes) -> x509.Certificate:
    """A certificate from DER or PEM bytes (for verifying seals)."""
    return _load_certificate(cer)
