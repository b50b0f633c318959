"""The per-key API rate limit holds across two ``portal web`` processes (issue 18 item 5):
counted in the database (SQLite) or in Redis (``REDIS_URL``), never per process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from portal import create_app
from portal.config import PROJECT_ROOT
from portal.extensions import db
from portal.migrate import upgrade
from portal.services import accounts, api_keys
from portal.services import organizations as orgs
from tests.cluster.processes import free_port, status_of, wait_for

LIMIT, WINDOW, CALLS = 40, 30, 100  # a window far longer than the load: no reset mid-test


def _key(url: str, instance: Path) -> str:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(instance)})
    with app.app_context():
        account, _user_key = accounts.create_account(
            db.session, "limits@example.com", "correct horse battery 9", "Limits", "reseller"
        )
        organization = orgs.create_organization(db.session, account, "Kemper")
        key = api_keys.test_key(db.session, organization)
        db.session.commit()
        db.engine.dispose()
    return key


def _start_webs(env: dict[str, str], log: Path) -> tuple[list[str], list[Any]]:
    ports, webs = [free_port(), free_port()], []
    with log.open("wb") as out:
        for port in ports:
            webs.append(
                subprocess.Popen(
                    [sys.executable, "-c", "from portal.cli import main; main()", "web"]
                    + ["--port", str(port), "--web-workers", "2", "--host", "127.0.0.1"],
                    cwd=PROJECT_ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
    nodes = [f"http://127.0.0.1:{port}" for port in ports]
    for node in nodes:
        wait_for(lambda n=node: status_of(f"{n}/readyz") == 200, 60, node, log)
    return nodes, webs


@pytest.mark.slow
@pytest.mark.parametrize("store", ["database", "redis"])
def test_the_limit_holds_across_two_web_processes(
    store: str, fresh_database: Callable[[str], str], tmp_path: Path, request: Any
) -> None:
    url = fresh_database(f"rate_limit_{store}")
    upgrade(url)
    key = _key(url, tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "INSTANCE_PATH": str(tmp_path),
        "HOME": str(home),
        "API_RATE_LIMITS": f"{LIMIT} per {WINDOW} seconds",
    }
    env.pop("REDIS_URL", None)
    if store == "redis":
        server = request.getfixturevalue("redis_server")
        server.start()
        env["REDIS_URL"] = server.url
    nodes, webs = _start_webs(env, tmp_path / "web.log")
    headers = {"Authorization": f"Bearer {key}"}

    def call(n: int) -> requests.Response:
        return requests.get(f"{nodes[n % 2]}/v2/customers", headers=headers, timeout=30)

    try:
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(call, range(CALLS)))
    finally:
        for web in webs:
            os.killpg(web.pid, signal.SIGTERM)
            web.wait(timeout=30)
    statuses = [a.status_code for a in answers]
    assert statuses.count(200) == LIMIT, statuses  # one budget for both nodes, not one each
    assert statuses.count(429) == CALLS - LIMIT
    served_by = {n % 2 for n, a in enumerate(answers) if a.status_code == 200}
    assert served_by == {0, 1}
    for answer in answers:
        assert answer.headers["RateLimit-Limit"] == str(LIMIT)
        if answer.status_code == 429:
            assert 1 <= int(answer.headers["Retry-After"]) <= WINDOW
            assert answer.json()["type"] == "rate_limit_error"
