"""SAT's rules for cancelling a CFDI, checked before the PAC is asked.

- A CFDI with live documents that depend on it (payments paying it, credit notes and other
  documents relating to it, documents that substitute it) is not cancellable until they are
  cancelled (SAT: "No cancelable" while it has valid related CFDI).
- Motive 01 needs the substitute: another valid CFDI of the same issuer and receiver that relates
  to this one with TipoRelacion 04.
- Motive 04 is for a global invoice (SAT's guide: the global invoice is cancelled with 04 when a
  customer later asks for a nominative invoice of one of its operations) or a nominative invoice
  related to a global invoice.

Everything is read from the stamped XML, the legal document, not from the request bodies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree
from sqlalchemy import Select, String, cast, or_, select
from sqlalchemy.orm import Session

from portal.cfdi import documents
from portal.errors import Problem, ValidationError
from portal.models.invoices import Invoice
from portal.tenancy import Tenant

CFDI = f"{{{documents.CFDI_NS}}}"
PAGOS = "{http://www.sat.gob.mx/Pagos20}"
SUBSTITUTION = "04"
PAYMENT = "pago"
UUID_PATTERN = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$")
RELATION_NAMES = {
    "01": "nota de crédito",
    "02": "nota de débito",
    "03": "devolución",
    "04": "sustituto",
    "05": "traslado",
    "06": "factura de traslado previo",
    "07": "aplicación de anticipo",
}


@dataclass(frozen=True)
class Seen:
    """What the rules read from a stamped CFDI."""

    issuer_rfc: str
    receiver_rfc: str
    is_global: bool
    relations: dict[str, set[str]]  # related UUID -> TipoRelacion codes, or "pago"


def read(invoice: Invoice) -> Seen:
    """The parties, whether it is a global invoice, and the UUIDs it relates to or pays."""
    root = etree.fromstring(invoice.xml or b"")
    issuer, receiver = root.find(f"{CFDI}Emisor"), root.find(f"{CFDI}Receptor")
    relations: dict[str, set[str]] = {}
    for group in root.iter(f"{CFDI}CfdiRelacionados"):
        for related in group.iter(f"{CFDI}CfdiRelacionado"):
            uuid = related.get("UUID", "").upper()
            relations.setdefault(uuid, set()).add(group.get("TipoRelacion", ""))
    for paid in root.iter(f"{PAGOS}DoctoRelacionado"):
        relations.setdefault(paid.get("IdDocumento", "").upper(), set()).add(PAYMENT)
    receiver_rfc = receiver.get("Rfc", "") if receiver is not None else ""
    return Seen(
        issuer.get("Rfc", "") if issuer is not None else "",
        receiver_rfc,
        receiver_rfc == documents.PUBLIC_RFC and root.find(f"{CFDI}InformacionGlobal") is not None,
        relations,
    )


def label(invoice: Invoice) -> str:
    """``F-12`` (series-folio), or the id when it has no folio."""
    folio = "-".join(str(p) for p in (invoice.series, invoice.folio_number) if p is not None)
    return folio or invoice.id


def _tenant_invoices(invoice: Invoice) -> Select[tuple[Invoice]]:
    return select(Invoice).where(
        Invoice.organization_id == invoice.organization_id,
        Invoice.livemode.is_(invoice.livemode),
        Invoice.id != invoice.id,
    )


def dependents(session: Session, invoice: Invoice) -> list[tuple[Invoice, set[str]]]:
    """The tenant's valid CFDI that pay or relate to ``invoice``, with how (from their XML)."""
    uuid = (invoice.uuid or "").upper()
    # The body names the UUID (related_documents, a payment's documents): a cheap first cut,
    # confirmed by each candidate's XML.
    query = _tenant_invoices(invoice).where(
        Invoice.status == "valid",
        Invoice.xml.is_not(None),
        or_(
            cast(Invoice.data, String).ilike(f"%{uuid}%"),
            cast(Invoice.related_documents, String).ilike(f"%{uuid}%"),
        ),
    )
    found = []
    for candidate in session.scalars(query.order_by(Invoice.created_at, Invoice.id)):
        how = read(candidate).relations.get(uuid)
        if how:
            found.append((candidate, how))
    return found


def _describe(candidate: Invoice, how: set[str]) -> str:
    if PAYMENT in how:
        kind = "pago"
    elif candidate.type == "E":
        kind = "nota de crédito"
    else:
        kind = " / ".join(RELATION_NAMES.get(code, f"TipoRelacion {code}") for code in sorted(how))
    return f"{kind} {label(candidate)} (UUID {candidate.uuid})"


