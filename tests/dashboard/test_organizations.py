"""The organization screens of the dashboard."""

from __future__ import annotations

import io
import re

from PIL import Image
from sqlalchemy import select

from portal.models.organizations import ApiKey, Organization


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 120), "#112233").save(buffer, "PNG")
    return buffer.getvalue()


def test_create_organization_and_see_its_checklist(client, make_account, login_as, db):
    account, _key = make_account()
    login_as(account)
    response = client.post("/dashboard/organizations", data={"name": "La Tiendita"})
    assert response.status_code == 302
    org = db.scalar(select(Organization))
    page = client.get(f"/dashboard/o/{org.id}/").get_data(as_text=True)
    assert "La Tiendita" in page and "Modo de pruebas" in page
    assert "Completa estos pasos" in page
    home = client.get("/dashboard/").get_data(as_text=True)
    assert "3 pasos pendientes" in home  # legal data, CSD, and the PAC for live invoices


def test_empty_name_is_refused(client, make_account, login_as, db):
    login_as(make_account()[0])
    response = client.post("/dashboard/organizations", data={"name": "  "})
    assert response.status_code == 400
    assert "Escribe el nombre." in response.get_data(as_text=True)
    assert db.scalar(select(Organization)) is None


def test_legal_form_saves_and_shows_errors_beside_fields(client, make_organization, login_as):
    org, _key = make_organization(ready=False)
    login_as(org_account(org))
    bad = client.post(
        f"/dashboard/o/{org.id}/settings/legal",
        data={"name": "Escuela", "legal_name": "", "tax_system": "601", "zip": "00001"},
    )
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400
    assert "no existe en el catálogo del SAT" in text and "es obligatorio" in text
    good = client.post(
        f"/dashboard/o/{org.id}/settings/legal",
        data={
            "name": "Escuela",
            "legal_name": "Escuela Kemper Urgate S.A. de C.V.",
            "tax_system": "601",
            "zip": "42501",
        },
    )
    assert good.status_code == 302
    assert org.legal_name == "ESCUELA KEMPER URGATE"


def org_account(org):
    from portal.extensions import db
    from portal.models.accounts import Account

    return db.session.get(Account, org.account_id)


def test_certificate_upload_sets_the_rfc_and_refusals_are_explained(
    client, make_organization, login_as, org_csd
):
    org, _key = make_organization(ready=False)
    login_as(org_account(org))
    url = f"/dashboard/o/{org.id}/settings/certificate"
    wrong = client.post(
        url,
        data={
            "cer": (io.BytesIO(org_csd.cer_der), "a.cer"),
            "key": (io.BytesIO(org_csd.key_der), "a.key"),
            "password": "incorrecta",
        },
        content_type="multipart/form-data",
    )
    assert wrong.status_code == 400
    assert "contraseña" in wrong.get_data(as_text=True).lower()
    ok = client.post(
        url,
        data={
            "cer": (io.BytesIO(org_csd.cer_der), "a.cer"),
            "key": (io.BytesIO(org_csd.key_der), "a.key"),
            "password": org_csd.password,
        },
        content_type="multipart/form-data",
    )
    assert ok.status_code == 302
    assert "EKU9003173C9" in client.get(url).get_data(as_text=True)


