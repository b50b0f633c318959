"""A reseller onboards an organization in the browser until it is ready to invoice."""

from __future__ import annotations

import io
import re

from PIL import Image
from playwright.sync_api import expect

from tests.fixtures.browser import screenshot

PASSWORD = "una frase muy secreta"


def _files(tmp_path, org_csd):
    cer, key, logo = tmp_path / "csd.cer", tmp_path / "csd.key", tmp_path / "logo.png"
    cer.write_bytes(org_csd.cer_der)
    key.write_bytes(org_csd.key_der)
    buffer = io.BytesIO()
    Image.new("RGB", (400, 160), "#0B7A75").save(buffer, "PNG")
    logo.write_bytes(buffer.getvalue())
    return cer, key, logo


def _open_settings(page, name: str) -> None:
    page.get_by_role("link", name="Configuración").click()
    page.locator(".settings-nav").get_by_role("link", name=name).click()


def test_reseller_onboards_an_organization(page, tmp_path, org_csd):
    cer, key, logo = _files(tmp_path, org_csd)
    page.goto("/signup")
    page.get_by_label("Nombre").fill("Rita Revendedora")
    page.get_by_label("Correo electrónico").fill(f"rita-{page.viewport_name}@example.com")
    page.get_by_label("Contraseña", exact=True).fill(PASSWORD)
    page.get_by_label("Repite la contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Crear cuenta").click()

    page.get_by_role("link", name="Organizaciones").first.click()
    page.get_by_label("Nombre comercial").fill("Panadería La Espiga")
    page.get_by_role("button", name="Crear organización").click()
    expect(page.get_by_text("Completa estos pasos")).to_be_visible()
    expect(page.get_by_text("Modo de pruebas")).to_be_visible()
    screenshot(page, "org-overview-new")

    _open_settings(page, "Datos fiscales")
    page.get_by_label("Razón social (sin régimen societario)").fill("Escuela Kemper Urgate")
    page.get_by_label("Régimen fiscal").select_option("601")
    page.get_by_label("Código postal fiscal").fill("00001")
    page.get_by_role("button", name="Guardar datos fiscales").click()
    expect(page.get_by_text("no existe en el catálogo del SAT")).to_be_visible()
    screenshot(page, "org-legal-errors")
    page.get_by_label("Código postal fiscal").fill("42501")
    page.get_by_role("button", name="Guardar datos fiscales").click()
    expect(page.get_by_text("Guardamos los datos fiscales.")).to_be_visible()

    page.locator(".settings-nav").get_by_role("link", name="Certificado (CSD)").click()
    page.get_by_label("Certificado (archivo .cer)").set_input_files(str(cer))
    page.get_by_label("Llave privada (archivo .key)").set_input_files(str(key))
    page.get_by_label("Contraseña de la llave privada").fill(org_csd.password)
    page.get_by_role("button", name="Subir certificado").click()
    expect(page.get_by_text("EKU9003173C9").first).to_be_visible()
    screenshot(page, "org-certificate")

    page.locator(".settings-nav").get_by_role("link", name="Logo y personalización").click()
    page.get_by_label("Logo (JPG o PNG, máximo 500 KB)").set_input_files(str(logo))
    page.get_by_role("button", name="Subir logo").click()
    expect(page.get_by_text("Guardamos el logo.")).to_be_visible()
    page.get_by_label("Color de la marca").fill("0B7A75")
    page.get_by_role("button", name="Guardar personalización").click()
    expect(page.get_by_text("Guardamos la personalización.")).to_be_visible()
    screenshot(page, "org-branding")

    page.locator(".settings-nav").get_by_role("link", name="Dominio").click()
    page.wait_for_url("**/settings/domain")  # the live check listens once its script has run
    domain = f"la-espiga-{page.viewport_name}"
    page.get_by_label("Dominio de autofactura").fill("admin")
    expect(page.locator("#domain-status")).to_contain_text("reservado")
    page.get_by_label("Dominio de autofactura").fill(domain)
    expect(page.locator("#domain-status")).to_have_text("Disponible")
    screenshot(page, "org-domain")
    page.get_by_role("button", name="Guardar dominio").click()
    expect(page.get_by_text(f"/{domain}").first).to_be_visible()

    page.locator(".settings-nav").get_by_role("link", name="Series").click()
    page.get_by_label("Serie", exact=True).fill("PAN")
    page.get_by_role("button", name="Crear serie").click()
    expect(page.get_by_text("Creamos la serie.")).to_be_visible()
    screenshot(page, "org-series")

    page.get_by_role("link", name="Llaves de API").click()
    page.get_by_role("button", name="Mostrar llave de pruebas").click()
    expect(page.locator("#test-key")).to_have_text(re.compile(r"^sk_test_\w{32}$"))
    page.get_by_role("button", name="Crear llave de producción").click()
    live = page.locator("#new-live-key").inner_text()
    assert live.startswith("sk_live_")
    screenshot(page, "org-keys")
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revocar").click()
    expect(page.get_by_text("Revocamos la llave.")).to_be_visible()
    expect(page.get_by_text(live[:12])).to_have_count(0)

    page.get_by_role("link", name="Resumen").click()
    # A generated test CSD and no PAC: test invoices only, never "with fiscal validity".
    expect(page.get_by_text("Ya puedes emitir facturas de prueba", exact=False)).to_be_visible()
    expect(page.get_by_text("no fue emitido por el SAT", exact=False)).to_be_visible()
    screenshot(page, "org-overview-ready")
    page.get_by_role("link", name="Organizaciones").first.click()
    expect(page.get_by_text("Solo facturas de prueba")).to_be_visible()
    screenshot(page, "org-list")
