"""Retentions (CFDI de Retenciones e información de pagos 2.0): create and stamp, list, cancel.

A retention is stamped when it is created (Facturapi keeps no retention drafts). The document
is built and sealed by ``portal.cfdi.documents.build_retention`` and stamped by the
environment's PAC; a remote PAC is called with no transaction open (``outside``: the caller's
commit function), and only the stamped retention is written. SAT cancels a retention at once
(no receiver acceptance), so a cancellation answer is final.
"""

from __future__ import annotations

import dataclasses
import io
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from lxml import etree
from sqlalchemy import Select
from sqlalchemy.orm import Session

from portal.cfdi import documents
from portal.cfdi import types as cfdi
from portal.cfdi.pac import CancelTarget, StampResult
from portal.cfdi.pdf import retention as pdf_retention
from portal.errors import ValidationError
from portal.models.base import iso
from portal.models.organizations import Organization
from portal.models.retentions import Retention
from portal.models.tenancy import Tenant, scoped_select
from portal.schemas import parse
from portal.schemas.retentions import (
    RetentionCancel,
    RetentionCreate,
    RetentionCustomer,
    RetentionEmail,
    RetentionFilters,
)
from portal.services import (
    customers,
    idempotency,
    invoice_files,
    invoices,
    mail,
    mail_limits,
    stamping,
)
from portal.statuses import RetentionStatus

RET = f"{{{documents.RETENCIONES_NS}}}"
VERIFY_URL = "https://prodretencionverificacion.clouda.sat.gob.mx/"


def _receiver(
    session: Session, tenant: Tenant, raw: dict[str, Any] | str
) -> tuple[str | None, cfdi.Customer]:
    if isinstance(raw, str):
        record = customers.get_customer(session, tenant, raw)
        return record.id, customers.to_cfdi(record)
    value = parse(RetentionCustomer, raw, prefix="customer")
    address = cfdi.Address(**value.address.model_dump())
    address.country = address.country.upper()
    return None, cfdi.Customer(
        value.legal_name, value.tax_id.upper(), value.tax_system, address, email=value.email
    )


def _input(data: RetentionCreate, receiver: cfdi.Customer) -> cfdi.RetentionInput:
    totals = data.totales
    return cfdi.RetentionInput(
        customer=receiver,
        retention_key=data.cve_retenc,
        period_start_month=data.periodo.mes_ini,
        period_end_month=data.periodo.mes_fin,
        period_year=data.periodo.ejerc,
        total_operation=totals.monto_tot_operacion,
        total_taxed=totals.monto_tot_grav,
        total_exempt=totals.monto_tot_exent,
        total_withheld=totals.monto_tot_ret,
        withheld_taxes=[
            cfdi.RetentionTaxInput(t.monto_ret, t.tipo_pago_ret, t.base_ret, t.impuesto)
            for t in totals.imp_retenidos
        ],
        description=data.desc_retenc,
        internal_folio=data.folio_int,
        date=data.fecha_exp,
        complements=data.complements,
        addenda=data.addenda,
        namespaces=[cfdi.Namespace(n.prefix, n.uri, n.schema_location) for n in data.namespaces],
    )


def find_by_key(session: Session, tenant: Tenant, key: str) -> Retention | None:
    """The tenant's retention created with this idempotency key, if any."""
    return session.scalar(scoped_select(Retention, tenant).where(Retention.idempotency_key == key))


def create(
    session: Session,
    tenant: Tenant,
    body: dict[str, Any],
    header_key: str | None,
    outside: Callable[[], None],
) -> Retention:
    """Validate, build, seal and stamp a retention; with an ``Idempotency-Key`` (header or
    body) a repeated identical body answers the first retention and a different one is a 409."""
    data = parse(RetentionCreate, body)
    key = data.idempotency_key or header_key
    if header_key is not None and len(header_key) > 64:
        raise ValidationError(
            "La llave de idempotencia admite 64 caracteres.", "too_long", path="idempotency_key"
        )
    digest = idempotency.body_hash(body)
    if key:
        earlier = invoices.replay(find_by_key(session, tenant, key), digest)  # type: ignore[arg-type]
        if earlier is not None:
            return earlier  # type: ignore[return-value]
    organization = tenant.organization
    issuer = stamping.issuer_of(organization)
    csd = stamping.csd_of(organization.certificate)  # type: ignore[arg-type]
    customer_id, receiver = _receiver(session, tenant, data.customer)
    document = documents.build_retention(csd, issuer, _input(data, receiver))
    pac = stamping.pac_for(session, organization, tenant.livemode)
    if pac.remote:
        outside()  # nothing written yet: no transaction stays open while the PAC answers
    result = pac.stamp(document)
    retention = Retention(
        organization_id=organization.id,
        livemode=tenant.livemode,
        status=RetentionStatus.VALID,
        customer_id=customer_id,
        data=_stored(data, receiver, customer_id),
        total=data.totales.monto_tot_operacion,
        external_id=data.external_id,
        idempotency_key=key,
        body_hash=digest,
    )
    _record_stamp(retention, result)
    session.add(retention)
    session.flush()
    return retention


