"""/v2/invoices against SAT's CFDI 4.0 matrix: refusals carry SAT's code (400, Spanish), the
general public needs a global invoice (CFDI40130), XAXX010101000 with a buyer's own name is a
nominative sale, and uses follow the document type (CN01 only N, CP01 only P, CFDI40161).

Most refusals come before the folio is taken (the rules that need no sealed document run on the
input). What only the sealed XML shows is refused by the test PAC; to reach it through the API,
``zip_missing_from_catalogue`` makes SAT's CFDI40126 refuse the issuer's zip (as if SAT's
c_CodigoPostal lacked it), with the rule's real code and message."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from lxml import etree

from portal.cfdi import sat_matrix

CFDI = "{http://www.sat.gob.mx/cfd/4}"
NOW = datetime.now(ZoneInfo("America/Mexico_City"))


def _folio_after_a_refusal(db: Any, last: int) -> int:
    """The next folio after a document SAT's matrix refused once sealed: on SQLite the folio is
    taken in the request's transaction and given back; on PostgreSQL it is committed at once in
    a short transaction of its own (services.invoices._take_folio), so the refusal leaves a gap,
    which SAT allows."""
    return last + (2 if db.get_bind().dialect.name == "postgresql" else 1)


def _public(org_api: Any, name: str = "PUBLICO EN GENERAL") -> dict[str, Any]:
    return {
        "legal_name": name,
        "tax_id": "XAXX010101000",
        "tax_system": "616",
        "address": {"zip": org_api.organization.address["zip"]},
    }


def test_general_public_without_global_is_refused_with_cfdi40130(org_api, invoice_body) -> None:
    """CFDI40130: PUBLICO EN GENERAL needs InformacionGlobal; the API names ``global``."""
    body = invoice_body(customer=_public(org_api), use="S01")
    response = org_api.post("/invoices", json=body)
    assert response.status_code == 400, response.get_json()
    error = response.get_json()
    assert (error["code"], error["path"]) == ("CFDI40130", "global")
    assert "factura global" in error["message"]


def test_general_public_with_global_is_stamped(org_api, invoice_body, verify_stamped) -> None:
    period = {"periodicity": "month", "months": f"{NOW.month:02d}", "year": NOW.year}
    body = invoice_body(customer=_public(org_api), use="S01", **{"global": period})
    response = org_api.post("/invoices", json=body)
    assert response.status_code == 200, response.get_json()
    xml = org_api.get(f"/invoices/{response.get_json()['id']}/xml").data
    verify_stamped(xml)
    info = etree.fromstring(xml).find(f"{CFDI}InformacionGlobal")
    assert (info.get("Periodicidad"), info.get("Meses")) == ("04", f"{NOW.month:02d}")


def test_generic_rfc_with_the_buyers_name_is_a_nominative_invoice(org_api, invoice_body) -> None:
    """SAT allows XAXX010101000 with another name, without InformacionGlobal."""
    body = invoice_body(customer=_public(org_api, "JUAN PEREZ LOPEZ"), use="S01")
    response = org_api.post("/invoices", json=body)
    assert response.status_code == 200, response.get_json()
    root = etree.fromstring(org_api.get(f"/invoices/{response.get_json()['id']}/xml").data)
    receptor = root.find(f"{CFDI}Receptor")
    assert (receptor.get("Rfc"), receptor.get("Nombre")) == ("XAXX010101000", "JUAN PEREZ LOPEZ")
    assert root.find(f"{CFDI}InformacionGlobal") is None


@pytest.mark.parametrize(("invoice_type", "use"), [("I", "CN01"), ("I", "CP01"), ("E", "CP01")])
def test_uses_reserved_to_another_type_are_refused(org_api, invoice_body, invoice_type, use):
    """CN01 is only for payroll (N) and CP01 only for payments (P)."""
    customer = {**invoice_body()["customer"], "tax_system": "601"}
    response = org_api.post(
        "/invoices", json=invoice_body(customer=customer, use=use, type=invoice_type)
    )
    assert response.status_code == 400, response.get_json()
    assert (response.get_json()["code"], response.get_json()["path"]) == (
        "use_not_allowed_for_type",
        "use",
    )


def test_use_against_the_receivers_regime_is_refused(org_api, invoice_body) -> None:
    """CFDI40161: D01 (medical expenses) is not for a company under regime 601."""
    response = org_api.post("/invoices", json=invoice_body(use="D01"))
    assert response.status_code == 400
    assert response.get_json()["code"] == "use_not_allowed_for_tax_system"


@pytest.fixture
def zip_missing_from_catalogue(org_api: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """CFDI40126 refuses the organization's zip (LugarExpedicion) from now on."""
    sat_matrix._load_families()
    real = sat_matrix.RULES["CFDI40126"]
    place = org_api.organization.address["zip"]

    def check(context: sat_matrix.Context) -> list[str]:
        return ["@LugarExpedicion"] if context.root.get("LugarExpedicion") == place else []

    monkeypatch.setitem(
        sat_matrix.RULES, "CFDI40126", sat_matrix.Rule(real.code, real.message, check)
    )
    return place


