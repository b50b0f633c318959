"""Imports of customers and products, exports of invoices by period (dashboard).

The jobs run inline (``HUEY_IMMEDIATE``) right after the request's commit, through the outbox,
as the worker would run them. RFCs for the big file are made with SAT's check-digit algorithm
written here (not the engine's).
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import zipfile
from datetime import timedelta
from typing import Any

import pytest
from lxml import etree
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from portal.models.accounts import Account
from portal.models.base import utcnow
from portal.models.customers import Customer
from portal.models.invoices import Invoice
from portal.models.mail import OutboxEmail
from portal.models.products import Product
from portal.models.transfers import DataTransfer
from portal.services.transfers import runs, tables

RFC_CHARS = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ Ñ"
HEADER = [
    "Razón social (legal_name)",
    "RFC (tax_id)",
    "Régimen fiscal (tax_system)",
    "Código postal (address.zip)",
    "Correo (email)",
    "Uso del CFDI (default_invoice_use)",
]
PDF_MAGIC = b"%PDF-"


def check_digit(first_eleven_or_twelve: str) -> str:
    """SAT's mod-11 check digit of an RFC (Anexo 20's algorithm), padded to 12 characters."""
    body = first_eleven_or_twelve.rjust(12)
    total = sum(RFC_CHARS.index(char) * (13 - i) for i, char in enumerate(body))
    digit = 11 - total % 11
    return "0" if digit == 11 else "A" if digit == 10 else str(digit)


def company_rfc(number: int) -> str:
    """A distinct, valid company RFC (12 characters) for each ``number``."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    a, b = divmod(number, 26 * 9)
    b, c = divmod(b, 9)
    day = f"{(c % 9) + 1:02d}"
    body = f"K{letters[a % 26]}{letters[b % 26]}9001{day}{letters[number % 26]}{number % 10}"
    return body + check_digit(body)


def _url(org: Any, path: str) -> str:
    return f"/dashboard/o/{org.id}{path}"


@pytest.fixture
def org(make_organization: Any, login_as: Any, db: Any) -> Any:
    organization, _key = make_organization()
    login_as(db.get(Account, organization.account_id))
    return organization


def _customer_rows(count: int) -> list[list[str]]:
    return [
        [f"CLIENTE NUMERO {n}", company_rfc(n), "601", "86991", f"c{n}@example.com", "G03"]
        for n in range(count)
    ]


BAD_ROWS = {
    # row index (0-based, data rows) -> (what is broken, the column its reason names)
    10: ("tax_id", "KAB900101XX9", "RFC (tax_id)"),
    200: ("zip", "8699X", "Código postal (address.zip)"),
    450: ("legal_name", "", "Razón social (legal_name)"),
    700: ("tax_system", "999", "Régimen fiscal (tax_system)"),
    998: ("email", "no-es-correo", "Correo (email)"),
}
COLUMN_OF = {"legal_name": 0, "tax_id": 1, "tax_system": 2, "zip": 3, "email": 4}


