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


def test_organizations_list_honours_the_date_filters_and_me(api, make_account, db) -> None:
    from datetime import UTC, datetime

    from portal.models.organizations import Organization

    _account, key = make_account()
    user = api(key)
    ids = [user.post("/organizations", json={"name": f"Org {n}"}).json["id"] for n in range(3)]
    me = user.get("/organizations/me")
    assert me.status_code == 400 and me.json["code"] == "organization_key_required"
    for n, org_id in enumerate(ids):
        db.get(Organization, org_id).created_at = datetime(2024, 1, 10 + n, tzinfo=UTC)
    db.commit()

    def listed(query: str) -> list[str]:
        response = user.get("/organizations?" + query)
        assert response.status_code == 200, response.json
        return sorted(org["id"] for org in response.json["data"])

    assert listed("date[gt]=2024-01-10T00:00:00.000Z") == sorted(ids[1:])
    assert listed("date[gt]=2024-01-10T00:00:00Z&date[lt]=2024-01-12T00:00:00Z") == [ids[1]]
    assert listed("date[gte]=2024-01-11T00:00:00Z") == sorted(ids[1:])
    assert listed("date[lte]=2024-01-11T00:00:00Z") == sorted(ids[:2])
    bad = user.get("/organizations?date[gt]=ayer")
    assert bad.status_code == 400 and bad.json["path"] == "date[gt]"
    test_key = user.get(f"/organizations/{ids[0]}/apikeys/test").json
    assert api(test_key).get("/organizations/me").json["id"] == ids[0]


def test_organization_me_with_the_user_key_of_a_single_organization(api, make_account) -> None:
    _account, key = make_account()
    user = api(key)
    org_id = user.post("/organizations", json={"name": "Sola"}).json["id"]
    me = user.get("/organizations/me")
    assert me.status_code == 200 and me.json["id"] == org_id


@pytest.mark.parametrize("names", [("cerFile", "keyFile"), ("cer", "key")])
def test_certificate_upload_takes_the_reference_schema_names(api, make_account, org_csd, names):
    import io

    from tests.fixtures.factories import LEGAL

    _account, key = make_account()
    user = api(key)
    org_id = user.post("/organizations", json={"name": "Con CSD"}).json["id"]
    assert user.put(f"/organizations/{org_id}/legal", json=LEGAL).status_code == 200
    cer_field, key_field = names
    response = user.put(
        f"/organizations/{org_id}/certificate",
        data={
            cer_field: (io.BytesIO(org_csd.cer_der), "csd.cer"),
            key_field: (io.BytesIO(org_csd.key_der), "csd.key"),
            "password": org_csd.password,
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.json
    assert response.json["certificate"]["has_certificates"] is True
    missing = user.put(
        f"/organizations/{org_id}/certificate",
        data={"password": "x", key_field: (io.BytesIO(org_csd.key_der), "csd.key")},
        content_type="multipart/form-data",
    )
    assert missing.status_code == 400 and missing.json["path"] == "cer"


def test_cancelling_a_receipt_sends_receipt_cancellation_status_updated(
    make_organization, api, make_webhook, receiver, receipt_body
) -> None:
    organization, key = make_organization()
    make_webhook(organization, receiver.url, ["receipt.cancellation_status_updated"])
    client = api(key)
    receipt = client.post("/receipts", json=receipt_body()).json
    assert receiver.events() == []  # created: no cancellation status change
    assert client.delete(f"/receipts/{receipt['id']}").status_code == 200
    # HUEY_IMMEDIATE: delivered right after the commit.
    [event] = receiver.events()
    assert event["type"] == "receipt.cancellation_status_updated"
    assert event["data"]["object"]["id"] == receipt["id"]
    assert event["data"]["object"]["status"] == "canceled"


def test_an_inline_customer_gets_a_customer_record_matched_by_rfc(org_api, invoice_body) -> None:
    first = org_api.post("/invoices", json=invoice_body()).get_json()
    customer_id = first["customer"]["id"]
    assert customer_id and first["customer"]["tax_id"] == "URE180429TM6"
    record = org_api.get(f"/customers/{customer_id}")
    assert record.status_code == 200 and record.get_json()["tax_id"] == "URE180429TM6"
    second = org_api.post("/invoices", json=invoice_body()).get_json()
    assert second["customer"]["id"] == customer_id  # matched by RFC, not created again
    listed = org_api.get("/invoices").get_json()["data"]
    assert {invoice["customer"]["id"] for invoice in listed} == {customer_id}
    assert org_api.get("/customers").get_json()["total_results"] == 1
    by_customer = org_api.get(f"/invoices?customer={customer_id}").get_json()
    assert by_customer["total_results"] == 2


def test_inline_customers_are_per_environment_and_generic_rfcs_by_name(
    make_organization, api, invoice_body
) -> None:
    _org, key = make_organization()
    _other, other_key = make_organization()
    mine = api(key).post("/invoices", json=invoice_body()).get_json()
    theirs = api(other_key).post("/invoices", json=invoice_body()).get_json()
    assert mine["customer"]["id"] != theirs["customer"]["id"]
    assert api(key).get(f"/customers/{theirs['customer']['id']}").status_code == 404
    draft = (
        api(key)
        .post("/invoices", json={"status": "draft", "customer": {"legal_name": "Sin RFC"}})
        .get_json()
    )
    assert "id" not in draft["customer"]  # nothing to match a record by
