"""The job queue: huey on SQLite by default, on Redis when REDIS_URL is set.

The huey object exists from import (tasks must be decorated with it) but holds only an
in-memory storage until ``init_queue`` points it at the configured one, so importing this
module touches no file or server.

Every enqueue goes through ``PortalHuey.enqueue``: when the queue refuses a job (Redis down,
the SQLite queue locked) the job is kept in the ``queued_jobs`` table instead, and the
scheduler's relay hands it to the queue once it answers again. A request whose data was saved
therefore never fails because the queue is down.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context
from huey import Huey, signals
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage
from sqlalchemy import delete, insert, select
from sqlalchemy.engine import make_url

log = logging.getLogger("portal.jobs")
RELAY_BATCH = 500


class PortalHuey(Huey):
    """Huey whose enqueue falls back to the database when the queue is unreachable."""

    def enqueue(self, task: Any) -> Any:
        """Enqueue ``task``; if the queue fails, keep it in ``queued_jobs`` (returns None)."""
        if self._immediate:
            return super().enqueue(task)
        try:
            return super().enqueue(task)
        except Exception as exc:  # the queue is down: the relay enqueues it later
            _keep_for_later(task, self.serialize_task(task), exc)
            return None


huey = PortalHuey("portal", immediate=True, storage_class=MemoryStorage)
_state: dict[str, Flask] = {}


def queue_file(app: Flask) -> Path:
    """Where the SQLite queue lives: beside an SQLite database, else in the instance folder."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        database = Path(url.database).resolve()
        return database.with_name(database.stem + "-queue.db")
    return Path(app.config["INSTANCE_PATH"]) / "huey.db"


def redis_pool(url: str) -> Any:
    """A Redis connection pool that fails fast: a request never waits long on a dead queue."""
    from redis import ConnectionPool
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return ConnectionPool.from_url(
        url, socket_connect_timeout=2, socket_timeout=10, retry=Retry(NoBackoff(), 0)
    )


def init_queue(app: Flask) -> None:
    """Point the queue at the configured storage (or run jobs inline in tests)."""
    _state["app"] = app
    if app.config.get("HUEY_IMMEDIATE"):
        huey.immediate = True
        return
    if app.config.get("REDIS_URL"):
        huey.storage_class = RedisStorage
        huey.storage_kwargs = {"connection_pool": redis_pool(app.config["REDIS_URL"])}
    else:
        path = queue_file(app)
        path.parent.mkdir(parents=True, exist_ok=True)
        huey.storage_class, huey.storage_kwargs = SqliteStorage, {"filename": str(path)}
    huey._immediate = False
    huey.storage = huey.create_storage()


def _flask_app() -> Flask:
    return current_app._get_current_object() if has_app_context() else _state["app"]


def _keep_for_later(task: Any, message: bytes, exc: Exception) -> None:
    """Write a refused job to ``queued_jobs`` in a short transaction of its own."""
    from portal.database import writing
    from portal.extensions import db
    from portal.models.cluster import QueuedJob

    log.warning(
        "queue unavailable, job kept for the relay",
        extra={"job_id": task.id, "kind": task.name, "error": type(exc).__name__},
    )
    with _flask_app().app_context(), writing(), db.engine.begin() as connection:
        connection.execute(
            insert(QueuedJob).values(name=task.name, message=message, priority=task.priority)
        )


def relay() -> int:
    """Hand the jobs kept in ``queued_jobs`` to the queue; how many went (stops at a failure).

    The rows are read, the transaction ends, the queue is called with none open, and the rows
    sent are deleted in a short transaction of their own: a relay that dies in between sends a
    job twice, which every job tolerates (they claim their work), and never loses one."""
    from portal.database import writing
    from portal.extensions import db
    from portal.models.cluster import QueuedJob

    with _flask_app().app_context():
        with db.engine.connect() as connection:
            rows = connection.execute(
                select(QueuedJob.id, QueuedJob.message, QueuedJob.priority)
                .order_by(QueuedJob.id)
                .limit(RELAY_BATCH)
            ).all()
        sent: list[int] = []
        for row_id, message, priority in rows:
            try:
                huey.storage.enqueue(message, priority)
            except Exception as exc:
                log.warning("relay: queue still unavailable (%s)", type(exc).__name__)
                break
            sent.append(row_id)
        if sent:
            with writing(), db.engine.begin() as connection:
                connection.execute(delete(QueuedJob).where(QueuedJob.id.in_(sent)))
            log.info("relay: %d kept jobs enqueued", len(sent))
    return len(sent)


def job(**task_options: Any) -> Callable[[Callable[..., Any]], Any]:
    """Declare a background job: it runs in its own app context, so its own transaction."""

    def decorate(fn: Callable[..., Any]) -> Any:
        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            with _flask_app().app_context():
                return fn(*args, **kwargs)

        return huey.task(**task_options)(run)

    return decorate


def periodic_job(**schedule: Any) -> Callable[[Callable[..., Any]], Any]:
    """Declare a job the scheduler enqueues on a schedule (huey ``crontab`` fields)."""
    from huey import crontab

    def decorate(fn: Callable[..., Any]) -> Any:
        @functools.wraps(fn)
        def run() -> Any:
            with _flask_app().app_context():
                return fn()

        return huey.periodic_task(crontab(**schedule))(run)

    return decorate


def enqueue_periodic_jobs() -> None:
    """Enqueue every periodic job once: a worker does it on start, so that work a killed
    worker left behind (expired leases, lost jobs) resumes at once, not at the next tick."""
    for task in huey._registry.periodic_tasks:
        huey.enqueue(task)


def enqueue_due_periodic_jobs(moment: Any) -> list[str]:
    """Enqueue the periodic jobs whose schedule matches ``moment`` (the scheduler's tick)."""
    due = [task for task in huey._registry.periodic_tasks if task.validate_datetime(moment)]
    for task in due:
        huey.enqueue(task)
    return [task.name for task in due]


def backlog() -> dict[str, Any]:
    """How many jobs wait in the queue (for /healthz)."""
    try:
        return {"pending": huey.pending_count()}
    except Exception as exc:  # a broken queue must show in health, not crash it
        return {"pending": None, "error": type(exc).__name__}


_started: dict[str, float] = {}
_started_lock = threading.Lock()


def _attempt(task: Any) -> int:
    return (task.default_retries or 0) - (task.retries or 0) + 1


@huey.signal(signals.SIGNAL_EXECUTING)
def _job_started(_signal: str, task: Any, *_: Any) -> None:
    with _started_lock:
        _started[task.id] = time.monotonic()


@huey.signal(signals.SIGNAL_COMPLETE, signals.SIGNAL_ERROR)
def _job_finished(signal: str, task: Any, exc: Any = None) -> None:
    with _started_lock:
        started = _started.pop(task.id, None)
    duration = round(time.monotonic() - started, 3) if started is not None else None
    fields = {
        "job_id": task.id,
        "kind": task.name.rsplit(".", 1)[-1],
        "attempt": _attempt(task),
        "duration": duration,
        "outcome": signal,
    }
    if exc is not None:
        log.error("job failed: %r", exc, extra=fields)
    else:
        log.info("job done", extra=fields)
