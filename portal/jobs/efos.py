"""The daily refresh of SAT's 69-B list from the file or URL the operator configured
(``EFOS_SOURCE``); nothing to do when it is unset (``portal import-efos`` loads it by hand)."""

from __future__ import annotations

import logging

from flask import current_app

from portal.extensions import db
from portal.jobs.queue import periodic_job
from portal.services import efos

log = logging.getLogger(__name__)


def refresh() -> int | None:
    """Read the configured list (a URL is fetched before any transaction opens), then replace
    the stored one in one transaction; the number of rows, or None when no source is set."""
    source = current_app.config.get("EFOS_SOURCE")
    if not source:
        return None
    db.session.rollback()  # no transaction open while the list downloads
    data = efos.read_source(source)
    count = efos.import_list(db.session, data)
    db.session.commit()
    log.info("69-B list refreshed", extra={"rows": count})
    return count


@periodic_job(hour="7", minute="15")
def refresh_efos_list() -> int | None:
    """Every day at 07:15 UTC (SAT publishes its updates during the Mexican night)."""
    return refresh()
