"""Housekeeping of the rate-limit counters."""

from __future__ import annotations

from portal.extensions import db
from portal.jobs.queue import periodic_job
from portal.services import throttle


def purge_rate_counters() -> int:
    """Delete the counters of windows that have ended (they count for nothing any more)."""
    purged = throttle.purge(db.session)
    db.session.commit()
    return purged


purge_rate_counters_hourly = periodic_job(minute="23")(purge_rate_counters)
