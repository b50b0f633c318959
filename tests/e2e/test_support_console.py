"""A staff member signs in with TOTP, finds a reseller by RFC, acts as them, and stops."""

from __future__ import annotations

import pyotp
from playwright.sync_api import expect

from portal.models.organizations import Organization
from tests.admin.helpers import make_staff
from tests.fixtures.browser import screenshot
from tests.fixtures.factories import PASSWORD

RFC = "TAN010101AB1"
REASON = "Ticket 4521: no encuentra cómo crear su organización"


def _reseller_with_an_organization(db, make_account):
    reseller, _key = make_account(email="ana@example.com", name="Ana Distribuidora")
    db.add(Organization(account_id=reseller.id, name="Tacos Ana", tax_id=RFC, domain="tacos-ana"))
    db.commit()
    return reseller


def _sign_in_with_totp(page, staff) -> None:
    page.goto("/admin/login")
    screenshot(page, "admin-login")
    page.get_by_label("Correo electrónico").fill(staff.email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Continuar").click()
    expect(page.get_by_role("heading", name="Configura tu segundo factor")).to_be_visible()
    expect(page.get_by_role("img", name="Código QR")).to_be_visible()
    screenshot(page, "admin-totp-setup")
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("Código").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Confirmar y continuar").click()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    screenshot(page, "admin-recovery-codes")
    page.get_by_role("link", name="Ya los guardé: ir a la consola").click()


def _refused_user_key_renewal(page) -> None:
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    response = page.request.post(
        "/dashboard/account/user-key",
        form={"csrf_token": token},
        headers={"Accept": "application/json"},
    )
    assert response.status == 403
    assert response.json()["code"] == "refused_while_impersonating"


def test_staff_act_as_a_reseller_under_audit(page, db, make_account):
    console_errors: list[str] = []  # CSP violations show up here
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    staff = make_staff(make_account)
    reseller = _reseller_with_an_organization(db, make_account)
    _sign_in_with_totp(page, staff)

    page.get_by_label("Buscar").fill(RFC)
    page.get_by_role("button", name="Buscar").click()
    expect(page.get_by_text("1 resultado")).to_be_visible()
    screenshot(page, "admin-search")
    page.get_by_role("link", name="Ana Distribuidora").click()
    expect(page.get_by_role("heading", name="Ana Distribuidora")).to_be_visible()
    screenshot(page, "admin-tenant")

    page.get_by_label("Motivo").first.fill("corto")
    page.get_by_role("button", name="Actuar como este distribuidor").click()
    expect(page.locator("#act-reason-err")).to_contain_text("al menos 10 caracteres")
    page.get_by_label("Motivo").first.fill(REASON)
    page.get_by_role("button", name="Actuar como este distribuidor").click()

    banner = page.get_by_role("region", name="Sesión de soporte")
    expect(banner).to_contain_text("Sofía Soporte está actuando como ana@example.com")
    expect(page.get_by_role("heading", name="Tus organizaciones")).to_be_visible()
    screenshot(page, "admin-impersonation-banner")

    page.goto("/dashboard/account")
    expect(banner).to_be_visible()
    expect(page.get_by_role("button", name="Generar una llave nueva")).to_have_count(0)
    _refused_user_key_renewal(page)
    page.get_by_label("Contraseña actual").fill(PASSWORD)
    page.get_by_label("Nueva contraseña", exact=True).fill("una frase nueva larga")
    page.get_by_label("Repite la nueva contraseña").fill("una frase nueva larga")
    page.get_by_role("button", name="Cambiar contraseña").click()
    expect(page.get_by_text("no puede ver ni renovar secretos")).to_be_visible()
    expect(banner).to_be_visible()  # the refusal page carries the banner too
    screenshot(page, "admin-impersonation-refused")

    page.goto("/dashboard/")
    page.get_by_label("Nombre comercial").fill("Tortas Ana")
    page.get_by_role("button", name="Crear organización").click()
    expect(banner).to_be_visible()
    keys_page = page.url.rstrip("/") + "/keys"
    for button in ("Mostrar llave de pruebas", "Crear llave de producción"):
        page.goto(keys_page)
        page.get_by_role("button", name=button).click()
        expect(page.get_by_text("no puede ver ni renovar secretos")).to_be_visible()
    banner.get_by_role("button", name="Dejar de actuar").click()
    expect(page.get_by_text("Dejaste de actuar como el distribuidor.")).to_be_visible()
    expect(banner).to_have_count(0)

    page.get_by_role("link", name="Bitácora", exact=True).click()
    change = page.locator(".log-entry", has_text="POST /dashboard/organizations")
    expect(change).to_contain_text("Sofía Soporte")
    expect(change).to_contain_text("ana@example.com")
    expect(change).to_contain_text(REASON)
    expect(page.locator(".log-entry", has_text="Acción rechazada a soporte")).to_have_count(4)
    screenshot(page, "admin-audit")

    page.get_by_role("link", name="Seguridad").click()
    expect(page.get_by_text("Te quedan 10 códigos de recuperación.")).to_be_visible()

    page.get_by_role("button", name="Salir").click()
    page.goto("/login")
    page.get_by_label("Correo electrónico").fill(reseller.email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    page.goto("/dashboard/account")
    activity = page.locator("#support-activity")
    expect(activity).to_contain_text("Soporte empezó a actuar en tu nombre")
    expect(activity).to_contain_text("Soporte creó una organización")
    expect(activity).to_contain_text(REASON)
    screenshot(page, "reseller-support-activity")
    assert [e for e in console_errors if "Failed to load resource" not in e] == []  # 400/403s
