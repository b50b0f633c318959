"""A reseller signs up, logs out, logs in, changes the password and logs in again."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.fixtures.browser import screenshot

FIRST, SECOND = "mi primera frase secreta", "mi segunda frase secreta"


def _login(page, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill(password)
    page.get_by_role("button", name="Entrar").click()


def test_signup_logout_login_change_password(page):
    page.goto("/signup")
    screenshot(page, "signup")
    page.get_by_label("Nombre").fill("Ana Distribuidora")
    page.get_by_label("Correo electrónico").fill("ana@example.com")
    page.get_by_label("Contraseña", exact=True).fill("corta")
    page.get_by_label("Repite la contraseña").fill("corta")
    page.get_by_role("button", name="Crear cuenta").click()
    expect(page.locator("#password-err")).to_contain_text("al menos 10 caracteres")
    screenshot(page, "signup-errors")

    page.get_by_label("Contraseña", exact=True).fill(FIRST)
    page.get_by_label("Repite la contraseña").fill(FIRST)
    page.get_by_role("button", name="Crear cuenta").click()
    expect(page.get_by_role("heading", name="Mi cuenta")).to_be_visible()
    expect(page.locator("#new-user-key")).to_have_text(re.compile(r"^sk_user_\w{32}$"))
    screenshot(page, "account")

    page.get_by_role("button", name="Salir").click()
    expect(page.get_by_text("Cerraste tu sesión.")).to_be_visible()
    _login(page, "ana@example.com", "contraseña equivocada")
    expect(page.get_by_text("El correo o la contraseña no son correctos.")).to_be_visible()
    screenshot(page, "login-error")
    _login(page, "ana@example.com", FIRST)
    expect(page.get_by_role("heading", name="Tus organizaciones")).to_be_visible()

    page.goto("/dashboard/account")
    page.get_by_label("Contraseña actual").fill(FIRST)
    page.get_by_label("Nueva contraseña", exact=True).fill(SECOND)
    page.get_by_label("Repite la nueva contraseña").fill(SECOND)
    page.get_by_role("button", name="Cambiar contraseña").click()
    expect(page.get_by_text("Tu contraseña cambió.")).to_be_visible()

    page.get_by_role("button", name="Salir").click()
    _login(page, "ana@example.com", FIRST)
    expect(page.get_by_text("El correo o la contraseña no son correctos.")).to_be_visible()
    _login(page, "ana@example.com", SECOND)
    expect(page.get_by_role("heading", name="Tus organizaciones")).to_be_visible()


def test_pages_raise_no_csp_violations(page):
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    for path in ("/signup", "/login", "/password/forgot"):
        page.goto(path)
    assert problems == []


def test_english_switch(page):
    page.goto("/login")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Sign in to your account")).to_be_visible()
