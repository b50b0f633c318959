"""In a browser: a merchant puts its self-invoice page on its own host (the TXT record served by a
DNS server on 127.0.0.1), a customer mistypes the key there and tries again; the series page
and support's activity as the reseller reads them."""

from __future__ import annotations

from playwright.sync_api import expect

from portal.custom_hosts import CACHE
from portal.database import set_write_intent
from tests.e2e.test_accessibility import AXE_RUN
from tests.fixtures.browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORTS, screenshot
from tests.fixtures.factories import PASSWORD
from tests.fixtures.receipts import RECEIPT_ITEM

HOST = "factura.kemper.mx"


def _sign_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()


def _serious_violations(page):
    """axe-core's serious and critical findings on the page (the accessibility walk's rule);
    axe is loaded into the page's context before navigation (the pages' CSP allows no inline
    script)."""
    return page.evaluate(AXE_RUN)


def test_own_host_verified_then_a_mistyped_key_on_it(
    page, live_server, browser, make_account, make_organization, db, dns_zone, axe_script
):
    account, _ = make_account(email=f"kemper-{page.viewport_name}@example.com")
    organization, key = make_organization(account, domain="kemper")
    db.rollback()
    set_write_intent(False)
    CACHE.clear()
    page.context.add_init_script(script=axe_script)
    _sign_in(page, account.email)
    page.goto(f"/dashboard/o/{organization.id}/settings/domain")
    page.get_by_label("Nombre de host").fill("Factura.Kemper.MX")
    page.get_by_role("button", name="Guardar", exact=True).click()
    expect(page.get_by_text("Pendiente de verificación")).to_be_visible()
    name, value = page.locator("#txt-name").inner_text(), page.locator("#txt-value").inner_text()
    assert name == f"_portal-verify.{HOST}" and value.startswith("portal-verify=")
    dns_zone.txt[name] = [value]
    page.get_by_role("button", name="Comprobar ahora").click()
    expect(page.get_by_text("Verificamos tu dominio")).to_be_visible()
    expect(page.get_by_text("Verificado", exact=True)).to_be_visible()
    screenshot(page, "custom-host-domain-page")
    assert _serious_violations(page) == []

    receipt = page.request.post(
        "/v2/receipts",
        data={"items": [RECEIPT_ITEM], "payment_form": "01"},
        headers={"Authorization": f"Bearer {key}"},
    ).json()
    assert receipt["self_invoice_url"] == f"https://{HOST}/{receipt['key']}"

    # The customer's browser resolves the merchant's host to this server.
    port = live_server.rsplit(":", 1)[1]
    resolving = browser.browser_type.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {HOST} 127.0.0.1"],
    )
    try:
        context = resolving.new_context(viewport=VIEWPORTS[page.viewport_name], locale="es-MX")
        context.add_init_script(script=axe_script)
        customer = context.new_page()
        key = receipt["key"]
        mistyped = key[:-1] + ("Y" if key.endswith("X") else "X")  # never the key itself
        customer.goto(f"http://{HOST}:{port}/{mistyped}")
        expect(customer.get_by_role("heading", name="Revisa la clave")).to_be_visible()
        expect(customer.get_by_text("Escuela Kemper").first).to_be_visible()
        customer.viewport_name = page.viewport_name
        screenshot(customer, "custom-host-mistyped-key")
        assert _serious_violations(customer) == []
        customer.get_by_label("Clave del recibo").fill(receipt["key"])
        customer.get_by_role("button", name="Intentar de nuevo").click()
        expect(customer.get_by_label("RFC", exact=True)).to_be_visible()
        assert customer.url == f"http://{HOST}:{port}/{receipt['key']}"
        screenshot(customer, "custom-host-form")
    finally:
        resolving.close()


def test_series_page_with_every_next_folio(page, live_server, make_account, make_organization, db):
    account, _ = make_account(email=f"series-{page.viewport_name}@example.com")
    organization, _ = make_organization(account, domain="kemper")
    db.rollback()
    set_write_intent(False)
    _sign_in(page, account.email)
    page.goto(f"/dashboard/o/{organization.id}/settings/series")
    page.get_by_label("Serie", exact=True).fill("TIENDA1")
    page.get_by_label("Facturas de ingreso").check()
    page.get_by_role("button", name="Crear serie").click()
    expect(page.get_by_text("Creamos la serie.")).to_be_visible()
    expect(page.get_by_text("predeterminada: ingreso")).to_be_visible()
    expect(page.get_by_role("cell", name="Facturas sin serie")).to_be_visible()
    screenshot(page, "series-page")


def test_support_activity_reads_as_sentences(
    page, live_server, make_account, make_organization, db
):
    from portal.models.accounts import ROLE_STAFF
    from portal.models.audit import AuditEntry

    account, _ = make_account(email=f"ana-{page.viewport_name}@example.com")
    staff, _ = make_account(email=f"staff-{page.viewport_name}@example.com", role=ROLE_STAFF)
    organization, _ = make_organization(account, domain="kemper")
    request = {"method": "POST", "status": 302, "view_args": {}}
    for action, details in [
        ("impersonation.started", {}),
        ("impersonation.request", {**request, "endpoint": "org.upload_logo"}),
        ("impersonation.request", {**request, "endpoint": "org.new_invoice", "subject": "A-12"}),
        ("impersonation.page_viewed", {"endpoint": "org.keys", "status": 200}),
        ("impersonation.stopped", {}),
    ]:
        entry = AuditEntry(
            staff_id=staff.id,
            account_id=account.id,
            action=action,
            organization_id=organization.id,
            reason="Ticket 77",
            details=details,
        )
        db.add(entry)
    db.commit()
    db.rollback()
    set_write_intent(False)
    _sign_in(page, account.email)
    page.goto(f"/dashboard/o/{organization.id}/activity")
    section = page.locator("#support-activity")
    expect(section.get_by_text("Soporte cambió el logo")).to_be_visible()
    expect(section.get_by_text("Soporte creó la factura A-12")).to_be_visible()
    assert "POST" not in section.inner_text()
    screenshot(page, "support-activity")
