"""The self-invoice pages: form, errors, confirmation, result, states, throttling, edit links."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.models.base import utcnow
from portal.models.customers import Customer
from portal.models.events import Event
from portal.models.invoices import Invoice
from portal.models.mail import OutboxEmail
from portal.models.receipts import Receipt
from portal.services import self_invoice
from tests.fixtures.receipts import BUYER


@pytest.fixture
def shop(make_organization, make_receipt):
    """An organization with domain «kemper» and one open receipt."""
    org, key = make_organization(domain="kemper")
    return org, key, make_receipt(key)


def _page(receipt):
    return f"/kemper/{receipt['key']}"


def _result_url(response):
    assert response.status_code == 302, response.data[:500]
    return response.headers["Location"]


def test_form_shows_the_purchase_and_the_fields(client, shop):
    _, _, receipt = shop
    response = client.get(_page(receipt))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Ukelele" in html and "691.20" in html and "Escuela Kemper" in html
    for name in ("tax_id", "legal_name", "tax_system", "zip", "use", "email"):
        assert f'name="{name}"' in html
    assert 'data-persons="moral"' in html and 'data-regimes="' in html  # for selfinvoice.js
    assert "--brand: #1F6FEB" in html and "nonce=" in html
    assert '="None"' not in html  # no attribute rendered from a missing value


def test_empty_fields_rendered_once_never_carry_a_visitors_data(client, shop):
    _, _, receipt = shop
    client.get(_page(receipt))  # the empty fields are now rendered and kept
    typed = client.post(_page(receipt), data={**BUYER, "zip": "1234"})
    assert 'value="URE180429TM6"' in typed.get_data(as_text=True)
    again = client.get(_page(receipt)).get_data(as_text=True)
    assert "URE180429TM6" not in again and 'id="zip-err"' not in again
    with client.session_transaction() as session:
        session["lang"] = "en"
    english = client.get(_page(receipt)).get_data(as_text=True)
    assert "Tax regime" in english and "Régimen fiscal" not in english


def test_bad_data_is_explained_next_to_each_field(client, shop, db):
    _, _, receipt = shop
    bad = {"tax_id": "XYZ", "legal_name": "", "tax_system": "605", "zip": "00000", "use": "G03",
           "email": "nope"}  # fmt: skip
    response = client.post(_page(receipt), data=bad)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    for field in ("tax_id", "legal_name", "email"):
        assert f'id="{field}-err"' in html, field
    zip_only = client.post(_page(receipt), data={**BUYER, "zip": "1234"})
    assert zip_only.status_code == 400 and 'id="zip-err"' in zip_only.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(Invoice)) == 0


def test_regime_must_fit_the_rfc_and_use_the_regime(client, shop):
    _, _, receipt = shop
    response = client.post(_page(receipt), data={**BUYER, "tax_system": "605", "use": "D01"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="tax_system-err"' in html


def test_uses_are_limited_to_what_the_organization_offers(client, shop, db):
    org, _, receipt = shop
    org.self_invoice_uses = ["G03"]
    db.commit()
    html = client.get(_page(receipt)).get_data(as_text=True)
    assert 'value="G03"' in html and 'value="G01"' not in html
    response = client.post(_page(receipt), data={**BUYER, "use": "G01"})
    assert response.status_code == 400 and "no ofrece" in response.get_data(as_text=True)


def test_good_data_confirms_then_invoices_once(client, shop, db, verify_stamped):
    org, _, receipt = shop
    confirm = client.post(_page(receipt), data=BUYER)
    assert confirm.status_code == 200
    html = confirm.get_data(as_text=True)
    assert "URE180429TM6" in html and "UNIVERSIDAD ROBÓTICA ESPAÑOLA" in html
    assert "Emitir mi factura" in html
    assert db.scalar(select(func.count()).select_from(Invoice)) == 0
    location = _result_url(client.post(_page(receipt) + "/confirm", data=BUYER))
    result = client.get(location).get_data(as_text=True)
    assert "Tu factura está emitida" in result
    links = re.findall(r'href="([^"]+/(?:pdf|xml))"', result)
    assert len(links) == 2
    pdf = client.get(links[0])
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    verify_stamped(client.get(links[1]).data)
    stored = db.get(Receipt, receipt["id"], populate_existing=True)
    assert stored.status == "invoiced_to_customer" and stored.invoice_id
    kinds = db.scalars(select(Event.type).where(Event.organization_id == org.id)).all()
    assert {"receipt.self_invoice_complete", "receipt.status_updated"} <= set(kinds)
    email = db.scalars(select(OutboxEmail)).one()
    assert email.to == [BUYER["email"]] and len(email.attachments) == 2
    # Submitting again (another tab) shows the same invoice, never a second one.
    again = _result_url(client.post(_page(receipt) + "/confirm", data=BUYER))
    assert client.get(again).status_code == 200
    assert db.scalar(select(func.count()).select_from(Invoice)) == 1


def test_edit_button_goes_back_to_the_form(client, shop):
    _, _, receipt = shop
    response = client.post(_page(receipt) + "/confirm", data={**BUYER, "edit": "1"})
    assert response.status_code == 200
    assert "Revisar mi factura" in response.get_data(as_text=True)


def test_already_invoiced_needs_the_same_rfc(client, shop, db):
    _, _, receipt = shop
    _result_url(client.post(_page(receipt) + "/confirm", data=BUYER))
    page = client.get(_page(receipt)).get_data(as_text=True)
    assert "ya fue facturada" in page and "URE180429TM6" not in page
    wrong = client.post(_page(receipt) + "/lookup", data={"tax_id": "XAXX010101000"})
    assert wrong.status_code == 400 and "no coincide" in wrong.get_data(as_text=True)
    right = client.post(_page(receipt) + "/lookup", data={"tax_id": "ure180429tm6"})
    assert client.get(_result_url(right)).status_code == 200


def test_wrong_rfc_guesses_are_limited(client, shop):
    _, _, receipt = shop
    _result_url(client.post(_page(receipt) + "/confirm", data=BUYER))
    for _ in range(self_invoice.RFC_TRIES):
        client.post(_page(receipt) + "/lookup", data={"tax_id": "AAA010101AAA"})
    blocked = client.post(_page(receipt) + "/lookup", data={"tax_id": "URE180429TM6"})
    assert blocked.status_code == 429


def test_expired_says_until_when_and_whom_to_contact(client, shop, db):
    org, _, receipt = shop
    org.self_invoice_support_email = "ayuda@kemper.mx"
    stored = db.get(Receipt, receipt["id"])
    stored.expires_at = utcnow() - timedelta(hours=1)
    db.commit()
    html = client.get(_page(receipt)).get_data(as_text=True)
    assert "terminó" in html and "Se podía facturar hasta el" in html and "ayuda@kemper.mx" in html
    refused = client.post(_page(receipt) + "/confirm", data=BUYER)
    assert "terminó" in refused.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(Invoice)) == 0


@pytest.mark.parametrize(
    ("status", "text"), [("canceled", "fue cancelado"), ("invoiced_globally", "factura global")]
)
def test_canceled_or_global_say_so(client, shop, db, status, text):
    _, _, receipt = shop
    db.get(Receipt, receipt["id"]).status = status
    db.commit()
    assert text in client.get(_page(receipt)).get_data(as_text=True)


def test_unknown_domain_is_a_plain_not_found(client, shop):
    _, _, receipt = shop
    for path in ("/nadie/" + receipt["key"], "/nadie"):
        response = client.get(path)
        assert response.status_code == 404
        assert "Kemper" not in response.get_data(as_text=True)


def test_a_mistyped_key_gets_the_merchants_page_to_try_again(client, shop):
    _, _, receipt = shop
    response = client.get("/kemper/AAAAAAAAAA")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Revisa la clave" in html and "Escuela Kemper" in html and "--brand: #1F6FEB" in html
    assert 'name="key"' in html and 'value="AAAAAAAAAA"' in html
    assert 'action="/kemper"' in html and "Iniciar sesión" not in html
    again = client.post("/kemper", data={"key": receipt["key"]})
    assert again.status_code == 302 and again.headers["Location"].endswith(receipt["key"])


def test_reserved_words_never_reach_the_portal(client):
    assert client.get("/v2/zzz").status_code in (401, 404)
    assert client.get("/v2/zzz").is_json


def test_guessing_keys_gets_429_per_ip(client, shop):
    _, _, receipt = shop
    for index in range(self_invoice.MISSES_PER_IP):
        assert client.get(f"/kemper/guess{index:05d}").status_code == 404
    blocked = client.get("/kemper/guess99999")
    text = blocked.get_data(True)
    assert blocked.status_code == 429 and "Demasiados intentos" in text
    assert "Escuela Kemper" in text and 'name="key"' in text  # still the merchant's page
    assert blocked.headers["Retry-After"]
    assert client.get(_page(receipt)).status_code == 200  # a real key is never refused
    other_visitor = client.get("/kemper/guess99998", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other_visitor.status_code == 404


def test_guessing_is_limited_per_key_prefix_across_visitors(client, shop, monkeypatch):
    _, _, receipt = shop
    monkeypatch.setattr(self_invoice, "MISSES_PER_PREFIX", 3)
    for index in range(3):
        client.get(f"/kemper/zz{index}", environ_base={"REMOTE_ADDR": f"10.0.1.{index}"})
    blocked = client.get("/kemper/zz9", environ_base={"REMOTE_ADDR": "10.0.2.1"})
    assert blocked.status_code == 429
    assert client.get("/kemper/yy9", environ_base={"REMOTE_ADDR": "10.0.2.1"}).status_code == 404
    assert client.get(_page(receipt), environ_base={"REMOTE_ADDR": "10.0.2.1"}).status_code == 200


def test_download_links_are_scoped_to_their_receipt(client, shop, make_receipt):
    _, key, receipt = shop
    other = make_receipt(key)
    location = _result_url(client.post(_page(receipt) + "/confirm", data=BUYER))
    token = location.rsplit("/", 1)[1]
    assert client.get(f"/kemper/{other['key']}/invoice/{token}/xml").status_code == 404
    assert client.get(f"/kemper/{receipt['key']}/invoice/{token}x/xml").status_code == 404


def test_key_box_redirects_to_the_receipt(client, shop):
    _, _, receipt = shop
    assert client.get("/kemper").status_code == 200
    response = client.post("/kemper", data={"key": f" {receipt['key']} "})
    assert response.headers["Location"].endswith(_page(receipt))
    assert client.post("/kemper", data={"key": ""}).status_code == 400


def test_forms_need_csrf(app, client, shop, monkeypatch):
    _, _, receipt = shop
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = client.post(_page(receipt) + "/confirm", data=BUYER)
    assert response.status_code in (200, 400)
    assert "Emitir" not in response.get_data(as_text=True)


def test_test_and_live_receipts_share_the_page_but_not_the_environment(client, shop, db):
    _, _, receipt = shop
    db.get(Receipt, receipt["id"]).livemode = True
    db.commit()
    # A live receipt without a real PAC cannot be invoiced: a clear message, no invoice.
    response = client.post(_page(receipt) + "/confirm", data=BUYER)
    assert response.status_code == 400
    assert db.scalar(select(func.count()).select_from(Invoice)) == 0


# Customer edit links -----------------------------------------------------------------------


@pytest.fixture
def link(make_organization, api):
    org, key = make_organization(domain="kemper")
    created = api(key).post("/customers?createEditLink=true", json={"email": "c@example.com"})
    assert created.status_code == 200, created.json
    return org, key, created.json


def _secret(customer):
    return "/tax-info/" + customer["edit_link"].rsplit("/", 1)[1]


def test_edit_link_form_saves_and_records_the_event(client, link, db):
    org, _, customer = link
    assert client.get(_secret(customer)).status_code == 200
    bad = client.post(_secret(customer), data={**BUYER, "tax_id": "NOPE"})
    assert bad.status_code == 400 and 'id="tax_id-err"' in bad.get_data(as_text=True)
    done = client.post(_secret(customer), data=BUYER)
    assert done.status_code == 200 and "Guardamos tus datos" in done.get_data(as_text=True)
    stored = db.get(Customer, customer["id"], populate_existing=True)
    assert stored.tax_id == "URE180429TM6" and stored.address["zip"] == "86991"
    assert stored.default_invoice_use == "G03"
    kinds = db.scalars(select(Event.type).where(Event.organization_id == org.id)).all()
    assert "customer.edit_link_completed" in kinds
    used = client.get(_secret(customer))
    assert used.status_code == 410 and "ya no funciona" in used.get_data(as_text=True)


def test_newer_link_revokes_the_older_and_links_expire(client, link, api, db):
    _, key, customer = link
    api(key).post(f"/customers/{customer['id']}/email-edit-link", json={})
    assert client.get(_secret(customer)).status_code == 410
    stored = db.get(Customer, customer["id"], populate_existing=True)
    stored.edit_link_expires_at = utcnow() - timedelta(minutes=1)
    db.commit()
    assert client.get("/tax-info/whatever").status_code == 410


def test_page_is_available_in_english(client, shop):
    _, _, receipt = shop
    with client.session_transaction() as session:
        session["lang"] = "en"
    html = client.get(_page(receipt)).get_data(as_text=True)
    assert "Invoice your purchase" in html and "Review my invoice" in html
    assert 'lang="en"' in html


def test_logo_is_served_for_the_branded_pages(client, shop, db):
    import io

    from PIL import Image

    from portal.services import organizations as orgs

    org, _, receipt = shop
    assert client.get("/kemper/logo").status_code == 404
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "red").save(buffer, "PNG")
    orgs.upload_logo(org, buffer.getvalue())
    db.commit()
    logo = client.get("/kemper/logo")
    assert logo.status_code == 200 and logo.mimetype == "image/png"
    assert 'src="/kemper/logo"' in client.get(_page(receipt)).get_data(as_text=True)


def test_tenant_pages_have_a_favicon_the_logo_when_set(client, db, shop):
    import io

    from PIL import Image

    from portal.services import organizations as orgs

    org, _, receipt = shop
    icon = '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">'
    assert icon in client.get(_page(receipt)).get_data(as_text=True)
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "#aa3300").save(buffer, "PNG")
    orgs.upload_logo(org, buffer.getvalue())
    db.commit()
    for path in (_page(receipt), "/kemper", "/kemper/NOEXISTE1"):
        html = client.get(path).get_data(as_text=True)
        assert '<link rel="icon" href="/kemper/logo" type="image/png">' in html, path
    assert client.get("/kemper/logo").mimetype == "image/png"
