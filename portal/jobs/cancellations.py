"""Cancellation polling: ask the PAC about invoices whose cancellation awaits the receiver."""

from __future__ import annotations

import logging

from sqlalchemy import select

from portal.extensions import db
from portal.jobs.queue import job, periodic_job
from portal.models.invoices import Invoice
from portal.models.organizations import Organization
from portal.services import invoices
from portal.statuses import CancellationStatus
from portal.tenancy import Tenant

log = logging.getLogger(__name__)


@job(retries=0)
def refresh_cancellation(invoice_id: str) -> None:
    """Settle one pending cancellation (its events go out through the outbox).

    Three short steps: read what the PAC needs and commit, ask the PAC with no transaction
    open, then record the answer on the locked row if it is still pending."""
    invoice = db.session.get(Invoice, invoice_id)
    if invoice is None or invoice.cancellation_status != CancellationStatus.PENDING:
        db.session.commit()
        return  # already settled: running twice is harmless
    organization = db.session.get(Organization, invoice.organization_id)
    try:
        query = invoices.status_query(db.session, Tenant(organization, invoice.livemode), invoice)
        db.session.commit()
        answer = query.ask() if query is not None else None
    except Exception:  # the PAC failed: the next poll asks again
        db.session.rollback()
        log.exception("cancellation status of invoice %s", invoice_id)
        return
    invoice = db.session.get(Invoice, invoice_id, with_for_update=True)
    if (
        answer is not None
        and invoice is not None
        and invoice.cancellation_status == CancellationStatus.PENDING
    ):
        invoices.apply_status(db.session, invoice, answer)
    db.session.commit()


@periodic_job(minute="*/10")
def poll_cancellations() -> None:
    """Enqueue a status check for every invoice whose cancellation is pending."""
    pending = db.session.scalars(
        select(Invoice.id)
        .where(Invoice.cancellation_status == CancellationStatus.PENDING)
        .limit(1000)
    ).all()
    db.session.rollback()
    for invoice_id in pending:
        refresh_cancellation(invoice_id)
