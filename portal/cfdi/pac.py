"""Stamping and cancelling through a PAC, and verifying seals and stamps.

``PAC`` is the one interface: ``stamp``, ``cancel``, ``status``. Test mode uses
``LocalTestPAC`` (a Timbre Fiscal Digital 1.1 signed with a test PAC certificate, SAT-like
cancellation answers). Live mode uses a real PAC through satcfdi's clients, chosen by provider
name and plain config; nothing fake is ever marked live.
"""

from __future__ import annotations

import base64
import copy
import importlib
import uuid as uuid_module
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree
from satcfdi.models import Signer
from satcfdi.transform import MEXICO_TZ, xslt_transform

from portal.cfdi import errors as E
from portal.cfdi.acuse import build_acuse
from portal.cfdi.csd import load_certificate
from portal.cfdi.documents import FOREIGN_RFC, PUBLIC_RFC, BuiltDocument, CancellationRequest
from portal.cfdi.errors import PACError, pac_error
from portal.cfdi.sat_matrix import enforce
from portal.cfdi.validation import as_element

TFD_NS = "http://www.sat.gob.mx/TimbreFiscalDigital"
DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
UNIQUE_IDENTIFIER = x509.ObjectIdentifier("2.5.4.45")  # x500UniqueIdentifier: "RFC / CURP"
TFD_TAG = f"{{{TFD_NS}}}TimbreFiscalDigital"
ROOT_VERSIONS = {
    "{http://www.sat.gob.mx/cfd/4}Comprobante": "4.0",
    "{http://www.sat.gob.mx/esquemas/retencionpago/2}Retenciones": "2.0",
}
# RMF 2.7.1.35: no acceptance for totals up to $1,000 (fr. I, payment complements excepted since
# the RMF 2026), nómina (II), egresos (III), traslado (IV), retenciones (VI), público en general
# (VII), foreign receivers (VIII), or a cancellation within the next business day (IX).
ACCEPTANCE_AMOUNT = Decimal(1000)
NO_ACCEPTANCE_KINDS = frozenset({"E", "T", "N", "retenciones"})


@dataclass(frozen=True)
class StampResult:
    """What a PAC returns for a stamped document."""

    uuid: str
    xml: bytes
    stamp_date: datetime
    sat_cert_number: str
    sello_sat: str
    sello_cfd: str
    pac_rfc: str


@dataclass(frozen=True)
class CancelTarget:
    """The stamped document a cancellation is about (what the app keeps about it)."""

    uuid: str
    issuer_rfc: str
    receiver_rfc: str
    total: Decimal
    stamped_at: datetime
    kind: str = "I"
    xml: bytes | None = None
    exchange: Decimal = Decimal(1)  # TipoCambio: SAT's $1,000 limit is in pesos

    @property
    def total_mxn(self) -> Decimal:
        """The total in Mexican pesos."""
        return self.total * self.exchange


@dataclass(frozen=True)
class CancelResult:
    """The PAC's answer to a cancellation: ``accepted``, ``pending`` or ``rejected``."""

    uuid: str
    status: str
    requested_at: datetime
    acuse: bytes | None = None
    message: str | None = None


@dataclass(frozen=True)
class StatusResult:
    """SAT status of a document: ``valid``/``canceled`` and the cancellation status."""

    uuid: str
    status: str
    cancellation_status: str
    cancelable: str | None = None


@runtime_checkable
class PAC(Protocol):
    """A stamping provider."""

    livemode: bool
    # Whether a call goes over the network: a request then stamps in three steps (commit the
    # pending invoice, call with no transaction open, record), see ``portal.pac_calls.stamp``.
    remote: bool

    def stamp(self, document: BuiltDocument | bytes) -> StampResult:
        """Stamp a sealed document; returns the XML with its Timbre Fiscal Digital."""
        ...

    def cancel(self, target: CancelTarget, request: CancellationRequest) -> CancelResult:
        """Send a signed cancellation request for ``target``."""
        ...

    def status(
        self, target: CancelTarget, *, cancellation_requested_at: datetime | None = None
    ) -> StatusResult:
        """Ask SAT (or the test PAC) for the status of ``target``."""
        ...


