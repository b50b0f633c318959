"""Receipts API: create, list, retrieve, cancel, PDF, email, invoice, to-invoice, tenancy."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.models.events import Event
from portal.models.mail import OutboxEmail
from portal.models.receipts import Receipt
from tests.fixtures.invoices import CUSTOMER


def test_create_receipt_has_key_url_folio_total_and_expiry(make_organization, api, receipt_body):
    org, key = make_organization(domain="kemper")
    response = api(key).post("/receipts", json=receipt_body(branch="Centro", external_id="T-1"))
    assert response.status_code == 200, response.json
    receipt = response.json
    assert receipt["status"] == "open"
    assert re.fullmatch(r"[A-Za-z0-9]{10}", receipt["key"])
    assert receipt["self_invoice_url"] == f"http://localhost/kemper/{receipt['key']}"
    assert receipt["folio_number"] == 1
    assert receipt["total"] == pytest.approx(691.2)  # prices include IVA by default
    assert receipt["livemode"] is False and receipt["branch"] == "Centro"
    created = datetime.fromisoformat(receipt["date"].replace("Z", "+00:00"))
    expires = datetime.fromisoformat(receipt["expires_at"].replace("Z", "+00:00"))
    assert created < expires <= created + timedelta(days=7)
    second = api(key).post("/receipts", json=receipt_body()).json
    assert second["folio_number"] == 2 and second["key"] != receipt["key"]


def test_folio_given_is_kept_and_keys_are_unique(make_organization, api, receipt_body):
    _, key = make_organization()
    receipt = api(key).post("/receipts", json=receipt_body(folio_number=120)).json
    assert receipt["folio_number"] == 120
    assert receipt["self_invoice_url"] is None  # no domain chosen yet


def test_idempotency_key_replays_and_refuses_another_body(make_organization, api, receipt_body):
    _, key = make_organization()
    first = api(key).post("/receipts", json=receipt_body(idempotency_key="abc")).json
    again = api(key).post("/receipts", json=receipt_body(idempotency_key="abc")).json
    assert again["id"] == first["id"]
    other = api(key).post("/receipts", json=receipt_body(idempotency_key="abc", branch="X"))
    assert other.status_code == 409


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"payment_form": "01"}, "items"),
        ({"items": [], "payment_form": "01"}, "items"),
        ({"items": "nope", "payment_form": "01"}, "items"),
        ({"items": [{"quantity": 1}], "payment_form": "01"}, "items[0].product"),
        (
            {
                "items": [
                    {"product": {"description": "x", "product_key": "60131324", "price": -1}}
                ],
                "payment_form": "01",
            },
            "items[0].product.price",
        ),
        ({"items": [{"product": {"description": "x", "price": 1}}]}, "payment_form"),
        (
            {"items": [{"product": {"description": "x", "price": 1}}], "payment_form": "77"},
            "payment_form",
        ),
        (
            {
                "items": [{"product": {"description": "x", "price": 1}}],
                "payment_form": "01",
                "folio_number": "x",
            },
            "folio_number",
        ),
        (
            {
                "items": [{"product": {"description": "x", "price": 1}}],
                "payment_form": "01",
                "date": "ayer",
            },
            "date",
        ),
        (
            {
                "items": [{"product": {"description": "x", "price": 1}}],
                "payment_form": "01",
                "date": "2999-01-01T00:00:00Z",
            },
            "date",
        ),
    ],
)
def test_bad_receipt_bodies_are_400_with_path(make_organization, api, body, path):
    _, key = make_organization()
    response = api(key).post("/receipts", json=body)
    assert response.status_code == 400, response.json
    assert path in [e["path"] for e in response.json["errors"]] or response.json["path"] == path


def test_list_filters_and_paginates(make_organization, api, receipt_body):
    _, key = make_organization()
    client = api(key)
    client.post("/receipts", json=receipt_body())
    card = client.post("/receipts", json=receipt_body(payment_form="04")).json
    client.delete(f"/receipts/{card['id']}")
    page = client.get("/receipts?limit=1").json
    assert page["total_results"] == 2 and page["total_pages"] == 2 and len(page["data"]) == 1
    assert client.get("/receipts?payment_form=04").json["total_results"] == 1
    assert client.get("/receipts?status=canceled").json["data"][0]["id"] == card["id"]
    assert client.get("/receipts?q=uke-01").json["total_results"] == 2
    assert client.get("/receipts?q=guitarra").json["total_results"] == 0
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert client.get("/receipts", query_string={"date[gte]": future}).json["total_results"] == 0
    assert client.get("/receipts?status=nuevo").status_code == 400
    assert client.get("/receipts?limit=0").status_code == 400


def test_cancel_then_it_cannot_be_invoiced(make_organization, api, receipt_body, db):
    org, key = make_organization()
    receipt = api(key).post("/receipts", json=receipt_body()).json
    canceled = api(key).delete(f"/receipts/{receipt['id']}")
    assert canceled.json["status"] == "canceled"
    again = api(key).delete(f"/receipts/{receipt['id']}")
    assert again.status_code == 400 and again.json["code"] == "receipt_not_open"
    invoiced = api(key).post(f"/receipts/{receipt['id']}/invoice", json={"customer": CUSTOMER})
    assert invoiced.status_code == 400 and invoiced.json["code"] == "receipt_not_open"
    kinds = db.scalars(select(Event.type).where(Event.organization_id == org.id)).all()
    assert sorted(kinds) == ["receipt.cancellation_status_updated", "receipt.status_updated"]


def test_pdf_is_a_ticket(make_organization, api, receipt_body):
    _, key = make_organization(domain="kemper")
    receipt = api(key).post("/receipts", json=receipt_body()).json
    response = api(key).get(f"/receipts/{receipt['id']}/pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert response.mimetype == "application/pdf"


def test_email_queues_branded_message_with_button_and_pdf(make_organization, api, receipt_body, db):
    _, key = make_organization(domain="kemper")
    receipt = api(key).post("/receipts", json=receipt_body()).json
    response = api(key).post(f"/receipts/{receipt['id']}/email", json={"email": "a@example.com"})
    assert response.status_code == 200 and response.json == {"ok": True}
    email = db.scalars(select(OutboxEmail)).one()
    assert email.to == ["a@example.com"]
    assert (
        "Facturar esta compra" in email.html_body and receipt["self_invoice_url"] in email.html_body
    )
    assert email.attachments[0]["content_type"] == "application/pdf"


@pytest.mark.parametrize(
    ("body", "path"),
    [({}, "email"), ({"email": "nope"}, "email"), ({"email": ["a@example.com", "x"]}, "email[1]")],
)
def test_email_bad_input(make_organization, api, receipt_body, body, path):
    _, key = make_organization()
    receipt = api(key).post("/receipts", json=receipt_body()).json
    response = api(key).post(f"/receipts/{receipt['id']}/email", json=body)
    assert response.status_code == 400 and response.json["path"] == path


def test_invoice_one_receipt(make_organization, api, receipt_body, db, verify_stamped):
    org, key = make_organization()
    receipt = api(key).post("/receipts", json=receipt_body()).json
    response = api(key).post(
        f"/receipts/{receipt['id']}/invoice",
        json={"customer": CUSTOMER, "use": "G03", "series": "R", "folio_number": "autoincremental"},
    )
    assert response.status_code == 200, response.json
    invoice = response.json
    assert invoice["status"] == "valid" and invoice["series"] == "R"
    assert invoice["total"] == receipt["total"] and invoice["payment_form"] == "01"
    stored = api(key).get(f"/receipts/{receipt['id']}").json
    assert stored["status"] == "invoiced_to_customer" and stored["invoice"] == invoice["id"]
    xml = api(key).get(f"/invoices/{invoice['id']}/xml").data
    verify_stamped(xml)
    twice = api(key).post(f"/receipts/{receipt['id']}/invoice", json={"customer": CUSTOMER})
    assert twice.status_code == 400 and twice.json["code"] == "receipt_not_open"


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({}, "customer"),
        ({"customer": 5}, "customer"),
        ({"customer": {**CUSTOMER, "tax_system": "605"}}, "customer.tax_system"),
        ({"customer": CUSTOMER, "use": "D01"}, "use"),
    ],
)
def test_invoice_receipt_bad_input(make_organization, api, receipt_body, db, body, path):
    _, key = make_organization()
    receipt = api(key).post("/receipts", json=receipt_body()).json
    response = api(key).post(f"/receipts/{receipt['id']}/invoice", json=body)
    assert response.status_code == 400, response.json
    assert path in [response.json["path"], *[e["path"] for e in response.json["errors"]]]
    assert db.get(Receipt, receipt["id"], populate_existing=True).status == "open"


def test_receipts_to_invoice_dry_run_then_real(make_organization, api, receipt_body, db):
    _, key = make_organization()
    one = api(key).post("/receipts", json=receipt_body()).json
    two = api(key).post("/receipts", json=receipt_body(payment_form="04")).json
    keys = [one["key"], two["key"]]
    dry = api(key).post("/receipts/to-invoice", json={"keys": keys, "dry_run": True})
    assert dry.status_code == 200, dry.json
    assert dry.json["receipts_count"] == 2
    assert Decimal(str(dry.json["total"])) == Decimal(str(one["total"])) * 2
    assert api(key).get(f"/receipts/{one['id']}").json["status"] == "open"
    real = api(key).post(
        "/receipts/to-invoice", json={"keys": keys, "customer": CUSTOMER, "use": "G03"}
    )
    assert real.status_code == 200, real.json
    assert len(real.json["items"]) == 2
    for receipt in (one, two):
        stored = api(key).get(f"/receipts/{receipt['id']}").json
        assert stored["status"] == "invoiced_to_customer" and stored["invoice"] == real.json["id"]


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({}, "keys"),
        ({"keys": []}, "keys"),
        ({"keys": ["nope"], "dry_run": True}, "keys[0]"),
        ({"keys": ["K"] * 1001}, "keys"),
        ({"keys": ["x"], "dry_run": "yes"}, "dry_run"),
    ],
)
def test_to_invoice_bad_input(make_organization, api, body, path):
    _, key = make_organization()
    response = api(key).post("/receipts/to-invoice", json=body)
    assert response.status_code == 400, response.json
    assert response.json["path"] == path


def test_to_invoice_names_a_repeated_or_closed_key(make_organization, api, receipt_body):
    _, key = make_organization()
    one = api(key).post("/receipts", json=receipt_body()).json
    two = api(key).post("/receipts", json=receipt_body()).json
    api(key).delete(f"/receipts/{two['id']}")
    response = api(key).post(
        "/receipts/to-invoice",
        json={"keys": [one["key"], one["key"], two["key"]], "customer": CUSTOMER},
    )
    assert response.status_code == 400
    assert [e["path"] for e in response.json["errors"]] == ["keys[1]", "keys[2]"]


def test_other_organization_and_other_environment_get_404(make_organization, api, receipt_body, db):
    org, key = make_organization()
    _, other_key = make_organization()
    receipt = api(key).post("/receipts", json=receipt_body()).json
    for method, path in [
        ("get", ""),
        ("delete", ""),
        ("get", "/pdf"),
        ("post", "/email"),
        ("post", "/invoice"),
    ]:
        response = getattr(api(other_key), method)(f"/receipts/{receipt['id']}{path}")
        assert response.status_code == 404, (method, path)
    assert api(other_key).get("/receipts").json["total_results"] == 0
    by_key = api(other_key).post(
        "/receipts/to-invoice", json={"keys": [receipt["key"]], "dry_run": True}
    )
    assert by_key.status_code == 400 and by_key.json["path"] == "keys[0]"
    # The same organization's live environment does not see test receipts either.
    stored = db.get(Receipt, receipt["id"])
    stored.livemode = True
    db.commit()
    assert api(key).get(f"/receipts/{receipt['id']}").status_code == 404
    assert api(key).get("/receipts").json["total_results"] == 0


@pytest.mark.parametrize(
    ("extra", "path"),
    [
        ({"currency": "ZZZ"}, "currency"),
        ({"currency": "USD", "exchange": "abc"}, "exchange"),
        ({"branch": "x" * 101}, "branch"),
        ({"external_id": 5.5, "idempotency_key": "k" * 65}, "idempotency_key"),
    ],
)
def test_bad_money_and_text_fields_are_400_with_path(
    make_organization, api, receipt_body, extra, path
):
    _, key = make_organization()
    response = api(key).post("/receipts", json=receipt_body(**extra))
    assert response.status_code == 400, response.json
    assert path in [response.json["path"], *[e["path"] for e in response.json["errors"]]]
