"""Organizations: creation, legal data, CSD, logo, customization, receipts, domain, series."""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from PIL import Image, UnidentifiedImageError
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from portal.cfdi import catalogs, rules, zones
from portal.cfdi.csd import issued_by_sat, load_csd
from portal.errors import Conflict, NotFound, ValidationError
from portal.models.accounts import Account
from portal.models.base import utcnow
from portal.models.organizations import DEFAULT_TIMEZONE, Certificate, FolioSeries, Organization
from portal.schemas import organizations as shapes
from portal.schemas import parse
from portal.services import api_keys, custom_hosts, secrets, team

DOMAIN_PATTERN = r"[a-z][a-z0-9\-_]{2,48}[a-z0-9]"
RESERVED_DOMAINS = frozenset(
    """
v1 v2 v3 api tax-info static admin dashboard login logout signup password lang healthz
www app mail help support soporte status docs blog factura facturas receipts invoices
organizations webhooks assets media cdn portal account accounts auth""".split()
)
PERIODICITIES = shapes.PERIODICITIES
LOGO_MAX_BYTES = 500 * 1024
LOGO_MIN_SIDE, LOGO_MAX_SIDE = 32, 4000
CERTIFICATE_WARNING_DAYS = 30
MEXICO_CITY = DEFAULT_TIMEZONE


def create_organization(session: Session, account: Account, name: Any) -> Organization:
    """A new organization for the account, with its test key issued."""
    clean = parse(shapes.OrganizationIn, {"name": name}).name
    organization = Organization(account_id=account.id, name=clean)
    session.add(organization)
    session.flush()
    api_keys.test_key(session, organization)
    return organization


def owned_query(account: Account) -> Select[tuple[Organization]]:
    """The account's organizations that have not been deleted."""
    return select(Organization).where(
        Organization.account_id == account.id, Organization.deleted_at.is_(None)
    )


def search(
    account: Account, q: str | None = None, *, with_teams: bool = False
) -> Select[tuple[Organization]]:
    """The account's organizations (``with_teams``: also those it is a team member of)
    matching a free-text query, newest first."""
    query = team.reachable_query(account) if with_teams else owned_query(account)
    if q:
        like = f"%{q.strip().lower()}%"
        query = query.where(
            or_(
                func.lower(Organization.name).like(like),
                func.lower(Organization.legal_name).like(like),
                func.lower(Organization.tax_id).like(like),
            )
        )
    return query.order_by(Organization.created_at.desc(), Organization.id.desc()).options(
        selectinload(Organization.certificate)
    )


def get_owned(session: Session, account: Account, organization_id: str) -> Organization:
    """The account's organization with this id; anyone else's is simply not found."""
    organization = session.scalar(owned_query(account).where(Organization.id == organization_id))
    if organization is None:
        raise NotFound("La organización no existe.", path="organization_id")
    return organization


def delete_organization(session: Session, organization: Organization) -> None:
    """Hide the organization and stop its keys at once; its documents are kept."""
    organization.deleted_at = utcnow()
    organization.domain = None  # frees the self-invoice address
    custom_hosts.remove_host(session, organization)  # and its own host name
    api_keys.revoke_all(session, organization)


# Legal data -------------------------------------------------------------------------------


def update_legal(organization: Organization, data: dict[str, Any]) -> None:
    """Replace the legal data (name, legal name, regime, fiscal address, contact)."""
    sent = parse(shapes.LegalIn, data, context={"tax_id": organization.tax_id})
    address = sent.address.stored()
    organization.name = sent.name
    organization.legal_name = rules.normalize_legal_name(sent.legal_name)
    organization.tax_system, organization.address = sent.tax_system, address
    organization.timezone = zones.zone_name(address["zip"]) if address.get("zip") else MEXICO_CITY
    organization.website, organization.support_email, organization.phone = (
        sent.website,
        sent.support_email,
        sent.phone,
    )


def catalogs_codes(catalog: str) -> list[str]:
    """Every code of a SAT catalog."""
    return [code for code, _label in catalogs.options(catalog)]