# ---------------------------------------------------------------- helpers on stamped XML


def _sealed_root(document: BuiltDocument | bytes) -> etree._Element:
    if isinstance(document, BuiltDocument):
        # The BuiltDocument stays sealed and reusable; stamp a copy of its tree.
        return copy.deepcopy(document.element)
    return as_element(document)


def _complemento(root: etree._Element) -> etree._Element:
    """The root's Complemento node (created before the Addenda when missing)."""
    namespace = etree.QName(root).namespace
    node = root.find(f"{{{namespace}}}Complemento")
    if node is not None:
        return node
    node = etree.Element(f"{{{namespace}}}Complemento")
    addenda = root.find(f"{{{namespace}}}Addenda")
    if addenda is not None:
        addenda.addprevious(node)
    else:
        root.append(node)
    return node


def find_tfd(xml: bytes | etree._Element) -> etree._Element:
    """The TimbreFiscalDigital element of a stamped document."""
    root = as_element(xml)
    tfd = next(root.iter(TFD_TAG), None)
    if tfd is None:
        raise PACError("El documento no está timbrado.", E.TFD_INVALID, 422)
    return tfd


def stamp_result(xml: bytes, root: etree._Element | None = None) -> StampResult:
    """Read the StampResult back from a stamped XML."""
    tfd = find_tfd(root if root is not None else xml)
    return StampResult(
        uuid=tfd.get("UUID", "").upper(),
        xml=xml,
        stamp_date=datetime.fromisoformat(tfd.get("FechaTimbrado", "")),
        sat_cert_number=tfd.get("NoCertificadoSAT", ""),
        sello_sat=tfd.get("SelloSAT", ""),
        sello_cfd=tfd.get("SelloCFD", ""),
        pac_rfc=tfd.get("RfcProvCertif", ""),
    )


def _to_bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


# ---------------------------------------------------------------- verification


def _certificate(value: bytes | x509.Certificate | Signer) -> x509.Certificate:
    if isinstance(value, x509.Certificate):
        return value
    if isinstance(value, Signer):
        return value.certificate.to_cryptography()
    return load_certificate(value)


def _certificate_number(certificate: x509.Certificate) -> str:
    return f"{certificate.serial_number:x}"[1::2]


def _verify_signature(certificate: x509.Certificate, signature: str, data: bytes) -> bool:
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        return False
    try:
        public_key.verify(base64.b64decode(signature), data, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def cadena_original(xml: bytes | etree._Element) -> str:
    """The cadena original of a CFDI 4.0 or Retenciones 2.0 document, with SAT's XSLT."""
    root = as_element(xml)
    version = ROOT_VERSIONS.get(root.tag)
    if version is None:
        raise PACError("El documento no es un CFDI 4.0 ni Retenciones 2.0.", E.SEAL_INVALID, 422)
    return str(xslt_transform(root.tag, version)(root))


def verify_seal(
    xml: bytes | etree._Element, certificate: bytes | x509.Certificate | None = None
) -> None:
    """Check the issuer's seal (Sello) against the cadena original; raise ``cfdi_seal_invalid``."""
    root = as_element(xml)
    embedded = _certificate(base64.b64decode(root.get("Certificado", "")))
    expected = _certificate(certificate) if certificate is not None else embedded
    if expected != embedded or root.get("NoCertificado") != _certificate_number(expected):
        raise PACError("El certificado del comprobante no es el del emisor.", E.SEAL_INVALID, 422)
    if not _verify_signature(expected, root.get("Sello", ""), cadena_original(root).encode()):
        raise PACError("El sello del comprobante no es válido.", E.SEAL_INVALID, 422)


def tfd_cadena_original(tfd: etree._Element) -> str:
    """The TFD 1.1 cadena original (SAT's XSLT on a standalone copy of the node)."""
    return str(xslt_transform(TFD_TAG, "1.1")(copy.deepcopy(tfd)))


def verify_tfd(
    xml: bytes | etree._Element, pac_certificate: bytes | x509.Certificate | Signer
) -> StampResult:
    """Check the Timbre Fiscal Digital against the PAC certificate; raise ``tfd_invalid``."""
    root = as_element(xml)
    tfd = find_tfd(root)
    certificate = _certificate(pac_certificate)
    if tfd.get("NoCertificadoSAT") != _certificate_number(certificate):
        raise PACError("El timbre no corresponde al certificado del PAC.", E.TFD_INVALID, 422)
    if tfd.get("SelloCFD") != root.get("Sello"):
        raise PACError("El timbre no corresponde al sello del comprobante.", E.TFD_INVALID, 422)
    if not _verify_signature(
        certificate, tfd.get("SelloSAT", ""), tfd_cadena_original(tfd).encode()
    ):
        raise PACError("El sello del timbre fiscal no es válido.", E.TFD_INVALID, 422)
    return stamp_result(xml if isinstance(xml, bytes) else _to_bytes(root), root)


# ---------------------------------------------------------------- local test PAC


def requires_acceptance(target: CancelTarget, at: datetime) -> bool:
    """SAT's rule (RMF 2.7.1.35): the receiver must accept a cancellation requested after the
    business day following the stamping, of an income CFDI over $1,000 or of any payment."""
    if target.kind in NO_ACCEPTANCE_KINDS or target.receiver_rfc in (PUBLIC_RFC, FOREIGN_RFC):
        return False
    if at < next_business_day(target.stamped_at.date()) + timedelta(days=1):
        return False
    return target.kind == "P" or target.total_mxn > ACCEPTANCE_AMOUNT


def _nth_monday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(7 - first.weekday()) % 7 + 7 * (n - 1))