def _big_csv(delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    rows = _customer_rows(1000)
    for index, (field, value, _label) in BAD_ROWS.items():
        rows[index][COLUMN_OF[field]] = value
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def _upload(client: Any, org: Any, resource: str, data: bytes, name: str) -> Any:
    return client.post(
        _url(org, f"/{resource}/import"),
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _transfer_page(client: Any, response: Any) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_thousand_row_csv_reports_exactly_its_five_bad_rows(
    client: Any, org: Any, db: Any
) -> None:
    response = _upload(client, org, "customers", _big_csv(), "clientes.csv")
    page = _transfer_page(client, response)
    transfer = db.scalar(select(DataTransfer))
    assert transfer.status == "done" and transfer.total == 1000 and transfer.processed == 1000
    assert transfer.created_count == 995 and transfer.updated_count == 0
    assert db.scalar(select(func.count()).select_from(Customer)) == 995
    # Spreadsheet row numbers: the header is row 1, so data row i is row i + 2.
    refused = {item["row"]: item["reasons"] for item in transfer.refused}
    assert sorted(refused) == sorted(index + 2 for index in BAD_ROWS)
    for index, (_field, _value, label) in BAD_ROWS.items():
        reasons = refused[index + 2]
        assert any(reason.startswith(label + ":") for reason in reasons), reasons
    assert "dígito verificador" in " ".join(refused[12])
    assert "995 creados" in page and "5 filas rechazadas" in page
    for index in BAD_ROWS:
        assert f'<td class="num">{index + 2}</td>' in page
    assert transfer.source is None  # the upload is not kept after the import
    report = client.get(_url(org, f"/transfers/{transfer.id}/refused.csv"))
    assert report.mimetype == "text/csv"
    lines = list(csv.reader(io.StringIO(report.data.decode("utf-8-sig"))))
    assert lines[0] == ["Fila", "Motivo"]
    assert sorted({int(line[0]) for line in lines[1:]}) == sorted(i + 2 for i in BAD_ROWS)


def test_a_latin1_semicolon_csv_is_read_and_a_repeated_rfc_updates_the_customer(
    client: Any, org: Any, db: Any
) -> None:
    rows = [
        ["Razón social", "RFC", "Régimen fiscal", "Código postal", "Correo"],
        ["Panadería Ñandú", company_rfc(1), "601", "86991", "uno@example.com"],
    ]
    text = "\r\n".join(";".join(row) for row in rows).encode("latin-1")
    _transfer_page(client, _upload(client, org, "customers", text, "c.csv"))
    customer = db.scalar(select(Customer))
    assert customer.legal_name == "PANADERÍA ÑANDÚ"
    again = "RFC (tax_id),Correo (email)\n" + company_rfc(1) + ",nuevo@example.com\n"
    page = _transfer_page(client, _upload(client, org, "customers", again.encode(), "c2.csv"))
    assert "1 actualizados" in page
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Customer)) == 1
    assert db.scalar(select(Customer.email)) == "nuevo@example.com"


