"""Payment complements (CFDI P, Pagos 2.0): the chain of installments of each paid invoice and
the rules a payment must follow before it is built.

Every invoice the portal issued keeps what its payments covered (``amount_paid``) and its last
installment. A payment reads them with the invoice's row locked (``SELECT … FOR UPDATE`` on
PostgreSQL; on SQLite the request's ``BEGIN IMMEDIATE`` already holds the one write lock), so
two payments racing for one invoice take turns and never read the same previous balance. The
chain continues across the Pago nodes of one complement that pay the same invoice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.cfdi import money
from portal.cfdi.payments import read_paid_invoice
from portal.cfdi.types import InvoiceInput
from portal.errors import ValidationError
from portal.models.invoices import Invoice
from portal.services.related_documents import label
from portal.statuses import InvoiceStatus

FOREIGN_RFC = "XEXX010101000"


@dataclass
class _Link:
    """Where the chain of one paid invoice stands while a complement is read."""

    invoice: Invoice
    balance: Decimal
    installment: int


def paid_invoice(session: Session, owner: Invoice, uuid: str) -> Invoice | None:
    """The tenant's invoice (same environment, any status) with this UUID, its row locked."""
    query = select(Invoice).where(
        Invoice.organization_id == owner.organization_id,
        Invoice.livemode.is_(owner.livemode),
        Invoice.uuid == uuid.upper(),
    )
    return session.scalar(query.with_for_update().execution_options(populate_existing=True))


def _documents(data: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every related document of the body's payments, with its path in the body."""
    found = []
    for c, complement in enumerate(data.get("complements") or []):
        if not isinstance(complement, dict) or complement.get("type") != "pago":
            continue
        for p, payment in enumerate(complement.get("data") or []):
            if not isinstance(payment, dict):
                continue
            for d, document in enumerate(payment.get("related_documents") or []):
                if isinstance(document, dict):
                    found.append((f"complements[{c}].data[{p}].related_documents[{d}]", document))
    return found


def _money(value: Decimal, currency: str) -> str:
    decimals = money.currency_decimals(currency)
    return f"{value:,.{decimals}f} {currency}"


def _receiver_rfc(customer: Any) -> str:
    if not isinstance(customer, dict):
        return ""
    country = str((customer.get("address") or {}).get("country") or "MEX").upper()
    return FOREIGN_RFC if country != "MEX" else str(customer.get("tax_id") or "").upper()


def _invoice_receiver(invoice: Invoice) -> str:
    return _receiver_rfc(invoice.customer)


def accepts_payments(invoice: Invoice) -> bool:
    """A stamped, valid PPD income invoice: the only document a payment complement pays."""
    return (
        invoice.type == "I"
        and invoice.payment_method == "PPD"
        and invoice.status == InvoiceStatus.VALID
    )


def _check_payable(invoice: Invoice, receiver: str, path: str) -> None:
    """Refuse paying a cancelled, non-income, PUE or another receiver's invoice."""
    name = label(invoice)
    if invoice.status == InvoiceStatus.CANCELED:
        raise ValidationError(
            f"La factura {name} está cancelada; no se le pueden registrar pagos.",
            "payment_invoice_canceled",
            path=f"{path}.uuid",
        )
    if invoice.type != "I" or invoice.status != InvoiceStatus.VALID:
        raise ValidationError(
            f"El documento {name} no es una factura de ingreso timbrada; solo esas reciben "
            "complementos de pago.",
            "payment_invoice_not_payable",
            path=f"{path}.uuid",
        )
    if invoice.payment_method != "PPD":
        raise ValidationError(
            f"La factura {name} se emitió con método de pago {invoice.payment_method} (pago en "
            "una sola exhibición): ya está pagada y no recibe complementos de pago; solo una "
            "factura PPD los recibe.",
            "payment_invoice_pue",
            path=f"{path}.uuid",
        )
    invoice_receiver = _invoice_receiver(invoice)
    if receiver != invoice_receiver:
        raise ValidationError(
            f"La factura {name} se emitió al RFC {invoice_receiver} y el pago es del receptor "
            f"{receiver or '(sin RFC)'}: un complemento de pago solo paga facturas de su mismo "
            "receptor.",
            "payment_receiver_mismatch",
            path=f"{path}.uuid",
        )


def _amount(document: dict[str, Any]) -> Decimal | None:
    try:
        amount = Decimal(str(document.get("amount")))
    except (InvalidOperation, ValueError):
        return None  # the engine's reader names the bad field
    return amount if amount.is_finite() else None


def _link(found: Invoice | None, receiver: str, path: str) -> _Link | None:
    if found is None:
        return None  # issued elsewhere: its balance and installment are the caller's
    _check_payable(found, receiver, path)
    decimals = money.currency_decimals(found.currency)
    return _Link(found, money.round_to(found.balance, decimals), found.last_installment)


def with_balances(session: Session, owner: Invoice, data: dict[str, Any]) -> dict[str, Any]:
    """A payment body with each paid invoice's balance, installment, series, folio, currency
    and own taxes filled in (chained across the Pago nodes); refused when a rule is broken."""
    if data.get("type") != "P":
        return data
    data = json.loads(json.dumps(data))
    receiver = _receiver_rfc(data.get("customer"))
    documents = _documents(data)
    # Locked in one order (by UUID): two payments of the same invoices never wait on each
    # other in a cycle (a deadlock on PostgreSQL).
    uuids = sorted({_uuid(document) for _, document in documents})
    found = {uuid: paid_invoice(session, owner, uuid) for uuid in uuids}
    links: dict[str, _Link | None] = {}
    for path, document in documents:
        document.pop("paid_invoice", None)  # ours to fill, never the caller's
        uuid = _uuid(document)
        if uuid not in links:
            links[uuid] = _link(found[uuid], receiver, path)
        link = links[uuid]
        if link is not None:
            _fill(document, link, path)
    return data


def _uuid(document: dict[str, Any]) -> str:
    return str(document.get("uuid") or "").upper()


def _fill(document: dict[str, Any], link: _Link, path: str) -> None:
    invoice = link.invoice
    amount = _amount(document)
    if amount is not None and amount > link.balance:
        raise ValidationError(
            f"El pago excede el saldo pendiente de la factura {label(invoice)} (saldo "
            f"{_money(link.balance, invoice.currency)}; se quieren pagar "
            f"{_money(amount, invoice.currency)}).",
            "payment_exceeds_balance",
            path=f"{path}.amount",
        )
    link.installment += 1
    document.update(
        last_balance=str(link.balance),
        installment=link.installment,
        series=invoice.series,
        folio_number=invoice.folio_number,
        currency=invoice.currency,
        paid_invoice=read_paid_invoice(invoice.xml or b"").to_dict(),
    )
    if amount is not None:
        link.balance -= amount


def record(session: Session, owner: Invoice, parsed: InvoiceInput) -> None:
    """After a payment is stamped: what it paid and its installment, on each paid invoice."""
    paid: dict[str, tuple[Decimal, int]] = {}
    for payment in parsed.payments:
        for document in payment.related_documents:
            amount, installment = paid.get(document.uuid, (Decimal(0), 0))
            paid[document.uuid] = (amount + document.amount, max(installment, document.installment))
    for uuid, (amount, installment) in paid.items():
        invoice = paid_invoice(session, owner, uuid)
        if invoice is not None and accepts_payments(invoice):
            invoice.amount_paid += amount
            invoice.last_installment = max(invoice.last_installment, installment)