def test_a_matrix_refusal_is_a_400_with_sats_code_and_stores_nothing(
    org_api, invoice_body, db, zip_missing_from_catalogue
):
    first_body = invoice_body(address={"zip": "86991"})  # issued elsewhere: accepted
    first = org_api.post("/invoices", json=first_body).get_json()
    assert first["status"] == "valid", first
    response = org_api.post("/invoices", json=invoice_body())
    assert response.status_code == 400, response.get_json()
    error = response.get_json()
    assert error["code"] == "CFDI40126" and error["ok"] is False and error["status"] == 400
    assert "c_CodigoPostal" in error["message"] and error["errors"][0]["source"] == "sat"
    assert error["path"] == "@LugarExpedicion"
    following = org_api.post("/invoices", json=first_body).get_json()
    assert following["folio_number"] == _folio_after_a_refusal(db, first["folio_number"])
    listed = org_api.get("/invoices").get_json()
    assert listed["total_results"] == 2  # the refused document was not stored


def test_a_refused_draft_keeps_no_folio(org_api, invoice_body, db, zip_missing_from_catalogue):
    draft = org_api.post("/invoices", json=invoice_body(status="draft")).get_json()
    response = org_api.post(f"/invoices/{draft['id']}/stamp")
    assert response.status_code == 400 and response.get_json()["code"] == "CFDI40126"
    again = org_api.get(f"/invoices/{draft['id']}").get_json()
    assert again["status"] == "draft" and again["folio_number"] is None
    stamped = org_api.post("/invoices", json=invoice_body(address={"zip": "86991"})).get_json()
    assert stamped["folio_number"] == _folio_after_a_refusal(db, 0)


def test_an_async_invoice_the_matrix_refuses_fails_with_sats_code(
    org_api, invoice_body, zip_missing_from_catalogue
):
    """The worker stamps through the same test PAC: the invoice is ``failed``, with the reason."""
    pending = org_api.post("/invoices?async=true", json=invoice_body()).get_json()
    assert pending["status"] == "pending"
    done = org_api.get(f"/invoices/{pending['id']}").get_json()  # HUEY_IMMEDIATE in tests
    assert done["status"] == "failed" and done["uuid"] is None
    assert done["failure_reason"].startswith("CFDI40126:")


def test_a_bimonthly_global_invoice_needs_regime_621_and_takes_no_folio(org_api, invoice_body):
    """CFDI40132, refused on the input: the test issuer's regime is 601."""
    period = {"periodicity": "two_months", "months": "13", "year": NOW.year}
    body = invoice_body(customer=_public(org_api), use="S01", **{"global": period})
    response = org_api.post("/invoices", json=body)
    assert response.status_code == 400, response.get_json()
    error = response.get_json()
    assert (error["code"], error["path"]) == ("CFDI40132", "global.periodicity")
    assert "621" in error["message"]
    assert org_api.post("/invoices", json=invoice_body()).get_json()["folio_number"] == 1


def test_a_draft_the_receiver_rules_refuse_takes_no_folio(org_api, invoice_body) -> None:
    """Checks that need no sealed document (CFDI40130 here) run before the folio is taken."""
    body = invoice_body(customer=_public(org_api), use="S01", status="draft")
    draft = org_api.post("/invoices", json=body).get_json()
    response = org_api.post(f"/invoices/{draft['id']}/stamp")
    assert response.status_code == 400 and response.get_json()["code"] == "CFDI40130"
    assert org_api.post("/invoices", json=invoice_body()).get_json()["folio_number"] == 1