def _xlsx(header: list[str], rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_an_xlsx_import_keeps_zip_zeros_and_reports_bad_rows(
    client: Any, org: Any, db: Any
) -> None:
    rows: list[list[Any]] = [
        ["PRIMERO", company_rfc(2), 601, 86991, "a@example.com", "G03"],
        # A zip typed as a number loses its leading zero in Excel: 01000 → 1000.
        ["SEGUNDO", company_rfc(3), 601, 1000, "b@example.com", "G03"],
        ["TERCERO", company_rfc(4), 601, 86991, "b@example", "G03"],
    ]
    page = _transfer_page(
        client, _upload(client, org, "customers", _xlsx(HEADER, rows), "clientes.xlsx")
    )
    assert "2 creados" in page and "1 filas rechazadas" in page
    zips = sorted(c.address["zip"] for c in db.scalars(select(Customer)))
    assert zips == ["01000", "86991"]
    transfer = db.scalar(select(DataTransfer))
    assert transfer.file_format == "xlsx"
    assert transfer.refused[0]["row"] == 4
    assert transfer.refused[0]["reasons"][0].startswith("Correo (email):")


def test_the_downloaded_xlsx_template_imports_products_with_taxes(
    client: Any, org: Any, db: Any
) -> None:
    template = client.get(_url(org, "/products/import/template.xlsx"))
    assert template.status_code == 200
    workbook = load_workbook(io.BytesIO(template.data))
    sheet = workbook["Productos"]
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["Descripción (description)", "Clave SAT (product_key)", "Precio (price)"]
    assert "taxes" in [row[1] for row in workbook["Instrucciones"].iter_rows(values_only=True)]
    values = {
        "Descripción (description)": ["Asesoría", "Refresco", "Libro", "Malo"],
        "Clave SAT (product_key)": ["80101500", "50202306", "55101500", "99999999"],
        "Precio (price)": ["1000", "18.5", "250", "10"],
        "Precio con impuestos (tax_included)": ["no", "sí", "sí", ""],
        "Impuestos (taxes)": [
            "IVA 16; ISR 10 retenido; IVA 10.6667 retenido",
            "IEPS 8; IVA 16",
            "IVA 0",
            "",
        ],
        "Impuestos locales (local_taxes)": ["ISH 3", "", "", ""],
        "Clave de unidad (unit_key)": ["E48", "H87", "", ""],
        "SKU (sku)": ["SERV-1", "REF-1", "LIB-1", ""],
    }
    for row in range(4):
        for name, column in values.items():
            sheet.cell(row=row + 2, column=header.index(name) + 1, value=column[row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    page = _transfer_page(client, _upload(client, org, "products", buffer.getvalue(), "p.xlsx"))
    assert "3 creados" in page and "1 filas rechazadas" in page
    saved = {p.sku: p for p in db.scalars(select(Product))}
    service = saved["SERV-1"]
    assert service.tax_included is False and service.unit_key == "E48"
    assert [(t["type"], t["rate"], t["withholding"]) for t in service.taxes] == [
        ("IVA", "0.16", False),
        ("ISR", "0.1", True),
        ("IVA", "0.106667", True),
    ]
    assert service.local_taxes == [{"type": "ISH", "rate": "0.03", "withholding": False}]
    assert [(t["type"], t["rate"]) for t in saved["REF-1"].taxes] == [
        ("IEPS", "0.08"),
        ("IVA", "0.16"),
    ]
    assert [(t["type"], t["rate"]) for t in saved["LIB-1"].taxes] == [("IVA", "0")]
    refused = db.scalar(select(DataTransfer)).refused
    assert refused[0]["row"] == 5
    assert refused[0]["reasons"][0].startswith("Clave SAT (product_key):")
    # The same SKU again updates the product instead of adding one.
    again = b"SKU (sku),Precio (price)\nLIB-1,300\n"
    _transfer_page(client, _upload(client, org, "products", again, "p.csv"))
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Product)) == 3
    assert db.scalar(select(Product.price).where(Product.sku == "LIB-1")) == 300


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"x" * (5 * 1024 * 1024 + 1), "grande.csv", "el máximo es 5 MB"),
        (PDF_MAGIC + b"1.7\n\x00\x01binary", "clientes.csv", "no es un CSV ni un libro de Excel"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "viejo.xls", "Excel antiguo (.xls)"),
        (b"PK\x03\x04not really a zip", "falso.xlsx", "no es un CSV ni un libro de Excel"),
        (b"Nombre,Apellido\nA,B\n", "otro.csv", "no son de la plantilla"),
        (b"RFC (tax_id)\n", "vacio.csv", "sólo tiene encabezados"),
    ],
)
def test_a_bad_file_is_refused_in_spanish(
    client: Any, org: Any, db: Any, data: bytes, name: str, message: str
) -> None:
    response = _upload(client, org, "customers", data, name)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(DataTransfer)) == 0


def test_more_rows_than_the_limit_are_refused(
    client: Any, org: Any, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tables, "MAX_ROWS", 10)
    response = _upload(client, org, "customers", _big_csv(), "c.csv")
    assert response.status_code == 400
    assert "más de 10 filas" in response.get_data(as_text=True)


def test_another_organizations_member_cannot_see_or_download(
    client: Any,
    org: Any,
    db: Any,
    make_organization: Any,
    login_as: Any,
    invoice_body: Any,
    api: Any,
) -> None:
    transfer = _export(client, org, db, api, invoice_body, "csv")
    other, _ = make_organization(name="Otra")
    login_as(db.get(Account, other.account_id))
    for path in ("", "/download", "/status.json", "/refused.csv"):
        # Under the intruder's own organization: not found.
        assert client.get(_url(other, f"/transfers/{transfer.id}{path}")).status_code == 404
        # Under the owner's organization: the intruder is not a member.
        assert client.get(_url(org, f"/transfers/{transfer.id}{path}")).status_code == 404


