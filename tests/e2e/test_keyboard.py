"""The keyboard alone: sign in, skip to the content, add a customer, and self-invoice a receipt.

Every stop of the Tab key must show where the focus is (an outline or a shadow), and select
boxes are set by typing, the way a keyboard user does.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.fixtures.browser import screenshot
from tests.fixtures.factories import PASSWORD
from tests.fixtures.receipts import BUYER, RECEIPT_ITEM
from tests.fixtures.site import settle

pytestmark = pytest.mark.e2e

# Where the focus is, whether it matches ``selector``, and whether a person can see it.
FOCUS = """(selector) => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const ring = (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0)
    || style.boxShadow !== "none";
  const box = el.getBoundingClientRect();
  return {
    matches: el.matches(selector),
    visible: ring && box.width > 1 && box.height > 1,
    what: el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + " "
      + (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().slice(0, 40),
  };
}"""


def tab_to(page: Any, selector: str, limit: int = 60) -> list[str]:
    """Press Tab until ``selector`` has the focus; every stop on the way shows its focus."""
    stops: list[str] = []
    if page.evaluate(FOCUS, selector)["matches"]:
        return stops
    for _ in range(limit):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS, selector)
        stops.append(focus["what"])
        assert focus["visible"], f"no visible focus on {focus['what']} (after {stops})"
        if focus["matches"]:
            return stops
    raise AssertionError(f"Tab never reached {selector}: {stops}")


def type_into(page: Any, selector: str, text: str) -> None:
    """Tab to a field and type into it."""
    tab_to(page, selector)
    page.keyboard.type(text)


def choose(page: Any, selector: str, typed: str, value: str) -> None:
    """Tab to a select box and pick an option by typing the start of its text."""
    tab_to(page, selector)
    page.keyboard.type(typed)
    expect(page.locator(selector)).to_have_value(value)


def skip_to_content(page: Any) -> None:
    """The first Tab stop is the skip link; it shows, and Enter moves on to the content."""
    page.keyboard.press("Tab")
    skip = page.locator("a.skip")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box and box["width"] > 40 and box["x"] >= 0, box  # seen, not 1 px off-screen
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    inside = page.evaluate("document.activeElement.closest('main') !== null")
    assert inside, "after the skip link, Tab went on in the header"


@pytest.mark.parametrize("page", ["phone"], indirect=True)
def test_a_customer_added_with_the_keyboard_alone(page, make_account, make_organization, db):
    account, _ = make_account(email="ana@example.com")
    org, _ = make_organization(account=account)
    settle(db)
    page.goto("/login")
    type_into(page, "#email", account.email)
    type_into(page, "#password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/dashboard/**")

    page.goto(f"/dashboard/o/{org.id}/customers")
    skip_to_content(page)
    tab_to(page, "a[href$='/customers/new']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/customers/new")
    type_into(page, "#tax_id", "XIA190128J61")
    type_into(page, "#legal_name", "Dunder Mifflin")
    choose(page, "#tax_system", "601", "601")
    type_into(page, "#zip", "86500")
    type_into(page, "#email", "pagos@dunder.com")
    screenshot(page, "keyboard-customer-form")
    tab_to(page, "main form button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Guardamos el cliente.")).to_be_visible()
    expect(page.get_by_role("heading", name="Dunder Mifflin")).to_be_visible()


@pytest.mark.parametrize("page", ["phone"], indirect=True)
def test_a_receipt_self_invoiced_with_the_keyboard_alone(page, make_organization, db):
    _, key = make_organization(domain="kemper")
    settle(db)
    made = page.request.post(
        "/v2/receipts",
        data={"items": [RECEIPT_ITEM], "payment_form": "01"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert made.ok, made.text()
    page.goto(made.json()["self_invoice_url"])
    skip_to_content(page)
    type_into(page, "#tax_id", "XAXX")
    tab_to(page, "button.btn-primary")
    page.keyboard.press("Enter")  # refused: the focus waits on the first field to correct
    expect(page.locator("#tax_id")).to_be_focused()
    expect(page.locator("#tax_id")).to_have_attribute("aria-describedby", "tax_id-err tax_id-hint")
    page.keyboard.press("Control+A")
    page.keyboard.type(BUYER["tax_id"])
    type_into(page, "#legal_name", BUYER["legal_name"])
    choose(page, "#tax_system", "601", "601")
    type_into(page, "#zip", BUYER["zip"])
    choose(page, "#use", "G03", "G03")
    type_into(page, "#email", BUYER["email"])
    screenshot(page, "keyboard-selfinvoice-form")
    tab_to(page, "button.btn-primary")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Confirma tu factura")).to_be_visible()
    tab_to(page, "form[action$='/confirm'] button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="¡Listo! Tu factura está emitida")).to_be_visible()
    tab_to(page, "a[href$='/pdf']")  # the downloads are reachable too
    screenshot(page, "keyboard-selfinvoice-result")
