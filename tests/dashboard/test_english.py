"""The dashboard's readiness screens in English (the strings the engine lane added, issue 14
item 5): test-only organizations say so in the visitor's language, with no Spanish left over."""

from __future__ import annotations

from tests.dashboard.test_organizations import org_account


def test_readiness_screens_are_translated(client, make_organization, login_as):
    org, _key = make_organization()
    login_as(org_account(org))
    client.post("/lang/en")
    page = client.get(f"/dashboard/o/{org.id}/").get_data(as_text=True)
    assert "Test only" in page and "Live invoices still need:" in page
    assert "PAC to stamp live invoices" in page and "Self-invoice domain (recommended)" in page
    assert "Solo pruebas" not in page and "PAC para timbrar" not in page
    home = client.get("/dashboard/").get_data(as_text=True)
    assert "Test invoices only" in home and "Solo facturas de prueba" not in home
    assert "New organization" in home and "Search by name or RFC" in home
