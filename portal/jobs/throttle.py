"""Housekeeping of the rate-limit counters and of the /v2 request log."""

from __future__ import annotations

from flask import current_app

from portal import ratelimit, request_log
from portal.extensions import db
from portal.jobs.queue import periodic_job
from portal.services import throttle


def purge_rate_counters() -> int:
    """Delete the counters of windows that have ended (they count for nothing any more), the
    API's ended rate windows and the request log past its retention."""
    purged = throttle.purge(db.session)
    purged += request_log.purge(db.session, current_app.config["REQUEST_LOG_DAYS"])
    db.session.commit()
    return purged + ratelimit.DatabaseStorage(db.engine).purge()


purge_rate_counters_hourly = periodic_job(minute="23")(purge_rate_counters)