def mexican_holidays(year: int) -> set[date]:
    """Days CFF article 12 does not count, besides weekends (SAT's own vacation periods, which
    it announces each year, are not modelled)."""
    holidays = {
        date(year, 1, 1),
        _nth_monday(year, 2, 1),
        _nth_monday(year, 3, 3),
        date(year, 5, 1),
        date(year, 5, 5),
        date(year, 9, 16),
        _nth_monday(year, 11, 3),
        date(year, 12, 25),
    }
    if year % 6 == 2:  # the federal executive's inauguration (1 October since 2024)
        holidays.add(date(year, 10, 1) if year >= 2024 else date(year, 12, 1))
    return holidays


def next_business_day(day: date) -> datetime:
    """Midnight starting the first business day after ``day`` (CFF article 12)."""
    following = day + timedelta(days=1)
    while following.weekday() >= 5 or following in mexican_holidays(following.year):
        following += timedelta(days=1)
    return datetime.combine(following, datetime.min.time())


TFD_SCHEMA_LOCATION = (
    "http://www.sat.gob.mx/TimbreFiscalDigital "
    "http://www.sat.gob.mx/sitio_internet/cfd/TimbreFiscalDigital/TimbreFiscalDigitalv11.xsd"
)
XSI = "http://www.w3.org/2001/XMLSchema-instance"


def tfd_cadena(
    uuid: str, stamped_at: datetime, rfc: str, sello_cfd: str, certificate_number: str
) -> str:
    """TFD 1.1 cadena original, as SAT's XSLT writes it (a test checks they agree)."""
    fecha = stamped_at.isoformat(timespec="seconds")
    return f"||1.1|{uuid}|{fecha}|{rfc}|{sello_cfd}|{certificate_number}||"


def make_tfd(
    signer: Signer,
    rfc: str,
    certificate_number: str,
    uuid: str,
    stamped_at: datetime,
    sello_cfd: str,
) -> etree._Element:
    """A signed TimbreFiscalDigital 1.1 element, identical to satcfdi's TimbreFiscalDigital.

    Built directly because satcfdi's class serializes the node twice and runs the XSLT, which
    cost a fifth of a one-concept invoice (see bench/bench_cfdi.py).
    """
    cadena = tfd_cadena(uuid, stamped_at, rfc, sello_cfd, certificate_number)
    node = etree.Element(TFD_TAG, nsmap={"tfd": TFD_NS, "xsi": XSI})
    node.set(f"{{{XSI}}}schemaLocation", TFD_SCHEMA_LOCATION)
    for name, value in (
        ("Version", "1.1"),
        ("UUID", uuid),
        ("FechaTimbrado", stamped_at.isoformat(timespec="seconds")),
        ("RfcProvCertif", rfc),
        ("SelloCFD", sello_cfd),
        ("NoCertificadoSAT", certificate_number),
        ("SelloSAT", signer.sign_sha256(cadena.encode())),
    ):
        node.set(name, value)
    return node