# Certificate ------------------------------------------------------------------------------


def upload_certificate(
    organization: Organization, cer: bytes, key: bytes, password: str, at: datetime | None = None
) -> Certificate:
    """Check and store a CSD; its RFC becomes the organization's. Key and password encrypted."""
    csd = load_csd(cer, key, password, at=at)
    certificate = organization.certificate or Certificate(organization_id=organization.id)
    certificate.cer_der = cer
    certificate.key_encrypted = secrets.encrypt(key)
    certificate.password_encrypted = secrets.encrypt(password.encode())
    certificate.certificate_number, certificate.rfc = csd.certificate_number, csd.rfc
    certificate.legal_name = csd.legal_name
    certificate.valid_from, certificate.valid_to = csd.valid_from, csd.valid_to
    certificate.updated_at = utcnow()
    organization.certificate = certificate
    organization.tax_id = csd.rfc
    if not organization.legal_name:
        organization.legal_name = rules.normalize_legal_name(csd.legal_name)
    return certificate


def is_sat_issued(certificate: Certificate) -> bool:
    """Whether the stored CSD chains to SAT's roots (required for live documents)."""
    return issued_by_sat(certificate.cer_der)


def delete_certificate(session: Session, organization: Organization) -> datetime:
    """Remove the CSD (already issued documents are not affected)."""
    if organization.certificate is not None:
        session.delete(organization.certificate)
        organization.certificate = None
    return utcnow()


def certificate_expires_soon(organization: Organization, now: datetime | None = None) -> bool:
    """The CSD ends within the warning window (or already has)."""
    certificate = organization.certificate
    if certificate is None:
        return False
    return certificate.valid_to - (now or utcnow()) < timedelta(days=CERTIFICATE_WARNING_DAYS)


# Logo and customization -------------------------------------------------------------------


def upload_logo(organization: Organization, data: bytes) -> None:
    """Store a JPG or PNG logo, checked by content, size and dimensions."""
    if len(data) > LOGO_MAX_BYTES:
        raise ValidationError(
            "El logo pesa más de 500 KB. Reduce su tamaño e intenta de nuevo.",
            "logo_too_large",
            path="file",
        )
    try:
        with warnings.catch_warnings():
            # A header claiming more pixels than Pillow's bomb limit is refused, not warned
            # about: the size is read from the header, before anything is decoded.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind, (width, height) = image.format, image.size
                if max(width, height) <= LOGO_MAX_SIDE:
                    image.load()  # decode it all: a truncated or corrupt image fails here
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as exc:
        raise ValidationError(
            "El archivo no es una imagen JPG o PNG válida.", "logo_invalid_image", path="file"
        ) from exc
    if kind not in ("PNG", "JPEG"):
        raise ValidationError(
            "El logo debe ser una imagen JPG o PNG.", "logo_invalid_format", path="file"
        )
    if min(width, height) < LOGO_MIN_SIDE or max(width, height) > LOGO_MAX_SIDE:
        raise ValidationError(
            f"El logo debe medir entre {LOGO_MIN_SIDE} y {LOGO_MAX_SIDE} "
            f"píxeles por lado (mide {width}×{height}).",
            "logo_invalid_dimensions",
            path="file",
        )
    organization.logo, organization.logo_updated_at = data, utcnow()
    organization.logo_mime = "image/png" if kind == "PNG" else "image/jpeg"


def update_customization(
    session: Session, organization: Organization, data: dict[str, Any]
) -> None:
    """Brand colour, next folios, optional PDF fields and default series (partial update)."""
    existing = {s.name for s in list_series(session, organization)}
    sent = parse(shapes.CustomizationIn, data, context={"series": existing})
    if sent.color:
        organization.color = sent.color.lstrip("#").upper()
    if sent.next_folio_number is not None:
        organization.next_folio_number = sent.next_folio_number
    if sent.next_folio_number_test is not None:
        organization.next_folio_number_test = sent.next_folio_number_test
    pdf_extra = pdf_switches(sent.pdf_extra)
    if pdf_extra:
        organization.pdf_extra = {**organization.pdf_extra, **pdf_extra}
    if sent.default_series is not None:
        chosen = sent.default_series.model_dump()
        organization.default_series = {kind: name for kind, name in chosen.items() if name}


