"""Organizations through the API with the user key."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select

from portal.cfdi.testcsd import make_expired_csd, make_mismatched_csd, make_test_csd
from portal.models.organizations import ApiKey, Certificate
from tests.fixtures.factories import LEGAL


@pytest.fixture
def user(api, make_account):
    """An API client with a fresh reseller's user key."""
    _account, key = make_account()
    return api(key)


def _create(user, name="Mi Tienda"):
    response = user.post("/organizations", json={"name": name})
    assert response.status_code == 200, response.json
    return response.json


def _png(width=200, height=100) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "#BADA55").save(buffer, "PNG")
    return buffer.getvalue()


def _upload_csd(user, org_id, cer, key, password):
    return user.put(
        f"/organizations/{org_id}/certificate",
        data={
            "cer": (io.BytesIO(cer), "cer.cer"),
            "key": (io.BytesIO(key), "key.key"),
            "password": password,
        },
        content_type="multipart/form-data",
    )


def test_create_list_retrieve(user):
    org = _create(user)
    assert org["legal"]["name"] == "Mi Tienda"
    assert org["is_production_ready"] is False
    assert {s["type"] for s in org["pending_steps"]} == {"legal", "certificate", "pac"}
    _create(user, "Otra Empresa")
    listed = user.get("/organizations?q=tienda").json
    assert [o["id"] for o in listed["data"]] == [org["id"]]
    assert user.get(f"/organizations/{org['id']}").json["id"] == org["id"]


def test_full_onboarding_with_a_test_csd_is_ready_for_test_invoices_only(user, org_csd):
    org_id = _create(user)["id"]
    legal = user.put(f"/organizations/{org_id}/legal", json=LEGAL)
    assert legal.status_code == 200, legal.json
    response = _upload_csd(user, org_id, org_csd.cer_der, org_csd.key_der, org_csd.password)
    assert response.status_code == 200, response.json
    body = response.json
    assert body["legal"]["tax_id"] == "EKU9003173C9"
    assert body["certificate"]["has_certificates"] is True
    # A test authority's CSD and no PAC: never "ready to issue invoices with fiscal validity".
    assert body["is_production_ready"] is False
    assert [s["type"] for s in body["pending_steps"]] == ["certificate", "pac"]
    assert "no fue emitido por el SAT" in body["pending_steps"][0]["description"]
    logo = user.put(
        f"/organizations/{org_id}/logo",
        data={"file": (io.BytesIO(_png()), "file")},
        content_type="multipart/form-data",
    )
    assert logo.json["customization"]["has_logo"] is True
    custom = user.put(
        f"/organizations/{org_id}/customization",
        json={"color": "bada55", "next_folio_number_test": 100, "pdf_extra": {"codes": False}},
    )
    assert custom.json["customization"]["color"] == "BADA55"
    assert custom.json["customization"]["pdf_extra"]["codes"] is False
    assert custom.json["customization"]["pdf_extra"]["product_key"] is True
    assert user.get("/organizations/domain-check?domain=mi-tienda").json["available"] is True
    assert (
        user.put(f"/organizations/{org_id}/domain", json={"domain": "mi-tienda"}).json["domain"]
        == "mi-tienda"
    )
    assert user.get("/organizations/domain-check?domain=mi-tienda").json["available"] is False


def test_secrets_never_appear_in_reads(user, org_csd, db):
    org_id = _create(user)["id"]
    _upload_csd(user, org_id, org_csd.cer_der, org_csd.key_der, org_csd.password)
    text = user.get(f"/organizations/{org_id}").get_data(as_text=True)
    assert org_csd.password not in text and "key_encrypted" not in text
    stored = db.scalar(select(Certificate))
    assert org_csd.key_der not in stored.key_encrypted
    assert org_csd.password.encode() not in stored.password_encrypted