def mexico_now() -> datetime:
    """Current time in Mexico City, naive (how SAT writes FechaTimbrado)."""
    return datetime.now(MEXICO_TZ).replace(tzinfo=None, microsecond=0)


def _signing_rfc(request_xml: bytes) -> str:
    """The RFC of the certificate that signed a cancellation request (``RFC / …`` in SAT's
    x500UniqueIdentifier)."""
    encoded = next(as_element(request_xml).iter(f"{{{DSIG_NS}}}X509Certificate"), None)
    if encoded is None or not encoded.text:
        return ""
    certificate = load_certificate(base64.b64decode(encoded.text))
    for attribute in certificate.subject.get_attributes_for_oid(UNIQUE_IDENTIFIER):
        return str(attribute.value).split("/")[0].strip()
    return ""


class LocalTestPAC:
    """Test-mode PAC: stamps locally with a test certificate, answers like SAT would.

    A cancellation that needs the receiver's acceptance is ``pending``; a later ``status()``
    settles it to ``pending_outcome`` once ``acceptance_delay`` has passed since the request
    (zero means "on the next status call"). No state is kept: the caller passes the request
    time back, so any process gives the same answer.
    """

    livemode = False
    remote = False  # stamps in-process: a request stamps inside its own transaction

    def __init__(
        self,
        signer: Signer,
        *,
        acceptance_delay: timedelta = timedelta(0),
        pending_outcome: str = "accepted",
        clock: Callable[[], datetime] = mexico_now,
    ) -> None:
        self.signer = signer
        self.acceptance_delay = acceptance_delay
        self.pending_outcome = pending_outcome
        self.clock = clock
        self.certificate_number = signer.certificate_number
        self.rfc = str(signer.rfc_pac)

    @classmethod
    def from_files(cls, cer: bytes, key: bytes, password: str, **options: Any) -> LocalTestPAC:
        """A test PAC from the certificate files the app persisted."""
        return cls(Signer.load(certificate=cer, key=key, password=password), **options)

    def stamp(self, document: BuiltDocument | bytes) -> StampResult:
        """Add a TFD 1.1 with a fresh uppercase UUID, signed with the test PAC certificate."""
        root = _sealed_root(document)
        if next(root.iter(TFD_TAG), None) is not None:
            raise pac_error("El comprobante ya está timbrado.", E.PAC_STAMP_REJECTED, 409)
        stamped_at = self.clock()
        enforce(root, stamped_at)  # SAT's matrix, as a real PAC applies it
        uuid = str(uuid_module.uuid4()).upper()
        sello_cfd = root.get("Sello", "")
        tfd = make_tfd(self.signer, self.rfc, self.certificate_number, uuid, stamped_at, sello_cfd)
        _complemento(root).append(tfd)
        return StampResult(
            uuid=uuid,
            xml=_to_bytes(root),
            stamp_date=stamped_at,
            sat_cert_number=self.certificate_number,
            sello_sat=tfd.get("SelloSAT", ""),
            sello_cfd=sello_cfd,
            pac_rfc=self.rfc,
        )

    def cancel(self, target: CancelTarget, request: CancellationRequest) -> CancelResult:
        """Accept at once, or leave pending when SAT would ask the receiver to accept; the
        acuse is SAT-shaped and signed by the test PAC, not the issuer's request."""
        if request.uuid != target.uuid.upper() or request.issuer_rfc != target.issuer_rfc:
            raise pac_error(
                "La solicitud de cancelación no corresponde al comprobante.",
                E.PAC_CANCEL_REJECTED,
                422,
            )
        substitution = (request.substitution_uuid or "").upper()
        if request.motive == "01" and substitution == target.uuid.upper():
            raise pac_error(
                "El folio de sustitución no puede ser el mismo folio fiscal que se cancela.",
                E.PAC_CANCEL_REJECTED,
                422,
            )
        if _signing_rfc(request.xml) != target.issuer_rfc:
            raise pac_error(  # SAT's 203
                "La solicitud no está firmada con un certificado del emisor.",
                E.PAC_CANCEL_REJECTED,
                422,
            )
        now = self.clock()
        status = "pending" if requires_acceptance(target, now) else "accepted"
        # SAT's answer to the request (201: received), signed with the test PAC's certificate.
        acuse = build_acuse(self.signer, request.issuer_rfc, [(target.uuid, "201")], now)
        return CancelResult(target.uuid, status, now, acuse)

    def status(
        self, target: CancelTarget, *, cancellation_requested_at: datetime | None = None
    ) -> StatusResult:
        """Settle a pending cancellation once ``acceptance_delay`` passed since the request."""
        if cancellation_requested_at is None:
            return StatusResult(target.uuid, "valid", "none", "Cancelable")
        if not requires_acceptance(target, cancellation_requested_at):
            return StatusResult(target.uuid, "canceled", "accepted")
        if self.clock() - cancellation_requested_at < self.acceptance_delay:
            return StatusResult(target.uuid, "valid", "pending", "Cancelable con aceptación")
        # SAT cancels when the receiver accepts or lets the term lapse ("Plazo vencido").
        canceled = self.pending_outcome in ("accepted", "expired")
        status = "canceled" if canceled else "valid"
        return StatusResult(target.uuid, status, self.pending_outcome)