def pdf_switches(sent: shapes.PdfSwitches | None) -> dict[str, bool]:  # type: ignore[valid-type]
    """The PDF switches sent (``pdf_extra`` of an organization, ``pdf_options`` of an
    invoice): known keys, booleans only."""
    if sent is None:
        return {}
    return {key: value for key, value in sent.model_dump().items() if value is not None}


# Receipts and self-invoice settings -------------------------------------------------------


def update_receipt_settings(organization: Organization, data: dict[str, Any]) -> None:
    """Periodicity, how many days receipts can be self-invoiced, next receipt folios."""
    sent = parse(shapes.ReceiptSettingsIn, data)
    periodicity, duration = sent.periodicity, sent.duration_days
    folio, folio_test = sent.next_folio_number, sent.next_folio_number_test
    if periodicity:
        organization.receipts_periodicity = periodicity
    if duration is not None:
        organization.receipts_duration_days = duration
    if folio is not None:
        organization.next_receipt_folio = folio
    if folio_test is not None:
        organization.next_receipt_folio_test = folio_test


def update_self_invoice_settings(organization: Organization, data: dict[str, Any]) -> None:
    """Which CFDI uses the self-invoice page offers, and the support email it shows."""
    sent = parse(shapes.SelfInvoiceIn, data)
    if sent.allowed_cfdi_uses is not None:
        organization.self_invoice_uses = sorted(set(sent.allowed_cfdi_uses))
    if "support_email" in sent.model_fields_set:
        organization.self_invoice_support_email = sent.support_email


# Domain -----------------------------------------------------------------------------------


def domain_refusal(
    session: Session, domain: Any, organization: Organization | None = None
) -> ValidationError | Conflict | None:
    """The error a self-invoice domain is refused with (409 when another organization has
    it, 400 otherwise), or None when it can be used."""
    if not isinstance(domain, str) or not re.fullmatch(DOMAIN_PATTERN, domain):
        return ValidationError(
            "El dominio debe tener de 4 a 50 caracteres: minúsculas, números, guion o guion "
            "bajo; empezar con letra y terminar con letra o número.",
            "domain_unavailable",
            path="domain",
        )
    if domain in RESERVED_DOMAINS:
        return ValidationError(
            f"El dominio «{domain}» está reservado. Elige otro.",
            "domain_unavailable",
            path="domain",
        )
    taken = session.scalar(select(Organization.id).where(Organization.domain == domain))
    if taken and (organization is None or taken != organization.id):
        return Conflict(
            f"El dominio «{domain}» ya está en uso. Elige otro.", "domain_unavailable", "domain"
        )
    return None


def domain_problem(
    session: Session, domain: Any, organization: Organization | None = None
) -> str | None:
    """Why a self-invoice domain cannot be used (None when it can)."""
    refusal = domain_refusal(session, domain, organization)
    return refusal.message if refusal else None


def set_domain(session: Session, organization: Organization, domain: Any) -> None:
    """Choose the organization's self-invoice domain (unique across the platform)."""
    refusal = domain_refusal(session, domain, organization)
    if refusal:
        raise refusal
    organization.domain = domain


# Series -----------------------------------------------------------------------------------


def list_series(session: Session, organization: Organization) -> list[FolioSeries]:
    """The organization's folio series, by name."""
    return list(
        session.scalars(
            select(FolioSeries)
            .where(FolioSeries.organization_id == organization.id)
            .order_by(FolioSeries.name)
        )
    )


def get_series(session: Session, organization: Organization, name: str) -> FolioSeries:
    """One series by name."""
    series = session.scalar(
        select(FolioSeries).where(
            FolioSeries.organization_id == organization.id, FolioSeries.name == name
        )
    )
    if series is None:
        raise NotFound(f"La serie «{name}» no existe.", path="series")
    return series


