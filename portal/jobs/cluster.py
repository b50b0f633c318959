"""What keeps a cluster of web nodes, workers and one scheduler honest: heartbeats, the
scheduler's leadership lock, and the health figures ``/healthz`` reports."""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import Connection, delete, func, insert, select, text, update

from portal.database import writing
from portal.extensions import db
from portal.models.base import utcnow
from portal.models.cluster import Heartbeat, QueuedJob
from portal.statuses import DeliveryStatus, InvoiceStatus

log = logging.getLogger("portal.cluster")
HEARTBEAT_SECONDS = 10
FORGET_AFTER = timedelta(days=1)
SCHEDULER_LOCK_KEY = 0x706F7274616C01  # "portal" + 1: the scheduler's advisory lock


def process_name(role: str) -> str:
    """This process's name in ``heartbeats``: role, host and pid."""
    return f"{role}:{socket.gethostname()}:{os.getpid()}"[:120]


def beat(role: str) -> None:
    """Record that this process is alive now (a short transaction of its own)."""
    name = process_name(role)
    with writing(), db.engine.begin() as connection:
        done = connection.execute(
            update(Heartbeat).where(Heartbeat.process == name).values(beat_at=utcnow())
        )
        if not done.rowcount:
            connection.execute(insert(Heartbeat).values(process=name, role=role, beat_at=utcnow()))


def forget(role: str) -> None:
    """Remove this process's heartbeat (a clean stop), and any a day old."""
    with writing(), db.engine.begin() as connection:
        connection.execute(
            delete(Heartbeat).where(
                (Heartbeat.process == process_name(role))
                | (Heartbeat.beat_at < utcnow() - FORGET_AFTER)
            )
        )


def beating_on_this_host(max_age: float) -> bool:
    """Whether a process of this host has beaten within ``max_age`` seconds."""
    host = f"%:{socket.gethostname()}:%"
    newest = db.session.scalar(
        select(func.max(Heartbeat.beat_at)).where(Heartbeat.process.like(host))
    )
    return newest is not None and (utcnow() - newest).total_seconds() <= max_age


class HeartbeatThread(threading.Thread):
    """Beats every ``HEARTBEAT_SECONDS`` until stopped; a failed beat is logged, not fatal."""

    def __init__(self, app: Flask, role: str, every: float = HEARTBEAT_SECONDS) -> None:
        super().__init__(name=f"heartbeat-{role}", daemon=True)
        self.app, self.role, self.every = app, role, every
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                with self.app.app_context():
                    beat(self.role)
            except Exception as exc:  # the database is down: health will show it
                log.warning("heartbeat failed: %s", type(exc).__name__)
            self.stopped.wait(self.every)

    def stop(self) -> None:
        """Stop beating and remove the row."""
        self.stopped.set()
        try:
            with self.app.app_context():
                forget(self.role)
        except Exception:
            log.warning("could not remove the heartbeat of %s", self.role)


class LeaderLock:
    """Held by the one scheduler of a cluster: a PostgreSQL advisory lock on a connection of its
    own, or on SQLite (one machine) an exclusive lock on a file beside the database."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.connection: Connection | None = None
        self.handle: Any = None

    def try_acquire(self) -> bool:
        """Take the lock if free; True while this process holds it."""
        with self.app.app_context():
            if db.engine.dialect.name == "postgresql":
                return self._try_postgresql()
        return self._try_file()

    def _try_postgresql(self) -> bool:
        if self.connection is not None:
            try:  # still holding it? (a restarted server drops the session and its lock)
                self.connection.execute(text("SELECT 1")).scalar()
                self.connection.commit()
                return True
            except Exception:
                self._drop_connection()
        try:
            connection = db.engine.connect()
            got = connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": SCHEDULER_LOCK_KEY}
            ).scalar()
            connection.commit()
        except Exception as exc:
            log.warning("scheduler lock: database unavailable (%s)", type(exc).__name__)
            return False
        if got:
            self.connection = connection
            return True
        connection.close()
        return False

    def _drop_connection(self) -> None:
        try:
            self.connection.invalidate()
            self.connection.close()
        except Exception:
            pass
        self.connection = None

    def _try_file(self) -> bool:
        if self.handle is not None:
            return True
        from portal.jobs.queue import queue_file

        path = Path(str(queue_file(self.app)) + ".scheduler.lock")
        handle = path.open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self.handle = handle
        return True

    def release(self) -> None:
        """Let another scheduler take over."""
        if self.connection is not None:
            try:
                self.connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": SCHEDULER_LOCK_KEY}
                )
                self.connection.close()
            except Exception:
                pass
            self.connection = None
        if self.handle is not None:
            self.handle.close()
            self.handle = None


def _oldest_pending() -> Any:
    """The creation time of the oldest work not done yet (kept jobs, outbox rows, invoices)."""
    from portal.jobs.outbox import OUTBOX_MODELS
    from portal.models.invoices import Invoice

    queries = [select(func.min(QueuedJob.created_at))]
    queries += [
        select(func.min(model.created_at)).where(
            model.status.in_([DeliveryStatus.PENDING, DeliveryStatus.SENDING])
        )
        for model in OUTBOX_MODELS
    ]
    queries.append(
        select(func.min(Invoice.created_at)).where(Invoice.status == InvoiceStatus.PENDING)
    )
    moments = [db.session.scalar(query) for query in queries]
    moments = [moment for moment in moments if moment is not None]
    return min(moments) if moments else None


def health(max_heartbeat_age: int) -> dict[str, Any]:
    """Workers' newest heartbeat, the oldest pending job and kept jobs; ``ok`` False when a
    heartbeat is required (``max_heartbeat_age`` > 0) and none is that recent."""
    now = utcnow()
    newest = db.session.scalar(
        select(func.max(Heartbeat.beat_at)).where(Heartbeat.role == "worker")
    )
    oldest = _oldest_pending()
    kept = db.session.scalar(select(func.count()).select_from(QueuedJob))
    age = round((now - newest).total_seconds(), 1) if newest else None
    beating = age is not None and age <= max_heartbeat_age
    return {
        "newest_heartbeat_age_seconds": age,
        "oldest_pending_job_age_seconds": round((now - oldest).total_seconds(), 1)
        if oldest
        else None,
        "jobs_waiting_for_queue": kept,
        "heartbeat_required": max_heartbeat_age > 0,
        "ok": beating or max_heartbeat_age <= 0,
    }
