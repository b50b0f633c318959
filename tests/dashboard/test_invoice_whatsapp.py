"""The invoice page offers «Compartir por WhatsApp» for the customer's WhatsApp numbers."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import parse_qs, urlsplit

from lxml import html as lhtml

from portal.models.accounts import Account
from tests.fixtures.invoices import CUSTOMER, ITEM


def test_whatsapp_numbers_get_a_share_link(
    make_organization: Any, login_as: Any, db: Any, api: Any
) -> None:
    organization, key = make_organization()
    client = api(key)
    customer = client.post("/customers", json=CUSTOMER).json["id"]
    phones = f"/customers/{customer}/phones"
    client.post(phones, json={"phone": "55 1234 5678", "is_whatsapp": True, "name": "Ana"})
    client.post(phones, json={"phone": "33 1234 5678", "is_whatsapp": False})
    body = {"customer": customer, "items": [ITEM], "payment_form": "03", "use": "G03"}
    invoice = client.post("/invoices", json=body).json
    browser = login_as(db.get(Account, organization.account_id))

    page = browser.get(f"/dashboard/o/{organization.id}/invoices/{invoice['id']}")
    assert page.status_code == 200
    links = lhtml.fromstring(page.get_data(as_text=True)).xpath("//section[@id='whatsapp']//a")
    assert len(links) == 1 and "Compartir por WhatsApp" in links[0].text_content()
    url = urlsplit(links[0].get("href"))
    assert (url.netloc, url.path) == ("wa.me", "/525512345678")
    text = parse_qs(url.query)["text"][0]
    assert invoice["uuid"] in text and f"{invoice['total']:,.2f}" in text
    assert links[0].get("rel") == "noopener noreferrer"

    # Inline customer data is matched by RFC to the first record, so the other customer is a
    # second record of the same RFC without WhatsApp numbers.
    second = client.post("/customers", json=CUSTOMER).json["id"]
    plain = client.post("/invoices", json={**body, "customer": second}).json
    other = browser.get(f"/dashboard/o/{organization.id}/invoices/{plain['id']}")
    assert "wa.me" not in html.unescape(other.get_data(as_text=True))
