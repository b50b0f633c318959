"""/v2/invoices/{id}/public-link (the reference's operations) and the public page it opens."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from portal.models.public_links import InvoicePublicLink


@pytest.fixture
def org_api(make_organization: Any, api: Any) -> Any:
    """An API client for a ready organization's test environment."""
    organization, key = make_organization()
    client = api(key)
    client.organization = organization
    return client


@pytest.fixture
def stamped(org_api: Any, invoice_body: Any) -> dict[str, Any]:
    response = org_api.post("/invoices", json=invoice_body())
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _expiry(body: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(body["data"]["expires_at"].replace("Z", "+00:00"))


def test_retrieve_gives_a_random_url_with_the_reference_shape(org_api, stamped, db) -> None:
    response = org_api.get(f"/invoices/{stamped['id']}/public-link")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    data = body["data"]
    assert set(data) == {"object", "url", "id", "enabled", "expires_at", "max_days"}
    assert data["object"] == "public_link" and data["enabled"] is True
    assert data["max_days"] == 30
    assert data["url"] == f"http://localhost/d/{data['id']}"
    assert stamped["id"] not in data["url"] and stamped["uuid"] not in data["url"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", data["id"])  # 192 random bits
    left = _expiry(body) - datetime.now(UTC)
    assert timedelta(days=29, hours=23) < left <= timedelta(days=30)
    again = org_api.get(f"/invoices/{stamped['id']}/public-link").get_json()
    assert again["data"]["id"] == data["id"]  # one link per invoice


def test_update_actions_revoke_activate_extend_reset(org_api, stamped, client) -> None:
    path = f"/invoices/{stamped['id']}/public-link"
    first = org_api.get(path).get_json()
    url = first["data"]["url"].removeprefix("http://localhost")
    revoked = org_api.put(path, json={"action": "revoke"}).get_json()
    assert revoked["data"]["enabled"] is False
    gone = client.get(url)
    assert gone.status_code == 410 and "ya no está disponible" in gone.get_data(as_text=True)
    assert client.get(url + "/pdf").status_code == 410
    activated = org_api.put(path, json={"action": "activate"}).get_json()
    assert activated["data"]["enabled"] is True and client.get(url).status_code == 200
    extended = org_api.put(path, json={"action": "extend", "extend_days": 10}).get_json()
    assert _expiry(extended) - _expiry(activated) == timedelta(days=10)
    reset = org_api.put(path, json={"action": "reset"}).get_json()
    assert reset["data"]["enabled"] is True
    assert abs(_expiry(reset) - _expiry(first)) < timedelta(minutes=1)


def test_expired_link_answers_410(org_api, stamped, client, db) -> None:
    data = org_api.get(f"/invoices/{stamped['id']}/public-link").get_json()["data"]
    link = db.query(InvoicePublicLink).one()
    link.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db.commit()
    page = client.get(f"/d/{data['id']}")
    assert page.status_code == 410
    assert "venció o fue desactivado" in page.get_data(as_text=True)


def test_public_page_shows_the_summary_and_serves_pdf_and_xml(org_api, stamped, client) -> None:
    data = org_api.get(f"/invoices/{stamped['id']}/public-link").get_json()["data"]
    page = client.get(f"/d/{data['id']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert stamped["uuid"] in html and "691.20" in html and "URE180429TM6" in html
    pdf = client.get(f"/d/{data['id']}/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    xml = client.get(f"/d/{data['id']}/xml")
    assert xml.status_code == 200 and stamped["uuid"].encode() in xml.data


@pytest.mark.parametrize(
    "body, param",
    [
        ({"action": "destroy"}, "action"),
        ({}, "action"),
        ({"action": "extend"}, "extend_days"),
        ({"action": "extend", "extend_days": 0}, "extend_days"),
        ({"action": "extend", "extend_days": "ten"}, "extend_days"),
    ],
)
def test_bad_updates_are_400_naming_the_field(org_api, stamped, body, param) -> None:
    response = org_api.put(f"/invoices/{stamped['id']}/public-link", json=body)
    assert response.status_code == 400
    error = response.get_json()
    assert error["path"] == param and error["param"] == param
    assert error["type"] == "invalid_request_error" and error["ok"] is False


def test_another_tenants_invoice_is_404(org_api, stamped, make_organization, api) -> None:
    _other, key = make_organization(name="Otra")
    response = api(key).get(f"/invoices/{stamped['id']}/public-link")
    assert response.status_code == 404


def test_unstamped_invoice_has_no_link(org_api, invoice_body) -> None:
    draft = org_api.post("/invoices", json=invoice_body(status="draft")).get_json()
    response = org_api.get(f"/invoices/{draft['id']}/public-link")
    assert response.status_code == 409 and response.get_json()["code"] == "invoice_not_stamped"


def test_unknown_tokens_are_404_and_guessing_is_rate_limited(client, db) -> None:
    for _ in range(20):
        assert client.get("/d/" + "x" * 32).status_code == 404
    assert client.get("/d/" + "y" * 32).status_code == 429


def test_organization_sets_the_default_lifetime(
    make_account, make_organization, api, invoice_body
) -> None:
    account, user_key = make_account()
    organization, key = make_organization(account=account)
    owner, org_api = api(user_key), api(key)
    stamped = org_api.post("/invoices", json=invoice_body()).get_json()
    path = f"/organizations/{organization.id}/public-links"
    assert owner.put(path, json={"max_days": 0}).get_json()["path"] == "max_days"
    assert owner.put(path, json={"max_days": 90}).get_json() == {"max_days": 90}
    assert org_api.get(path).get_json() == {"max_days": 90}
    assert org_api.put(path, json={"max_days": 5}).status_code == 403  # user key only
    link = org_api.get(f"/invoices/{stamped['id']}/public-link").get_json()
    assert link["data"]["max_days"] == 90
    left = _expiry(link) - datetime.now(UTC)
    assert timedelta(days=89) < left <= timedelta(days=90)


def test_the_invoice_email_carries_the_open_public_link(org_api, stamped, db) -> None:
    from portal.models.mail import OutboxEmail

    path = f"/invoices/{stamped['id']}"
    assert org_api.post(f"{path}/email", json={"email": "a@example.com"}).status_code == 200
    url = org_api.get(f"{path}/public-link").get_json()["data"]["url"]
    sent = db.query(OutboxEmail).one()
    assert url in sent.text_body and f'href="{url}"' in sent.html_body
    org_api.put(f"{path}/public-link", json={"action": "revoke"})
    assert org_api.post(f"{path}/email", json={"email": "b@example.com"}).status_code == 200
    revoked = db.query(OutboxEmail).filter(OutboxEmail.id != sent.id).one()
    assert "/d/" not in revoked.text_body  # a revoked link is not handed out again