def _stored(data: RetentionCreate, receiver: cfdi.Customer, customer_id: str | None) -> dict:
    stored = data.model_dump(mode="json", exclude={"idempotency_key", "external_id"})
    customer = {
        "legal_name": receiver.legal_name,
        "tax_id": receiver.tax_id,
        "tax_system": receiver.tax_system,
        "email": receiver.email,
        "address": {k: v for k, v in dataclasses.asdict(receiver.address).items() if v},
    }
    stored["customer"] = {"id": customer_id, **customer} if customer_id else customer
    return stored


def _record_stamp(retention: Retention, result: StampResult) -> None:
    root = etree.fromstring(result.xml)
    retention.xml = result.xml
    retention.uuid = result.uuid
    retention.data = {**retention.data, "fecha_exp": root.get("FechaExp")}
    retention.stamp = {
        "signature": result.sello_cfd,
        "date": result.stamp_date.isoformat(),
        "sat_cert_number": result.sat_cert_number,
        "sat_signature": result.sello_sat,
    }
    retention.search_text = " ".join(
        filter(
            None,
            [
                retention.data["customer"].get("legal_name", "").lower(),
                retention.data["customer"].get("tax_id", "").lower(),
                (retention.data.get("folio_int") or "").lower(),
                (retention.external_id or "").lower(),
                result.uuid.lower(),
            ],
        )
    )


def verification_url(retention: Retention) -> str | None:
    """SAT's verification URL of a stamped retention (the QR of its PDF)."""
    if not retention.xml:
        return None
    root = etree.fromstring(retention.xml)
    issuer = root.find(f"{RET}Emisor")
    national = root.find(f"{RET}Receptor/{RET}Nacional")
    foreign = root.find(f"{RET}Receptor/{RET}Extranjero")
    receiver = (
        national.get("RfcR", "")
        if national is not None
        else (foreign.get("NumRegIdTribR", "") if foreign is not None else "")
    )
    totals = root.find(f"{RET}Totales")
    total = Decimal(totals.get("MontoTotOperacion", "0")) if totals is not None else Decimal(0)
    query = {
        "id": retention.uuid or "",
        "re": issuer.get("RfcE", "") if issuer is not None else "",
        "rr": receiver,
        "tt": f"{total:025.6f}",
    }
    return f"{VERIFY_URL}?{urlencode(query)}"


# Listing -----------------------------------------------------------------------------------


def search(tenant: Tenant, args: dict[str, str]) -> Select[tuple[Retention]]:
    """The tenant's retentions with Facturapi's filters (``q``, ``customer``, ``external_id``)."""
    filters = parse(RetentionFilters, args)
    query = scoped_select(Retention, tenant)
    if filters.q:
        query = query.where(
            Retention.search_text.contains(filters.q.strip().lower(), autoescape=True)
        )
    if filters.customer:
        query = query.where(Retention.customer_id == filters.customer)
    if filters.external_id:
        query = query.where(Retention.external_id == filters.external_id)
    return query.order_by(Retention.created_at.desc(), Retention.id.desc())


# Cancellation ------------------------------------------------------------------------------


def cancel(
    session: Session,
    tenant: Tenant,
    retention: Retention,
    args: dict[str, str],
    outside: Callable[[], None],
) -> Retention:
    """Cancel with SAT (``?motive=01..04``, 02 by default; 01 needs ``substitution``, the UUID
    of the retention that replaces it). Immediate: retentions need no receiver acceptance."""
    if retention.status == RetentionStatus.CANCELED:
        raise ValidationError("La retención ya está cancelada.", "already_canceled")
    query = parse(RetentionCancel, args)
    substitution = None
    if query.motive == "01":
        if not query.substitution:
            raise ValidationError(
                "El motivo 01 requiere el UUID de la retención que la sustituye.",
                "cancellation_substitution_required",
                path="substitution",
            )
        replacement = session.scalar(
            scoped_select(Retention, tenant).where(
                Retention.uuid == query.substitution.upper(),
                Retention.status == RetentionStatus.VALID,
            )
        )
        if replacement is None or replacement.id == retention.id:
            raise ValidationError(
                "La retención sustituta no existe o no está vigente.",
                "cancellation_substitution_invalid",
                path="substitution",
            )
        substitution = replacement.uuid
    elif query.substitution:
        raise ValidationError(
            "Sólo el motivo 01 lleva una retención sustituta.",
            "cancellation_substitution_not_allowed",
            path="substitution",
        )
    organization = tenant.organization
    csd = stamping.csd_of(organization.certificate)  # type: ignore[arg-type]
    request = documents.build_cancellation(
        csd, retention.uuid or "", query.motive, substitution, retention=True
    )
    pac = stamping.pac_for(session, organization, retention.livemode)
    target = _cancel_target(retention)
    if pac.remote:
        outside()
    result = pac.cancel(target, request)
    if result.status != "accepted":
        raise ValidationError(
            result.message or "El SAT no aceptó la cancelación.", "pac_cancel_rejected"
        )
    retention.status = RetentionStatus.CANCELED
    retention.cancellation_motive = query.motive
    retention.cancellation_substitution = substitution
    retention.canceled_at = datetime.now(UTC)
    retention.cancellation_xml = result.acuse
    return retention


