"""/v2/invoices and the engine's rules seen from the API: the verification URL (QR), custom
complements, pdf_options, the place of issue's local time and SAT's unit names. Every check
reads the stamped XML or the PDF's text, not the engine's own figures."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from lxml import etree
from sqlalchemy import func, select

from portal.models.invoices import Invoice
from tests.cfdi.test_custom_complements import LEYENDA, LEYENDAS
from tests.cfdi.test_zones import _expected_offset

CFDI = "http://www.sat.gob.mx/cfd/4"


def _xml(client: Any, invoice: dict[str, Any]) -> etree._Element:
    response = client.get(f"/invoices/{invoice['id']}/xml")
    assert response.status_code == 200
    return etree.fromstring(response.data)


def _stamp(client: Any, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/invoices", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_verification_url_matches_the_stamped_xml(org_api, invoice_body) -> None:
    invoice = _stamp(org_api, invoice_body())
    root = _xml(org_api, invoice)
    parts = urlsplit(invoice["verification_url"])
    params = dict(parse_qsl(parts.query, strict_parsing=True))
    tfd = root.find(f"{{{CFDI}}}Complemento/{{http://www.sat.gob.mx/TimbreFiscalDigital}}*")
    assert params["id"] == tfd.get("UUID").upper()
    assert params["re"] == root.find(f"{{{CFDI}}}Emisor").get("Rfc")
    assert params["rr"] == root.find(f"{{{CFDI}}}Receptor").get("Rfc")
    assert params["fe"] == root.get("Sello")[-8:]
    assert Decimal(params["tt"]) == Decimal(root.get("Total"))
    assert not params["tt"].startswith("0") and not params["tt"].endswith("00")
    assert "/" not in parts.query and "+" not in parts.query  # the seal's tail is encoded


def test_custom_complement_reaches_the_stamped_xml(org_api, invoice_body) -> None:
    complements = [{"type": "custom", "data": LEYENDA}]
    invoice = _stamp(org_api, invoice_body(complements=complements))
    assert invoice["complements"] == complements
    root = _xml(org_api, invoice)
    assert root.find(f"{{{CFDI}}}Complemento/{{{LEYENDAS}}}LeyendasFiscales") is not None
    assert LEYENDAS in root.get("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation")


@pytest.mark.parametrize(
    ("complement", "path"),
    [
        ({"type": "custom", "data": "<roto"}, "complements[0].data"),
        ({"type": "custom", "data": '<a:b xmlns:a="urn:a"/>'}, "complements[0].data"),
        ({"type": "custom"}, "complements[0].data"),
        ({"type": "desconocido", "data": "<x/>"}, "complements[0].type"),
    ],
)
def test_bad_custom_complement_is_a_400_before_a_folio(
    org_api, invoice_body, db, complement, path
) -> None:
    response = org_api.post("/invoices", json=invoice_body(complements=[complement]))
    body = response.get_json()
    assert response.status_code == 400 and body["path"] == path, body
    assert db.scalar(select(func.count()).select_from(Invoice)) == 0
    assert _stamp(org_api, invoice_body())["folio_number"] == 1  # no folio was spent


def _pdf_text(client: Any, invoice: dict[str, Any]) -> str:
    pdf = client.get(f"/invoices/{invoice['id']}/pdf").data
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def test_pdf_options_codes_false_hides_the_sat_codes(org_api, invoice_body) -> None:
    with_codes = _pdf_text(org_api, _stamp(org_api, invoice_body()))
    without = _pdf_text(org_api, _stamp(org_api, invoice_body(pdf_options={"codes": False})))
    assert "G03 - " in with_codes and "03 - " in with_codes
    assert "G03 - " not in without and "Gastos en general" in without


def test_pdf_options_must_be_booleans(org_api, invoice_body) -> None:
    response = org_api.post("/invoices", json=invoice_body(pdf_options={"codes": "no"}))
    assert response.status_code == 400 and response.get_json()["path"] == "pdf_options.codes"


@pytest.mark.parametrize("zip_code", ["22000", "77500", "32000"])
def test_fecha_is_the_local_time_of_the_place_of_issue(org_api, invoice_body, zip_code) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    invoice = _stamp(org_api, invoice_body(address={"zip": zip_code}))
    root = _xml(org_api, invoice)
    assert root.get("LugarExpedicion") == zip_code
    fecha = datetime.fromisoformat(root.get("Fecha"))
    as_utc = (fecha - _expected_offset(zip_code, before)).replace(tzinfo=UTC)
    assert before <= as_utc <= datetime.now(UTC)
    api_date = datetime.fromisoformat(invoice["date"].replace("Z", "+00:00"))
    assert api_date == as_utc  # the API's UTC date is the same instant


def test_unidad_comes_from_the_unit_catalogue(org_api, invoice_body) -> None:
    item = {
        "product": {
            "description": "Azúcar",
            "product_key": "50161509",
            "price": 30,
            "unit_key": "KGM",
        }
    }
    root = _xml(org_api, _stamp(org_api, invoice_body(items=[item])))
    concept = root.find(f"{{{CFDI}}}Conceptos/{{{CFDI}}}Concepto")
    assert (concept.get("ClaveUnidad"), concept.get("Unidad")) == ("KGM", "Kilogramo")


def test_border_organization_issues_in_pacific_time(make_organization, api, invoice_body, db):
    """No address in the body: LugarExpedicion is the organization's zip (Tijuana)."""
    organization, key = make_organization()
    organization.address = {**organization.address, "zip": "22000"}
    db.commit()
    client = api(key)
    before = datetime.now(UTC).replace(microsecond=0)
    root = _xml(client, _stamp(client, invoice_body()))
    assert root.get("LugarExpedicion") == "22000"
    fecha = datetime.fromisoformat(root.get("Fecha"))
    as_utc = (fecha - _expected_offset("22000", before)).replace(tzinfo=UTC)
    assert before <= as_utc <= datetime.now(UTC)
