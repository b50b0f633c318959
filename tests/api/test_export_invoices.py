"""Export invoices and foreign customers through /v2.

- A foreign customer (XEXX010101000 in the CFDI, with ResidenciaFiscal and NumRegIdTrib) keeps
  its own zip (90210) in the customer record; the stamped CFDI writes LugarExpedicion as
  DomicilioFiscalReceptor, and Comercio Exterior's Receptor:Domicilio carries the 90210.
- Exportacion 02 with ``complements: [{type: "comercio_exterior"}]``: stamped, then checked by
  the tests' own SAT checks (XSD with cce20, seal over SAT's cadena, arithmetic redone).
- Refusals are 400s in Facturapi's error body with the code and the field's path.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from portal.models.invoices import Invoice
from tests.cfdi.test_comercio_exterior import CCE, CFDI, check_export, export_body


def _stamped_xml(org_api: Any, body: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    response = org_api.post("/invoices", json=body)
    assert response.status_code == 200, response.get_json()
    invoice = response.get_json()
    assert invoice["status"] == "valid"
    return invoice, org_api.get(f"/invoices/{invoice['id']}/xml").data


def test_a_foreign_customer_keeps_its_us_zip(org_api: Any) -> None:
    body = {
        "legal_name": "Acme Trading Inc",
        "tax_id": "123456789",
        "address": {"country": "USA", "zip": "90210", "state": "CA", "street": "Rodeo Dr 1"},
    }
    created = org_api.post("/customers", json=body)
    assert created.status_code == 200, created.get_json()
    fetched = org_api.get(f"/customers/{created.get_json()['id']}").get_json()
    assert fetched["address"]["zip"] == "90210" and fetched["address"]["country"] == "USA"
    assert fetched["tax_system"] == "616"


def test_a_canadian_zip_is_kept_too(org_api: Any) -> None:
    body = {
        "legal_name": "Maple Goods Ltd",
        "tax_id": "987654321RT0001",
        "address": {"country": "CAN", "zip": "K1A 0B6", "state": "ON", "street": "Wellington 1"},
    }
    created = org_api.post("/customers", json=body)
    assert created.status_code == 200, created.get_json()
    assert created.get_json()["address"]["zip"] == "K1A 0B6"


def test_an_export_invoice_to_a_stored_foreign_customer(org_api: Any, db: Any) -> None:
    """CFDI 4.0 (XEXX010101000 → DomicilioFiscalReceptor = LugarExpedicion) and CCE20401."""
    customer = org_api.post("/customers", json=export_body()["customer"]).get_json()
    invoice, xml = _stamped_xml(org_api, {**export_body(), "customer": customer["id"]})
    root = check_export(xml)
    receptor = root.find(f"{CFDI}Receptor")
    assert receptor.get("Rfc") == "XEXX010101000"
    assert receptor.get("DomicilioFiscalReceptor") == root.get("LugarExpedicion") == "42501"
    domicilio = root.find(f"{CFDI}Complemento/{CCE}ComercioExterior/{CCE}Receptor/{CCE}Domicilio")
    assert domicilio.get("CodigoPostal") == "90210"
    emisor = root.find(f"{CFDI}Complemento/{CCE}ComercioExterior/{CCE}Emisor/{CCE}Domicilio")
    assert emisor.get("Calle") == "Av. Juárez"  # the organization's legal address
    assert invoice["customer"]["id"] == customer["id"]
    # The record was not rewritten with the place of issue.
    again = org_api.get(f"/customers/{customer['id']}").get_json()
    assert again["address"]["zip"] == "90210"


def test_an_inline_export_invoice_in_mxn(org_api: Any) -> None:
    body = export_body(usd_exchange="18.25")
    body["currency"], body["exchange"] = "MXN", 1
    body["complements"][0]["data"]["goods"][0] = {"sku": "TAB-1", "tariff_code": "8471300101"}
    _, xml = _stamped_xml(org_api, body)
    check_export(xml)


def _refused(org_api: Any, db: Any, body: dict[str, Any], code: str, path: str) -> None:
    before = db.scalar(select(func.count()).select_from(Invoice))
    response = org_api.post("/invoices", json=body)
    error = response.get_json()
    assert response.status_code == 400, error
    assert (error["ok"], error["code"], error["path"]) == (False, code, path), error
    assert error["message"]
    assert db.scalar(select(func.count()).select_from(Invoice)) == before


def test_export_02_without_the_complement_is_refused(org_api: Any, db: Any) -> None:
    body = export_body()
    del body["complements"]
    _refused(org_api, db, body, "invalid_foreign_trade", "complements")


def test_the_complement_with_export_03_is_refused(org_api: Any, db: Any) -> None:
    _refused(org_api, db, {**export_body(), "export": "03"}, "invalid_foreign_trade", "export")


def test_an_unknown_tariff_code_is_refused(org_api: Any, db: Any) -> None:
    body = export_body()
    body["complements"][0]["data"]["goods"][1]["tariff_code"] = "0000000000"
    _refused(org_api, db, body, "invalid_foreign_trade", "complements[0].data.goods[1].tariff_code")


def test_a_temporary_export_needs_no_complement(org_api: Any) -> None:
    """c_Exportacion 03 (temporal): stamped without Comercio Exterior."""
    body = export_body()
    del body["complements"]
    _, xml = _stamped_xml(org_api, {**body, "export": "03"})
    assert b"ComercioExterior" not in xml and b'Exportacion="03"' in xml


@pytest.mark.parametrize(
    ("complements", "path"),
    [
        (5, "complements"),
        ([{"type": "comercio_exterior"}], "complements[0].data"),
        ([{"type": "comercio_exterior", "data": {"goods": "x"}}], "complements[0].data.goods"),
    ],
)
def test_malformed_complements_are_a_400(org_api: Any, db: Any, complements, path) -> None:
    _refused(org_api, db, {**export_body(), "complements": complements}, "invalid_input", path)


def test_customs_figures_past_the_xsd_are_a_400_not_a_500(org_api: Any, db: Any) -> None:
    body = export_body()
    goods = body["complements"][0]["data"]["goods"][0]
    goods["customs_quantity"], goods["customs_unit_price"] = "99999999999999", "9999999999999999"
    response = org_api.post("/invoices", json=body)
    assert response.status_code == 400, response.get_json()
    assert db.scalar(select(func.count()).select_from(Invoice)) == 0
