"""The job queue: huey on SQLite by default, on Redis when REDIS_URL is set.

The huey object exists from import (tasks must be decorated with it) but holds only an
in-memory storage until ``init_queue`` points it at the configured one, so importing this
module touches no file or server.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context
from huey import Huey
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage

huey = Huey("portal", immediate=True, storage_class=MemoryStorage)
_state: dict[str, Flask] = {}


def init_queue(app: Flask) -> None:
    """Point the queue at the configured storage (or run jobs inline in tests)."""
    _state["app"] = app
    if app.config.get("HUEY_IMMEDIATE"):
        huey.immediate = True
        return
    if app.config.get("REDIS_URL"):
        huey.storage_class, huey.storage_kwargs = RedisStorage, {"url": app.config["REDIS_URL"]}
    else:
        path = Path(app.config["INSTANCE_PATH"]) / "huey.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        huey.storage_class, huey.storage_kwargs = SqliteStorage, {"filename": str(path)}
    huey._immediate = False
    huey.storage = huey.create_storage()


def _flask_app() -> Flask:
    return current_app._get_current_object() if has_app_context() else _state["app"]


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
    """Declare a job the worker runs on a schedule (huey ``crontab`` fields)."""
    from huey import crontab

    def decorate(fn: Callable[..., Any]) -> Any:
        @functools.wraps(fn)
        def run() -> Any:
            with _flask_app().app_context():
                return fn()

        return huey.periodic_task(crontab(**schedule))(run)

    return decorate


def enqueue_periodic_jobs() -> None:
    """Enqueue every periodic job once: the worker does it on start, so that work a killed
    worker left behind (expired leases, lost jobs) resumes at once, not at the next tick."""
    for task in huey._registry.periodic_tasks:
        huey.enqueue(task)


def backlog() -> dict[str, Any]:
    """How many jobs wait in the queue (for /healthz)."""
    try:
        return {"pending": huey.pending_count()}
    except Exception as exc:  # a broken queue must show in health, not crash it
        return {"pending": None, "error": type(exc).__name__}
