"""In a browser: the keys page links to the API reference, which Swagger UI renders from the
generated /v2/openapi.json (served from static/, no CDN, no CSP violation), and an operation
can be tried with the test key."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.fixtures.browser import screenshot
from tests.fixtures.factories import PASSWORD


def test_the_keys_page_leads_to_the_rendered_api_reference(
    page: Any, make_account: Any, make_organization: Any, live_server: str
) -> None:
    account, _ = make_account(email="docs@example.com")
    org, key = make_organization(account=account)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("requestfailed", lambda r: problems.append(r.url) if "/vendor/" in r.url else None)
    page.on("request", lambda r: None if r.url.startswith(live_server) else problems.append(r.url))
    page.goto("/login")
    page.get_by_label("Correo electrónico").fill("docs@example.com")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    page.goto(f"/dashboard/o/{org.id}/keys")
    page.get_by_role("link", name="referencia de la API").click()

    expect(page.get_by_role("heading", name="Referencia de la API")).to_be_visible()
    # Swagger UI parses the whole document (180 KB) before drawing: slower on a loaded machine.
    expect(page.get_by_text("Crear un cliente").first).to_be_visible(timeout=20_000)
    expect(page.get_by_text("Factura Portal API").first).to_be_visible()
    screenshot(page, "api-docs")
    if page.viewport_name == "desktop":
        page.get_by_role("button", name="Authorize").first.click()
        dialog = page.locator(".modal-ux")
        dialog.locator("input").first.fill(key)  # the bearer scheme comes first
        dialog.locator("button.authorize").first.click()
        dialog.locator("button.btn-done").first.click()
        page.locator("#operations-catalogs-search_unit_keys").click()
        page.get_by_role("button", name="Try it out").click()
        page.get_by_role("button", name="Execute").click()
        expect(page.locator(".live-responses-table td.response-col_status").last).to_have_text(
            "200"
        )
        screenshot(page, "api-docs-tried")
    assert [p for p in problems if "sourcemap" not in p.lower() and ".map" not in p] == []
