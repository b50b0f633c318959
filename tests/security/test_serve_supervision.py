"""``portal serve`` supervises its children (issue 15 item 10): a dead worker is restarted
with a back-off while the web server keeps serving; a dead web server ends the command with a
non-zero status so that a process manager restarts it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, select

from portal.config import PROJECT_ROOT
from portal.migrate import upgrade
from portal.models.cluster import Heartbeat
from tests.cluster.processes import children, free_port, status_of, wait_for


def _worker_pids(engine) -> set[int]:
    with engine.connect() as connection:
        names = connection.scalars(select(Heartbeat.process).where(Heartbeat.role == "worker"))
        return {int(name.rsplit(":", 1)[1]) for name in names}


def test_serve_restarts_a_dead_worker_and_exits_non_zero_when_the_web_server_dies(
    fresh_database: Callable[[str], str], tmp_path: Path
):
    url = fresh_database("serve")
    upgrade(url)
    port, log = free_port(), tmp_path / "serve.log"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "serve-test",
        "HEALTH_MAX_HEARTBEAT_AGE": "30",
    }
    env.pop("HUEY_IMMEDIATE", None)
    with log.open("wb") as out:
        serve = subprocess.Popen(
            [sys.executable, "-c", "from portal.cli import main; main()", "serve"]
            + ["--port", str(port), "--web-workers", "1"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    health = f"http://127.0.0.1:{port}/healthz"
    try:
        wait_for(lambda: status_of(health) == 200, 60, "a healthy cluster", log)
        first = wait_for(lambda: _worker_pids(engine), 30, "a worker heartbeat", log)
        (worker,) = first
        os.kill(worker, signal.SIGKILL)
        serving = [status_of(f"http://127.0.0.1:{port}/readyz") for _ in range(5)]
        restarted = wait_for(lambda: _worker_pids(engine) - first, 30, "a new worker", log)
        assert worker not in restarted and serve.poll() is None
        assert serving == [200] * 5  # the web server never stopped
        assert "worker exited" in log.read_text()
        gunicorn = [pid for pid, cmd in children(serve.pid).items() if "gunicorn" in cmd]
        assert len(gunicorn) == 1, children(serve.pid)
        os.kill(gunicorn[0], signal.SIGKILL)
        assert serve.wait(timeout=40) != 0
        assert status_of(health) is None  # everything went down with it
    finally:
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)
        engine.dispose()
