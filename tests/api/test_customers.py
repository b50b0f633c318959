"""Customers API: create, list, retrieve, edit, delete, SAT checks, edit links, tenancy."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest

from portal.errors import ValidationError
from portal.models.base import utcnow
from portal.models.customers import Customer
from portal.models.mail import OutboxEmail
from portal.services import customers as service
from portal.tenancy import Tenant

DUNDER = {
    "legal_name": "Dunder Mifflin, S.A. de C.V.",
    "tax_id": "xia190128j61",
    "tax_system": "601",
    "email": "Email@Example.com",
    "phone": "6474010101",
    "default_invoice_use": "G01",
    "external_id": "ext-1",
    "address": {"street": "Blvd. Atardecer", "exterior": 142, "zip": 86500, "state": "Sonora"},
}


def _create(client: Any, body: dict[str, Any] | None = None, **params: str) -> Any:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return client.post(
        "/customers" + (f"?{query}" if query else ""), json=DUNDER if body is None else body
    )


def test_create_normalises_and_returns_the_customer(org_api: Any) -> None:
    response = _create(org_api)
    assert response.status_code == 200, response.json
    body = response.json
    assert len(body["id"]) == 24 and body["livemode"] is False
    assert body["legal_name"] == "DUNDER MIFFLIN"
    assert body["tax_id"] == "XIA190128J61"
    assert body["email"] == "Email@example.com"
    assert body["address"] == {
        "street": "Blvd. Atardecer",
        "exterior": "142",
        "zip": "86500",
        "state": "Sonora",
        "country": "MEX",
    }
    assert "edit_link" not in body
    assert org_api.get(f"/customers/{body['id']}").json == body


@pytest.mark.parametrize(
    ("change", "path", "code"),
    [
        ({"tax_id": "XIA190128J62"}, "tax_id", "invalid_tax_id_check_digit"),
        ({"tax_id": None}, "tax_id", "tax_id_required"),
        ({"legal_name": ""}, "legal_name", "legal_name_required"),
        ({"tax_system": "612"}, "tax_system", "tax_system_not_for_person_type"),
        ({"tax_system": "999"}, "tax_system", "tax_system_not_found"),
        ({"address": {"zip": "00001"}}, "address.zip", "zip_not_found"),
        ({"address": {"zip": "123"}}, "address.zip", "invalid_zip_format"),
        ({"address": "Calle 1"}, "address", "invalid_type"),
        ({"default_invoice_use": "D01"}, "default_invoice_use", "use_not_allowed_for_tax_system"),
        ({"email": "not-an-email"}, "email", "invalid_email"),
        ({"phone": "call me"}, "phone", "invalid_format"),
        ({"emails": [{"email": "bad"}]}, "emails[0].email", "invalid_email"),
        ({"phones": [{"extension": "1"}]}, "phones[0].phone", "required"),
        ({"legal_name": ["x"]}, "legal_name", "invalid_type"),
    ],
)
def test_create_refuses_bad_input_with_paths(
    org_api: Any, change: dict[str, Any], path: str, code: str
) -> None:
    response = _create(org_api, {**DUNDER, **change})
    assert response.status_code == 400, response.json
    assert (path, code) in {(e["path"], e["code"]) for e in response.json["errors"]}


def test_create_reports_every_problem_at_once(org_api: Any) -> None:
    response = _create(org_api, {"tax_id": "XIA190128J61", "email": "x"})
    paths = {e["path"] for e in response.json["errors"]}
    assert response.status_code == 400
    assert {"email", "legal_name", "tax_system", "address.zip"} <= paths


@pytest.mark.parametrize("body", ["[1, 2]", "not json"])
def test_create_refuses_a_body_that_is_not_an_object(org_api: Any, body: str) -> None:
    response = org_api.client.post(
        "/v2/customers", data=body, headers={"Authorization": f"Bearer {org_api.key}"}
    )
    assert response.status_code == 400 and response.json["code"] == "invalid_json"


def test_foreign_customer(org_api: Any) -> None:
    body = {"legal_name": "Acme Inc", "tax_id": "123456789", "address": {"country": "usa"}}
    response = _create(org_api, body)
    assert response.status_code == 200, response.json
    assert response.json["tax_system"] == "616"
    assert response.json["address"]["country"] == "USA"
    bad = _create(org_api, {**body, "address": {"country": "QQQ"}})
    assert bad.status_code == 400 and bad.json["path"] == "address.country"


def test_general_public_customer_needs_its_fixed_data(org_api: Any) -> None:
    body = {
        "legal_name": "Cliente",
        "tax_id": "XAXX010101000",
        "tax_system": "601",
        "address": {"zip": "42501"},
    }
    paths = {e["path"] for e in _create(org_api, body).json["errors"]}
    assert paths == {"tax_system"}  # any name: SAT allows a nominative sale to XAXX010101000
    fixed = {**body, "legal_name": "Público en general", "tax_system": "616"}
    assert _create(org_api, fixed).status_code == 200
    assert _create(org_api, {**fixed, "legal_name": "Cliente"}).status_code == 200
    named = _create(org_api, {**fixed, "tax_id": "URE180429TM6", "tax_system": "601"})
    assert named.status_code == 400 and named.json["path"] == "legal_name"  # CFDI40146


def test_list_searches_and_paginates(org_api: Any) -> None:
    first = _create(org_api).json
    second = _create(
        org_api,
        {
            **DUNDER,
            "legal_name": "Juan Pérez",
            "tax_id": "CACX7605101P8",
            "tax_system": "612",
            "email": "juan@example.com",
            "external_id": "erp-77",
        },
    ).json
    listing = org_api.get("/customers").json
    assert [c["id"] for c in listing["data"]] == [second["id"], first["id"]]
    assert listing["total_results"] == 2 and listing["page"] == 1
    for q in ("juan", "CACX76", "juan@example", "erp-77"):
        assert [c["id"] for c in org_api.get(f"/customers?q={q}").json["data"]] == [second["id"]]
    page = org_api.get("/customers?limit=1&page=2").json
    assert page["total_pages"] == 2 and [c["id"] for c in page["data"]] == [first["id"]]
    assert org_api.get("/customers?limit=500").status_code == 400


def test_list_filters_by_date(org_api: Any, db: Any) -> None:
    old = _create(org_api).json
    db.get(Customer, old["id"]).created_at = utcnow() - timedelta(days=10)
    db.commit()
    new = _create(org_api).json
    since = (utcnow() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert [c["id"] for c in org_api.get(f"/customers?date[gte]={since}").json["data"]] == [
        new["id"]
    ]
    assert [c["id"] for c in org_api.get(f"/customers?date[lt]={since}").json["data"]] == [
        old["id"]
    ]
    bad = org_api.get("/customers?date[gt]=yesterday")
    assert bad.status_code == 400 and bad.json["path"] == "date[gt]"


def test_edit_changes_only_what_is_sent(org_api: Any) -> None:
    customer = _create(org_api).json
    response = org_api.put(f"/customers/{customer['id']}", json={"address": {"city": "Navojoa"}})
    assert response.status_code == 200, response.json
    assert response.json["address"]["zip"] == "86500"
    assert response.json["address"]["city"] == "Navojoa"
    assert response.json["legal_name"] == "DUNDER MIFFLIN"
    emails = [{"email": "pagos@example.com", "name": "Pagos", "is_for_invoicing": False}]
    edited = org_api.put(f"/customers/{customer['id']}", json={"emails": emails}).json
    assert edited["emails"][0]["email"] == "pagos@example.com"
    assert edited["emails"][0]["is_for_invoicing"] is False


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"tax_system": "605"}, "tax_system"),
        ({"tax_id": "ABC"}, "tax_id"),
        ({"legal_name": None}, "legal_name"),
        ({"address": {"zip": "1"}}, "address.zip"),
        ({"email": 12}, "email"),
    ],
)
def test_edit_refuses_bad_input(org_api: Any, body: dict[str, Any], path: str) -> None:
    customer = _create(org_api).json
    response = org_api.put(f"/customers/{customer['id']}", json=body)
    assert response.status_code == 400 and response.json["path"] == path
    assert org_api.get(f"/customers/{customer['id']}").json == customer


def test_delete_hides_the_customer(org_api: Any, db: Any) -> None:
    customer = _create(org_api).json
    assert org_api.delete(f"/customers/{customer['id']}").json["id"] == customer["id"]
    assert org_api.get(f"/customers/{customer['id']}").status_code == 404
    assert org_api.get("/customers").json["total_results"] == 0
    assert db.get(Customer, customer["id"]).deleted_at is not None


def test_tax_info_validation_reports_every_problem(org_api: Any, db: Any) -> None:
    customer = _create(org_api).json
    assert org_api.get(f"/customers/{customer['id']}/tax-info-validation").json == {
        "is_valid": True,
        "errors": [],
    }
    stored = db.get(Customer, customer["id"])
    stored.tax_system, stored.address = "612", {"zip": "00001"}
    db.commit()
    result = org_api.get(f"/customers/{customer['id']}/tax-info-validation").json
    assert result["is_valid"] is False
    assert {e["path"] for e in result["errors"]} == {"tax_system", "address.zip"}


def test_create_with_edit_link_makes_fields_optional(org_api: Any, db: Any) -> None:
    response = _create(org_api, {"email": "cliente@example.com"}, createEditLink="true")
    assert response.status_code == 200, response.json
    body = response.json
    assert body["edit_link"].startswith("http://localhost/tax-info/")
    secret = body["edit_link"].rsplit("/", 1)[1]
    stored = db.get(Customer, body["id"])
    assert stored.edit_link_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(vars(stored))
    expires = stored.edit_link_expires_at - utcnow()
    assert timedelta(days=6, hours=23) < expires <= timedelta(days=7)
    assert service.customer_for_edit_secret(db, secret).id == body["id"]
    # Still incomplete: other edits are accepted while the link is pending.
    assert org_api.put(f"/customers/{body['id']}", json={"phone": "5512345678"}).status_code == 200
    # A bad value that was sent is still refused.
    bad = _create(org_api, {"tax_id": "NOPE"}, createEditLink="true")
    assert bad.status_code == 400 and bad.json["path"] == "tax_id"


def test_a_new_edit_link_revokes_the_previous_one(org_api: Any, db: Any) -> None:
    first = _create(org_api, {}, createEditLink="true").json
    old_secret = first["edit_link"].rsplit("/", 1)[1]
    renewed = org_api.put(f"/customers/{first['id']}?createEditLink=true", json={}).json
    new_secret = renewed["edit_link"].rsplit("/", 1)[1]
    assert new_secret != old_secret
    assert service.customer_for_edit_secret(db, old_secret) is None
    assert service.customer_for_edit_secret(db, new_secret).id == first["id"]
    later = utcnow() + timedelta(days=8)
    assert service.customer_for_edit_secret(db, new_secret, now=later) is None


def test_completing_an_edit_link_checks_strictly_and_uses_it_up(
    org_api: Any, db: Any, app: Any
) -> None:
    created = _create(org_api, {"email": "c@example.com"}, createEditLink="true").json
    secret = created["edit_link"].rsplit("/", 1)[1]
    customer = service.customer_for_edit_secret(db, secret)
    tenant = Tenant(org_api.organization, False)
    with app.test_request_context():
        with pytest.raises(ValidationError) as refused:
            service.complete_edit_link(db, tenant, customer, {"tax_id": "XIA190128J61"})
        assert {p.path for p in refused.value.problems} >= {"legal_name", "tax_system"}
        data = {k: v for k, v in DUNDER.items() if k != "external_id"}
        service.complete_edit_link(db, tenant, customer, {**data, "external_id": "hack"})
    db.commit()
    assert customer.legal_name == "DUNDER MIFFLIN" and customer.external_id is None
    assert service.customer_for_edit_secret(db, secret) is None


def test_email_edit_link_queues_a_branded_email(org_api: Any, db: Any) -> None:
    customer = _create(org_api).json
    response = org_api.post(f"/customers/{customer['id']}/email-edit-link", json={})
    assert response.status_code == 200 and response.json == {"ok": True}
    email = db.query(OutboxEmail).one()
    assert email.to == ["Email@example.com"] and email.kind == "customer_edit_link"
    assert email.organization_id == org_api.organization.id
    assert "/tax-info/" in email.text_body and "#1F6FEB" in email.html_body
    other = org_api.post(
        f"/customers/{customer['id']}/email-edit-link", json={"email": "otro@example.com"}
    )
    assert other.status_code == 200
    assert db.get(Customer, customer["id"]).edit_link_hash is not None


def test_email_edit_link_needs_an_address(org_api: Any) -> None:
    customer = _create(org_api, {}, createEditLink="true").json
    response = org_api.post(f"/customers/{customer['id']}/email-edit-link", json={})
    assert response.status_code == 400 and response.json["path"] == "email"
    bad = org_api.post(f"/customers/{customer['id']}/email-edit-link", json={"email": "x"})
    assert bad.status_code == 400 and bad.json["path"] == "email"


def test_another_organizations_customer_is_not_found(
    org_api: Any, make_organization: Any, api: Any
) -> None:
    customer = _create(org_api).json
    other = api(make_organization()[1])
    path = f"/customers/{customer['id']}"
    assert other.get(path).status_code == 404
    assert other.put(path, json={"phone": "5512345678"}).status_code == 404
    assert other.delete(path).status_code == 404
    assert other.get(path + "/tax-info-validation").status_code == 404
    assert other.post(path + "/email-edit-link", json={}).status_code == 404
    assert other.get("/customers").json["total_results"] == 0
    assert org_api.get(path).status_code == 200


def test_test_and_live_customers_never_mix(org_api: Any, api: Any, db: Any) -> None:
    from portal.services import api_keys

    live_key = api_keys.create_live_key(db, org_api.organization)
    db.commit()
    live = api(live_key)
    test_customer = _create(org_api).json
    live_customer = _create(live).json
    assert live_customer["livemode"] is True
    assert live.get(f"/customers/{test_customer['id']}").status_code == 404
    assert org_api.get(f"/customers/{live_customer['id']}").status_code == 404
    assert [c["id"] for c in live.get("/customers").json["data"]] == [live_customer["id"]]


def test_customers_need_an_organization_key(api: Any, make_account: Any) -> None:
    assert api(None).get("/customers").status_code == 401
    assert api(make_account()[1]).get("/customers").status_code == 403


def test_to_cfdi_gives_the_engine_a_receiver(org_api: Any, db: Any) -> None:
    customer = db.get(Customer, _create(org_api).json["id"])
    receiver = service.to_cfdi(customer)
    assert (receiver.tax_id, receiver.legal_name, receiver.tax_system) == (
        "XIA190128J61",
        "DUNDER MIFFLIN",
        "601",
    )
    assert receiver.address.zip == "86500" and not receiver.is_foreign