def _make_invoices(db: Any, org: Any, api: Any, invoice_body: Any) -> list[dict[str, Any]]:
    from portal.services import api_keys

    org_api = api(api_keys.test_key(db, org))
    db.commit()
    made = []
    for _ in range(3):
        response = org_api.post("/invoices", json=invoice_body())
        assert response.status_code == 200, response.get_json()
        made.append(response.get_json())
    return made


def _export(
    client: Any, org: Any, db: Any, api: Any, invoice_body: Any, file_format: str, **extra: str
) -> DataTransfer:
    _make_invoices(db, org, api, invoice_body)
    today = utcnow().date()
    form = {
        "from": str(today - timedelta(days=3)),
        "to": str(today + timedelta(days=1)),
        "format": file_format,
        **extra,
    }
    response = client.post(_url(org, "/invoices/export"), data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    transfer = db.scalar(select(DataTransfer).order_by(DataTransfer.created_at.desc()))
    assert transfer.status == "done", transfer.error
    return transfer


def test_export_a_period_as_csv(
    client: Any, org: Any, db: Any, api: Any, invoice_body: Any
) -> None:
    transfer = _export(client, org, db, api, invoice_body, "csv")
    page = client.get(_url(org, f"/transfers/{transfer.id}")).get_data(as_text=True)
    assert "Descargar facturas_" in page
    response = client.get(_url(org, f"/transfers/{transfer.id}/download"))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][4] == "Creada (America/Mexico_City)"
    uuids = sorted(row[3] for row in rows[1:])
    assert uuids == sorted(db.scalars(select(Invoice.uuid)))
    assert {row[7] for row in rows[1:]} == {"Vigente"}
    assert {row[9] for row in rows[1:]} == {"URE180429TM6"}
    assert {row[10] for row in rows[1:]} == {"Universidad Robótica Española"}


def test_export_as_xlsx_keeps_amounts_as_numbers(
    client: Any, org: Any, db: Any, api: Any, invoice_body: Any
) -> None:
    transfer = _export(client, org, db, api, invoice_body, "xlsx", type="I", status="valid")
    data = client.get(_url(org, f"/transfers/{transfer.id}/download")).data
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 4 and rows[0][17] == "Total"
    totals = {float(row[17]) for row in rows[1:]}
    assert totals == {float(t) for t in db.scalars(select(Invoice.total))}


def test_export_as_zip_holds_each_invoices_xml_and_pdf(
    client: Any, org: Any, db: Any, api: Any, invoice_body: Any
) -> None:
    transfer = _export(client, org, db, api, invoice_body, "zip")
    data = client.get(_url(org, f"/transfers/{transfer.id}/download")).data
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    invoices = db.scalars(select(Invoice)).all()
    for invoice in invoices:
        xml_name = next(n for n in names if n.endswith(f"{invoice.uuid}.xml"))
        pdf_name = next(n for n in names if n.endswith(f"{invoice.uuid}.pdf"))
        stamped = etree.fromstring(archive.read(xml_name))
        stamp = stamped.find(".//{http://www.sat.gob.mx/TimbreFiscalDigital}TimbreFiscalDigital")
        assert stamp.get("UUID") == invoice.uuid
        assert archive.read(pdf_name).startswith(PDF_MAGIC)
    assert any(re.fullmatch(r"facturas_.*\.csv", n) for n in names)


def test_export_email_reaches_the_requester_through_smtp(
    client: Any, org: Any, db: Any, api: Any, invoice_body: Any, smtp_server: Any
) -> None:
    server = smtp_server()
    transfer = _export(client, org, db, api, invoice_body, "csv")
    message = next(
        m for m in server.wait_for(1) if m["Subject"].startswith("Tu exportación de facturas")
    )
    account = db.get(Account, org.account_id)
    assert message["To"] == account.email
    body = message.get_body(("plain",)).get_content()
    assert f"/dashboard/o/{org.id}/transfers/{transfer.id}" in body
    sent = db.scalar(select(OutboxEmail).where(OutboxEmail.kind == "export_ready"))
    assert sent.status == "sent"


