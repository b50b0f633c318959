"""Customer contacts (emails, phones) and company names: every operation of the reference
(``customer-emails-phones-company-names.txt``) with its example bodies, locks, the one-default
rule (also under parallel requests), bad input and tenancy."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from portal.models.contacts import CustomerCompanyName
from tests.fixtures.invoices import CUSTOMER

# The reference's example bodies, as written there.
EMAIL_ADD = {
    "email": "john.doe@example.com",
    "is_for_invoicing": True,
    "name": "John Doe",
    "role": "Finance Manager",
    "notes": "Primary contact for billing",
}
EMAIL_UPDATE = {
    "email": "john.updated@example.com",
    "is_for_invoicing": False,
    "notes": "Updated contact email",
}
PHONE_ADD = {
    "phone": "+1234567890",
    "extension": "123",
    "is_whatsapp": True,
    "name": "Jane Smith",
    "role": "Sales Manager",
    "notes": "Available 9-5 EST",
}
PHONE_UPDATE = {"phone": "+1234567899", "extension": "456", "is_whatsapp": False}
COMPANY_ADD = {
    "name": "Acme Corp Ltd.",
    "tax_id": "ABC123456789",
    "billing_email": "billing@acme.com",
    "address": "123 Main St, City",
    "billing_address": "PO Box 456, City",
    "is_active": True,
    "is_default": True,
}
COMPANY_UPDATE = {
    "name": "Acme Corporation Ltd.",
    "tax_id": "ABC123456789",
    "billing_email": "billing@acmecorp.com",
}
# The same, with tax data SAT accepts (the reference's RFC and address are placeholders).
UNIVERSIDAD = {
    **COMPANY_ADD,
    "name": "Universidad Robótica Española, S.A. de C.V.",
    "tax_id": "URE180429TM6",
    "tax_system": "601",
    "address": {"zip": "86991", "street": "123 Main St"},
}
INDIVIDUAL = {
    "name": "Escuela Kemper Urgate",
    "tax_id": "EKU9003173C9",
    "tax_system": "601",
    "address": {"zip": "42501"},
    "is_default": False,
}


@pytest.fixture
def org_api(make_organization: Any, api: Any) -> Any:
    organization, key = make_organization()
    client = api(key)
    client.organization = organization
    return client


@pytest.fixture
def customer(org_api: Any) -> str:
    response = org_api.post("/customers", json=CUSTOMER)
    assert response.status_code == 200, response.json
    return response.json["id"]


def _url(customer: str, rest: str = "") -> str:
    return f"/customers/{customer}{rest}"


# Emails -----------------------------------------------------------------------------------


def test_email_add_update_lock_delete_as_the_reference(org_api: Any, customer: str) -> None:
    added = org_api.post(_url(customer, "/emails"), json=EMAIL_ADD)
    assert added.status_code == 200, added.json
    body = added.json
    assert body["email"] == "john.doe@example.com" and body["is_for_invoicing"] is True
    assert body["email_id"] == body["id"] and len(body["id"]) == 24
    assert body["customer_id"] == customer and body["is_locked"] is False
    assert (body["name"], body["role"]) == ("John Doe", "Finance Manager")
    assert body["created_at"].endswith("Z")

    one = _url(customer, f"/emails/{body['id']}")
    updated = org_api.put(one, json=EMAIL_UPDATE)
    assert updated.status_code == 200, updated.json
    assert updated.json["email"] == "john.updated@example.com"
    assert updated.json["is_for_invoicing"] is False
    assert updated.json["notes"] == "Updated contact email"
    assert updated.json["name"] == "John Doe"  # not sent, kept
    assert updated.json["updated_at"].endswith("Z")

    listed = org_api.get(_url(customer, "/emails")).json
    assert listed["success"] is True and [e["id"] for e in listed["emails"]] == [body["id"]]
    assert org_api.get(_url(customer)).json["emails"][0]["email"] == "john.updated@example.com"

    locked = org_api.post(f"{one}/toggle-lock")
    assert locked.status_code == 200 and locked.json["is_locked"] is True
    for refused in (org_api.put(one, json={"notes": "x"}), org_api.delete(one)):
        assert refused.status_code == 409, refused.json
        assert refused.json["code"] == "contact_locked"
    assert org_api.post(f"{one}/toggle-lock").json["is_locked"] is False
    deleted = org_api.delete(one)
    assert deleted.status_code == 200 and deleted.json["id"] == body["id"]
    assert org_api.get(_url(customer, "/emails")).json["emails"] == []


def test_phone_add_update_lock_delete_as_the_reference(org_api: Any, customer: str) -> None:
    # The reference's +1234567890 is not a possible number anywhere: a clear 400.
    bad = org_api.post(_url(customer, "/phones"), json=PHONE_ADD)
    assert bad.status_code == 400 and bad.json["path"] == "phone"
    assert bad.json["code"] == "invalid_phone"

    added = org_api.post(_url(customer, "/phones"), json={**PHONE_ADD, "phone": "55 1234 5678"})
    assert added.status_code == 200, added.json
    body = added.json
    assert body["phone"] == "+525512345678"  # E.164, Mexico by default
    assert body["phone_id"] == body["id"] and body["is_whatsapp"] is True
    assert (body["extension"], body["name"], body["is_locked"]) == ("123", "Jane Smith", False)

    one = _url(customer, f"/phones/{body['id']}")
    updated = org_api.put(one, json={**PHONE_UPDATE, "phone": "+1 212 555 0199"})
    assert updated.status_code == 200, updated.json
    assert updated.json["phone"] == "+12125550199"
    assert (updated.json["extension"], updated.json["is_whatsapp"]) == ("456", False)

    assert org_api.post(f"{one}/toggle-lock").json["is_locked"] is True
    assert org_api.put(one, json={"notes": "x"}).status_code == 409
    assert org_api.delete(one).status_code == 409
    assert org_api.post(f"{one}/toggle-lock").json["is_locked"] is False
    assert org_api.delete(one).status_code == 200
    assert org_api.get(_url(customer, "/phones")).json == {"success": True, "phones": []}


@pytest.mark.parametrize(
    ("rest", "body", "path", "code"),
    [
        ("/emails", {"email": "not an address"}, "email", "invalid_email"),
        ("/emails", {}, "email", "required"),
        (
            "/emails",
            {"email": "a@example.com", "is_for_invoicing": "maybe"},
            "is_for_invoicing",
            "invalid_type",
        ),
        ("/phones", {"phone": "call me"}, "phone", "invalid_phone"),
        ("/phones", {"phone": "12"}, "phone", "invalid_phone"),
        ("/phones", {"phone": "5512345678", "extension": "ext"}, "extension", "invalid_format"),
        ("/company-names", {**UNIVERSIDAD, "tax_id": "URE180429TM7"}, "tax_id", None),
        ("/company-names", {**UNIVERSIDAD, "tax_system": "605"}, "tax_system", None),
        ("/company-names", {**UNIVERSIDAD, "tax_id": "XAXX010101000"}, "tax_id", None),
        ("/company-names", {**UNIVERSIDAD, "address": {"zip": "1234"}}, "address.zip", None),
        (
            "/company-names",
            {**UNIVERSIDAD, "billing_email": "nope"},
            "billing_email",
            "invalid_email",
        ),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    org_api: Any, customer: str, rest: str, body: dict[str, Any], path: str, code: str | None
) -> None:
    response = org_api.post(_url(customer, rest), json=body)
    assert response.status_code == 400, response.json
    assert path in [e["path"] for e in response.json["errors"]], response.json
    if code:
        assert response.json["code"] == code
    assert response.json["message"]


def test_unknown_ids_are_404(org_api: Any, customer: str, make_organization: Any, api: Any) -> None:
    missing = "0" * 24
    for method, url in [
        ("put", _url(customer, f"/emails/{missing}")),
        ("delete", _url(customer, f"/phones/{missing}")),
        ("post", _url(customer, f"/emails/{missing}/toggle-lock")),
        ("put", _url(customer, f"/company-names/{missing}")),
        ("post", _url(customer, f"/company-names/{missing}/set-default")),
        ("post", _url(customer, f"/company-names/{missing}/toggle-active")),
        ("get", _url(missing, "/emails")),
        ("post", _url(missing, "/company-names")),
    ]:
        response = getattr(org_api, method)(url, json={})
        assert response.status_code == 404, (url, response.json)
    # Another tenant's customer and contact ids are 404 too.
    email = org_api.post(_url(customer, "/emails"), json=EMAIL_ADD).json["id"]
    _, other_key = make_organization()
    other = api(other_key)
    assert other.get(_url(customer, "/emails")).status_code == 404
    assert other.put(_url(customer, f"/emails/{email}"), json={"notes": "x"}).status_code == 404


def test_customer_emails_array_stays_compatible(org_api: Any, customer: str) -> None:
    emails = [{"email": "pagos@example.com", "is_for_invoicing": False}]
    edited = org_api.put(_url(customer), json={"emails": emails, "phones": ["55 1234 5678"]})
    assert edited.status_code == 200, edited.json
    assert edited.json["emails"][0]["email"] == "pagos@example.com"
    assert edited.json["phones"][0]["phone"] == "+525512345678"
    listed = org_api.get(_url(customer, "/emails")).json["emails"]
    assert [e["email"] for e in listed] == ["pagos@example.com"]


# Company names ----------------------------------------------------------------------------


def test_company_names_as_the_reference(org_api: Any, customer: str) -> None:
    # The reference's own body has placeholder tax data: refused with the fields named.
    placeholder = org_api.post(_url(customer, "/company-names"), json=COMPANY_ADD)
    assert placeholder.status_code == 400
    assert {"address", "tax_system"} <= {e["path"] for e in placeholder.json["errors"]}

    created = org_api.post(_url(customer, "/company-names"), json=UNIVERSIDAD)
    assert created.status_code == 200, created.json
    first = created.json
    assert first["name"] == "UNIVERSIDAD ROBÓTICA ESPAÑOLA"  # SAT form: no regime suffix
    assert first["company_name_id"] == first["id"] and first["customer_id"] == customer
    assert (first["is_active"], first["is_default"]) == (True, True)
    assert first["billing_email"] == "billing@acme.com"
    assert first["billing_address"] == "PO Box 456, City"

    second = org_api.post(_url(customer, "/company-names"), json=INDIVIDUAL).json
    assert second["is_default"] is False

    one = _url(customer, f"/company-names/{first['id']}")
    updated = org_api.put(
        one,
        json={**COMPANY_UPDATE, "tax_id": "URE180429TM6", "name": "Universidad Robótica Española"},
    )
    assert updated.status_code == 200, updated.json
    assert updated.json["billing_email"] == "billing@acmecorp.com"
    assert updated.json["address"]["zip"] == "86991"

    two = _url(customer, f"/company-names/{second['id']}")
    moved = org_api.post(f"{two}/set-default")
    assert moved.status_code == 200 and moved.json["is_default"] is True
    listed = org_api.get(_url(customer, "/company-names")).json
    assert listed["success"] is True
    assert [(c["id"], c["is_default"]) for c in listed["company_names"]] == [
        (second["id"], True),
        (first["id"], False),
    ]

    off = org_api.post(f"{one}/toggle-active", json={"is_active": False})
    assert off.status_code == 200 and off.json["is_active"] is False
    # An inactive one cannot become the default; the default cannot be deactivated.
    assert org_api.post(f"{one}/set-default").status_code == 400
    refused = org_api.post(f"{two}/toggle-active", json={"is_active": False})
    assert refused.status_code == 400 and refused.json["path"] == "is_active"
    unset = org_api.put(two, json={"is_default": False})
    assert unset.status_code == 400 and unset.json["path"] == "is_default"
    assert org_api.post(f"{one}/toggle-active").json["is_active"] is True  # no body: flips


def test_one_default_under_parallel_set_default(app: Any, org_api: Any, customer: str) -> None:
    ids = [org_api.post(_url(customer, "/company-names"), json=UNIVERSIDAD).json["id"]]
    for _ in range(5):
        ids.append(org_api.post(_url(customer, "/company-names"), json=INDIVIDUAL).json["id"])
    key = org_api.key
    statuses: list[int] = []
    barrier = threading.Barrier(len(ids))

    def set_default(company_id: str) -> None:
        with app.test_client() as client:
            barrier.wait()
            response = client.post(
                "/v2" + _url(customer, f"/company-names/{company_id}/set-default"),
                headers={"Authorization": f"Bearer {key}"},
            )
            statuses.append(response.status_code)

    threads = [threading.Thread(target=set_default, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert set(statuses) <= {200, 409} and 200 in statuses, statuses
    listed = org_api.get(_url(customer, "/company-names")).json["company_names"]
    assert sum(c["is_default"] for c in listed) == 1


def test_the_database_refuses_a_second_default(db: Any, org_api: Any, customer: str) -> None:
    org_api.post(_url(customer, "/company-names"), json=UNIVERSIDAD)
    org_api.post(_url(customer, "/company-names"), json=INDIVIDUAL)
    with pytest.raises(IntegrityError):
        db.execute(update(CustomerCompanyName).values(is_default=True))
        db.flush()
    db.rollback()
