"""The official Node SDK (npm ``facturapi``) against our webhooks API and signed deliveries.

The SDK comes from the shared ``node_sdk`` fixture (tests/fixtures/node_sdk.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from portal.services import events
from tests.fixtures.node_sdk import run_node

SCRIPT = Path(__file__).with_name("webhooks_check.js")


def _node(sdk: Path, data: dict[str, Any]) -> dict[str, Any]:
    return run_node(sdk, SCRIPT, data, timeout=60)


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
