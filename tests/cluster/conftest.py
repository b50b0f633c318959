"""A real redis-server (Debian's) on a free port, that a test can stop and start again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cluster.processes import RedisServer, free_port


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server on a free port, not started yet; stopped after the test."""
    server = RedisServer(free_port(), tmp_path)
    try:
        yield server
    finally:
        server.stop()
