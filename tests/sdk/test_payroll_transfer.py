"""The official Node SDK (npm ``facturapi@5``) creates payroll (N) and transfer (T) invoices
against our API, as a merchant migrating from Facturapi would (fails without node/npm)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.fixtures.node_sdk import run_node
from tests.fixtures.payroll_transfer import payroll_body, transfer_body

SCRIPT = Path(__file__).with_name("payroll_transfer_check.mjs")


def test_the_node_sdk_creates_payroll_and_transfer_invoices(
    node_sdk: Path, live_server: str, make_organization: Any, db: Any
) -> None:
    _, key = make_organization()
    db.rollback()  # the live server writes; this session must not hold a transaction open
    data = {
        "key": key,
        "base": f"{live_server}/v2",
        "payroll": payroll_body(),
        "transfer": transfer_body(),
    }
    out = run_node(node_sdk, SCRIPT, data)
    assert out["payroll"]["type"] == "N" and out["payroll"]["status"] == "valid"
    assert out["transfer"]["type"] == "T" and out["transfer"]["total"] == 0
    assert [i["id"] for i in out["listed"]["data"]] == [out["payroll"]["id"]]
    assert 'TipoDeComprobante="N"' in out["payrollXml"] and "nomina12:Nomina" in out["payrollXml"]
    assert "cartaporte31:CartaPorte" in out["transferXml"]
    assert out["pdfHeader"] == "%PDF-"
    assert out["refused"]["status"] == 400 and out["refused"]["code"] == "NOM154"
