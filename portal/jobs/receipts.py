"""Global invoices of large periods: a background run issues them batch by batch, committing
each, so the dashboard can show its progress and a crash loses nothing (a re-run resumes)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal import pac_calls
from portal.errors import PortalError
from portal.extensions import db
from portal.jobs.queue import job, periodic_job
from portal.models.base import utcnow
from portal.models.receipts import GlobalInvoiceRun
from portal.services import receipt_invoices
from portal.statuses import JobStatus

BATCH_RECEIPTS = 2000  # one invoice admits 5000 concepts; a receipt is one or a few
SWEEP_AFTER = timedelta(minutes=5)


@job(retries=1, retry_delay=60)
def issue_global_invoices(run_id: str) -> None:
    """Issue every global invoice of a run, one committed batch at a time."""
    while True:
        run = db.session.get(GlobalInvoiceRun, run_id, with_for_update=True)
        if run is None or run.status in (JobStatus.DONE, JobStatus.FAILED):
            db.session.commit()
            return
        started = receipt_invoices.start_batch(
            db.session, run, BATCH_RECEIPTS, pac_calls.stamp_lease()
        )
        if started is None:
            db.session.commit()
            return
        invoice, call = started
        try:  # a remote PAC: called with no transaction open (the run's lock is let go)
            invoice = pac_calls.stamp(db.session, invoice, call, on_refused=receipt_invoices.reopen)
        except PortalError as error:
            receipt_invoices.fail_run(_locked(run_id), error)
            db.session.commit()
            return
        receipt_invoices.record_batch(db.session, _locked(run_id), invoice)
        db.session.commit()


def _locked(run_id: str) -> GlobalInvoiceRun:
    run = db.session.get(GlobalInvoiceRun, run_id, with_for_update=True, populate_existing=True)
    assert run is not None
    return run


@periodic_job(minute="*/5")
def sweep_global_runs() -> None:
    """Resume runs whose job was lost (the process died after queueing them)."""
    stale = db.session.scalars(
        select(GlobalInvoiceRun.id).where(
            GlobalInvoiceRun.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)),
            GlobalInvoiceRun.created_at <= utcnow() - SWEEP_AFTER,
        )
    ).all()
    db.session.rollback()
    for run_id in stale:
        issue_global_invoices(run_id)