@pytest.mark.parametrize(
    ("files", "code"),
    [
        (lambda c: (c.cer_der, c.key_der, "wrong-password"), "csd_wrong_password"),
        (
            lambda c: make_mismatched_csd("EKU9003173C9", "X", c.password) + (c.password,),
            "csd_key_mismatch",
        ),
        (
            lambda c: make_test_csd("EKU9003173C9", "X", c.password, fiel=True) + (c.password,),
            "csd_is_fiel",
        ),
        (
            lambda c: make_expired_csd("EKU9003173C9", "X", c.password) + (c.password,),
            "csd_expired",
        ),
        (lambda c: (b"not a certificate", c.key_der, c.password), "csd_certificate_unreadable"),
    ],
)
def test_certificate_refusals_have_their_own_codes(user, org_csd, db, files, code):
    org_id = _create(user)["id"]
    cer, key, password = files(org_csd)
    response = _upload_csd(user, org_id, cer, key, password)
    assert response.status_code == 400
    assert response.json["code"] == code
    assert response.json["message"]
    assert db.scalar(select(Certificate)) is None


def test_delete_certificate(user, org_csd):
    org_id = _create(user)["id"]
    _upload_csd(user, org_id, org_csd.cer_der, org_csd.key_der, org_csd.password)
    assert user.delete(f"/organizations/{org_id}/certificate").status_code == 200
    org = user.get(f"/organizations/{org_id}").json
    assert org["certificate"]["has_certificates"] is False


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        ({**LEGAL, "tax_system": "999"}, "tax_system"),
        ({**LEGAL, "address": {"zip": "00001"}}, "address.zip"),
        ({**LEGAL, "address": {"zip": "123"}}, "address.zip"),
        ({**LEGAL, "name": "x" * 101}, "name"),
        ({**LEGAL, "support_email": "nope"}, "support_email"),
        ({**LEGAL, "name": 5.5, "legal_name": None}, "legal_name"),
    ],
)
def test_bad_legal_data_is_refused_with_paths(user, payload, path):
    org_id = _create(user)["id"]
    response = user.put(f"/organizations/{org_id}/legal", json=payload)
    assert response.status_code == 400
    assert path in [e["path"] for e in response.json["errors"]]
    assert user.get(f"/organizations/{org_id}").json["legal"]["legal_name"] is None