# ---------------------------------------------------------------- real PACs (live)

# provider name → (module, class, required config keys). Credentials come from the app's env.
PROVIDERS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "finkok": ("satcfdi.pacs.finkok", "Finkok", ("username", "password")),
    "swsapien": ("satcfdi.pacs.swsapien", "SWSapien", ("user", "password")),
    "facturama": ("satcfdi.pacs.facturama", "Facturama", ("username", "password")),
    "prodigia": ("satcfdi.pacs.prodigia", "Prodigia", ("user", "password", "contrato")),
    "diverza": ("satcfdi.pacs.diverza", "Diverza", ("rfc", "id", "token")),
    "comerciodigital": ("satcfdi.pacs.comerciodigital", "ComercioDigital", ("user", "password")),
}
SAT_CANCELLATION_STATUS = {
    "En proceso": "pending",
    "Solicitud rechazada": "rejected",
    "Plazo vencido": "expired",
    "Cancelado sin aceptación": "accepted",
    "Cancelado con aceptación": "accepted",
}


def _environment(config: Mapping[str, Any]) -> Any:
    from satcfdi.pacs import Environment

    name = str(config.get("environment", "production")).lower()
    if name not in ("production", "test"):
        raise pac_error("El ambiente del PAC debe ser production o test.", E.PAC_BAD_CONFIG, 500)
    return Environment.PRODUCTION if name == "production" else Environment.TEST


def make_pac(provider: str, config: Mapping[str, Any]) -> SatcfdiPAC:
    """A live PAC client from a provider name and its credentials (plain config)."""
    entry = PROVIDERS.get(provider.lower())
    if entry is None:
        names = ", ".join(sorted(PROVIDERS))
        raise pac_error(
            f"PAC desconocido «{provider}». Opciones: {names}.", E.PAC_UNKNOWN_PROVIDER, 500
        )
    module, class_name, keys = entry
    credentials = {key: config.get(key) for key in keys}
    if provider.lower() == "swsapien" and config.get("token"):
        credentials = {"token": config["token"]}  # SW accepts a token instead of user/password
    missing = [key for key, value in credentials.items() if not value]
    if missing:
        raise pac_error(
            f"Faltan credenciales del PAC: {', '.join(missing)}.", E.PAC_BAD_CONFIG, 500
        )
    client_class = getattr(importlib.import_module(module), class_name)
    client = client_class(**credentials, environment=_environment(config))
    return SatcfdiPAC(client, _environment(config))


