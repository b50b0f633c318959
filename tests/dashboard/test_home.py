"""The organization's home: invoicing charts (plain SVG with hover titles and a data table),
receipts, receipts about to expire and documents needing attention, in Spanish and English."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from portal.models.base import utcnow
from tests.dashboard.test_organizations import org_account
from tests.services.test_stats import invoice, receipt


def home(client, org, **query):
    answer = client.get(f"/dashboard/o/{org.id}/", query_string=query)
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def test_the_home_charts_what_was_invoiced_in_pesos(db, client, make_organization, login_as):
    org = make_organization()[0]
    now = utcnow()
    invoice(db, org, now - timedelta(minutes=5), "100", currency="USD", exchange=Decimal("17"))
    invoice(db, org, now - timedelta(days=40), "250")
    db.commit()
    login_as(org_account(org))

    page = home(client, org)

    assert page.count('<svg class="chart"') == 3
    assert "pesos mexicanos (MXN)" in page and "Ciudad de México" in page
    assert re.search(r"<title>[^<]*: \$1,700\.00 MXN en 1 factura</title>", page)
    assert "$1,700.00 MXN" in page and "$1,950.00 MXN" in page  # 30 days; 12 months
    assert "<details><summary>Ver los datos</summary>" in page
    assert '<th scope="row">' in page and '<td class="num">1,700.00</td>' in page


def test_charts_switch_between_test_and_live_without_javascript(
    db, client, make_organization, login_as
):
    org = make_organization()[0]
    invoice(db, org, utcnow() - timedelta(minutes=5), "10", livemode=True)
    db.commit()
    login_as(org_account(org))

    test_page, live_page = home(client, org), home(client, org, charts="live")

    assert "$10.00 MXN" not in test_page and "$10.00 MXN" in live_page
    assert re.search(r'href="[^"]*charts=live"\s+aria-current="page"', live_page)
    assert "$0.00 MXN" in home(client, org, charts="bogus")


def test_expiring_receipts_and_failed_documents_link_to_their_pages(
    db, client, make_organization, login_as
):
    org = make_organization()[0]
    now = utcnow()
    soon = receipt(db, org, now - timedelta(days=6), expires_at=now + timedelta(hours=5))
    failed = invoice(db, org, None, "1", status="failed", failure_reason="CFDI40147: RFC")
    pending = invoice(db, org, None, "1", status="pending")
    db.commit()
    login_as(org_account(org))

    page = home(client, org)

    assert f'/dashboard/o/{org.id}/receipts/{soon.id}"' in page
    assert f'/dashboard/o/{org.id}/invoices/{failed.id}"' in page and "CFDI40147: RFC" in page
    assert f'/dashboard/o/{org.id}/invoices/{pending.id}"' in page
    assert "Timbrado fallido" in page and "Recibos por vencer" in page


def test_the_home_reads_in_english(db, client, make_organization, login_as):
    org = make_organization()[0]
    invoice(db, org, utcnow() - timedelta(minutes=5), "10")
    db.commit()
    login_as(org_account(org))
    client.post("/lang/en")

    page = home(client, org)

    assert "Last 30 days" in page and "Mexican pesos (MXN)" in page and "Mexico City" in page
    assert "Show the data" in page and "in 1 invoice</title>" in page
    for spanish in ("Últimos 30 días", "Ver los datos", "Pendientes y fallas", "Facturado"):
        assert spanish not in page, spanish


def test_another_tenants_documents_never_show_on_the_home(db, client, make_organization, login_as):
    org, other = make_organization()[0], make_organization(name="Otra")[0]
    invoice(db, other, utcnow(), "999", organization_id=other.id)
    invoice(db, other, None, "1", organization_id=other.id, status="failed", failure_reason="X9")
    db.commit()
    login_as(org_account(org))

    page = home(client, org)

    assert "999.00" not in page and "X9" not in page


def test_times_follow_the_zone_of_the_place_of_issue(db, client, make_organization, login_as):
    from portal.services import organizations as orgs
    from tests.fixtures.factories import LEGAL

    org = make_organization()[0]
    orgs.update_legal(org, {**LEGAL, "address": {**LEGAL["address"], "zip": "22000"}})
    soon = receipt(db, org, utcnow(), expires_at=utcnow() + timedelta(hours=3))
    db.commit()
    login_as(org_account(org))

    legal = client.get(f"/dashboard/o/{org.id}/settings/legal").get_data(as_text=True)
    page = client.get(f"/dashboard/o/{org.id}/receipts/{soon.id}").get_data(as_text=True)

    assert org.timezone == "America/Tijuana" and "(hoy: Tijuana)" in legal
    assert "(Tijuana)" in page and "Ciudad de México" not in page