def test_regime_must_fit_the_rfc(user, org_csd):
    org_id = _create(user)["id"]
    _upload_csd(user, org_id, org_csd.cer_der, org_csd.key_der, org_csd.password)
    response = user.put(f"/organizations/{org_id}/legal", json={**LEGAL, "tax_system": "605"})
    assert response.status_code == 400
    assert response.json["code"] == "tax_system_not_for_person_type"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"GIF89a" + b"\0" * 100, "logo_invalid_image"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 600_000, "logo_too_large"),
        (_png(10, 10), "logo_invalid_dimensions"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "logo_invalid_image"),
    ],
)
def test_bad_logos_are_refused(user, data, code):
    org_id = _create(user)["id"]
    response = user.put(
        f"/organizations/{org_id}/logo",
        data={"file": (io.BytesIO(data), "logo.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert response.json["code"] == code


@pytest.mark.parametrize(
    "domain", ["v2", "tax-info", "admin", "ab", "Mayus", "9start", "end-", "a" * 51, "has space"]
)
def test_bad_or_reserved_domains(user, domain):
    org_id = _create(user)["id"]
    assert user.get(f"/organizations/domain-check?domain={domain}").json["available"] is False
    response = user.put(f"/organizations/{org_id}/domain", json={"domain": domain})
    assert response.status_code == 400 and response.json["path"] == "domain"


def test_domain_is_unique_across_the_platform(api, make_account, user):
    other = api(make_account()[1])
    taken = _create(other)["id"]
    other.put(f"/organizations/{taken}/domain", json={"domain": "la-tienda"})
    org_id = _create(user)["id"]
    response = user.put(f"/organizations/{org_id}/domain", json={"domain": "la-tienda"})
    assert response.status_code == 409


def test_sdk_style_domain_check_with_put(user):
    response = user.put("/organizations/domain-check", json={"domain": "libre-123"})
    assert response.json["available"] is True


def test_series_crud(user):
    org_id = _create(user)["id"]
    created = user.post(
        f"/organizations/{org_id}/series-group",
        json={"series": "F", "next_folio": 10, "next_folio_test": 5},
    )
    assert created.json == {"series": "F", "next_folio": 10, "next_folio_test": 5}
    dup = user.post(f"/organizations/{org_id}/series-group", json={"series": "F"})
    assert dup.status_code == 409
    user.put(f"/organizations/{org_id}/series-group/F", json={"next_folio": 20})
    listed = user.get(f"/organizations/{org_id}/series-group").json["data"]
    assert listed == [{"series": "F", "next_folio": 20, "next_folio_test": 5}]
    custom = user.put(f"/organizations/{org_id}/customization", json={"default_series": {"I": "F"}})
    assert custom.json["customization"]["default_series"] == {"I": "F"}
    missing = user.put(
        f"/organizations/{org_id}/customization", json={"default_series": {"E": "Z"}}
    )
    assert missing.status_code == 400 and missing.json["path"] == "default_series.E"
    assert user.delete(f"/organizations/{org_id}/series-group/F").status_code == 200
    assert user.get(f"/organizations/{org_id}/series-group").json["data"] == []
    assert user.get(f"/organizations/{org_id}").json["customization"]["default_series"] == {}


def test_series_name_must_fit_cfdi(user):
    org_id = _create(user)["id"]
    response = user.post(f"/organizations/{org_id}/series-group", json={"series": "A" * 26})
    assert response.status_code == 400 and response.json["path"] == "series"


def test_test_key_is_readable_again_and_renewable(user, api):
    org_id = _create(user)["id"]
    key = user.get(f"/organizations/{org_id}/apikeys/test").json
    assert key.startswith("sk_test_")
    assert user.get(f"/organizations/{org_id}/apikeys/test").json == key
    assert api(key).get("/organizations/me").json["id"] == org_id
    renewed = user.put(f"/organizations/{org_id}/apikeys/test").json
    assert renewed != key
    assert api(key).get("/organizations/me").status_code == 401
    assert api(renewed).get("/organizations/me").status_code == 200


def test_live_keys_are_shown_once_and_revocable(user, api, db):
    org_id = _create(user)["id"]
    first = user.put(f"/organizations/{org_id}/apikeys/live").json
    second = user.put(f"/organizations/{org_id}/apikeys/live").json
    assert first.startswith("sk_live_") and second != first
    listed = user.get(f"/organizations/{org_id}/apikeys/live").json
    assert {k["first_12"] for k in listed} == {first[:12], second[:12]}
    assert first not in user.get(f"/organizations/{org_id}/apikeys/live").get_data(as_text=True)
    assert all(
        k.key_encrypted is None for k in db.scalars(select(ApiKey).where(ApiKey.livemode.is_(True)))
    )
    first_id = next(k["id"] for k in listed if k["first_12"] == first[:12])
    remaining = user.delete(f"/organizations/{org_id}/apikeys/live/{first_id}").json
    assert [k["first_12"] for k in remaining] == [second[:12]]
    assert api(first).get("/organizations/me").status_code == 401
    assert api(second).get("/organizations/me").status_code == 200


def test_deleting_an_organization_stops_its_keys(user, api):
    org_id = _create(user)["id"]
    test_key = user.get(f"/organizations/{org_id}/apikeys/test").json
    live_key = user.put(f"/organizations/{org_id}/apikeys/live").json
    assert user.delete(f"/organizations/{org_id}").status_code == 200
    for key in (test_key, live_key):
        assert api(key).get("/organizations/me").status_code == 401
    assert user.get(f"/organizations/{org_id}").status_code == 404
    assert user.get("/organizations").json["total_results"] == 0


def test_malformed_json_is_a_400(user):
    org_id = _create(user)["id"]
    response = user.put(
        f"/organizations/{org_id}/legal", data="{not json", content_type="application/json"
    )
    assert response.status_code == 400 and response.json["code"] == "invalid_json"
    response = user.post("/organizations", json=["a list"])
    assert response.status_code == 400


def test_receipt_and_self_invoice_settings(user):
    org_id = _create(user)["id"]
    body = user.put(
        f"/organizations/{org_id}/receipts", json={"periodicity": "week", "duration_days": 3}
    ).json
    assert body["receipts"]["periodicity"] == "week" and body["receipts"]["duration_days"] == 3
    bad = user.put(
        f"/organizations/{org_id}/receipts", json={"periodicity": "yearly", "duration_days": -1}
    )
    assert bad.status_code == 400
    assert {e["path"] for e in bad.json["errors"]} == {"periodicity", "duration_days"}
    body = user.put(
        f"/organizations/{org_id}/self-invoice",
        json={"allowed_cfdi_uses": ["G03", "S01"], "support_email": "a@b.mx"},
    ).json
    assert body["self_invoice"] == {"allowed_cfdi_uses": ["G03", "S01"], "support_email": "a@b.mx"}
    bad = user.put(f"/organizations/{org_id}/self-invoice", json={"allowed_cfdi_uses": ["X"]})
    assert bad.json["path"] == "allowed_cfdi_uses[0]"


def _onboarded(user, org_csd) -> str:
    org_id = _create(user)["id"]
    assert user.put(f"/organizations/{org_id}/legal", json=LEGAL).status_code == 200
    response = _upload_csd(user, org_id, org_csd.cer_der, org_csd.key_der, org_csd.password)
    assert response.status_code == 200, response.json
    return org_id


def test_test_csd_still_issues_test_invoices(user, api, org_csd):
    """Test-readiness is not live-readiness: the test key invoices with the test CSD."""
    org_id = _onboarded(user, org_csd)
    test_key = user.get(f"/organizations/{org_id}/apikeys/test").json
    invoice = api(test_key).post(
        "/invoices",
        json={
            "customer": {
                "legal_name": "UNIVERSIDAD ROBOTICA ESPAÑOLA",
                "tax_id": "URE180429TM6",
                "tax_system": "601",
                "address": {"zip": "86991"},
            },
            "items": [
                {"product": {"description": "Servicio", "product_key": "01010101", "price": 100}}
            ],
            "payment_form": "03",
        },
    )
    assert invoice.status_code == 200, invoice.json
    assert invoice.json["status"] == "valid"


def test_configured_pac_leaves_only_the_test_csd_step(user, org_csd, app, monkeypatch):
    monkeypatch.setitem(app.config, "PAC_PROVIDER", "finkok")
    org_id = _onboarded(user, org_csd)
    body = user.get(f"/organizations/{org_id}").json
    assert body["is_production_ready"] is False
    assert [s["type"] for s in body["pending_steps"]] == ["certificate"]


def test_sat_csd_and_pac_make_it_production_ready(user, org_csd, app, monkeypatch):
    """The only path to "ready": a CSD that chains to SAT's roots and a configured PAC. No
    SAT-issued certificate may be used in tests, so the chain check is stood in for here."""
    from portal.services import organizations

    monkeypatch.setitem(app.config, "PAC_PROVIDER", "finkok")
    monkeypatch.setattr(organizations, "issued_by_sat", lambda cer: cer == org_csd.cer_der)
    body = user.get(f"/organizations/{_onboarded(user, org_csd)}").json
    assert body["is_production_ready"] is True and body["pending_steps"] == []


@pytest.mark.parametrize(
    ("zip_code", "zone"),
    [("22000", "America/Tijuana"), ("77500", "America/Cancun"), ("42501", "America/Mexico_City")],
)
def test_timezone_follows_the_fiscal_zip(user, zip_code, zone):
    org_id = _create(user)["id"]
    legal = {**LEGAL, "address": {**LEGAL["address"], "zip": zip_code}}
    response = user.put(f"/organizations/{org_id}/legal", json=legal)
    assert response.status_code == 200, response.json
    assert response.json["timezone"] == zone
