"""The official Node SDK (npm ``facturapi``) against our receipts API (skipped without npm)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.fixtures.invoices import CUSTOMER
from tests.fixtures.node_sdk import run_node

SCRIPT = Path(__file__).with_name("receipts_check.js")


def test_the_node_sdk_creates_invoices_and_cancels_receipts(
    node_sdk: Path,
    live_server: str,
    make_organization: Any,
    db: Any,
) -> None:
    _, key = make_organization(domain="kemper")
    db.rollback()  # the live server writes; this session must not hold a transaction open
    data = {"key": key, "base": f"{live_server}/v2", "customer": CUSTOMER}
    out = run_node(node_sdk, SCRIPT, data)
    receipt = out["receipt"]
    assert receipt["status"] == "open" and receipt["self_invoice_url"].endswith(receipt["key"])
    assert out["listed"]["total_results"] == 1 and out["retrieved"]["id"] == receipt["id"]
    assert out["dry"]["receipts_count"] == 1
    assert out["invoice"]["status"] == "valid" and out["invoice"]["total"] == receipt["total"]
    assert out["canceled"]["status"] == "canceled"
    assert out["refused"]["status"] == 400 and out["refused"]["code"] == "receipt_not_open"
    assert out["nothing"] == {"status": 400, "code": "no_open_receipts"}
