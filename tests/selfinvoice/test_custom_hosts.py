"""Custom hosts: an organization's self-invoice page on its own verified host name, never on an
unverified or unknown one; the TLS proxy's ``ask``; verification by a TXT record asked of a
real DNS server on 127.0.0.1; links and QR codes on the verified host."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.cfdi import pdf as pdf_context
from portal.custom_hosts import CACHE
from portal.errors import Conflict, ValidationError
from portal.jobs import custom_hosts as host_jobs
from portal.models.base import utcnow
from portal.models.custom_hosts import CustomHost
from portal.models.mail import OutboxEmail
from portal.services import custom_hosts

HOST = "factura.kemper.mx"


pytestmark = pytest.mark.usefixtures("fresh_host_cache")


def _add_host(db, organization, host, verified=True):
    row = custom_hosts.set_host(db, organization, host, "localhost")
    if verified:
        row.verified_at = utcnow()
    db.commit()
    return row


@pytest.fixture
def shops(db, make_organization, make_receipt):
    """Kemper (verified host) and Otra (its own domain, no host), a receipt each."""
    kemper, kemper_key = make_organization(domain="kemper")
    other, other_key = make_organization(name="Otra Tienda", domain="otra")
    _add_host(db, kemper, HOST)
    return kemper, make_receipt(kemper_key), other, make_receipt(other_key)


def test_a_verified_host_serves_its_organizations_pages(client, shops):
    _, receipt, _, _ = shops
    home = client.get("/", headers={"Host": HOST})
    assert home.status_code == 200 and "Escuela Kemper" in home.get_data(as_text=True)
    page = client.get(f"/{receipt['key']}", headers={"Host": HOST})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Ukelele" in html
    # The page's own links leave the domain out: the host already says whose page it is.
    assert f'action="/{receipt["key"]}/confirm"' in html or f"/{receipt['key']}" in html
    assert "/kemper/" not in html
    assert client.get("/static/css/app.css", headers={"Host": HOST}).status_code == 200


@pytest.mark.parametrize("header", ["FACTURA.Kemper.MX", f"{HOST}:8443", f"{HOST}.", f"{HOST}:80"])
def test_the_host_header_is_read_without_case_port_or_trailing_dot(client, shops, header):
    _, receipt, _, _ = shops
    page = client.get(f"/{receipt['key']}", headers={"Host": header})
    assert page.status_code == 200 and "Ukelele" in page.get_data(as_text=True)


def test_an_unverified_or_unknown_host_gets_the_platform_never_a_tenant(client, db, shops):
    kemper, receipt, other, other_receipt = shops
    _add_host(db, other, "factura.otra.mx", verified=False)
    for host in ("factura.otra.mx", "nadie.example.com", "127.0.0.1:5000"):
        page = client.get(f"/{receipt['key']}", headers={"Host": host})
        assert page.status_code == 404, host
        text = page.get_data(as_text=True)
        assert "Escuela Kemper" not in text and "Otra Tienda" not in text
        assert "Otra Tienda" not in client.get("/", headers={"Host": host}).get_data(True)
    # The path form still works on any host, as before.
    assert client.get(f"/otra/{other_receipt['key']}", headers={"Host": "x.mx"}).status_code == 200


def test_a_host_never_serves_another_tenants_receipt_or_the_platform(client, shops):
    _, _, _, other_receipt = shops
    miss = client.get(f"/{other_receipt['key']}", headers={"Host": HOST})
    text = miss.get_data(as_text=True)
    assert miss.status_code == 404 and "Escuela Kemper" in text and "Otra Tienda" not in text
    assert client.get(f"/otra/{other_receipt['key']}", headers={"Host": HOST}).status_code == 404
    for path in ("/dashboard/", "/admin/login", "/login"):
        assert client.get(path, headers={"Host": HOST}).status_code == 404, path
    assert client.get("/v2/invoices", headers={"Host": HOST}).status_code == 404


def _edit_link(api, key):
    body = api(key).post("/customers?createEditLink=true", {"legal_name": "Pepe"}).get_json()
    assert "edit_link" in body, body
    return body["edit_link"]


def test_edit_links_on_a_host_open_only_its_own_customers(client, db, api, make_organization):
    kemper, kemper_key = make_organization(domain="kemper")
    _, other_key = make_organization(name="Otra Tienda", domain="otra")
    _add_host(db, kemper, HOST)
    own, foreign = _edit_link(api, kemper_key), _edit_link(api, other_key)
    assert own.startswith(f"https://{HOST}/tax-info/")
    assert foreign.startswith("http://localhost/tax-info/")
    page = client.get(own.removeprefix(f"https://{HOST}"), headers={"Host": HOST})
    assert page.status_code == 200 and "Escuela Kemper" in page.get_data(as_text=True)
    stolen = client.get(foreign.removeprefix("http://localhost"), headers={"Host": HOST})
    assert stolen.status_code == 410 and "Otra Tienda" not in stolen.get_data(as_text=True)
    assert client.get(foreign.removeprefix("http://localhost")).status_code == 200


def test_ask_answers_200_only_for_a_verified_host(client, db, shops):
    _, _, other, _ = shops
    _add_host(db, other, "factura.otra.mx", verified=False)
    assert client.get(f"/tls/ask?domain={HOST}").status_code == 200
    assert client.get("/tls/ask?domain=FACTURA.KEMPER.MX.").status_code == 200
    for name in ("factura.otra.mx", "nadie.mx", "localhost", ""):
        assert client.get(f"/tls/ask?domain={name}").status_code == 404, name


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Factura.MiTienda.mx", "factura.mitienda.mx"),
        ("factura.cafetería.mx.", "factura.xn--cafetera-i2a.mx"),
    ],
)
def test_host_names_are_stored_in_their_ascii_form(db, make_organization, typed, stored):
    organization, _ = make_organization(domain="kemper")
    assert custom_hosts.set_host(db, organization, typed, "portal.example").host == stored


@pytest.mark.parametrize(
    "typed",
    ["", "https://factura.mx/", "factura", "192.0.2.7", "portal.example", "a.portal.example",
     "localhost", "factura.mx:8443", "-malo.mx", "x" * 64 + ".mx", "dos palabras.mx"],
)  # fmt: skip
def test_bad_host_names_are_refused(db, make_organization, typed):
    organization, _ = make_organization(domain="kemper")
    with pytest.raises(ValidationError):
        custom_hosts.set_host(db, organization, typed, "portal.example")


def test_a_host_belongs_to_one_tenant(db, shops):
    _, _, other, _ = shops
    with pytest.raises(Conflict):
        custom_hosts.set_host(db, other, "FACTURA.kemper.mx", "localhost")


def _stored(db):
    """The host row as the jobs left it (the test's session then holds no lock)."""
    db.rollback()
    row = db.scalar(select(CustomHost))
    db.expunge(row)
    db.rollback()
    return row


def test_the_job_verifies_a_host_by_its_txt_record(db, make_organization, dns_zone):
    organization, _ = make_organization(domain="kemper")
    row = _add_host(db, organization, HOST, verified=False)
    name, value = custom_hosts.record_name(row.host), custom_hosts.record_value(row.token)
    assert name == f"_portal-verify.{HOST}"
    db.rollback()
    assert host_jobs.check_custom_hosts.call_local() == 1  # no record yet
    stored = _stored(db)
    assert stored.verified_at is None and "No existe el registro" in stored.last_error
    dns_zone.txt[name] = ["otra-cosa", value]
    assert host_jobs.check_custom_hosts.call_local() == 1
    stored = _stored(db)
    assert stored.verified_at is not None and stored.last_error is None
    assert dns_zone.asked.count(name) == 2
    assert host_jobs.check_custom_hosts.call_local() == 0  # verified: checked again tomorrow


def test_a_timeout_keeps_a_verified_host_and_a_removed_record_unverifies_it(
    db, make_organization, dns_zone
):
    organization, _ = make_organization(domain="kemper")
    target = custom_hosts.target(_add_host(db, organization, HOST, verified=True))
    db.rollback()
    dns_zone.silent.add(custom_hosts.record_name(HOST))
    host_jobs.check([target])
    stored = _stored(db)
    assert stored.verified_at is not None and "no respondió" in stored.last_error
    dns_zone.silent.clear()
    host_jobs.check([target])  # NXDOMAIN now: the record is gone
    assert _stored(db).verified_at is None


def test_a_dns_query_inside_a_transaction_is_caught(
    db, make_organization, dns_zone, no_io_in_transaction
):
    organization, _ = make_organization(domain="kemper")
    target = custom_hosts.target(_add_host(db, organization, HOST, verified=False))
    db.scalar(select(CustomHost))  # a transaction is open now
    with no_io_in_transaction.expect_violation() as caught:
        custom_hosts.look_up(host_jobs._resolver(), target)
    assert caught and "transaction" in caught[0]


def test_links_and_qr_use_the_verified_host(db, api, make_organization, make_receipt):
    organization, key = make_organization(domain="kemper")
    receipt = make_receipt(key)
    assert receipt["self_invoice_url"] == f"http://localhost/kemper/{receipt['key']}"
    _add_host(db, organization, HOST, verified=True)
    again = api(key).get(f"/receipts/{receipt['id']}").get_json()
    assert again["self_invoice_url"] == f"https://{HOST}/{receipt['key']}"
    assert pdf_context.receipt_context(again)["url"] == again["self_invoice_url"]  # the QR
    pdf = api(key).get(f"/receipts/{receipt['id']}/pdf")
    assert pdf.status_code == 200 and f"{HOST}/{receipt['key']}" in _pdf_text(pdf.data)
    customer = api(key).post("/customers?createEditLink=true", {"email": "pepe@example.com"})
    customer_id = customer.get_json()["id"]
    assert api(key).post(f"/customers/{customer_id}/email-edit-link").status_code == 200
    email = db.scalars(select(OutboxEmail).order_by(OutboxEmail.created_at.desc())).first()
    assert f"https://{HOST}/tax-info/" in email.text_body


def _pdf_text(data: bytes) -> str:
    import subprocess

    return subprocess.run(
        ["pdftotext", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


def test_switching_language_on_a_host_goes_back_to_the_same_page(client, shops):
    _, receipt, _, _ = shops
    page = f"http://{HOST}/{receipt['key']}"
    switched = client.post("/lang/en", headers={"Host": HOST, "Referer": page})
    assert switched.status_code == 302 and switched.headers["Location"] == f"/{receipt['key']}"
    english = client.get(f"/{receipt['key']}", headers={"Host": HOST}).get_data(as_text=True)
    assert "Tax regime" in english
    elsewhere = client.post("/lang/es", headers={"Host": HOST, "Referer": "http://evil.mx/x"})
    assert elsewhere.headers["Location"] == "/"


def test_a_purchase_is_invoiced_end_to_end_on_the_host(client, shops, db):
    import re

    from tests.fixtures.receipts import BUYER

    _, receipt, _, _ = shops
    on_host = {"headers": {"Host": HOST}}
    form = client.get(f"/{receipt['key']}", **on_host).get_data(as_text=True)
    assert f'action="/{receipt["key"]}/confirm"' in client.post(
        f"/{receipt['key']}", data=BUYER, **on_host
    ).get_data(as_text=True)
    assert 'rel="icon"' in form and "/kemper" not in form
    done = client.post(f"/{receipt['key']}/confirm", data=BUYER, **on_host)
    assert done.status_code == 302 and done.headers["Location"].startswith(f"/{receipt['key']}/")
    result = client.get(done.headers["Location"], **on_host).get_data(as_text=True)
    links = re.findall(r'href="([^"]+/(?:pdf|xml))"', result)
    assert len(links) == 2 and all(link.startswith(f"/{receipt['key']}/") for link in links)
    pdf = client.get(links[0], **on_host)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_deleting_the_organization_frees_its_host(client, db, shops):
    from portal.services import organizations as orgs

    kemper, receipt, other, _ = shops
    orgs.delete_organization(db, kemper)
    db.commit()
    CACHE.clear()
    assert client.get(f"/{receipt['key']}", headers={"Host": HOST}).status_code == 404
    assert client.get(f"/tls/ask?domain={HOST}").status_code == 404
    assert custom_hosts.set_host(db, other, HOST, "localhost").host == HOST


def test_public_invoice_links_live_on_the_host_for_its_own_invoices(
    client, db, api, make_organization, invoice_body
):
    kemper, kemper_key = make_organization(domain="kemper")
    _, other_key = make_organization(name="Otra Tienda", domain="otra")
    _add_host(db, kemper, HOST)
    links = {}
    for key in (kemper_key, other_key):
        invoice = api(key).post("/invoices", invoice_body()).get_json()
        links[key] = api(key).get(f"/invoices/{invoice['id']}/public-link").get_json()["data"]
    own, foreign = links[kemper_key], links[other_key]
    assert own["url"] == f"https://{HOST}/d/{own['id']}"
    assert foreign["url"] == f"http://localhost/d/{foreign['id']}"
    page = client.get(f"/d/{own['id']}", headers={"Host": HOST})
    assert page.status_code == 200 and "Escuela Kemper" in page.get_data(as_text=True)
    stolen = client.get(f"/d/{foreign['id']}", headers={"Host": HOST})
    assert stolen.status_code == 404 and "Otra Tienda" not in stolen.get_data(as_text=True)
    assert client.get(f"/d/{foreign['id']}").status_code == 200  # on the platform, as before
