"""In a browser: add a customer (live RFC check) and a product (SAT key suggestions)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.fixtures.browser import screenshot
from tests.fixtures.factories import PASSWORD


def test_customer_and_product_screens(page, make_account, make_organization):
    account, _key = make_account(email="ana@example.com")
    org, _key = make_organization(account=account)
    page.goto("/login")
    page.get_by_label("Correo electrónico").fill("ana@example.com")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()

    page.goto(f"/dashboard/o/{org.id}/customers")
    screenshot(page, "customers-empty")
    page.get_by_role("link", name="Nuevo cliente").click()
    page.wait_for_url("**/customers/new")  # the deferred script is running by then
    page.get_by_label("RFC (o número fiscal si es extranjero)").fill("XIA190128J62")
    expect(page.locator("#rfc-status")).to_contain_text("dígito verificador")
    screenshot(page, "customer-form-rfc-check")
    page.get_by_label("RFC (o número fiscal si es extranjero)").fill("XIA190128J61")
    expect(page.locator("#rfc-status")).to_contain_text("RFC")
    page.get_by_label("Nombre o razón social (sin régimen societario)").fill("Dunder Mifflin")
    page.get_by_label("Régimen fiscal").select_option("601")
    page.get_by_label("Código postal").fill("86500")
    page.get_by_label("Correo").fill("pagos@dunder.com")
    page.get_by_role("button", name="Guardar cliente").click()
    expect(page.get_by_text("Guardamos el cliente.")).to_be_visible()
    screenshot(page, "customer-saved")
    page.get_by_role("button", name="Enviar enlace por correo").click()
    expect(page.get_by_text("Enviamos el enlace a pagos@dunder.com")).to_be_visible()

    page.goto(f"/dashboard/o/{org.id}/products/new")
    key = page.get_by_label("Clave de producto o servicio (SAT)")
    key.fill("ukelele")
    expect(page.locator("#product-keys option[value='60131324']")).to_have_count(1)
    screenshot(page, "product-form")
    key.fill("60131324")
    page.get_by_label("Descripción").fill("Ukelele de concierto")
    page.get_by_label("Precio unitario").fill("345.60")
    page.get_by_role("button", name="Guardar producto").click()
    expect(page.get_by_role("link", name="Ukelele de concierto")).to_be_visible()
    screenshot(page, "products-list")
