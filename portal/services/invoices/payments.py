"""Payment complements: the balances of the invoices a payment pays."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from portal.cfdi.types import InvoiceInput
from portal.models.invoices import Invoice
from portal.services import payments


def _with_balances(session: Session, invoice: Invoice, data: dict[str, Any]) -> dict[str, Any]:
    """Payment complements: each paid invoice's balance, installment and taxes, checked."""
    return payments.with_balances(session, invoice, data)


def _record_payments(session: Session, invoice: Invoice, parsed: InvoiceInput) -> None:
    payments.record(session, invoice, parsed)