def create_series(
    session: Session,
    organization: Organization,
    data: dict[str, Any],
    default_for: list[str] | tuple[str, ...] = (),
) -> FolioSeries:
    """A new folio series with its next folio per environment; ``default_for`` names the
    document types (I, E, P…) it becomes the default series of."""
    sent = parse(shapes.SeriesIn, data)
    name, folio, folio_test = sent.series, sent.next_folio, sent.next_folio_test
    if any(s.name == name for s in list_series(session, organization)):
        raise Conflict(f"La serie «{name}» ya existe.", "series_exists", "series")
    unknown = sorted(set(default_for) - set(shapes.DOCUMENT_TYPES))
    if unknown:
        raise ValidationError(
            f"El tipo de documento «{unknown[0]}» no existe.", "invalid_enum", path="default_for"
        )
    series = FolioSeries(
        organization_id=organization.id,
        name=name,
        next_folio=folio or 1,
        next_folio_test=folio_test or 1,
    )
    session.add(series)
    session.flush()
    if default_for:
        chosen = {kind: series.name for kind in default_for}
        organization.default_series = {**organization.default_series, **chosen}
    return series


def update_series(series: FolioSeries, data: dict[str, Any]) -> None:
    """Change a series' next folios."""
    sent = parse(shapes.SeriesUpdate, data)
    folio, folio_test = sent.next_folio, sent.next_folio_test
    if folio is not None:
        series.next_folio = folio
    if folio_test is not None:
        series.next_folio_test = folio_test


def delete_series(session: Session, organization: Organization, series: FolioSeries) -> None:
    """Delete a series and drop it from the defaults."""
    organization.default_series = {
        kind: name for kind, name in organization.default_series.items() if name != series.name
    }
    session.delete(series)


# Readiness --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingStep:
    """One thing left before the organization can issue live invoices."""

    type: str
    description: str


def setup_steps(organization: Organization, now: datetime | None = None) -> list[PendingStep]:
    """What is missing before the organization can issue any invoice (test mode included)."""
    steps = []
    if not (
        organization.legal_name and organization.tax_system and organization.address.get("zip")
    ):
        steps.append(
            PendingStep(
                "legal",
                "Completa los datos fiscales: razón social, régimen fiscal y código postal.",
            )
        )
    certificate = organization.certificate
    if certificate is None:
        steps.append(PendingStep("certificate", "Sube el certificado de sello digital (CSD)."))
    elif certificate.valid_to <= (now or utcnow()):
        steps.append(
            PendingStep("certificate", "El certificado de sello digital venció. Sube uno vigente.")
        )
    return steps


def pending_steps(
    organization: Organization, now: datetime | None = None, *, pac_configured: bool | None = None
) -> list[PendingStep]:
    """What is missing before live invoices with fiscal validity: ``setup_steps``, a CSD issued
    by SAT (a test authority's CSD only signs test documents) and a real PAC (``pac_configured``;
    None asks the running app's settings)."""
    steps = setup_steps(organization, now)
    certificate = organization.certificate
    if certificate is not None and not steps and not is_sat_issued(certificate):
        steps.append(PendingStep("certificate", TEST_CSD_STEP))
    if not (_live_pac_configured() if pac_configured is None else pac_configured):
        steps.append(PendingStep("pac", NO_PAC_STEP))
    return steps


TEST_CSD_STEP = (
    "El CSD no fue emitido por el SAT (es de prueba): sirve para facturas de prueba. Para "
    "facturas con validez fiscal sube el CSD que te entregó el SAT."
)
NO_PAC_STEP = (
    "El portal aún no tiene un PAC configurado para timbrar en producción: por ahora solo se "
    "emiten facturas de prueba (lo configura el operador del portal)."
)


def is_test_ready(organization: Organization, now: datetime | None = None) -> bool:
    """Whether test-mode invoices can be issued (a test CSD is enough)."""
    return not setup_steps(organization, now)


def _live_pac_configured() -> bool:
    from portal.services import stamping  # stamping reads readiness from here

    return stamping.live_config() is not None
