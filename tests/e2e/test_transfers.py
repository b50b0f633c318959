"""In a browser: import a 1,000-row customer CSV with five bad rows and read the report; export a
month of invoices as a ZIP and download it."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

from playwright.sync_api import expect

from portal.models.base import utcnow
from tests.dashboard.test_transfers import BAD_ROWS, _big_csv
from tests.fixtures.browser import screenshot
from tests.fixtures.factories import PASSWORD


def _sign_in(page, email):
    page.goto("/login")
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()


def test_import_customers_and_export_a_month(
    page, make_account, make_organization, api, invoice_body, db
):
    account, _key = make_account(email="contadora@example.com")
    org, key = make_organization(account=account)
    org_id = org.id  # read now: after the rollback below, reading it would open a transaction
    _sign_in(page, "contadora@example.com")

    page.goto(f"/dashboard/o/{org_id}/customers")
    page.get_by_role("link", name="Importar").click()
    expect(page.get_by_role("heading", name="Importar clientes")).to_be_visible()
    page.get_by_text("Qué va en cada columna").click()
    screenshot(page, "import-customers-form")
    page.get_by_label("Archivo").set_input_files(
        {"name": "clientes.csv", "mimeType": "text/csv", "buffer": _big_csv()}
    )
    # The upload reads 1,000 rows before it answers: on a loaded machine that outlasts the
    # click's own wait, so only the report below waits (a minute).
    page.get_by_role("button", name="Importar").click(no_wait_after=True)
    expect(page.get_by_text("995 creados")).to_be_visible(timeout=60000)
    expect(page.get_by_text("5 filas rechazadas")).to_be_visible()
    rows = page.locator("#refused-rows tbody tr")
    expect(rows).to_have_count(5)
    for position, index in enumerate(sorted(BAD_ROWS)):
        expect(rows.nth(position).locator("td").first).to_have_text(str(index + 2))
    expect(rows.nth(0)).to_contain_text("RFC (tax_id):")
    screenshot(page, "import-customers-report")
    with page.expect_download() as report:
        page.get_by_role("link", name="Descargar las filas rechazadas (CSV)").click()
    assert report.value.suggested_filename.startswith("filas_rechazadas_")

    org_api = api(key)
    for _ in range(2):
        assert org_api.post("/invoices", json=invoice_body()).status_code == 200
    db.rollback()  # the API shares the test's session: end its transaction for the server
    page.goto(f"/dashboard/o/{org_id}/invoices")
    page.get_by_role("link", name="Exportar").click()
    today = utcnow().date()
    page.get_by_label("Desde").fill(str(today.replace(day=1) - timedelta(days=1)))
    page.get_by_label("Hasta").fill(str(today + timedelta(days=1)))
    page.get_by_label("ZIP con el XML y el PDF de cada factura").check()
    screenshot(page, "export-invoices-form")
    page.get_by_role("button", name="Exportar").click()
    download_link = page.get_by_role("link", name="Descargar facturas_")
    expect(download_link).to_be_visible(timeout=60000)
    screenshot(page, "export-invoices-done")
    with page.expect_download() as download:
        download_link.click()
    names = zipfile.ZipFile(io.BytesIO(open(download.value.path(), "rb").read())).namelist()
    assert len([n for n in names if n.endswith(".xml")]) == 2
    assert len([n for n in names if n.endswith(".pdf")]) == 2


def test_the_progress_page_follows_a_running_import(page, make_account, make_organization, db):
    from portal.models.accounts import Account
    from portal.models.transfers import DataTransfer
    from portal.services.transfers import runs
    from portal.tenancy import Tenant

    account, _key = make_account(email=f"progreso-{page.viewport_name}@example.com")
    org, _key = make_organization(account=account)
    org_id = org.id
    tenant = Tenant(org, False, db.get(Account, account.id))
    rows = "RFC (tax_id)\nEKU9003173C9\nURE180429TM6\n"
    transfer = runs.start_import(db, tenant, "customers", "clientes.csv", rows.encode())
    db.flush()
    transfer.status, transfer.processed = "running", 1  # a worker is on it (no job is run)
    db.commit()
    transfer_id = transfer.id
    _sign_in(page, account.email)
    page.goto(f"/dashboard/o/{org_id}/transfers/{transfer_id}")
    expect(page.get_by_text("1 de 2 filas revisadas.")).to_be_visible()
    expect(page.locator("#transfer-progress")).to_have_attribute("value", "1")
    screenshot(page, "import-progress")
    db.get(DataTransfer, transfer_id).processed = 2
    db.commit()
    expect(page.get_by_text("2 de 2 filas revisadas.")).to_be_visible(timeout=10000)
    expect(page.locator("#transfer-progress")).to_have_attribute("value", "2")
    db.get(DataTransfer, transfer_id).status = "done"
    db.commit()
    expect(page.get_by_role("heading", name="Resultado")).to_be_visible(timeout=10000)
