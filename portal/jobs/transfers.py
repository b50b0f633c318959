"""Imports and exports: the job that works one, the sweep that finds lost ones, the purge."""

from __future__ import annotations

import logging

from portal.errors import PortalError
from portal.extensions import db
from portal.jobs.queue import job, periodic_job
from portal.links import public_url
from portal.models.transfers import DataTransfer
from portal.services.transfers import runs

log = logging.getLogger(__name__)


@job(retries=0)
def run_transfer(transfer_id: str) -> None:
    """Claim the import or export and work it, committing after each batch."""
    transfer = runs.claim(db.session, transfer_id)
    db.session.commit()
    if transfer is None:
        return
    try:
        if transfer.direction == "import":
            runs.run_import(db.session, transfer, db.session.commit)
        else:
            link = public_url(
                "org.transfer", org_id=transfer.organization_id, transfer_id=transfer.id
            )
            runs.run_export(db.session, transfer, db.session.commit, link)
        db.session.commit()
    except Exception as error:  # recorded on the transfer, shown on its page
        db.session.rollback()
        if not isinstance(error, PortalError):
            log.exception("transfer %s failed", transfer_id)
        found = db.session.get(DataTransfer, transfer_id)
        if found is not None:
            runs.fail(found, error)
        db.session.commit()


@periodic_job(minute="*")
def sweep_transfers() -> None:
    """Enqueue transfers whose job was lost (never enqueued, or its worker died)."""
    lost = runs.lost(db.session)
    db.session.rollback()
    for transfer_id in lost:
        run_transfer(transfer_id)


@periodic_job(minute="23")
def purge_transfers() -> None:
    """Every hour, delete expired imports and exports with their files."""
    count = runs.purge_expired(db.session)
    db.session.commit()
    if count:
        log.info("expired transfers deleted", extra={"rows": count})
