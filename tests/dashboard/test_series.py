"""The series page is the one place for next folios (series, invoices without a series,
receipts), and a new series can be made the default as it is created."""

from __future__ import annotations

import re

from tests.dashboard.test_organizations import org_account


def test_a_new_series_can_be_the_default_as_it_is_created(client, make_organization, login_as):
    org, _key = make_organization()
    login_as(org_account(org))
    base = f"/dashboard/o/{org.id}/settings/series"
    client.post(base, data={"series": "F", "next_folio": "10", "default_for": ["I", "E"]})
    client.post(base, data={"series": "P", "default_for": ["P"]})
    client.post(base, data={"series": "X"})
    assert org.default_series == {"I": "F", "E": "F", "P": "P"}
    page = client.get(base).get_data(as_text=True)
    assert 'name="default_for"' in page and "predeterminada: ingreso" in page
    bad = client.post(base, data={"series": "Z", "default_for": ["Q"]})
    assert bad.status_code == 400 and "Z" not in org.default_series.values()


def test_next_folios_live_only_on_the_series_page(client, make_organization, login_as):
    org, _key = make_organization()
    login_as(org_account(org))
    base = f"/dashboard/o/{org.id}/settings"
    for page in ("branding", "receipts"):
        html = client.get(f"{base}/{page}").get_data(as_text=True)
        assert not re.search(r'name="next_folio', html), page
        assert f'href="/dashboard/o/{org.id}/settings/series"' in html
    client.post(f"{base}/series/folios/invoices", data={"next_folio_test": "50"})
    client.post(f"{base}/series/folios/receipts", data={"next_folio": "7", "next_folio_test": "8"})
    assert org.next_folio_number_test == 50 and org.next_folio_number == 1
    assert (org.next_receipt_folio, org.next_receipt_folio_test) == (7, 8)
    refused = client.post(f"{base}/series/folios/invoices", data={"next_folio": "0"})
    assert refused.status_code == 302 and org.next_folio_number == 1
    html = client.get(f"{base}/series").get_data(as_text=True)
    assert "Facturas sin serie" in html and "Recibos" in html and 'value="50"' in html
