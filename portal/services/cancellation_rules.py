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

from sqlalchemy.orm import Session

from portal.errors import Problem, ValidationError
from portal.models.invoices import Invoice
from portal.models.tenancy import Tenant
from portal.services.related_documents import (
    PAYMENT,
    SUBSTITUTION,
    UUID_PATTERN,
    dependents,
    label,
    read,
    tenant_invoices,
)
from portal.statuses import InvoiceStatus

RELATION_NAMES = {
    "01": "nota de crédito",
    "02": "nota de débito",
    "03": "devolución",
    "04": "sustituto",
    "05": "traslado",
    "06": "factura de traslado previo",
    "07": "aplicación de anticipo",
}


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
    query = tenant_invoices(invoice)
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
            f"La factura sustituta «{value[:40]}» no existe en esta organización (motivo 01).",
            "cancel_substitution_not_found",
        )
    _check_substitute(invoice, substitute)
    return substitute


def _check_substitute(invoice: Invoice, substitute: Invoice) -> None:
    name = label(substitute)
    if substitute.status != InvoiceStatus.VALID or substitute.xml is None:
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
        query = tenant_invoices(invoice).where(Invoice.uuid.in_(related))
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
