"""Checking custom hosts' DNS records: every 10 minutes for the ones waiting, daily for the
verified ones, and at once from the dashboard's «Comprobar ahora». No DNS query ever runs with
a database transaction open: read the targets, end the transaction, ask, then record each
answer in a short transaction of its own."""

from __future__ import annotations

import logging

from flask import current_app

from portal.custom_hosts import CACHE
from portal.database import set_write_intent
from portal.extensions import db
from portal.jobs.queue import periodic_job
from portal.models.custom_hosts import CustomHost
from portal.services import custom_hosts

log = logging.getLogger(__name__)


def _resolver():
    config = current_app.config
    return custom_hosts.make_resolver(
        config.get("CUSTOM_HOST_DNS_SERVERS"), float(config.get("CUSTOM_HOST_DNS_TIMEOUT") or 5)
    )


def check(targets: list[custom_hosts.CheckTarget]) -> list[CustomHost | None]:
    """Ask the DNS for each target's record and save what it said (the caller has no
    transaction open); the saved rows, None for a host changed meanwhile."""
    resolver, saved = _resolver(), []
    for target in targets:
        result = custom_hosts.look_up(resolver, target)
        set_write_intent(True)
        saved.append(custom_hosts.record_check(db.session, target, result))
        db.session.commit()
    CACHE.clear()
    return saved


def check_due() -> int:
    """Check every host that is due; how many were checked."""
    targets = custom_hosts.due_checks(db.session)
    db.session.rollback()  # no transaction open while the DNS answers
    results = check(targets)
    verified = sum(1 for row in results if row is not None and row.verified_at is not None)
    if targets:
        log.info("custom hosts checked", extra={"hosts": len(targets), "verified": verified})
    return len(targets)


@periodic_job(minute="*/10")
def check_custom_hosts() -> int:
    """Every 10 minutes: hosts waiting for their TXT record, and verified ones once a day."""
    return check_due()
