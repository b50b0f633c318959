"""The invoice page of the dashboard creates, shows, revokes and resets its public link; the
keys page sets the organization's link lifetime."""

from __future__ import annotations

import re

from tests.dashboard.test_organizations import org_account


def test_invoice_page_manages_its_public_link(
    client, make_organization, login_as, api, invoice_body
) -> None:
    org, key = make_organization()
    invoice = api(key).post("/invoices", json=invoice_body()).get_json()
    login_as(org_account(org))
    page_url = f"/dashboard/o/{org.id}/invoices/{invoice['id']}"
    action_url = f"{page_url}/public-link"
    assert "Crear enlace público" in client.get(page_url).get_data(as_text=True)
    client.post(action_url, data={"action": "create"})
    page = client.get(page_url).get_data(as_text=True)
    url = re.search(r'href="http://localhost(/d/[\w-]{32})"', page).group(1)
    assert "Activo" in page and client.get(url).status_code == 200
    client.post(action_url, data={"action": "revoke"})
    assert client.get(url).status_code == 410
    assert "Inactivo" in client.get(page_url).get_data(as_text=True)
    client.post(action_url, data={"action": "reset"})
    assert client.get(url).status_code == 200
    assert client.post(action_url, data={"action": "explode"}).status_code == 400


def test_keys_page_sets_the_link_lifetime(client, make_organization, login_as, db) -> None:
    org, _key = make_organization()
    login_as(org_account(org))
    client.post(f"/dashboard/o/{org.id}/settings/public-links", data={"max_days": "45"})
    db.refresh(org)
    assert org.public_link_days == 45
    refused = client.post(
        f"/dashboard/o/{org.id}/settings/public-links",
        data={"max_days": "0"},
        follow_redirects=True,
    )
    assert "Indica de 1 a 3650 días" in refused.get_data(as_text=True)
    db.refresh(org)
    assert org.public_link_days == 45