def test_logo_upload_and_branding(client, make_organization, login_as):
    org, _key = make_organization()
    login_as(org_account(org))
    response = client.post(
        f"/dashboard/o/{org.id}/settings/logo",
        data={"file": (io.BytesIO(_png()), "logo.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    logo = client.get(f"/dashboard/o/{org.id}/logo")
    assert logo.status_code == 200 and logo.mimetype == "image/png"
    fake = client.post(
        f"/dashboard/o/{org.id}/settings/logo",
        data={"file": (io.BytesIO(b"<svg/>"), "logo.png")},
        content_type="multipart/form-data",
    )
    assert fake.status_code == 400
    assert "no es una imagen JPG o PNG" in fake.get_data(as_text=True)
    heavy = client.post(
        f"/dashboard/o/{org.id}/settings/logo",
        data={"file": (io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\0" * 600_000), "logo.png")},
        content_type="multipart/form-data",
    )
    assert heavy.status_code == 400 and "pesa más de 500 KB" in heavy.get_data(as_text=True)
    saved = client.post(
        f"/dashboard/o/{org.id}/settings/branding",
        data={"color": "#aa3300", "codes": "y"},
    )
    assert saved.status_code == 302
    assert org.color == "AA3300"
    assert org.pdf_extra["codes"] is True and org.pdf_extra["product_key"] is False


def test_domain_check_endpoint_and_form(client, make_organization, login_as):
    org, _key = make_organization()
    make_organization(domain="ocupado")
    login_as(org_account(org))
    check = client.get(f"/dashboard/o/{org.id}/settings/domain/check?domain=ocupado").json
    assert check["available"] is False and "ya está en uso" in check["message"]
    assert (
        client.get(f"/dashboard/o/{org.id}/settings/domain/check?domain=libre").json["available"]
        is True
    )
    response = client.post(f"/dashboard/o/{org.id}/settings/domain", data={"domain": "admin"})
    assert response.status_code == 400 and "reservado" in response.get_data(as_text=True)


def test_keys_screen_reveals_test_key_and_shows_live_key_once(
    client, make_organization, login_as, api, db
):
    org, test_key = make_organization()
    login_as(org_account(org))
    page = client.get(f"/dashboard/o/{org.id}/keys").get_data(as_text=True)
    assert test_key not in page
    revealed = client.post(f"/dashboard/o/{org.id}/keys/test/reveal").get_data(as_text=True)
    assert test_key in revealed
    created = client.post(f"/dashboard/o/{org.id}/keys/live").get_data(as_text=True)
    live_key = re.search(r"sk_live_\w{32}", created).group(0)
    assert api(live_key).get("/organizations/me").status_code == 200
    listing = client.get(f"/dashboard/o/{org.id}/keys").get_data(as_text=True)
    assert live_key not in listing and live_key[:12] in listing
    key_id = db.scalar(select(ApiKey.id).where(ApiKey.livemode.is_(True)))
    client.post(f"/dashboard/o/{org.id}/keys/live/{key_id}/revoke")
    assert api(live_key).get("/organizations/me").status_code == 401


def test_env_switch_is_remembered(client, make_organization, login_as):
    org, _key = make_organization()
    login_as(org_account(org))
    client.post(f"/dashboard/o/{org.id}/env", data={"live": "1"})
    assert "Modo de pruebas" not in client.get(f"/dashboard/o/{org.id}/").get_data(as_text=True)
    client.post(f"/dashboard/o/{org.id}/env", data={"live": "0"})
    assert "Modo de pruebas" in client.get(f"/dashboard/o/{org.id}/").get_data(as_text=True)


def test_series_screen(client, make_organization, login_as):
    org, _key = make_organization()
    login_as(org_account(org))
    client.post(
        f"/dashboard/o/{org.id}/settings/series", data={"series": "TDA", "next_folio_test": "7"}
    )
    client.post(f"/dashboard/o/{org.id}/settings/series/defaults", data={"I": "TDA"})
    page = client.get(f"/dashboard/o/{org.id}/settings/series").get_data(as_text=True)
    assert "TDA" in page and org.default_series == {"I": "TDA"}
    too_long = client.post(f"/dashboard/o/{org.id}/settings/series", data={"series": "X" * 26})
    assert too_long.status_code == 400


def test_delete_needs_the_exact_name(client, make_organization, login_as, api):
    org, test_key = make_organization(name="Borrable")
    login_as(org_account(org))
    wrong = client.post(f"/dashboard/o/{org.id}/delete", data={"confirm_name": "otra"})
    assert wrong.status_code == 400 and org.deleted_at is None
    client.post(f"/dashboard/o/{org.id}/delete", data={"confirm_name": "Borrable"})
    assert org.deleted_at is not None
    assert api(test_key).get("/organizations/me").status_code == 401
    assert client.get(f"/dashboard/o/{org.id}/").status_code == 404


def test_receipt_settings_screen(client, make_organization, login_as):
    org, _key = make_organization()
    login_as(org_account(org))
    response = client.post(
        f"/dashboard/o/{org.id}/settings/receipts",
        data={
            "periodicity": "week",
            "duration_days": "3",
            "allowed_cfdi_uses": ["G03", "S01"],
            "support_email": "ayuda@tienda.mx",
        },
    )
    assert response.status_code == 302
    assert org.receipts_periodicity == "week" and org.self_invoice_uses == ["G03", "S01"]


def test_branding_preview_is_a_pdf_in_the_brand(client, make_organization, login_as, tmp_path):
    import subprocess

    org, _key = make_organization(name="Marca Propia")
    login_as(org_account(org))
    response = client.get(f"/dashboard/o/{org.id}/settings/branding/preview.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    pdf = tmp_path / "preview.pdf"
    pdf.write_bytes(response.data)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "Marca Propia" in text or "MARCA PROPIA" in text.upper()


def test_test_csd_is_never_called_ready_for_fiscal_validity(client, make_organization, login_as):
    """A test authority's CSD and no PAC: the screens say test invoices only, and what is
    missing for live ones (issue 14 item 5)."""
    org, _key = make_organization()
    login_as(org_account(org))
    page = client.get(f"/dashboard/o/{org.id}/").get_data(as_text=True)
    assert "puede emitir facturas con validez fiscal" not in page
    assert "Solo pruebas" in page
    assert "no fue emitido por el SAT" in page and "PAC configurado" in page
    home = client.get("/dashboard/").get_data(as_text=True)
    assert "Solo facturas de prueba" in home and "Lista para facturar" not in home
