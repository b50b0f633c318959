"""Periodic work runs once per cluster (issue 16 item 4), and the queue follows the deployment
(item 6)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from huey.storage import SqliteStorage

from portal import create_app
from portal.config import PROJECT_ROOT
from portal.jobs.cluster import LeaderLock
from portal.jobs.queue import huey, init_queue, queue_file
from portal.migrate import upgrade
from tests.cluster.processes import wait_for


@pytest.fixture(autouse=True)
def _queue_restored(app: Any) -> Any:
    """Other apps built here repoint the global queue: give it back to the session's app."""
    yield
    init_queue(app)


def test_one_scheduler_holds_the_lock_and_another_takes_over_when_it_goes(app):
    first, second = LeaderLock(app), LeaderLock(app)
    try:
        assert first.try_acquire()
        assert first.try_acquire()  # holding it is not losing it
        assert not second.try_acquire()
        first.release()
        assert second.try_acquire()
    finally:
        first.release()
        second.release()


def _scheduler(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-c", "from portal.cli import main; main()", "scheduler"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def test_two_schedulers_enqueue_the_periodic_jobs_once(
    fresh_database: Callable[[str], str], tmp_path: Path
):
    url = fresh_database("schedulers")
    upgrade(url)
    env = {**os.environ, "DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "instance")}
    env.pop("HUEY_IMMEDIATE", None)
    env.pop("REDIS_URL", None)
    env.pop("LOG_FORMAT", None)
    probe = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": env["INSTANCE_PATH"]})
    queue = SqliteStorage("portal", filename=str(queue_file(probe)))
    periodic = len(huey._registry.periodic_tasks)
    log = tmp_path / "schedulers.log"
    schedulers = [_scheduler(env, log), _scheduler(env, log)]
    try:
        wait_for(lambda: queue.queue_size() >= periodic, 30, "the leader's first jobs", log)
        wait_for(lambda: log.read_text().count("starting") == 2, 30, "both schedulers", log)
        subprocess.run(["sleep", "3"])  # the stand-by has had several chances to take the lock
        before = _enqueued(log)
        assert len(before) == 1, log.read_text()  # one process enqueued periodic jobs
        assert queue.queue_size() == sum(before.values()) >= periodic
        (leader,) = (s for s in schedulers if s.pid in before)
        leader.send_signal(signal.SIGKILL)
        wait_for(lambda: log.read_text().count("scheduler: leading") == 2, 30, "a new leader", log)
        wait_for(lambda: len(_enqueued(log)) == 2, 10, "the new leader's jobs", log)
        assert queue.queue_size() == sum(_enqueued(log).values())
    finally:
        for scheduler in schedulers:
            if scheduler.poll() is None:
                scheduler.kill()
            scheduler.wait()


def _enqueued(log: Path) -> dict[int, int]:
    """Periodic jobs enqueued, by scheduler pid, as their log lines report."""
    found: dict[int, int] = {}
    for line in log.read_text().splitlines():
        match = re.search(r"periodic jobs enqueued jobs=(\d+) pid=(\d+)", line)
        if match:
            pid = int(match.group(2))
            found[pid] = found.get(pid, 0) + int(match.group(1))
    return found


def test_the_sqlite_queue_sits_beside_its_database(tmp_path: Path):
    app = _app(tmp_path, f"sqlite:///{tmp_path / 'a' / 'books.db'}")
    assert queue_file(app) == (tmp_path / "a" / "books-queue.db").resolve()
    other = _app(tmp_path, f"sqlite:///{tmp_path / 'b' / 'books.db'}")
    assert queue_file(other) != queue_file(app)  # two deployments, two queues


def test_the_queue_of_a_postgresql_deployment_lives_in_its_instance_folder(tmp_path: Path):
    app = _app(tmp_path, "postgresql://x@127.0.0.1:1/none")
    assert queue_file(app) == tmp_path / "instance" / "huey.db"


def _app(tmp_path: Path, url: str) -> Any:
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "HUEY_IMMEDIATE": True,
        }
    )
