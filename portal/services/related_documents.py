"""How stamped CFDI of one tenant refer to each other, read from their XML: related documents
(CfdiRelacionados), payments (Pagos 2.0 DoctoRelacionado) and a paid invoice's chain of payments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from lxml import etree
from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session

from portal.cfdi import documents
from portal.cfdi.relations import PAYMENT, relations_in
from portal.models.invoice_relations import InvoiceRelation
from portal.models.invoices import Invoice
from portal.statuses import InvoiceStatus

CFDI = f"{{{documents.CFDI_NS}}}"
PAGOS = "{http://www.sat.gob.mx/Pagos20}"
SUBSTITUTION = "04"
UUID_PATTERN = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$")


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
    relations = relations_in(root)
    receiver_rfc = receiver.get("Rfc", "") if receiver is not None else ""
    return Seen(
        issuer.get("Rfc", "") if issuer is not None else "",
        receiver_rfc,
        receiver_rfc == documents.PUBLIC_RFC and root.find(f"{CFDI}InformacionGlobal") is not None,
        relations,
    )


def accepts_credit_notes(invoice: Invoice) -> bool:
    """A valid income invoice: what a credit note (TipoRelacion 01) can relate to."""
    return (
        invoice.type == "I" and invoice.status == InvoiceStatus.VALID and invoice.uuid is not None
    )


def label(invoice: Invoice) -> str:
    """``F-12`` (series-folio), or the id when it has no folio."""
    folio = "-".join(str(p) for p in (invoice.series, invoice.folio_number) if p is not None)
    return folio or invoice.id


def tenant_invoices(invoice: Invoice) -> Select[tuple[Invoice]]:
    return select(Invoice).where(
        Invoice.organization_id == invoice.organization_id,
        Invoice.livemode.is_(invoice.livemode),
        Invoice.id != invoice.id,
    )


def dependents(
    session: Session, invoice: Invoice, statuses: tuple[str, ...] = (InvoiceStatus.VALID,)
) -> list[tuple[Invoice, set[str]]]:
    """The tenant's CFDI (valid ones, by default) that pay or relate to ``invoice``, with how
    (the relations their XML stated when they were stamped)."""
    uuid = (invoice.uuid or "").upper()
    if not uuid:
        return []
    query = (
        select(Invoice, InvoiceRelation.kind)
        .join(InvoiceRelation, InvoiceRelation.from_invoice_id == Invoice.id)
        .where(
            InvoiceRelation.organization_id == invoice.organization_id,
            InvoiceRelation.livemode.is_(invoice.livemode),
            InvoiceRelation.to_uuid == uuid,
            Invoice.id != invoice.id,
            Invoice.status.in_(statuses),
        )
        .order_by(Invoice.created_at, Invoice.id)
    )
    found: dict[str, tuple[Invoice, set[str]]] = {}
    for candidate, kind in session.execute(query):
        found.setdefault(candidate.id, (candidate, set()))[1].add(kind)
    return list(found.values())


def index(session: Session, invoice: Invoice) -> None:
    """Record what a just-stamped ``invoice`` relates to or pays (``invoice_relations``)."""
    if invoice.id is not None:
        session.execute(
            delete(InvoiceRelation).where(InvoiceRelation.from_invoice_id == invoice.id)
        )
    relations = relations_in(etree.fromstring(invoice.xml or b""))
    session.add_all(
        InvoiceRelation(
            organization_id=invoice.organization_id,
            livemode=invoice.livemode,
            invoice=invoice,
            to_uuid=uuid,
            kind=kind,
        )
        for uuid, kinds in relations.items()
        if UUID_PATTERN.match(uuid)
        for kind in sorted(kinds)
    )


@dataclass(frozen=True)
class Installment:
    """One payment of an invoice as its Pagos 2.0 complement states it."""

    payment: Invoice
    date: str
    payment_form: str
    currency: str
    installment: int
    previous_balance: Decimal
    amount: Decimal
    balance: Decimal

    @property
    def paid_at(self) -> datetime | None:
        """FechaPago as a datetime (Mexico's time, as written)."""
        try:
            return datetime.fromisoformat(self.date)
        except ValueError:
            return None


def _decimal(value: str | None) -> Decimal:
    try:
        return Decimal(value or "0")
    except ArithmeticError:
        return Decimal(0)


def installments_in(payment: Invoice, uuid: str) -> list[Installment]:
    """The DoctoRelacionado of ``payment``'s XML that pay ``uuid``, in document order."""
    root = etree.fromstring(payment.xml or b"")
    found = []
    for pago in root.iter(f"{PAGOS}Pago"):
        for paid in pago.iter(f"{PAGOS}DoctoRelacionado"):
            if paid.get("IdDocumento", "").upper() != uuid.upper():
                continue
            found.append(
                Installment(
                    payment,
                    pago.get("FechaPago", ""),
                    pago.get("FormaDePagoP", ""),
                    pago.get("MonedaP", ""),
                    int(paid.get("NumParcialidad") or 0),
                    _decimal(paid.get("ImpSaldoAnt")),
                    _decimal(paid.get("ImpPagado")),
                    _decimal(paid.get("ImpSaldoInsoluto")),
                )
            )
    return found


def payment_chain(
    session: Session, invoice: Invoice, found: list[tuple[Invoice, set[str]]] | None = None
) -> list[Installment]:
    """Every payment of ``invoice`` (cancelled ones too), by installment; ``found``: its
    dependents of every status, when the caller has them."""
    uuid = invoice.uuid or ""
    if found is None:
        found = dependents(session, invoice, (InvoiceStatus.VALID, InvoiceStatus.CANCELED))
    chain = [
        step for payment, how in found if PAYMENT in how for step in installments_in(payment, uuid)
    ]
    return sorted(chain, key=lambda step: (step.installment, step.payment.created_at))


def credit_notes(
    session: Session, invoice: Invoice, found: list[tuple[Invoice, set[str]]] | None = None
) -> list[Invoice]:
    """The CFDI of type E that relate to ``invoice`` (cancelled ones too)."""
    if found is None:
        found = dependents(session, invoice, (InvoiceStatus.VALID, InvoiceStatus.CANCELED))
    return [document for document, how in found if document.type == "E" and how - {PAYMENT}]


def release_payment(session: Session, payment: Invoice) -> None:
    """A cancelled payment gives back what it paid: each paid invoice's balance grows again, and
    its installment number is free again when it was the last one."""
    root = etree.fromstring(payment.xml or b"")
    for paid in root.iter(f"{PAGOS}DoctoRelacionado"):
        query = tenant_invoices(payment).where(Invoice.uuid == paid.get("IdDocumento", "").upper())
        invoice = session.scalar(query.with_for_update())
        if invoice is None:
            continue
        amount = _decimal(paid.get("ImpPagado"))
        invoice.amount_paid = max(Decimal(0), invoice.amount_paid - amount)
        if invoice.last_installment == int(paid.get("NumParcialidad") or 0):
            invoice.last_installment -= 1
    session.flush()


@dataclass(frozen=True)
class Reference:
    """A UUID that a CFDI relates to or pays, and the tenant's document with it (if any)."""

    uuid: str
    how: tuple[str, ...]  # TipoRelacion codes, or "pago"
    document: Invoice | None


def references_of(session: Session, invoice: Invoice) -> list[Reference]:
    """What ``invoice`` relates to or pays (from its XML), with the tenant's documents."""
    if invoice.xml is None:
        return []
    relations = read(invoice).relations
    uuids = [uuid for uuid in relations if UUID_PATTERN.match(uuid)]
    found = {
        document.uuid: document
        for document in session.scalars(tenant_invoices(invoice).where(Invoice.uuid.in_(uuids)))
    }
    return [Reference(uuid, tuple(sorted(relations[uuid])), found.get(uuid)) for uuid in uuids]