def live_pac(config: Mapping[str, Any] | None) -> SatcfdiPAC:
    """The configured live PAC (``{"provider": ..., credentials...}``) or a coded error."""
    if not config or not config.get("provider"):
        raise pac_error(
            "No hay un PAC configurado para timbrar en modo producción.", E.PAC_NOT_CONFIGURED, 503
        )
    return make_pac(str(config["provider"]), config)


def _pac_failure(action: str, error: Exception) -> PACError:
    import requests
    from satcfdi.exceptions import DocumentNotFoundError, ResponseError

    detail = str(getattr(error, "response", None) or error)
    if isinstance(error, DocumentNotFoundError):
        return pac_error(
            f"El PAC no encontró el documento al {action}.", E.PAC_NOT_FOUND, 404, detail
        )
    if isinstance(error, ResponseError):
        code = E.PAC_STAMP_REJECTED if action == "timbrar" else E.PAC_CANCEL_REJECTED
        return pac_error(f"El PAC rechazó la solicitud al {action}:", code, 422, detail)
    if isinstance(error, requests.RequestException):
        return pac_error(f"El PAC no respondió al {action}.", E.PAC_UNAVAILABLE, 503, detail)
    return pac_error(f"Error inesperado del PAC al {action}.", E.PAC_UNAVAILABLE, 502, detail)


class SatcfdiPAC:
    """A real PAC through satcfdi's client (Finkok, SW Sapien, Facturama, ...)."""

    livemode = True
    remote = True  # satcfdi's clients call the PAC over HTTP

    def __init__(self, client: Any, environment: Any = None) -> None:
        self.client = client
        self.environment = environment

    def stamp(self, document: BuiltDocument | bytes) -> StampResult:
        """Send the sealed XML; errors keep the PAC's message."""
        from satcfdi.cfdi import CFDI

        xml = document.xml if isinstance(document, BuiltDocument) else document
        enforce(as_element(xml), mexico_now())  # never send what the PAC would refuse
        try:
            answer = self.client.stamp(CFDI.from_string(xml))
        except Exception as error:  # satcfdi and requests raise many types; all are mapped
            raise _pac_failure("timbrar", error) from error
        return stamp_result(answer.xml)

    def cancel(self, target: CancelTarget, request: CancellationRequest) -> CancelResult:
        """Forward the signed request; the final outcome comes from ``status``."""
        try:
            ack = self.client.cancel_comprobante(request.request)
        except Exception as error:  # mapped to coded errors with the PAC's message
            raise _pac_failure("cancelar", error) from error
        acuse = ack.acuse if isinstance(ack.acuse, bytes) else str(ack.acuse or "").encode()
        return CancelResult(target.uuid, "pending", mexico_now(), acuse or None, str(ack.code))

    def status(
        self, target: CancelTarget, *, cancellation_requested_at: datetime | None = None
    ) -> StatusResult:
        """SAT's public status service (consulta de CFDI)."""
        from satcfdi.pacs.sat import SAT

        query = {
            "Emisor": {"Rfc": target.issuer_rfc},
            "Receptor": {"Rfc": target.receiver_rfc},
            "Total": target.total,
            "Complemento": {"TimbreFiscalDigital": {"UUID": target.uuid}},
        }
        try:
            answer = SAT(environment=self.environment).status(query)
        except Exception as error:  # network and SOAP errors
            raise _pac_failure("consultar", error) from error
        return _status_from_sat(target.uuid, answer)


def _status_from_sat(uuid: str, answer: Mapping[str, Any]) -> StatusResult:
    state = answer.get("Estado")
    status = {"Vigente": "valid", "Cancelado": "canceled"}.get(str(state), "not_found")
    cancellation = SAT_CANCELLATION_STATUS.get(str(answer.get("EstatusCancelacion")), "none")
    if status == "canceled" and cancellation == "none":
        cancellation = "accepted"
    return StatusResult(uuid, status, cancellation, answer.get("EsCancelable"))
