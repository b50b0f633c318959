"""In a browser, at phone and desktop size: the organization's home draws its charts without
JavaScript, shows each column's figures on hover, opens the data table from the keyboard and
fits the screen."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from playwright.sync_api import expect

from portal.models.base import utcnow
from portal.models.events import Webhook
from tests.fixtures.browser import screenshot
from tests.fixtures.factories import PASSWORD
from tests.services.test_stats import invoice, receipt


def _seed(db: Any, org: Any) -> None:
    now = utcnow()
    for back in range(0, 360, 3):
        invoice(db, org, now - timedelta(days=back, hours=1), str(1000 + 37 * (back % 50)))
    invoice(db, org, now - timedelta(hours=2), "250", currency="USD", exchange=17)
    for back in range(0, 330, 11):
        status = "invoiced_to_customer" if back % 3 else "invoiced_globally"
        receipt(db, org, now - timedelta(days=back), status)
    receipt(db, org, now - timedelta(days=6), expires_at=now + timedelta(hours=20))
    invoice(db, org, None, "1", status="failed", failure_reason="CFDI40147: el RFC no existe")
    invoice(db, org, None, "1", status="pending")
    db.add(
        Webhook(
            organization_id=org.id,
            livemode=False,
            url="https://hooks.example.com/facturas/muy/larga/ruta/que/no/cabe",
            enabled_events=["invoice.status_updated"],
            secret_encrypted=b"x",
            failing_since=now - timedelta(hours=3),
        )
    )
    db.commit()


def test_home_charts_hover_table_and_layout(
    page: Any, db: Any, make_account: Any, make_organization: Any
) -> None:
    page.context.set_extra_http_headers({})
    account, _ = make_account(email="home@example.com")
    org, _ = make_organization(account=account)
    _seed(db, org)
    page.goto("/login")
    page.get_by_label("Correo electrónico").fill("home@example.com")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()

    page.goto(f"/dashboard/o/{org.id}/")

    charts = page.locator("svg.chart")
    expect(charts).to_have_count(3)
    column = page.locator("svg.chart").first.locator("g.chart-col").last
    expect(column.locator("title")).to_contain_text("MXN en")
    column.hover()
    expect(page.get_by_text("Timbrado fallido")).to_be_visible()
    expect(page.get_by_text("CFDI40147: el RFC no existe")).to_be_visible()
    summary = page.get_by_text("Ver los datos").first
    summary.focus()
    page.keyboard.press("Enter")
    expect(page.locator("details").first.locator("table")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the home is {overflow}px wider than the screen"
    screenshot(page, "home")
