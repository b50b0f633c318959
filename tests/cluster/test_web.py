"""Several ``portal web`` (gunicorn) on one host do not clash (issue 16 item 1)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from portal.config import PROJECT_ROOT
from portal.migrate import upgrade
from tests.cluster.processes import free_port, status_of, wait_for


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
