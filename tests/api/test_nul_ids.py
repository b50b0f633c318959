"""An id with a NUL or any character no id has is simply not found: PostgreSQL refuses NUL in
text, so it must never reach a query (found by schemathesis on the PostgreSQL pass)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fixtures.invoices import CUSTOMER, ITEM

ODD_IDS = ["\x00", "abc\x00def", "6b14" + "\x00" * 20, "../../etc", "é" * 24]


@pytest.mark.parametrize("odd", ODD_IDS)
def test_an_odd_product_id_in_a_receipt_is_a_clear_404(make_organization, api, odd: str) -> None:
    _org, key = make_organization()
    response = api(key).post(
        "/receipts", json={"items": [{"quantity": 1, "product": odd}], "payment_form": "01"}
    )
    assert response.status_code == 404, response.get_json()
    assert response.get_json()["message"] == "El producto no existe."


@pytest.mark.parametrize("odd", ODD_IDS)
def test_an_odd_customer_id_in_an_invoice_is_a_clear_404(make_organization, api, odd: str) -> None:
    _org, key = make_organization()
    body = {"customer": odd, "items": [ITEM], "payment_form": "03", "use": "G03"}
    response = api(key).post("/invoices", json=body)
    assert response.status_code == 404, response.get_json()


def test_the_real_ids_still_resolve(make_organization, api: Any) -> None:
    _org, key = make_organization()
    client = api(key)
    customer = client.post("/customers", json=CUSTOMER).get_json()
    body = {"customer": customer["id"], "items": [ITEM], "payment_form": "03", "use": "G03"}
    assert client.post("/invoices", json=body).status_code == 200


@pytest.mark.parametrize(
    "path", ["/customers?q=%00", "/products?q=a%00", "/receipts?q=%00", "/retentions?q=%00",
             "/invoices?q=%00"],
)  # fmt: skip
def test_a_nul_in_the_query_is_a_400_that_names_the_field(make_organization, api, path) -> None:
    _org, key = make_organization()
    response = api(key).get(path)
    body = response.get_json()
    assert response.status_code == 400 and body["code"] == "invalid_characters", body
    assert body["path"] == "q" and body["message"].startswith("El campo q contiene")


@pytest.mark.parametrize("path", ["/customers/%00", "/invoices/ab%00", "/products/x%00/y"])
def test_a_nul_in_the_path_is_a_404(make_organization, api, path: str) -> None:
    _org, key = make_organization()
    response = api(key).get(path)
    assert response.status_code == 404 and response.get_json()["code"] == "not_found"


def test_a_nul_in_a_dashboard_search_is_refused_in_spanish(make_organization, login_as, db, client):
    from portal.models.accounts import Account

    org, _key = make_organization()
    login_as(db.get(Account, org.account_id))
    page = client.get(f"/dashboard/o/{org.id}/customers?q=a%00b")
    assert page.status_code == 400
    assert "El campo q contiene caracteres de control no permitidos." in page.get_data(True)
