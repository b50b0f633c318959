"""A real redis-server (Debian's) on a free port, that a test can stop and start again."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cluster.processes import free_port


class RedisServer:
    """One redis-server process; ``stop``/``start`` make an outage (``persistent`` keeps the
    queue across it in an append-only file, as a production Redis would)."""

    def __init__(self, port: int, directory: Path, persistent: bool = False) -> None:
        self.port, self.directory, self.persistent = port, directory, persistent
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start it and wait until it accepts connections."""
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed (apt-get install redis-server)")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        pytest.fail("redis-server did not start")

    def stop(self) -> None:
        """Stop it (what it held in memory is gone, as after a crash without persistence)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server on a free port, not started yet; stopped after the test."""
    server = RedisServer(free_port(), tmp_path)
    try:
        yield server
    finally:
        server.stop()
