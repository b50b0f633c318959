"""Invoice screens: list, filters, line-by-line form, drafts, stamping, files, cancel, tenancy."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from portal.models.accounts import Account
from portal.models.invoices import Invoice
from portal.models.mail import OutboxEmail

FORM = {
    "customer_id": "",
    "tax_id": "URE180429TM6",
    "legal_name": "UNIVERSIDAD ROBOTICA ESPAÑOLA",
    "tax_system": "601",
    "zip": "86991",
    "email": "cliente@example.com",
    "use": "G03",
    "payment_form": "03",
    "payment_method": "PUE",
    "items-0-description": "Ukelele",
    "items-0-product_key": "60131324",
    "items-0-unit_key": "H87",
    "items-0-quantity": "2",
    "items-0-price": "345.60",
    "items-1-description": "Afinación",
    "items-1-product_key": "72154022",
    "items-1-unit_key": "E48",
    "items-1-quantity": "1",
    "items-1-price": "116",
}


@pytest.fixture
def org(make_organization: Any, login_as: Any, db: Any) -> Any:
    organization, _key = make_organization()
    login_as(db.get(Account, organization.account_id))
    return organization


def _url(org: Any, path: str = "") -> str:
    return f"/dashboard/o/{org.id}/invoices{path}"


def _stamp(client: Any, org: Any, **changes: str) -> Invoice:
    response = client.post(_url(org, "/new"), data={**FORM, "action": "stamp", **changes})
    assert response.status_code == 302, response.get_data(as_text=True)
    return (
        client.application.extensions["sqlalchemy"]
        .session.scalars(select(Invoice).order_by(Invoice.created_at.desc()))
        .first()
    )


def test_form_stamps_an_invoice_line_by_line(client, org, db, verify_stamped) -> None:
    page = client.get(_url(org, "/new"))
    assert page.status_code == 200 and "invoice-form.js" in page.get_data(as_text=True)
    invoice = _stamp(client, org)
    assert invoice.status == "valid" and str(invoice.total).startswith("807.20")
    verify_stamped(invoice.xml)
    detail = client.get(_url(org, f"/{invoice.id}")).get_data(as_text=True)
    assert invoice.uuid in detail and "807.20" in detail and "Descargar PDF" in detail


def test_preview_gives_the_engines_totals(client, org) -> None:
    preview = client.post(_url(org, "/preview"), data=FORM).get_json()
    assert preview["ok"] is True
    assert preview["totals"]["subtotal"] == "695.86" and preview["totals"]["total"] == "807.20"
    assert preview["totals"]["taxes"] == [{"label": "IVA 16 %", "amount": "111.34"}]
    assert [line["figures"]["total"] for line in preview["lines"]] == ["691.20", "116.00"]
    bad = client.post(_url(org, "/preview"), data={"items-0-price": "x"}).get_json()
    assert bad["ok"] is False and bad["totals"] is None
    assert bad["lines"][0]["problems"] == [
        "El campo «Concepto 1 · Precio unitario» debe ser un número."
    ]


def test_add_line_works_without_javascript(client, org) -> None:
    page = client.post(_url(org, "/new"), data={**FORM, "action": "add_line"})
    assert page.status_code == 200 and 'name="items-2-description"' in page.get_data(as_text=True)


def test_bad_form_shows_every_problem_with_its_path(client, org, db) -> None:
    page = client.post(
        _url(org, "/new"),
        data={**FORM, "tax_id": "NOPE", "action": "stamp", "items-0-price": "mucho"},
    )
    body = page.get_data(as_text=True)
    assert page.status_code == 400 and "Concepto 1 · Precio unitario" in body
    assert "items[0]" not in body and "price" not in body.split("<form")[0]
    assert db.scalar(select(Invoice.id)) is None


def test_draft_then_stamp(client, org, db) -> None:
    response = client.post(_url(org, "/new"), data={**FORM, "tax_id": "", "action": "draft"})
    draft = db.scalars(select(Invoice)).one()
    assert response.status_code == 302 and draft.status == "draft"
    page = client.get(_url(org, f"/{draft.id}")).get_data(as_text=True)
    assert "Completa el cliente" in page
    edit = client.get(_url(org, f"/{draft.id}/edit"))
    assert edit.status_code == 200 and "Ukelele" in edit.get_data(as_text=True)
    client.post(_url(org, f"/{draft.id}/edit"), data={**FORM, "action": "draft"})
    client.post(_url(org, f"/{draft.id}/stamp"))
    db.refresh(draft)
    assert draft.status == "valid" and draft.folio_number == 1


def test_list_filters(client, org) -> None:
    _stamp(client, org)
    client.post(_url(org, "/new"), data={**FORM, "action": "draft", "legal_name": "OTRA SA"})
    listing = client.get(_url(org)).get_data(as_text=True)
    assert listing.count("<tr>") == 3  # header + 2
    assert client.get(_url(org, "?status=draft")).get_data(as_text=True).count("<tr>") == 2
    assert client.get(_url(org, "?q=otra")).get_data(as_text=True).count("<tr>") == 2
    assert "<tr>" not in client.get(_url(org, "?type=P")).get_data(as_text=True)
    assert "<tr>" not in client.get(_url(org, "?date[lte]=2001-01-01")).get_data(as_text=True)
    bad = client.get(_url(org, "?date[gte]=ayer"))
    assert bad.status_code == 200 and "ISO 8601" in bad.get_data(as_text=True)


def test_downloads_email_and_cancel(client, org, db) -> None:
    invoice = _stamp(client, org)
    pdf = client.get(_url(org, f"/{invoice.id}/pdf"))
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert client.get(_url(org, f"/{invoice.id}/xml")).data == invoice.xml
    client.post(_url(org, f"/{invoice.id}/email"), data={"email": ""})
    assert db.scalars(select(OutboxEmail)).one().to == ["cliente@example.com"]
    refused = client.post(
        _url(org, f"/{invoice.id}/cancel"), data={"motive": "01"}, follow_redirects=True
    )
    assert "sustituye" in refused.get_data(as_text=True)
    client.post(_url(org, f"/{invoice.id}/cancel"), data={"motive": "02"})
    db.refresh(invoice)
    assert invoice.status == "canceled"
    receipt = client.get(_url(org, f"/{invoice.id}/cancellation_receipt/pdf"))
    assert receipt.status_code == 200 and receipt.data.startswith(b"%PDF")


def test_pending_invoice_page_polls_its_status(client, org, db, monkeypatch) -> None:
    from portal.jobs import invoices as invoice_jobs

    monkeypatch.setattr(invoice_jobs, "stamp_invoice", lambda invoice_id: None)  # worker down
    client.post(_url(org, "/new"), data={**FORM, "action": "async"})
    invoice = db.scalars(select(Invoice)).one()
    assert invoice.status == "pending"
    page = client.get(_url(org, f"/{invoice.id}")).get_data(as_text=True)
    assert "data-poll-url" in page and "invoice-status.js" in page
    assert client.get(_url(org, f"/{invoice.id}/status.json")).get_json()["status"] == "pending"


def test_another_organizations_invoice_is_not_found(client, org, make_organization, api) -> None:
    from tests.fixtures.invoices import CUSTOMER, ITEM

    _other, key = make_organization()
    body = {"customer": CUSTOMER, "items": [ITEM], "payment_form": "03", "use": "G03"}
    foreign = api(key).post("/invoices", json=body).get_json()
    for path in ("", "/edit", "/pdf", "/status.json", "/cancellation_receipt/xml"):
        assert client.get(_url(org, f"/{foreign['id']}{path}")).status_code == 404, path
    for action in ("stamp", "copy", "cancel", "email", "refresh"):
        assert client.post(_url(org, f"/{foreign['id']}/{action}")).status_code == 404, action


def test_live_switch_hides_test_invoices(client, org) -> None:
    invoice = _stamp(client, org)
    client.post(f"/dashboard/o/{org.id}/env", data={"live": "1"})
    assert client.get(_url(org, f"/{invoice.id}")).status_code == 404
    assert invoice.uuid not in client.get(_url(org)).get_data(as_text=True)


def test_form_with_a_saved_customer(client, org, db) -> None:
    from portal.services import customers
    from portal.tenancy import Tenant
    from tests.fixtures.invoices import CUSTOMER

    customer, _link = customers.create_customer(db, Tenant(org, False), dict(CUSTOMER))
    db.commit()
    assert customer.legal_name in client.get(_url(org, "/new")).get_data(as_text=True)
    invoice = _stamp(client, org, customer_id=customer.id, tax_id="", legal_name="")
    assert invoice.status == "valid" and invoice.customer_id == customer.id


def test_editing_a_draft_with_bad_input_shows_the_path(client, org, db) -> None:
    client.post(_url(org, "/new"), data={**FORM, "action": "draft"})
    draft = db.scalars(select(Invoice)).one()
    page = client.post(
        _url(org, f"/{draft.id}/edit"), data={**FORM, "items-0-price": "x", "action": "stamp"}
    )
    assert page.status_code == 400 and "Concepto 1 · Precio unitario" in page.get_data(as_text=True)
    db.refresh(draft)
    assert draft.status == "draft"
