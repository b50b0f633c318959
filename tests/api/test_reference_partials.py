"""Operations of the Facturapi reference that were partial, made whole (issue 19, point 4)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def org_api(make_organization: Any, api: Any) -> Any:
    """An API client for a ready organization's test environment."""
    organization, key = make_organization()
    client = api(key)
    client.organization = organization
    return client


def test_stamp_draft_async_answers_pending_and_the_worker_stamps_it(
    org_api, invoice_body, verify_stamped
) -> None:
    draft = org_api.post("/invoices", json=invoice_body(status="draft")).get_json()
    assert draft["status"] == "draft"
    pending = org_api.post(f"/invoices/{draft['id']}/stamp?async=true")
    assert pending.status_code == 200, pending.get_json()
    answer = pending.get_json()
    assert answer["status"] == "pending" and answer["uuid"] is None and answer["stamp"] is None
    assert answer["folio_number"] == 1
    # HUEY_IMMEDIATE: the job ran right after the commit.
    done = org_api.get(f"/invoices/{draft['id']}").get_json()
    assert done["status"] == "valid" and done["uuid"]
    verify_stamped(org_api.get(f"/invoices/{draft['id']}/xml").data)
    again = org_api.post(f"/invoices/{draft['id']}/stamp?async=true")
    assert again.status_code == 400 and again.get_json()["code"] == "not_a_draft"


def test_stamp_draft_async_refuses_an_incomplete_draft_at_once(org_api) -> None:
    draft = org_api.post(
        "/invoices", json={"status": "draft", "customer": {"legal_name": "X"}}
    ).get_json()
    refused = org_api.post(f"/invoices/{draft['id']}/stamp?async=true")
    assert refused.status_code == 400 and refused.get_json()["message"]
    assert org_api.get(f"/invoices/{draft['id']}").get_json()["status"] == "draft"


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize(
    "path", ["/v2", "/v2/nothing", "/v2/nothing/here", "/v2/invoices/x/nothing/here"]
)
def test_unknown_v2_routes_are_the_api_404(client, db, make_organization, method, path) -> None:
    organization, key = make_organization()
    organization.domain = "v2"  # not even an organization with that domain captures them
    db.commit()
    response = client.open(
        path, method=method, json={"a": 1}, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 404, (method, path, response.data[:200])
    body = response.get_json()
    assert body["status"] == 404 and body["message"] and "<html" not in response.text
