"""In a browser: the owner invites an accountant by email; the accountant accepts through the
emailed link, downloads an invoice's PDF, and is refused when creating a customer."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from portal.database import set_write_intent
from tests.fixtures.browser import screenshot
from tests.fixtures.factories import PASSWORD
from tests.fixtures.invoices import CUSTOMER, ITEM

NEW_PASSWORD = "mi frase secreta de libros"


def _sign_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()


def test_owner_invites_an_accountant_who_downloads_but_changes_nothing(
    page, live_server, make_account, make_organization, smtp_server, api, db
):
    mailbox = smtp_server()
    owner, _ = make_account(email="duena@example.com", name="Dueña")
    org, key = make_organization(account=owner, name="Tienda Centro")
    invoice = (
        api(key)
        .post(
            "/invoices",
            json={"customer": CUSTOMER, "items": [ITEM], "payment_form": "03", "use": "G03"},
        )
        .json
    )
    # The server writes next: the test's own session must not hold SQLite's write lock.
    db.rollback()
    set_write_intent(False)

    _sign_in(page, "duena@example.com")
    page.goto(f"/dashboard/o/{org.id}/")
    page.get_by_role("link", name="Equipo").click()
    page.get_by_label("Correo electrónico").fill("conta@example.com")
    page.get_by_label("Rol").select_option(label="Contador")
    screenshot(page, "team-invite")
    page.get_by_role("button", name="Enviar invitación").click()
    expect(page.get_by_text("Enviamos la invitación a conta@example.com.")).to_be_visible()
    expect(page.locator("td", has_text="conta@example.com")).to_be_visible()
    screenshot(page, "team-pending")
    page.get_by_role("button", name="Salir").click()

    message = mailbox.wait_for(1)[0]
    assert message["To"] == "conta@example.com"
    link = re.search(r"http://\S+/invitations/\S+", message.get_body(("plain",)).get_content())
    assert link and link.group(0).startswith(live_server)
    page.goto(link.group(0))
    expect(page.get_by_text("Te invitaron como Contador")).to_be_visible()
    page.get_by_label("Tu nombre").fill("Carlos Contador")
    page.get_by_label("Contraseña", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repite la contraseña").fill(NEW_PASSWORD)
    screenshot(page, "team-accept")
    page.get_by_role("button", name="Crear cuenta y aceptar").click()
    expect(page.get_by_text("Ya eres parte del equipo como Contador.")).to_be_visible()
    expect(page.get_by_text("Acceso de solo lectura: como Contador")).to_be_visible()
    tabs = page.get_by_role("navigation", name="Secciones de la organización")
    expect(tabs.get_by_role("link", name="Equipo")).to_have_count(0)
    expect(tabs.get_by_role("link", name="Llaves de API")).to_have_count(0)
    screenshot(page, "team-accountant-overview")

    page.goto(f"/dashboard/o/{org.id}/invoices/{invoice['id']}")
    with page.expect_download() as download:
        page.get_by_role("link", name="Descargar PDF").click()
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    page.goto(f"/dashboard/o/{org.id}/customers")
    expect(page.get_by_role("link", name="Nuevo cliente")).to_have_count(0)  # nothing to refuse
    page.goto(f"/dashboard/o/{org.id}/customers/new")  # typed by hand: shown, not sendable
    expect(page.get_by_text("Tu papel en la organización no permite cambiar esto")).to_be_visible()
    expect(page.get_by_role("button", name="Guardar cliente")).to_be_disabled()
    screenshot(page, "team-accountant-read-only")
    # A crafted request (the form re-enabled by hand) is still refused by the server.
    page.evaluate("document.querySelector('fieldset.plain').disabled = false")
    page.get_by_label("Nombre o razón social (sin régimen societario)").fill("Dunder Mifflin")
    page.get_by_role("button", name="Guardar cliente").click()
    expect(
        page.get_by_text("Tu rol en Tienda Centro es Contador y no permite hacer esto.")
    ).to_be_visible()
    screenshot(page, "team-accountant-refused")

    page.get_by_role("button", name="Salir").click()
    _sign_in(page, "duena@example.com")
    page.goto(f"/dashboard/o/{org.id}/activity")
    row = page.locator(".team-log li", has_text="conta@example.com")
    expect(row.filter(has_text="creó un cliente")).to_contain_text("Rechazado")
    screenshot(page, "team-activity")

    page.get_by_role("link", name="Equipo").click()
    expect(page.get_by_label("Rol de conta@example.com")).to_have_value("accountant")
    screenshot(page, "team-members")
