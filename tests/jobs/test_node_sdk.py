"""The official Node SDK (npm ``facturapi``) against our webhooks API and signed deliveries.

Skipped, with the reason, when node/npm are missing or the package cannot be installed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from portal.services import events

SDK_DIR = Path("/tmp/facturapi-node-sdk")
SCRIPT = Path(__file__).with_name("facturapi_sdk_check.js")


@pytest.fixture(scope="session")
def node_sdk() -> Path:
    """A directory where ``require('facturapi')`` works."""
    if not (shutil.which("node") and shutil.which("npm")):
        pytest.skip("node and npm are not installed: the Node SDK check is skipped")
    if not (SDK_DIR / "node_modules" / "facturapi").exists():
        SDK_DIR.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--silent", "facturapi@5"],
            cwd=SDK_DIR,
            capture_output=True,
            text=True,
            timeout=180,
        )
        if result.returncode != 0:
            pytest.skip(f"npm could not install facturapi: {result.stderr[-300:]}")
    shutil.copy(SCRIPT, SDK_DIR / "check.js")
    return SDK_DIR


def _node(sdk: Path, data: dict[str, Any]) -> dict[str, Any]:
    result = subprocess.run(
        ["node", "check.js"],
        cwd=sdk,
        input=json.dumps(data),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_node_sdk_manages_webhooks_and_validates_our_signatures(
    node_sdk: Path, live_server: str, make_organization: Any, receiver: Any, db: Any
) -> None:
    org, key = make_organization()
    base = f"{live_server}/v2"
    crud = _node(node_sdk, {"mode": "crud", "key": key, "base": base, "url": receiver.url})
    assert crud["hook"]["secret"].startswith("whsec_") and crud["hook"]["status"] == "enabled"
    assert crud["listed"]["total_results"] == 1
    assert crud["updated"]["enabled_events"] == ["invoice.status_updated", "receipt.status_updated"]
    assert crud["refused"] == {"status": 400, "path": "url"}

    data = {
        "type": "invoice",
        "object": {"id": "inv", "total": 1160.5, "customer": {"legal_name": "PEÑA"}},
    }
    event = events.record(db, org.id, False, "invoice.status_updated", data)
    db.commit()
    [request] = receiver.requests
    checked = _node(
        node_sdk,
        {
            "mode": "validate",
            "key": key,
            "base": base,
            "secret": crud["hook"]["secret"],
            "signature": request["headers"]["Facturapi-Signature"],
            "body": request["body"].decode(),
        },
    )
    assert checked["asObject"]["id"] == checked["asString"]["id"] == event.id
    assert checked["tampered"] == "Invalid signature"
