"""The keys page creates keys with scopes and shows each key's scopes and last use."""

from __future__ import annotations

import re

from tests.dashboard.test_organizations import org_account


def test_keys_page_creates_scoped_keys_and_shows_last_use(
    client, make_organization, login_as, api
) -> None:
    org, _test_key = make_organization()
    login_as(org_account(org))
    page = client.get(f"/dashboard/o/{org.id}/keys").get_data(as_text=True)
    assert 'value="invoices:read"' in page and "acceso completo" in page
    created = client.post(
        f"/dashboard/o/{org.id}/keys/live", data={"scopes": ["invoices:read", "customers:read"]}
    ).get_data(as_text=True)
    live_key = re.search(r"sk_live_\w{32}", created).group(0)
    assert "customers:read, invoices:read" in created and "nunca" in created
    scoped = api(live_key)
    assert scoped.get("/customers").status_code == 200
    assert scoped.post("/customers", json={}).get_json()["code"] == "insufficient_scope"
    listing = client.get(f"/dashboard/o/{org.id}/keys").get_data(as_text=True)
    assert re.search(r"Último uso: \d{1,2} \w+ \d{4} \d{2}:\d{2} \(Ciudad de México\)", listing)


def test_an_unknown_scope_is_refused_with_a_message(client, make_organization, login_as):
    org, _test_key = make_organization()
    login_as(org_account(org))
    response = client.post(
        f"/dashboard/o/{org.id}/keys/live",
        data={"scopes": ["all:everything"]},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "sk_live_" not in html and "no es válido para scopes[0]" in html
