"""``portal scheduler``: the one process of a cluster that enqueues periodic jobs and relays the
jobs kept while the queue was down. Others started by mistake (or as stand-bys) wait on the
leader lock."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from datetime import UTC, datetime

from flask import Flask

from portal.jobs.cluster import HeartbeatThread, LeaderLock
from portal.jobs.queue import enqueue_due_periodic_jobs, enqueue_periodic_jobs, huey, relay

log = logging.getLogger("portal.scheduler")


def _minute(moment: datetime) -> datetime:
    """The minute huey's crontabs are matched against (naive UTC, as huey keeps time)."""
    return moment.astimezone(UTC).replace(tzinfo=None, second=0, microsecond=0)


class Scheduler:
    """Leader election, then a loop: relay kept jobs often, periodic jobs once a minute."""

    def __init__(self, app: Flask, relay_seconds: float = 2.0) -> None:
        self.app, self.relay_seconds = app, relay_seconds
        self.lock = LeaderLock(app)
        self.stopped = threading.Event()
        self.last_minute: datetime | None = None

    def run(self) -> None:
        """Run until SIGTERM or SIGINT."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: self.stopped.set())
        heartbeat = HeartbeatThread(self.app, "scheduler")
        heartbeat.start()
        leading = False
        try:
            while not self.stopped.is_set():
                if self.lock.try_acquire():
                    if not leading:
                        log.info("scheduler: leading", extra={"pid": os.getpid()})
                        leading = True
                        self._safely(self._catch_up)
                        self.last_minute = _minute(datetime.now(UTC))  # covers this minute
                    self.tick(datetime.now(UTC))
                elif leading:
                    log.warning("scheduler: lost the lock")
                    leading = False
                self.stopped.wait(self.relay_seconds)
        finally:
            self.lock.release()
            heartbeat.stop()

    def tick(self, now: datetime) -> None:
        """Relay kept jobs; at a new minute, enqueue the periodic jobs due then."""
        self._safely(relay)
        minute = _minute(now)
        if minute != self.last_minute:
            self.last_minute = minute
            self._safely(lambda: self._report(enqueue_due_periodic_jobs(minute)))

    def _catch_up(self) -> None:
        """Every periodic job once on taking the lead: work due during a gap runs now."""
        enqueue_periodic_jobs()
        self._report([task.name for task in huey._registry.periodic_tasks])

    def _report(self, names: list[str]) -> None:
        if names:
            log.info("periodic jobs enqueued", extra={"jobs": len(names), "pid": os.getpid()})

    def _safely(self, step: object) -> None:
        started = time.monotonic()
        try:
            with self.app.app_context():
                step()  # type: ignore[operator]
        except Exception as exc:  # the database or queue is down: try again next tick
            log.warning(
                "scheduler step failed: %s",
                type(exc).__name__,
                extra={"duration": round(time.monotonic() - started, 3)},
            )
