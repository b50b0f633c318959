"""A returning end customer self-invoices a second receipt by picking a tax identity the
merchant has on file for their RFC, in a real browser."""

from __future__ import annotations

from playwright.sync_api import expect

from portal.database import set_write_intent
from tests.fixtures.browser import screenshot
from tests.fixtures.invoices import CUSTOMER
from tests.fixtures.receipts import BUYER, RECEIPT_ITEM

CAMPUS = {
    "name": "Universidad Robotica Espanola Campus Norte",
    "tax_id": "URE180429TM6",
    "tax_system": "601",
    "address": {"zip": "42501"},
}


def _api(page, key, method, path, body=None):
    response = page.request.fetch(
        f"/v2{path}", method=method, data=body, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.ok, response.text()
    return response.json()


def _type_everything(page) -> None:
    page.get_by_label("RFC").fill(BUYER["tax_id"])
    page.get_by_label("Nombre o razón social").fill(BUYER["legal_name"])
    page.locator("#tax_system").select_option("601")
    page.get_by_label("Código postal").fill(BUYER["zip"])
    page.locator("#use").select_option("G03")
    page.get_by_role("button", name="Revisar mi factura").click()
    page.get_by_role("button", name="Emitir mi factura").click()
    expect(page.get_by_role("heading", name="¡Listo! Tu factura está emitida")).to_be_visible()


def test_returning_customer_picks_a_saved_identity(page, live_server, make_organization, db):
    _, key = make_organization(domain="kemper")
    db.rollback()
    set_write_intent(False)  # the server writes; the test only reads
    customer = _api(page, key, "POST", "/customers", CUSTOMER)
    _api(page, key, "POST", f"/customers/{customer['id']}/company-names", CAMPUS)
    receipt = {"items": [RECEIPT_ITEM], "payment_form": "01"}
    first = _api(page, key, "POST", "/receipts", receipt)
    second = _api(page, key, "POST", "/receipts", receipt)

    page.goto(first["self_invoice_url"])  # the first visit: typed by hand
    _type_everything(page)

    page.goto(second["self_invoice_url"])
    page.get_by_label("RFC").fill("ure180429tm6")
    page.get_by_role("button", name="Buscar mis datos guardados").click()
    choices = page.locator(".si-identity")
    expect(choices).to_have_count(2)
    expect(page.get_by_text("C.P. 42•••")).to_be_visible()
    expect(page.get_by_text("CAMPUS")).to_have_count(0)  # masked until picked
    screenshot(page, "selfinvoice-saved-identities")

    choices.filter(has_text="C.P. 42•••").click()
    expect(page.get_by_text("Usamos tus datos guardados")).to_be_visible()
    expect(page.get_by_label("Nombre o razón social")).to_have_value(
        "UNIVERSIDAD ROBOTICA ESPANOLA CAMPUS NORTE"
    )
    expect(page.get_by_label("Código postal")).to_have_value("42501")
    page.locator("#use").select_option("G03")
    screenshot(page, "selfinvoice-saved-picked")
    page.get_by_role("button", name="Revisar mi factura").click()
    expect(page.get_by_text("UNIVERSIDAD ROBOTICA ESPANOLA CAMPUS NORTE")).to_be_visible()
    page.get_by_role("button", name="Emitir mi factura").click()
    expect(page.get_by_role("heading", name="¡Listo! Tu factura está emitida")).to_be_visible()
    screenshot(page, "selfinvoice-saved-result")

    invoices = _api(page, key, "GET", "/invoices")["data"]
    receivers = sorted(
        (i["customer"]["legal_name"], i["customer"]["address"]["zip"]) for i in invoices
    )
    assert receivers == [
        ("UNIVERSIDAD ROBOTICA ESPANOLA CAMPUS NORTE", "42501"),
        ("UNIVERSIDAD ROBÓTICA ESPAÑOLA", "86991"),
    ]

    page.goto(f"/kemper/{_api(page, key, 'POST', '/receipts', receipt)['key']}")
    page.get_by_label("RFC").fill("EKU9003173C9")  # an RFC the merchant does not know
    page.get_by_role("button", name="Buscar mis datos guardados").click()
    expect(page.get_by_text("No tenemos datos guardados con ese RFC")).to_be_visible()
    expect(page.locator(".si-identity")).to_have_count(0)
    screenshot(page, "selfinvoice-saved-unknown")
