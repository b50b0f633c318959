"""A customer opens an invoice's public link on a phone, downloads the PDF, and sees the 410
page once the merchant revokes the link."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from portal.database import set_write_intent
from tests.fixtures.browser import screenshot


def _logo() -> bytes:
    image = Image.new("RGB", (120, 40), (250, 250, 250))
    for x in range(10, 110):
        for y in range(12, 28):
            image.putpixel((x, y), (40, 40, 40))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.mark.e2e
@pytest.mark.parametrize("page", ["phone"], indirect=True)
def test_public_link_on_a_phone(page, live_server, make_organization, invoice_body, db) -> None:
    org, key = make_organization()
    org.color, org.logo, org.logo_mime = "C81E5A", _logo(), "image/png"
    db.commit()
    db.rollback()
    set_write_intent(False)
    headers = {"Authorization": f"Bearer {key}"}
    created = page.request.post("/v2/invoices", data=invoice_body(), headers=headers)
    assert created.ok, created.text()
    invoice = created.json()
    link = page.request.get(f"/v2/invoices/{invoice['id']}/public-link", headers=headers).json()
    url = link["data"]["url"]
    assert url.startswith(live_server + "/d/")

    page.goto(url)
    expect(page.get_by_role("heading", name="Factura")).to_be_visible()
    expect(page.get_by_text(invoice["uuid"])).to_be_visible()
    expect(page.locator("img.si-logo")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing overflows the phone's width
    screenshot(page, "public-link-invoice")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Descargar PDF").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    assert open(download.path(), "rb").read().startswith(b"%PDF")

    revoked = page.request.put(
        f"/v2/invoices/{invoice['id']}/public-link", data={"action": "revoke"}, headers=headers
    )
    assert revoked.ok and revoked.json()["data"]["enabled"] is False
    response = page.goto(url)
    assert response.status == 410
    expect(page.get_by_role("heading", name="Este enlace ya no está disponible")).to_be_visible()
    screenshot(page, "public-link-gone")