def test_a_bad_period_is_refused_in_spanish(client: Any, org: Any, db: Any) -> None:
    response = client.post(
        _url(org, "/invoices/export"),
        data={"from": "2026-12-01", "to": "2026-11-01", "format": "csv"},
    )
    assert response.status_code == 400
    assert "«Desde» debe ser anterior" in response.get_data(as_text=True)


def test_an_expired_export_is_gone_and_purged(
    client: Any, org: Any, db: Any, api: Any, invoice_body: Any
) -> None:
    transfer = _export(client, org, db, api, invoice_body, "csv")
    transfer.expires_at = utcnow() - timedelta(minutes=1)
    db.commit()
    response = client.get(_url(org, f"/transfers/{transfer.id}/download"))
    assert response.status_code == 404 and "venció" in response.get_data(as_text=True)
    assert runs.purge_expired(db) == 1
    db.commit()
    assert db.scalar(select(func.count()).select_from(DataTransfer)) == 0


def test_formula_cells_are_neutralised_in_exports(
    client: Any, org: Any, db: Any, api: Any, invoice_body: Any
) -> None:
    body = invoice_body()
    body["customer"]["legal_name"] = "=HYPERLINK(1)"
    from portal.services import api_keys

    org_api = api(api_keys.test_key(db, org))
    db.commit()
    created = org_api.post("/invoices", json=body)
    assert created.status_code == 200, created.get_json()
    today = utcnow().date()
    for file_format in ("csv", "xlsx"):
        form = {"from": str(today - timedelta(days=1)), "to": str(today + timedelta(days=1))}
        client.post(_url(org, "/invoices/export"), data={**form, "format": file_format})
        transfer = db.scalar(select(DataTransfer).order_by(DataTransfer.created_at.desc()))
        data = client.get(_url(org, f"/transfers/{transfer.id}/download")).data
        if file_format == "csv":
            assert b"'=HYPERLINK(1)" in data
        else:
            rows = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
            assert rows[1][10] == "'=HYPERLINK(1)"


def test_the_transfer_page_refreshes_without_javascript_while_it_runs(
    client: Any, org: Any, db: Any
) -> None:
    from portal.tenancy import Tenant

    tenant = Tenant(org, False, db.get(Account, org.account_id))
    data = "RFC (tax_id)\n" + company_rfc(5) + "\n"
    transfer = runs.start_import(db, tenant, "customers", "c.csv", data.encode())
    db.flush()
    transfer.status = "running"  # as a worker holds it (no job: the row is not committed new)
    db.commit()
    page = client.get(_url(org, f"/transfers/{transfer.id}")).get_data(as_text=True)
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page
    assert "data-poll-url" in page
    status = client.get(_url(org, f"/transfers/{transfer.id}/status.json")).get_json()
    assert status == {"status": "running", "processed": 0, "total": 1}


def test_links_from_the_lists(client: Any, org: Any) -> None:
    assert _url(org, "/customers/import") in client.get(_url(org, "/customers")).get_data(True)
    assert _url(org, "/products/import") in client.get(_url(org, "/products")).get_data(True)
    assert _url(org, "/invoices/export") in client.get(_url(org, "/invoices")).get_data(True)
    for path in ("/customers/import", "/products/import", "/invoices/export"):
        assert client.get(_url(org, path)).status_code == 200


@pytest.mark.parametrize(
    "path, tab",
    [("/customers/import", "/customers"), ("/products/import", "/products"),
     ("/invoices/export", "/invoices"), ("/invoices", "/invoices")],
)  # fmt: skip
def test_the_page_s_tab_is_the_current_one(client: Any, org: Any, path: str, tab: str) -> None:
    html = client.get(_url(org, path)).get_data(True)
    nav = html[html.index('class="tabs"') : html.index("</nav>", html.index('class="tabs"'))]
    assert re.findall(r'<a href="([^"]+)"\s*aria-current="page"', nav) == [_url(org, tab)]


