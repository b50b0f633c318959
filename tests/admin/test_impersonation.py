"""Acting as a reseller: reason, banner, refusals, audit of every change, stop and expiry."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal import impersonation
from portal.models.audit import AuditEntry
from portal.models.base import utcnow
from tests.fixtures.factories import PASSWORD

REASON = "Ticket 1234: no puede crear su organización"


def _start(client, reseller, reason=REASON, **extra):
    return client.post(
        f"/admin/accounts/{reseller.id}/impersonate", data={"act-reason": reason, **extra}
    )


def _actions(db, **where):
    query = select(AuditEntry).order_by(AuditEntry.created_at, AuditEntry.id)
    for name, value in where.items():
        query = query.where(getattr(AuditEntry, name) == value)
    db.expire_all()
    return db.scalars(query).all()


def test_acting_needs_a_written_reason(staff_client, db, reseller):
    response = _start(staff_client, reseller, reason="porque sí")
    assert response.status_code == 400
    assert "al menos 10 caracteres" in response.get_data(as_text=True)
    assert staff_client.get("/dashboard/").status_code == 200  # still staff's own session
    assert not any(e.action == "impersonation.started" for e in _actions(db))


def test_acting_shows_the_dashboard_with_a_banner_on_every_page(staff_client, db, staff, reseller):
    response = _start(staff_client, reseller)
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard/"
    for path in ("/dashboard/", "/dashboard/account", "/no-such-page"):
        page = staff_client.get(path).get_data(as_text=True)
        assert "Sofía Soporte está actuando como ana@example.com" in page, path
        assert 'action="/admin/impersonation/stop"' in page
        assert REASON[:30] in page
    started = _actions(db, action="impersonation.started")[0]
    assert (started.staff_id, started.account_id, started.reason) == (staff.id, reseller.id, REASON)


def test_secrets_and_credentials_are_refused_while_acting(staff_client, db, reseller):
    key_prefix, email = reseller.user_key_prefix, reseller.email
    _start(staff_client, reseller)
    account_page = staff_client.get("/dashboard/account").get_data(as_text=True)
    assert "Generar una llave nueva" not in account_page
    attempts = {
        "/dashboard/account/user-key": {},
        "/dashboard/account/password": {
            "pw-current_password": PASSWORD,
            "pw-password": "otra frase muy larga",
            "pw-confirm": "otra frase muy larga",
        },
        "/dashboard/account/email": {"em-email": "mala@example.com", "em-password": PASSWORD},
    }
    for path, data in attempts.items():
        response = staff_client.post(path, data=data)
        assert response.status_code == 403, path
        assert "no puede ver ni renovar secretos" in response.get_data(as_text=True)
    json_refusal = staff_client.post(
        "/dashboard/account/user-key", headers={"Accept": "application/json"}
    )
    assert json_refusal.json["code"] == "refused_while_impersonating"
    db.expire_all()
    assert (reseller.user_key_prefix, reseller.email) == (key_prefix, email)
    refused = _actions(db, action="impersonation.refused")
    assert len(refused) == 4 and all(e.details["status"] == 403 for e in refused)


def test_every_change_while_acting_is_recorded_with_both_identities(
    staff_client, db, staff, reseller
):
    _start(staff_client, reseller)
    staff_client.post("/lang/en", data={"unused": "1"})
    entry = _actions(db, action="impersonation.request")[-1]
    assert (entry.staff_id, entry.account_id) == (staff.id, reseller.id)
    assert entry.reason == REASON and entry.ip == "127.0.0.1"
    assert entry.details["endpoint"] == "auth.set_language"
    assert entry.details["view_args"] == {"code": "en"}
    assert entry.details["status"] == 302 and entry.details["fields"] == ["unused"]


def test_stopping_returns_to_the_console_and_the_reseller_sees_what_happened(
    staff_client, client, db, reseller
):
    _start(staff_client, reseller)
    staff_client.post("/lang/es")
    response = staff_client.post("/admin/impersonation/stop")
    assert response.headers["Location"] == f"/admin/accounts/{reseller.id}"
    page = staff_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "está actuando como" not in page
    assert staff_client.get("/admin/").status_code == 200
    assert "impersonation.stopped" in [e.action for e in _actions(db, account_id=reseller.id)]

    staff_client.post("/admin/logout")
    client.post("/login", data={"email": reseller.email, "password": PASSWORD})
    activity = client.get("/dashboard/account").get_data(as_text=True)
    assert "Actividad del equipo de soporte" in activity
    assert "Soporte empezó a actuar en tu nombre" in activity
    assert "Soporte cambió el idioma" in activity and REASON in activity
    assert "/lang/es" not in activity and "POST" not in activity  # sentences, not requests
    assert "soporte@example.com" not in activity  # staff emails stay private


def test_acting_ends_by_itself_after_thirty_minutes(staff_client, db, reseller, monkeypatch):
    _start(staff_client, reseller)
    later = utcnow() + timedelta(minutes=31)
    monkeypatch.setattr(impersonation, "utcnow", lambda: later)
    response = staff_client.post("/lang/en")  # the change is not made
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/accounts/{reseller.id}"
    assert [e.action for e in _actions(db, account_id=reseller.id)][-1] == "impersonation.expired"
    page = staff_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "terminó sola a los 30 minutos" in page and "está actuando como" not in page


def test_acting_is_still_on_just_before_thirty_minutes(staff_client, db, reseller, monkeypatch):
    _start(staff_client, reseller)
    later = utcnow() + timedelta(minutes=29)
    monkeypatch.setattr(impersonation, "utcnow", lambda: later)
    assert "está actuando como" in staff_client.get("/dashboard/").get_data(as_text=True)


def test_signing_out_while_acting_ends_it_and_records_it(staff_client, db, reseller):
    _start(staff_client, reseller)
    staff_client.post("/logout")
    assert staff_client.get("/admin/").status_code == 302
    assert "impersonation.ended" in [e.action for e in _actions(db, account_id=reseller.id)]


def test_acting_can_start_inside_one_of_the_resellers_organizations(staff_client, db, reseller):
    from portal.models.organizations import Organization

    organization = Organization(account_id=reseller.id, name="Tacos Ana")
    db.add(organization)
    db.commit()
    page = staff_client.get(f"/admin/accounts/{reseller.id}?organization={organization.id}")
    assert f'<option selected value="{organization.id}">' in page.get_data(as_text=True)
    response = _start(staff_client, reseller, **{"act-organization": organization.id})
    assert response.status_code == 302
    assert organization.id in response.headers["Location"]
    started = _actions(db, action="impersonation.started")[0]
    assert started.organization_id == organization.id


def test_another_resellers_organization_cannot_be_entered(staff_client, db, reseller, make_account):
    from portal.models.organizations import Organization

    other, _key = make_account(email="otro@example.com")
    organization = Organization(account_id=other.id, name="Ajena")
    db.add(organization)
    db.commit()
    response = _start(staff_client, reseller, **{"act-organization": organization.id})
    assert response.status_code == 400
    assert "La organización no existe." in response.get_data(as_text=True)
    assert not _actions(db, action="impersonation.started")


def test_organization_secrets_are_refused_while_acting(
    staff_client, db, reseller, make_organization, org_csd
):
    import io

    org, test_key = make_organization(account=reseller)
    _start(staff_client, reseller)
    base = f"/dashboard/o/{org.id}"
    for path in (
        "/keys/test/reveal",
        "/keys/test/renew",
        "/keys/live",
        "/delete",
        "/settings/certificate/delete",
    ):
        response = staff_client.post(base + path, data={"confirm_name": org.name})
        assert response.status_code == 403, path
        assert test_key not in response.get_data(as_text=True)
    upload = staff_client.post(
        base + "/settings/certificate",
        content_type="multipart/form-data",
        data={
            "cer": (io.BytesIO(org_csd.cer_der), "a.cer"),
            "key": (io.BytesIO(org_csd.key_der), "a.key"),
            "password": org_csd.password,
        },
    )
    assert upload.status_code == 403
    assert staff_client.get(base + "/settings/certificate").status_code == 200
    assert staff_client.get(base + "/keys").status_code == 200
    db.expire_all()
    assert org.deleted_at is None and org.certificate is not None
