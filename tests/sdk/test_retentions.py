"""The official Node SDK (npm ``facturapi``) against our retentions API: create, list,
retrieve, the three downloads, sendByEmail, cancel, and a refused body (fails without npm)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.fixtures.node_sdk import run_node
from tests.fixtures.retentions import retention_body

SCRIPT = Path(__file__).with_name("retentions_check.js")


def test_the_node_sdk_drives_retentions(
    node_sdk: Path, live_server: str, make_organization: Any, db: Any
) -> None:
    _, key = make_organization()
    db.rollback()  # the live server writes; this session must not hold a transaction open
    data = {"key": key, "base": f"{live_server}/v2", "body": retention_body()}
    out = run_node(node_sdk, SCRIPT, data)
    retention = out["retention"]
    assert retention["status"] == "valid" and len(retention["uuid"]) == 36
    assert out["listed"]["total_results"] == 1 and out["retrieved"]["id"] == retention["id"]
    assert out["pdf"]["head"] == "%PDF" and out["xml"]["head"] == "<?xm"
    assert out["zip"]["head"].startswith("PK")
    assert out["sent"] == {"ok": True}
    assert out["canceled"]["status"] == "canceled"
    assert out["refused"]["status"] == 400 and out["refused"]["path"] == "cve_retenc"