def test_templates_name_the_api_fields(client: Any, org: Any) -> None:
    response = client.get(_url(org, "/customers/import/template.csv"))
    header = next(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert header[:2] == ["Razón social (legal_name)", "RFC (tax_id)"]
    assert "address.zip" in " ".join(header)


def test_company_rfcs_made_here_are_valid_and_distinct() -> None:
    from portal.cfdi.rules import rfc_problem

    made = [company_rfc(n) for n in range(1000)]
    assert len(set(made)) == 1000
    assert all(rfc_problem(rfc) is None for rfc in itertools.islice(made, 0, 1000, 37))


def test_the_sweep_resumes_an_import_whose_worker_died(client: Any, org: Any, db: Any) -> None:
    from portal.jobs.transfers import sweep_transfers
    from portal.tenancy import Tenant

    tenant = Tenant(org, False, db.get(Account, org.account_id))
    lines = ["RFC (tax_id),Razón social (legal_name),Régimen fiscal (tax_system),Código postal"]
    lines += [f"{company_rfc(n)},CLIENTE {n},601,86991" for n in range(3)]
    transfer = runs.start_import(db, tenant, "customers", "c.csv", "\n".join(lines).encode())
    db.flush()
    # A worker took it, committed the first row's batch, and died holding the lease.
    transfer.status, transfer.processed = "running", 1
    transfer.lease_until = utcnow() - timedelta(seconds=1)
    db.commit()
    sweep_transfers()
    db.expire_all()
    transfer = db.get(DataTransfer, transfer.id)
    assert transfer.status == "done" and transfer.processed == 3
    assert transfer.created_count == 2  # the first row was the dead worker's
    assert sorted(db.scalars(select(Customer.legal_name))) == ["CLIENTE 1", "CLIENTE 2"]


def test_the_import_page_speaks_english_when_chosen(client: Any, org: Any) -> None:
    client.post("/lang/en")
    page = client.get(_url(org, "/products/import")).get_data(as_text=True)
    assert "Import products" in page and "Download the template" in page
    assert "Price includes taxes" in page and "Separated by «;»" in page
    assert "Precio con impuestos" not in page and "Descarga la plantilla" not in page


def test_both_forms_need_their_csrf_token(
    client: Any, org: Any, db: Any, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    imported = _upload(client, org, "customers", _big_csv(), "c.csv")
    exported = client.post(
        _url(org, "/invoices/export"), data={"from": "2026-11-01", "to": "2026-11-30"}
    )
    for response in (imported, exported):
        assert response.status_code == 400
        assert "El formulario caducó" in response.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(DataTransfer)) == 0


def test_the_period_is_read_in_the_organizations_time_zone(
    org: Any, db: Any, api: Any, invoice_body: Any
) -> None:
    from datetime import UTC, datetime

    from portal.services.transfers import exports
    from portal.tenancy import Tenant

    made = _make_invoices(db, org, api, invoice_body)[:2]
    # 23:30 on 30 November in Mexico City is already 1 December in UTC; 00:30 on 1 December
    # there is 06:30 UTC.
    moments = [datetime(2026, 12, 1, 5, 30, tzinfo=UTC), datetime(2026, 12, 1, 6, 30, tzinfo=UTC)]
    for invoice, moment in zip(made, moments, strict=True):
        db.get(Invoice, invoice["id"]).created_at = moment
    db.commit()
    tenant = Tenant(org, False)
    november = {"from": "2026-11-01", "to": "2026-11-30", "type": "", "status": ""}
    december = {**november, "from": "2026-12-01", "to": "2026-12-31"}
    assert [i.id for i in db.scalars(exports.query(tenant, november))] == [made[0]["id"]]
    assert made[1]["id"] in [i.id for i in db.scalars(exports.query(tenant, december))]


def test_the_export_page_names_the_zone_by_its_city(client: Any, org: Any) -> None:
    html = client.get(_url(org, "/invoices/export")).get_data(as_text=True)
    assert "zona Ciudad de México" in html and "America/Mexico_City" not in html
