"""The official Node SDK (npm ``facturapi`` v5) drives our /v2 on a live server.

The SDK is installed once into ``.cache/node-sdk`` (npm). Without node, npm or the registry the
test fails with the reason: the compatibility claim must not pass silently.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from portal.services import events
from tests.fixtures.factories import LEGAL
from tests.fixtures.invoices import CUSTOMER, ITEM
from tests.fixtures.node_sdk import run_node
from tests.fixtures.receipts import RECEIPT_ITEM

SCRIPT = Path(__file__).with_name("sdk_flow.mjs")


def _run_flow(sdk: Path, data: dict[str, Any]) -> dict[str, Any]:
    return run_node(sdk, SCRIPT, data)


def _delivered_event(db: Any, org: Any, make_webhook: Any, receiver: Any) -> dict[str, str]:
    """A webhook delivery our worker really made: its secret, signature header and raw body."""
    _hook, secret = make_webhook(org, receiver.url, ["invoice.status_updated"])
    events.record(db, org.id, False, "invoice.status_updated", {"type": "invoice"})
    db.commit()
    [request] = receiver.requests
    signature = request["headers"]["Facturapi-Signature"]
    return {"secret": secret, "signature": signature, "body": request["body"].decode()}


@pytest.fixture
def flow(
    node_sdk: Path,
    live_server: str,
    db: Any,
    make_account: Any,
    make_organization: Any,
    org_csd: Any,
    make_webhook: Any,
    receiver: Any,
) -> dict[str, Any]:
    """Everything the SDK script answered, run once against a reseller and a ready organization."""
    account, user_key = make_account()
    org, key = make_organization(account=account, domain="escuela-sdk")
    data = {
        "base": f"{live_server}/v2",
        "key": key,
        "user_key": user_key,
        "customer": CUSTOMER,
        "product": ITEM["product"],
        "receipt": {"items": [RECEIPT_ITEM], "payment_form": "01"},
        "legal": LEGAL,
        "cer": base64.b64encode(org_csd.cer_der).decode(),
        "keyfile": base64.b64encode(org_csd.key_der).decode(),
        "password": org_csd.password,
        "webhook": _delivered_event(db, org, make_webhook, receiver),
    }
    return {"org": org, **_run_flow(node_sdk, data)}


def test_the_node_sdk_speaks_our_api(flow: dict[str, Any]) -> None:
    _customers(flow["customers"], flow["org"].id)
    _products(flow["products"])
    _invoices(flow["invoices"], flow["customers"]["created"])
    _receipts(flow["receipts"], flow["customers"]["created"])
    _tools(flow["tools"])
    _organizations(flow["organizations"])
    webhook = flow["webhook"]
    assert webhook["valid"]["type"] == "invoice.status_updated"
    assert webhook["tampered"]["message"] == "Invalid signature"
    assert flow["unauthorized"]["status"] == 401
    assert flow["unauthorized"]["code"] == "unauthorized"


def _customers(result: dict[str, Any], organization_id: str) -> None:
    created = result["created"]
    assert created["tax_id"] == CUSTOMER["tax_id"] and created["organization"] == organization_id
    assert [c["id"] for c in result["listed"]["data"]] == [created["id"]]
    assert result["retrieved"] == created
    assert result["updated"]["email"] == "nuevo@example.com"
    bad = result["badInput"]
    assert bad["name"] == "FacturapiError" and bad["status"] == 400 and bad["path"] == "tax_id"
    assert bad["code"] and bad["message"] and bad["first"]["path"] == "tax_id"
    assert result["deleted"]["external_id"] == "scratch"
    assert result["gone"]["status"] == 404 and result["gone"]["code"] == "not_found"


def _products(result: dict[str, Any]) -> None:
    created = result["created"]
    assert created["product_key"] == ITEM["product"]["product_key"]
    assert created["id"] in [p["id"] for p in result["listed"]["data"]]
    assert result["retrieved"] == created
    assert result["updated"]["price"] == 400
    assert result["badInput"]["status"] == 400 and result["badInput"]["path"] == "price"
    assert result["deleted"]["id"] == created["id"]


def _invoices(result: dict[str, Any], customer: dict[str, Any]) -> None:
    created = result["created"]
    assert created["status"] == "valid" and created["uuid"]
    assert created["customer"]["id"] == customer["id"]
    assert created["total"] == 2 * ITEM["product"]["price"]  # the price includes IVA
    assert [i["id"] for i in result["listed"]["data"]] == [created["id"]]
    assert result["retrieved"]["uuid"] == created["uuid"]
    assert result["pdfStart"] == "%PDF-" and result["xmlHasUuid"]
    bad = result["badInput"]
    assert bad["status"] == 400 and bad["path"].startswith("items[0].product")
    canceled = result["canceled"]
    assert canceled["id"] == created["id"] and canceled["cancellation"]["motive"] == "02"
    # Test mode, recent and under $1,000 of difference: SAT needs no acceptance.
    assert (canceled["status"], canceled["cancellation_status"]) == ("canceled", "accepted")


def _organizations(result: dict[str, Any]) -> None:
    created = result["created"]
    assert created["is_production_ready"] is False
    assert result["legal"]["legal"]["tax_system"] == LEGAL["tax_system"]
    certified = result["certified"]
    # A generated test CSD and no PAC: ready for test invoices, not for live ones.
    assert certified["certificate"]["has_certificates"] and not certified["is_production_ready"]
    assert [s["type"] for s in certified["pending_steps"]] == ["certificate", "pac"]
    assert result["wrongPassword"]["status"] == 400
    assert result["testKey"].startswith("sk_test_") and result["liveKey"].startswith("sk_live_")
    assert [k["first_12"] for k in result["liveKeys"]] == [result["liveKey"][:12]]
    assert result["afterRevoke"] == []
    assert result["me"]["id"] == created["id"]
    assert created["id"] in [o["id"] for o in result["listed"]["data"]]
    assert result["orgKeyRefused"]["status"] == 403


def _receipts(result: dict[str, Any], customer: dict[str, Any]) -> None:
    created = result["created"]
    assert created["status"] == "open" and created["key"] in created["self_invoice_url"]
    assert [r["id"] for r in result["listed"]["data"]] == [created["id"]]
    assert result["retrieved"] == created
    assert result["pdfStart"] == "%PDF-"
    invoiced = result["invoiced"]
    assert invoiced["status"] == "valid" and invoiced["customer"]["id"] == customer["id"]
    assert invoiced["total"] == created["total"]
    assert result["canceled"]["status"] == "canceled"
    global_invoice = result["global"]
    assert global_invoice["status"] == "valid"
    assert global_invoice["customer"]["tax_id"] == "XAXX010101000"
    assert result["nothingLeft"]["status"] == 400 and result["nothingLeft"]["message"]


def _tools(result: dict[str, Any]) -> None:
    assert result["taxInfo"] == {"is_valid": True, "errors": []}
    # No 69-B list is loaded in the tests: the answer says so instead of calling the RFC clean.
    assert result["efos"]["efos"]["is_valid"] is None
    assert result["efos"]["efos"]["list_loaded"] is False
    assert "60131324" in [entry["key"] for entry in result["productKeys"]["data"]]
    assert "H87" in [entry["key"] for entry in result["units"]["data"]]
