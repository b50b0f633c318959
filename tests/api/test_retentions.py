"""Retentions API (/v2/retentions): create and stamp, idempotency, bad input with paths,
list filters and pagination, retrieve, cancel (motives), downloads, email, tenant isolation.
The stamped XML is checked with the test-side checks of tests/fixtures/sat_retention_checks.py."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import select

from portal.models.mail import OutboxEmail
from tests.fixtures.invoices import CUSTOMER
from tests.fixtures.retentions import retention_body
from tests.fixtures.sat_retention_checks import (
    check_retention_totals,
    retention_xsd_problems,
    verify_retention_seal,
)

body = retention_body


def test_create_stamps_a_valid_retention(make_organization, api) -> None:
    _, key = make_organization()
    response = api(key).post("/retentions", json=body(external_id="E-1"))
    assert response.status_code == 200, response.json
    retention = response.json
    assert retention["status"] == "valid" and retention["type"] == "Retención"
    assert retention["cve_retenc"] == "14" and retention["folio_int"] == "R123"
    assert retention["totales"]["imp_retenidos"][0] == {
        "base": 10000.0,
        "impuesto": "ISR",
        "monto": 1000.0,
        "tipo_pago_ret": "02",
    }
    assert retention["stamp"]["sat_signature"] and len(retention["uuid"]) == 36
    assert retention["verification_url"].startswith("https://prodretencionverificacion")
    xml = api(key).get(f"/retentions/{retention['id']}/xml").data
    assert retention_xsd_problems(xml) == []
    verify_retention_seal(xml)
    check_retention_totals(xml)
    assert api(key).get(f"/retentions/{retention['id']}").json["uuid"] == retention["uuid"]


def test_idempotency_key_replays_and_refuses_another_body(make_organization, api) -> None:
    _, key = make_organization()
    headers = {"Idempotency-Key": "ret-1"}
    first = api(key).post("/retentions", json=body(), headers=headers).json
    again = api(key).post("/retentions", json=body(), headers=headers).json
    assert again["id"] == first["id"] and again["uuid"] == first["uuid"]
    other = api(key).post("/retentions", json=body(folio_int="X"), headers=headers)
    assert other.status_code == 409
    assert other.json["path"] == "idempotency_key"


@pytest.mark.parametrize(
    ("change", "path", "code"),
    [
        ({"cve_retenc": 99}, "cve_retenc", "invalid_enum"),
        ({"periodo": {"mes_ini": 13, "mes_fin": 1, "ejerc": 2026}}, "periodo.mes_ini", None),
        ({"periodo": None}, "periodo", None),
        ({"totales": {"monto_tot_operacion": -1}}, "totales.monto_tot_operacion", None),
        ({"customer": {"tax_id": "URE180429TM6"}}, "customer.legal_name", None),
        ({"complements": ["<sin-cerrar>"]}, "complements[0].data", "invalid_input"),
        ({"folio_int": "X" * 21}, "folio_int", "too_long"),
        ({"folio_int": "R-1"}, "folio_int", "invalid_format"),  # FolioInt: [0-9a-zA-Z]{1,20}
    ],
)
def test_bad_input_is_refused_with_its_path(make_organization, api, change, path, code) -> None:
    _, key = make_organization()
    response = api(key).post("/retentions", json=body(**change))
    assert response.status_code == 400, response.json
    paths = [response.json.get("path")] + [p.get("path") for p in response.json.get("errors", [])]
    assert path in paths, response.json
    if code:
        assert code in [response.json.get("code")] + [
            p.get("code") for p in response.json.get("errors", [])
        ]


def test_sat_rule_is_refused_with_its_code(make_organization, api) -> None:
    _, key = make_organization()
    broken = body()
    broken["totales"]["monto_tot_exent"] = 5
    response = api(key).post("/retentions", json=broken)
    assert response.status_code == 400
    assert response.json["code"] == "RET20_MONTO_TOT_OPERACION"


def test_list_filters_and_pagination(make_organization, api) -> None:
    _, key = make_organization()
    customer = api(key).post("/customers", json=CUSTOMER).json
    by_id = api(key).post("/retentions", json=body(customer=customer["id"])).json
    api(key).post("/retentions", json=body(external_id="EXT-9"))
    api(key).post("/retentions", json=body(folio_int="ZETA"))
    listed = api(key).get("/retentions", query_string={"limit": 2}).json
    assert listed["total_results"] == 3 and listed["total_pages"] == 2 and len(listed["data"]) == 2
    mine = api(key).get("/retentions", query_string={"customer": customer["id"]}).json
    assert [r["id"] for r in mine["data"]] == [by_id["id"]]
    assert mine["data"][0]["customer"]["id"] == customer["id"]
    found = api(key).get("/retentions", query_string={"q": "zeta"}).json["data"]
    assert [r["folio_int"] for r in found] == ["ZETA"]
    later = api(key).get("/retentions", query_string={"date[gt]": "2999-01-01T00:00:00Z"}).json
    assert later["total_results"] == 0


def test_cancel_with_motives(make_organization, api) -> None:
    _, key = make_organization()
    first = api(key).post("/retentions", json=body()).json
    refused = api(key).delete(f"/retentions/{first['id']}", query_string={"motive": "01"})
    assert refused.status_code == 400 and refused.json["path"] == "substitution"
    replacement = api(key).post("/retentions", json=body()).json
    canceled = api(key).delete(
        f"/retentions/{first['id']}",
        query_string={"motive": "01", "substitution": replacement["uuid"]},
    )
    assert canceled.status_code == 200, canceled.json
    assert canceled.json["status"] == "canceled"
    assert canceled.json["cancellation"]["substitution"] == replacement["uuid"]
    again = api(key).delete(f"/retentions/{first['id']}")
    assert again.status_code == 400 and again.json["code"] == "already_canceled"
    plain = api(key).delete(f"/retentions/{replacement['id']}").json
    assert plain["status"] == "canceled" and plain["cancellation"]["motive"] == "02"
    bad = api(key).delete(f"/retentions/{replacement['id']}", query_string={"motive": "09"})
    assert bad.status_code == 400


def test_downloads_and_email(make_organization, api, db) -> None:
    _, key = make_organization()
    retention = api(key).post("/retentions", json=body()).json
    pdf = api(key).get(f"/retentions/{retention['id']}/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    archive = zipfile.ZipFile(io.BytesIO(api(key).get(f"/retentions/{retention['id']}/zip").data))
    assert sorted(archive.namelist()) == sorted(
        [f"retencion_{retention['uuid']}.pdf", f"retencion_{retention['uuid']}.xml"]
    )
    sent = api(key).post(f"/retentions/{retention['id']}/email", json={"email": "otro@example.com"})
    assert sent.status_code == 200 and sent.json == {"ok": True}
    email = db.scalars(select(OutboxEmail)).one()
    assert email.to == ["otro@example.com"] and email.kind == "retention"
    assert retention["uuid"] in email.text_body
    bad = api(key).post(f"/retentions/{retention['id']}/email", json={"email": "no-es-correo"})
    assert bad.status_code == 400 and bad.json["path"].startswith("email[0]")


def test_tenant_isolation(make_organization, api) -> None:
    _, mine = make_organization()
    _, theirs = make_organization(name="Otra")
    retention = api(mine).post("/retentions", json=body()).json
    for path in ("", "/pdf", "/xml", "/zip"):
        assert api(theirs).get(f"/retentions/{retention['id']}{path}").status_code == 404
    assert api(theirs).delete(f"/retentions/{retention['id']}").status_code == 404
    assert api(theirs).post(f"/retentions/{retention['id']}/email", json={}).status_code == 404
    assert api(theirs).get("/retentions").json["total_results"] == 0
    assert api(mine).get(f"/retentions/{retention['id']}").json["status"] == "valid"


def test_addenda_is_kept_outside_the_seal(make_organization, api) -> None:
    _, key = make_organization()
    addenda = '<acme:Pedido xmlns:acme="urn:acme" numero="77"/>'
    retention = api(key).post("/retentions", json=body(addenda=addenda)).json
    assert retention["addenda"] == addenda
    xml = api(key).get(f"/retentions/{retention['id']}/xml").data
    assert b'numero="77"' in xml and b"retenciones:Addenda" in xml
    verify_retention_seal(xml)  # SAT's XSLT leaves the Addenda out of the cadena
    broken = api(key).post("/retentions", json=body(addenda="<sin-cerrar>"))
    assert broken.status_code == 400 and broken.json["path"] == "addenda"
