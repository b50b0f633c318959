"""Products API: defaults, catalog checks, list/search, edit, delete, tenancy."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from portal.models.products import Product
from portal.services import api_keys
from portal.services import products as service

UKELELE = {"description": "Ukelele", "product_key": "60131324", "price": 345.6, "sku": "UK-1"}


def test_create_applies_facturapi_defaults(org_api: Any, db: Any) -> None:
    response = org_api.post("/products", json=UKELELE)
    assert response.status_code == 200, response.json
    body = response.json
    assert body["price"] == 345.6 and body["tax_included"] is True
    assert body["taxes"] == [{"type": "IVA", "rate": 0.16, "withholding": False, "factor": "Tasa"}]
    assert body["taxability"] == "02" and body["local_taxes"] == []
    assert (body["unit_key"], body["unit_name"]) == ("H87", "Pieza")
    assert db.get(Product, body["id"]).price == Decimal("345.6")
    assert org_api.get(f"/products/{body['id']}").json == body


def test_empty_taxes_mean_no_taxes(org_api: Any) -> None:
    body = org_api.post("/products", json={**UKELELE, "taxes": []}).json
    assert body["taxes"] == [] and body["taxability"] == "01"


def test_explicit_taxes_and_local_taxes(org_api: Any, db: Any) -> None:
    body = org_api.post(
        "/products",
        json={
            **UKELELE,
            "price": "100.10",
            "tax_included": False,
            "taxes": [
                {"type": "IEPS", "rate": 0.08},
                {"type": "ISR", "rate": 0.1, "withholding": True},
            ],
            "local_taxes": [{"type": "ISH", "rate": 0.03}],
            "unit_key": "kgm",
            "unit_name": "Kilogramo",
        },
    ).json
    assert body["taxes"][0] == {
        "type": "IEPS",
        "rate": 0.08,
        "withholding": False,
        "factor": "Tasa",
    }
    assert body["taxes"][1]["withholding"] is True and body["unit_key"] == "KGM"
    engine = service.to_cfdi(db.get(Product, body["id"]))
    assert engine.price == Decimal("100.10") and engine.tax_included is False
    assert [(t.type, t.rate, t.withholding) for t in engine.taxes] == [
        ("IEPS", Decimal("0.08"), False),
        ("ISR", Decimal("0.1"), True),
    ]
    assert engine.local_taxes[0].rate == Decimal("0.03")


@pytest.mark.parametrize(
    ("change", "path", "code"),
    [
        ({"product_key": "99999999"}, "product_key", "not_found"),
        ({"product_key": None}, "product_key", "required"),
        ({"unit_key": "ZZ9"}, "unit_key", "not_found"),
        ({"price": "abc"}, "price", "invalid_type"),
        ({"price": -1}, "price", "out_of_range"),
        ({"price": None}, "price", "required"),
        ({"description": ""}, "description", "required"),
        ({"tax_included": "yes"}, "tax_included", "invalid_type"),
        ({"taxability": "09"}, "taxability", "invalid_enum"),
        ({"taxes": {"type": "IVA"}}, "taxes", "invalid_type"),
        ({"taxes": [{"type": "VAT"}]}, "taxes[0].type", "invalid_enum"),
        ({"taxes": [{"type": "IEPS"}]}, "taxes[0].rate", "required"),
        ({"taxes": [{"rate": "x"}]}, "taxes[0].rate", "invalid_type"),
        ({"taxes": [{"factor": "Fixed"}]}, "taxes[0].factor", "invalid_enum"),
        ({"local_taxes": [{"rate": 0.03}]}, "local_taxes[0].type", "required"),
    ],
)
def test_create_refuses_bad_input(
    org_api: Any, change: dict[str, Any], path: str, code: str
) -> None:
    response = org_api.post("/products", json={**UKELELE, **change})
    assert response.status_code == 400, response.json
    assert (path, code) in {(e["path"], e["code"]) for e in response.json["errors"]}


def test_create_reports_every_missing_field(org_api: Any) -> None:
    response = org_api.post("/products", json={})
    assert response.status_code == 400
    assert {e["path"] for e in response.json["errors"]} == {"description", "product_key", "price"}


def test_list_search_and_sku(org_api: Any) -> None:
    ukelele = org_api.post("/products", json=UKELELE).json
    guitar = org_api.post(
        "/products", json={**UKELELE, "description": "Guitarra", "sku": "GT-2"}
    ).json
    assert [p["id"] for p in org_api.get("/products").json["data"]] == [guitar["id"], ukelele["id"]]
    assert [p["id"] for p in org_api.get("/products?q=ukel").json["data"]] == [ukelele["id"]]
    assert [p["id"] for p in org_api.get("/products?sku=GT-2").json["data"]] == [guitar["id"]]
    assert org_api.get("/products?page=0").status_code == 400


def test_edit_changes_only_what_is_sent(org_api: Any) -> None:
    product = org_api.post("/products", json=UKELELE).json
    edited = org_api.put(f"/products/{product['id']}", json={"price": 400}).json
    assert edited["price"] == 400 and edited["taxes"] == product["taxes"]
    assert edited["taxability"] == "02"
    untaxed = org_api.put(f"/products/{product['id']}", json={"taxes": []}).json
    assert untaxed["taxes"] == [] and untaxed["taxability"] == "01"
    restored = org_api.put(f"/products/{product['id']}", json={"taxes": None}).json
    assert restored["taxes"] == product["taxes"] and restored["taxability"] == "02"


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"price": None}, "price"),
        ({"description": ""}, "description"),
        ({"product_key": "1"}, "product_key"),
        ({"taxes": [{"type": "XX"}]}, "taxes[0].type"),
    ],
)
def test_edit_refuses_bad_input(org_api: Any, body: dict[str, Any], path: str) -> None:
    product = org_api.post("/products", json=UKELELE).json
    response = org_api.put(f"/products/{product['id']}", json=body)
    assert response.status_code == 400 and response.json["path"] == path
    assert org_api.get(f"/products/{product['id']}").json == product


def test_delete_hides_the_product(org_api: Any) -> None:
    product = org_api.post("/products", json=UKELELE).json
    assert org_api.delete(f"/products/{product['id']}").status_code == 200
    assert org_api.get(f"/products/{product['id']}").status_code == 404
    assert org_api.get("/products").json["total_results"] == 0


def test_another_organizations_product_is_not_found(
    org_api: Any, make_organization: Any, api: Any
) -> None:
    product = org_api.post("/products", json=UKELELE).json
    other = api(make_organization()[1])
    path = f"/products/{product['id']}"
    assert other.get(path).status_code == 404
    assert other.put(path, json={"price": 1}).status_code == 404
    assert other.delete(path).status_code == 404
    assert other.get("/products").json["total_results"] == 0


def test_test_and_live_products_never_mix(org_api: Any, api: Any, db: Any) -> None:
    live = api(api_keys.create_live_key(db, org_api.organization))
    db.commit()
    test_product = org_api.post("/products", json=UKELELE).json
    live_product = live.post("/products", json=UKELELE).json
    assert live_product["livemode"] is True
    assert live.get(f"/products/{test_product['id']}").status_code == 404
    assert org_api.get(f"/products/{live_product['id']}").status_code == 404
    assert [p["id"] for p in live.get("/products").json["data"]] == [live_product["id"]]