def _cancel_target(retention: Retention) -> CancelTarget:
    root = etree.fromstring(retention.xml or b"")
    national = root.find(f"{RET}Receptor/{RET}Nacional")
    issuer = root.find(f"{RET}Emisor")
    stamped = datetime.fromisoformat(retention.stamp.get("date", ""))
    return CancelTarget(
        uuid=retention.uuid or "",
        issuer_rfc=issuer.get("RfcE", "") if issuer is not None else "",
        receiver_rfc=national.get("RfcR", "") if national is not None else documents.FOREIGN_RFC,
        total=retention.total,
        stamped_at=stamped,
        kind="retenciones",
        xml=retention.xml,
    )


# The Facturapi retention object ------------------------------------------------------------


def _number(value: Any) -> Any:
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


def to_dict(retention: Retention) -> dict[str, Any]:
    """The retention as Facturapi returns it."""
    data = retention.data or {}
    totals = dict(data.get("totales") or {})
    totals = {
        **{k: _number(v) for k, v in totals.items() if k != "imp_retenidos"},
        "imp_retenidos": [
            {
                "base": _number(t.get("base_ret")),
                "impuesto": {"001": "ISR", "002": "IVA", "003": "IEPS"}.get(
                    t.get("impuesto") or "", t.get("impuesto")
                ),
                "monto": _number(t.get("monto_ret")),
                "tipo_pago_ret": t.get("tipo_pago_ret"),
            }
            for t in totals.get("imp_retenidos") or []
        ],
    }
    return {
        "id": retention.id,
        "created_at": iso(retention.created_at),
        "livemode": retention.livemode,
        "status": retention.status,
        "type": "Retención",
        "uuid": retention.uuid,
        "verification_url": verification_url(retention),
        "stamp": retention.stamp or None,
        "customer": data.get("customer") or {},
        "cve_retenc": data.get("cve_retenc"),
        "fecha_exp": data.get("fecha_exp"),
        "desc_retenc": data.get("desc_retenc"),
        "folio_int": data.get("folio_int"),
        "periodo": data.get("periodo") or {},
        "totales": totals,
        "external_id": retention.external_id,
        "idempotency_key": retention.idempotency_key,
        "complements": data.get("complements") or [],
        "namespaces": data.get("namespaces") or [],
        "pdf_custom_section": data.get("pdf_custom_section"),
        "addenda": data.get("addenda"),
        "cancellation": (
            {
                "motive": retention.cancellation_motive,
                "substitution": retention.cancellation_substitution,
                "canceled_at": iso(retention.canceled_at),
            }
            if retention.cancellation_motive
            else None
        ),
    }


# Files and email ---------------------------------------------------------------------------


def filename(retention: Retention, extension: str) -> str:
    """``retencion_<UUID>.<ext>``."""
    return f"retencion_{retention.uuid}.{extension}"


def pdf_of(retention: Retention, organization: Organization) -> bytes:
    """The retention's PDF in the organization's branding."""
    return pdf_retention.render_retention(
        retention.xml or b"",
        verification_url(retention) or "",
        invoice_files.branding(organization),
        custom_section=(retention.data or {}).get("pdf_custom_section"),
        test_mode=not retention.livemode,
    )


def zip_of(retention: Retention, organization: Organization) -> bytes:
    """PDF and XML together."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(filename(retention, "xml"), retention.xml or b"")
        archive.writestr(filename(retention, "pdf"), pdf_of(retention, organization))
    return buffer.getvalue()


def email(
    session: Session, retention: Retention, organization: Organization, body: dict[str, Any]
) -> None:
    """Queue the retention (PDF + XML) to the customer's email or to ``email`` (one address or
    up to 10), counted against the tenant's email limits."""
    named = parse(RetentionEmail, body).email
    customer = (retention.data or {}).get("customer") or {}
    if not named and not customer.get("email"):
        raise invoice_files.nobody_to_send_to()
    to = named or [customer["email"]]
    mail_limits.admit(session, organization, retention.livemode, to)
    attachments = [
        mail.attachment(
            filename(retention, "pdf"), "application/pdf", pdf_of(retention, organization)
        ),
        mail.attachment(filename(retention, "xml"), "application/xml", retention.xml or b""),
    ]
    subject = f"Constancia de retenciones de {organization.public_name}"
    context = {"retention": retention, "customer": customer, "organization": organization}
    mail.queue_email(
        session, "retention", to, subject, context, attachments, organization_id=organization.id
    )
