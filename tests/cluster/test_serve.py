"""``portal serve`` supervises its children (issue 15 item 10): a dead worker is restarted
with a back-off while the web server keeps serving; a dead web server ends the command with a
non-zero status so that a process manager restarts it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from portal.config import PROJECT_ROOT
from portal.migrate import upgrade
from portal.models.cluster import Heartbeat


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def status_of(url: str) -> int | None:
    """The HTTP status of a GET, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def wait_for(condition: Callable[[], object], timeout: float, what: str, log: Path) -> object:
    """Poll until ``condition`` gives something truthy; fail with the log otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}; log:\n{log.read_text()[-4000:]}")


def _children(pid: int) -> dict[int, str]:
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if ppid == pid:
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except (OSError, IndexError, ValueError):
            continue
    return {child: cmd.decode() for child, cmd in found.items()}


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
        gunicorn = [pid for pid, cmd in _children(serve.pid).items() if "gunicorn" in cmd]
        assert len(gunicorn) == 1, _children(serve.pid)
        os.kill(gunicorn[0], signal.SIGKILL)
        assert serve.wait(timeout=40) != 0
        assert status_of(health) is None  # everything went down with it
    finally:
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)
        engine.dispose()


def test_two_web_servers_on_one_host_share_no_control_socket(
    fresh_database: Callable[[str], str], tmp_path: Path
):
    url = fresh_database("two_webs")
    upgrade(url)
    home, log = tmp_path / "home", tmp_path / "web.log"
    home.mkdir()
    env = {**os.environ, "DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path), "HOME": str(home)}
    ports = [free_port(), free_port()]
    webs = []
    with log.open("wb") as out:
        for port in ports:
            webs.append(
                subprocess.Popen(
                    [sys.executable, "-c", "from portal.cli import main; main()", "web"]
                    + ["--port", str(port), "--web-workers", "1", "--host", "127.0.0.1"],
                    cwd=PROJECT_ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
    try:
        for port in ports:
            ready = f"http://127.0.0.1:{port}/readyz"
            wait_for(lambda u=ready: status_of(u) == 200, 60, f"web on {port}", log)
        assert all(web.poll() is None for web in webs)
        assert not (home / ".gunicorn").exists()  # gunicorn's default control socket
    finally:
        for web in webs:
            os.killpg(web.pid, signal.SIGTERM)
            web.wait(timeout=30)
