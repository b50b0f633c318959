"""Issue 15.11: ``make test`` runs pip-audit over the installed dependencies and fails on a
known vulnerability; when no vulnerability service answers it says so loudly instead of passing
in silence (pip-audit alone reports "No known vulnerabilities found" when PyPI's per-release
API is not served, as on a machine that reaches only the package registry).

The real pip-audit runs against an OSV-compatible server written here (``PIP_AUDIT_OSV_URL``),
which matches versions against the advisories each test gives it; the registry fallback (PyPI's
project JSON API, the one service this machine reaches) against a server that answers as PyPI
does, each installed package being its latest release unless a test says otherwise."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / ".ci" / "audit-deps"
# The canary the script checks a service with: requests 2.19.0 (CVE-2018-18074), fixed in 2.20.0.
CANARY = {
    "id": "PYSEC-2018-28",
    "aliases": ["CVE-2018-18074"],
    "summary": "requests sends the Authorization header on an https-to-http redirect",
    "affected": [
        {
            "package": {"name": "requests", "ecosystem": "PyPI"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.20.0"}]}],
        }
    ],
}


def _advisory_for_installed(name: str) -> dict[str, Any]:
    """An advisory (made up for the test) that hits the installed release of ``name``."""
    installed = Version(version(name))
    fixed = f"{installed.major}.{installed.minor}.{installed.micro + 1}"
    return {
        "id": "TEST-2026-0001",
        "summary": f"made-up flaw in {name}",
        "affected": [
            {
                "package": {"name": name, "ecosystem": "PyPI"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}
                ],
            }
        ],
    }


def _affects(advisory: dict[str, Any], name: str, release: str) -> bool:
    for affected in advisory["affected"]:
        if affected["package"]["name"] != name:
            continue
        for span in affected["ranges"]:
            start = Version(span["events"][0]["introduced"])
            end = Version(span["events"][1]["fixed"])
            if start <= Version(release) < end:
                return True
    return False


class _OsvServer:
    """A minimal OSV ``/v1/query`` endpoint over a list of advisories."""

    def __init__(self) -> None:
        self.advisories: list[dict[str, Any]] = []
        self.queried: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                name, release = query["package"]["name"], query["version"]
                owner.queried.append(name)
                vulns = [a for a in owner.advisories if _affects(a, name, release)]
                body = json.dumps({"vulns": vulns} if vulns else {}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/v1/query"


@pytest.fixture
def osv() -> Iterator[_OsvServer]:
    server = _OsvServer()
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


class _RegistryServer:
    """PyPI's ``/pypi/NAME/json``: the latest release of a project and that release's flaws."""

    def __init__(self) -> None:
        self.latest: dict[str, str] = {}  # a newer release than the installed one
        self.flaws: dict[str, list[dict[str, Any]]] = {
            "pycrypto": [{"id": "PYSEC-2017-94", "aliases": ["CVE-2013-7459"], "fixed_in": []}]
        }
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                name = self.path.strip("/").split("/")[1]
                try:
                    latest = owner.latest.get(name) or version(name)
                except Exception:
                    latest = "2.6.1"  # the canary, not installed
                project = {"info": {"name": name, "version": latest}}
                body = json.dumps({**project, "vulnerabilities": owner.flaws.get(name, [])})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *_args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/pypi"


@pytest.fixture
def registry() -> Iterator[_RegistryServer]:
    server = _RegistryServer()
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


def _audit(osv_url: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "AUDIT_SERVICES": "osv",
        "PIP_AUDIT_OSV_URL": osv_url,
        "AUDIT_REQUIRED": "",
        **env,
    }
    return subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, env=environment, timeout=600
    )


pytestmark = pytest.mark.slow


def test_make_test_runs_the_audit():
    makefile = (ROOT / "Makefile").read_text()
    test_target = next(line for line in makefile.splitlines() if line.startswith("test:"))
    assert "audit" in test_target.split()
    assert "$(BIN)/python .ci/audit-deps" in makefile
    assert "pip-audit" in (ROOT / "pyproject.toml").read_text()


def test_a_known_vulnerability_in_an_installed_dependency_fails_the_audit(osv):
    osv.advisories = [CANARY, _advisory_for_installed("qrcode")]
    run = _audit(osv.url)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "qrcode" in run.stdout and "TEST-2026-0001" in run.stdout
    assert {"flask", "sqlalchemy", "qrcode"} <= set(osv.queried)  # the whole environment


def test_an_environment_without_known_vulnerabilities_passes(osv):
    osv.advisories = [CANARY]
    run = _audit(osv.url)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "no known vulnerabilities in" in run.stdout
    assert "NOT DONE" not in run.stderr


def test_a_service_that_misses_the_canary_is_not_trusted(osv):
    osv.advisories = [_advisory_for_installed("qrcode")]  # it knows nothing about the canary
    run = _audit(osv.url)
    assert run.returncode == 0
    assert "DEPENDENCY AUDIT NOT DONE" in run.stderr
    assert "canary" in run.stderr
    assert _audit(osv.url, AUDIT_REQUIRED="1").returncode == 3


def test_an_unreachable_service_is_reported_not_passed_in_silence(osv):
    osv.httpd.server_close()  # nobody listens any more
    run = _audit(osv.url)
    assert run.returncode == 0
    assert "DEPENDENCY AUDIT NOT DONE" in run.stderr and "were NOT checked" in run.stderr
    assert _audit(osv.url, AUDIT_REQUIRED="1").returncode == 3


def _registry_audit(registry: Any, **env: str) -> subprocess.CompletedProcess[str]:
    return _audit(
        "http://127.0.0.1:9/v1/query",
        AUDIT_SERVICES="registry",
        AUDIT_PYPI_JSON_URL=registry.url,
        **env,
    )


def test_the_registry_fallback_fails_on_a_flaw_of_an_installed_release(registry):
    registry.flaws["qrcode"] = [
        {"id": "GHSA-test-0001", "aliases": ["CVE-2026-0001"], "fixed_in": ["99.0"]}
    ]
    run = _registry_audit(registry)
    assert run.returncode == 1, run.stdout + run.stderr
    assert f"VULNERABLE qrcode {version('qrcode')}: GHSA-test-0001 CVE-2026-0001" in run.stdout
    assert "fixed in 99.0" in run.stdout


def test_the_registry_fallback_names_what_it_could_not_check(registry):
    registry.latest["flask"] = "99.0.0"  # installed Flask is then not the latest release
    run = _registry_audit(registry)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "no known vulnerabilities" in run.stdout
    assert "DEPENDENCY AUDIT INCOMPLETE" in run.stderr
    assert f"flask {version('flask')} (latest is 99.0.0" in run.stderr
    assert "portal" not in run.stderr.lower().replace("(registry)", "")  # the project is skipped
    assert _registry_audit(registry, AUDIT_REQUIRED="1").returncode == 3


def test_a_registry_that_misses_the_canary_is_not_trusted(registry):
    registry.flaws.clear()
    run = _registry_audit(registry)
    assert run.returncode == 0 and "DEPENDENCY AUDIT NOT DONE" in run.stderr
    assert "registry: the canary" in run.stderr