def refuse_with_dependents(
    session: Session, invoice: Invoice, substitute: Invoice | None = None
) -> None:
    """A 400 listing the live documents that depend on ``invoice`` (the substitute named by
    motive 01 excepted): they must be cancelled first."""
    live = [
        (candidate, how)
        for candidate, how in dependents(session, invoice)
        if substitute is None or candidate.id != substitute.id or how != {SUBSTITUTION}
    ]
    if not live:
        return
    listed = "; ".join(_describe(candidate, how) for candidate, how in live)
    message = (
        f"La factura {label(invoice)} tiene documentos relacionados vigentes y no se puede "
        f"cancelar hasta cancelarlos: {listed}."
    )
    problems = [
        Problem(
            f"Documento relacionado vigente: {_describe(candidate, how)}.",
            "related_document_valid",
            f"related_documents[{index}]",
        )
        for index, (candidate, how) in enumerate(live)
    ]
    raise ValidationError(message, "cancel_related_documents_valid", 400, None, problems)


def _refuse(message: str, code: str, path: str = "substitution") -> ValidationError:
    return ValidationError(message, code, 400, path)


def _find_substitute(session: Session, invoice: Invoice, value: str) -> Invoice | None:
    """The tenant's invoice named by id (24 characters) or UUID; another tenant's is not found."""
    query = _tenant_invoices(invoice)
    if len(value) == 24 and value.isalnum():
        return session.scalar(query.where(Invoice.id == value))
    if UUID_PATTERN.match(value.upper()):
        return session.scalar(query.where(Invoice.uuid == value.upper()))
    return None


def substitute_for(
    session: Session, tenant: Tenant, invoice: Invoice, value: str | None
) -> Invoice:
    """Motive 01's substitute, checked by SAT's rules; a 400 naming ``substitution`` otherwise."""
    value = (value or "").strip()
    if not value:
        raise _refuse(
            "El motivo 01 (comprobante emitido con errores con relación) requiere "
            "«substitution»: el id o UUID de la factura que sustituye a esta.",
            "cancel_substitution_required",
        )
    if value.upper() in (invoice.id.upper(), (invoice.uuid or "").upper()):
        raise _refuse(
            "La factura que sustituye no puede ser la misma que se cancela (motivo 01).",
            "cancel_substitution_self",
        )
    substitute = _find_substitute(session, invoice, value)
    if substitute is None:
        raise _refuse(
            f"La factura sustituta «{value}» no existe en esta organización (motivo 01).",
            "cancel_substitution_not_found",
        )
    _check_substitute(invoice, substitute)
    return substitute


def _check_substitute(invoice: Invoice, substitute: Invoice) -> None:
    name = label(substitute)
    if substitute.status != "valid" or substitute.xml is None:
        raise _refuse(
            f"La factura sustituta {name} no está vigente (estado {substitute.status}); "
            "el motivo 01 requiere un CFDI sustituto timbrado y vigente.",
            "cancel_substitution_not_valid",
        )
    mine, theirs = read(invoice), read(substitute)
    if (theirs.issuer_rfc, theirs.receiver_rfc) != (mine.issuer_rfc, mine.receiver_rfc):
        raise _refuse(
            f"La factura sustituta {name} es de otro emisor o receptor (RFC "
            f"{theirs.receiver_rfc}); debe tener el mismo emisor y receptor "
            f"({mine.receiver_rfc}) que la que se cancela (motivo 01).",
            "cancel_substitution_other_party",
        )
    if SUBSTITUTION not in theirs.relations.get((invoice.uuid or "").upper(), set()):
        raise _refuse(
            f"La factura sustituta {name} no relaciona a la {label(invoice)} con "
            "TipoRelacion 04 (sustitución de los CFDI previos), como exige el motivo 01.",
            "cancel_substitution_not_related",
        )


def check_motive_04(session: Session, invoice: Invoice) -> None:
    """Motive 04 only for a global invoice or a nominative one related to a global invoice."""
    seen = read(invoice)
    if seen.is_global:
        return
    related = [uuid for uuid in seen.relations if UUID_PATTERN.match(uuid)]
    if related:
        query = _tenant_invoices(invoice).where(Invoice.uuid.in_(related))
        if any(read(other).is_global for other in session.scalars(query) if other.xml):
            return
    raise _refuse(
        f"El motivo 04 (operación nominativa relacionada en una factura global) sólo aplica "
        f"a una factura global o a una factura nominativa relacionada con una factura global; "
        f"la factura {label(invoice)} no lo es.",
        "cancel_motive_04_not_global",
        "motive",
    )


def check(
    session: Session, tenant: Tenant, invoice: Invoice, motive: str, substitution: str | None
) -> str | None:
    """Every rule for cancelling ``invoice`` with ``motive``; the substitute's UUID (01)."""
    substitute = None
    if motive == "01":
        substitute = substitute_for(session, tenant, invoice, substitution)
    elif substitution:
        raise _refuse(
            f"Sólo el motivo 01 admite «substitution»; el motivo {motive} no sustituye "
            "a otra factura.",
            "cancel_substitution_not_allowed",
        )
    if motive == "04":
        check_motive_04(session, invoice)
    refuse_with_dependents(session, invoice, substitute)
    return substitute.uuid if substitute is not None else None
