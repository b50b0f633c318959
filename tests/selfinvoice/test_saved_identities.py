"""A returning visitor picks a tax identity the merchant has on file for their RFC: masked,
only for who types the RFC, never another merchant's, rate limited."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.fixtures.invoices import CUSTOMER
from tests.fixtures.receipts import BUYER

BRANCH = {
    "name": "Universidad Robotica Espanola Campus Norte",
    "tax_id": "URE180429TM6",
    "tax_system": "601",
    "address": {"zip": "42501"},
}


@pytest.fixture
def shop(make_organization: Any, make_receipt: Any, api: Any) -> Any:
    org, key = make_organization(domain="kemper")
    merchant = api(key)
    customer = merchant.post("/customers", json=CUSTOMER).json["id"]
    merchant.post(f"/customers/{customer}/company-names", json=BRANCH)
    return merchant, customer, make_receipt(key)


def _saved(client: Any, receipt: dict[str, Any], **data: str) -> Any:
    return client.post(f"/kemper/{receipt['key']}/saved", data=data)


def _buttons(html: str) -> list[str]:
    return re.findall(r'name="identity" value="([0-9a-f]{24})"', html)


def test_known_rfc_shows_masked_identities_and_fills_the_form(client: Any, shop: Any) -> None:
    _, _, receipt = shop
    response = _saved(client, receipt, tax_id="ure180429tm6")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert len(_buttons(html)) == 2, html[html.find("<main") :]
    assert "UNI•••••••• ROB••••• ESP•••••" in html and "C.P. 86•••" in html
    assert "C.P. 42•••" in html and "Campus" not in html and "CAMPUS" not in html
    assert "86991" not in html and "42501" not in html and "ROBÓTICA" not in html

    picked = _saved(client, receipt, tax_id="URE180429TM6", identity=_buttons(html)[0])
    filled = picked.get_data(as_text=True)
    assert picked.status_code == 200 and "Usamos tus datos guardados" in filled
    assert 'value="UNIVERSIDAD ROBOTICA ESPANOLA CAMPUS NORTE"' in filled
    assert 'value="42501"' in filled

    data = {**BUYER, "legal_name": "UNIVERSIDAD ROBOTICA ESPANOLA CAMPUS NORTE", "zip": "42501"}
    confirm = client.post(f"/kemper/{receipt['key']}", data=data)
    assert confirm.status_code == 200 and "Confirma tu factura" in confirm.get_data(as_text=True)


def test_unknown_rfc_or_another_merchants_customer_shows_nothing(
    client: Any, shop: Any, make_organization: Any, api: Any
) -> None:
    _, _, receipt = shop
    _, other_key = make_organization(domain="otra")
    other = api(other_key)
    stranger = other.post("/customers", json={**CUSTOMER, "tax_id": "EKU9003173C9",
                                               "legal_name": "Escuela Kemper Urgate",
                                               "address": {"zip": "42501"}})  # fmt: skip
    assert stranger.status_code == 200, stranger.json
    for rfc in ("EKU9003173C9", "XAXX010101000", "NOESUNRFC"):
        response = _saved(client, receipt, tax_id=rfc)
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and _buttons(html) == []
        assert "No tenemos datos guardados con ese RFC" in html
        assert "ESC" not in html.split("Tus datos guardados")[1].split("</section>")[0]
    # An identity id of another RFC is not usable with this one.
    ids = _buttons(_saved(client, receipt, tax_id="URE180429TM6").get_data(as_text=True))
    wrong = _saved(client, receipt, tax_id="EKU9003173C9", identity=ids[0])
    assert "UNIVERSIDAD" not in wrong.get_data(as_text=True)


def test_inactive_identities_are_not_offered(client: Any, shop: Any) -> None:
    merchant, customer, receipt = shop
    names = f"/customers/{customer}/company-names"
    branch = merchant.get(names).json["company_names"][0]["id"]
    school = {**BRANCH, "name": "Escuela Kemper Urgate", "tax_id": "EKU9003173C9"}
    merchant.post(names, json={**school, "is_default": True})  # the default stays active
    off = merchant.post(f"{names}/{branch}/toggle-active")
    assert off.status_code == 200 and off.json["is_active"] is False
    html = _saved(client, receipt, tax_id="URE180429TM6").get_data(as_text=True)
    assert len(_buttons(html)) == 1 and "C.P. 42•••" not in html


def test_lookups_are_rate_limited(client: Any, shop: Any) -> None:
    _, _, receipt = shop
    statuses = [_saved(client, receipt, tax_id="EKU9003173C9").status_code for _ in range(11)]
    assert statuses[:10] == [200] * 10 and statuses[10] == 429


def test_asking_without_an_rfc_is_explained(client: Any, shop: Any) -> None:
    _, _, receipt = shop
    response = _saved(client, receipt, tax_id="")
    assert response.status_code == 400 and 'id="tax_id-err"' in response.get_data(as_text=True)
