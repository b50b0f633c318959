"""Malformed invoice bodies on create, draft edit and stamp: always a coded 4xx, never a 500."""

from __future__ import annotations

import pytest

BAD = [
    {"items": [5]},
    {"items": [{"product": 5}]},
    {"customer": 5},
    {"customer": []},
    {"items": [{"product": {"description": "x", "product_key": "60131324", "price": "1e999"}}]},
    {
        "items": [
            {"product": {"description": "x", "product_key": "60131324", "price": 1, "taxes": "x"}}
        ]
    },
    {"date": "ayer"},
    {"date": 5},
    {"currency": 5},
    {"exchange": "x"},
    {"payment_form": {}},
    {"related_documents": "x"},
    {"related_documents": [{"relationship": "01"}]},
    {"external_id": {}},
    {"status": 5},
    {"type": "P"},
    {"type": "P", "complements": [{"type": "pago", "data": [{}]}]},
    {"type": "E", "related_documents": [{"relationship": "01", "documents": ["nope"]}]},
    {
        "items": [
            {"quantity": -1, "product": {"description": "x", "product_key": "60131324", "price": 1}}
        ]
    },
    {"address": "x"},
    {"global": {"periodicity": "x"}},
    {"addenda": "<x"},
    {"use": 5},
]


@pytest.mark.parametrize("change", BAD)
def test_malformed_bodies_never_cause_a_500(make_organization, api, invoice_body, change):
    _organization, key = make_organization()
    c = api(key)
    r = c.post("/invoices", json=invoice_body(**change))
    assert r.status_code in (400, 404, 422), (r.status_code, r.get_json())
    d = c.post("/invoices", json=invoice_body(status="draft")).get_json()
    r = c.put(f"/invoices/{d['id']}", json=change)
    assert r.status_code in (200, 400, 404), (r.status_code, r.get_json())
    r = c.post(f"/invoices/{d['id']}/stamp")
    assert r.status_code in (200, 400, 404, 422), (r.status_code, r.get_json())
