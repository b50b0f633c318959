"""Staff sign-in: password, TOTP set up on first sign-in, recovery codes, throttling."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.models.audit import AuditEntry
from portal.models.staff import StaffRecoveryCode, StaffTotp
from tests.admin.helpers import code_for, sign_in_staff
from tests.fixtures.factories import PASSWORD


def _password_step(client, email, password=PASSWORD):
    return client.post("/admin/login", data={"email": email, "password": password})


def test_first_sign_in_sets_up_totp_and_shows_ten_recovery_codes_once(client, db, staff):
    response = _password_step(client, staff.email)
    assert response.headers["Location"].startswith("/admin/2fa/setup")
    assert client.get("/admin/").status_code == 302  # not in yet
    page = client.get("/admin/2fa/setup").get_data(as_text=True)
    assert 'src="data:image/svg+xml;base64,' in page
    secret = db.get(StaffTotp, staff.id)
    assert secret.confirmed_at is None and b"JBSW" not in secret.secret_encrypted
    wrong = client.post("/admin/2fa/setup", data={"code": "000000"})
    assert wrong.status_code == 400 and "El código no es correcto" in wrong.get_data(as_text=True)
    done = client.post("/admin/2fa/setup", data={"code": code_for(db, staff)})
    codes = re.findall(r"<code>(\w{5}-\w{5})</code>", done.get_data(as_text=True))
    assert len(set(codes)) == 10
    stored = db.scalars(select(StaffRecoveryCode.code_hash)).all()
    assert len(stored) == 10 and not set(codes) & set(stored)
    assert client.get("/admin/").status_code == 200
    actions = db.scalars(select(AuditEntry.action).where(AuditEntry.staff_id == staff.id)).all()
    assert {"staff.second_factor_enabled", "staff.signed_in"} <= set(actions)


def test_later_sign_ins_need_a_fresh_totp_code(client, db, staff):
    sign_in_staff(client, db, staff)
    client.post("/admin/logout")
    assert client.get("/admin/").status_code == 302
    _password_step(client, staff.email)
    reused = client.post("/admin/2fa", data={"code": code_for(db, staff)})  # used at setup
    assert reused.status_code == 400
    fresh = client.post("/admin/2fa", data={"code": code_for(db, staff, 1)})
    assert fresh.status_code == 302 and client.get("/admin/").status_code == 200


def test_recovery_codes_work_once_each(client, db, staff):
    codes = sign_in_staff(client, db, staff)
    client.post("/admin/logout")
    _password_step(client, staff.email)
    first = client.post("/admin/2fa", data={"code": codes[0].upper()})
    assert first.status_code == 302
    assert client.get("/admin/").status_code == 200
    client.post("/admin/logout")
    _password_step(client, staff.email)
    again = client.post("/admin/2fa", data={"code": codes[0]})
    assert again.status_code == 400
    assert client.post("/admin/2fa", data={"code": codes[1]}).status_code == 302


def test_second_factor_attempts_are_throttled(client, db, staff):
    sign_in_staff(client, db, staff)
    client.post("/admin/logout")
    _password_step(client, staff.email)
    for _ in range(5):
        assert client.post("/admin/2fa", data={"code": "123456"}).status_code == 400
    blocked = client.post("/admin/2fa", data={"code": code_for(db, staff, 1)})
    assert blocked.status_code == 400
    assert "Demasiadas solicitudes" in blocked.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302
    wrong = select(AuditEntry).where(AuditEntry.action == "staff.second_factor_failed")
    assert len(db.scalars(wrong).all()) == 5


def test_staff_password_attempts_are_throttled_and_audited(client, db, staff):
    for _ in range(5):
        assert _password_step(client, staff.email, "contraseña equivocada").status_code == 400
    blocked = _password_step(client, staff.email)
    assert "Demasiadas solicitudes" in blocked.get_data(as_text=True)
    failed = db.scalars(select(AuditEntry).where(AuditEntry.action == "staff.sign_in_failed")).all()
    assert len(failed) == 6 and failed[0].staff_id == staff.id
    assert {e.details["code"] for e in failed} == {"invalid_credentials", "too_many_requests"}


def test_a_reseller_cannot_sign_in_to_the_console(client, reseller):
    response = _password_step(client, reseller.email)
    assert response.status_code == 400
    assert "El correo o la contraseña no son correctos." in response.get_data(as_text=True)
    assert client.get("/admin/2fa").status_code == 302
    assert client.get("/admin/2fa/setup").status_code == 302


def test_staff_cannot_use_the_resellers_login(client, staff):
    response = client.post("/login", data={"email": staff.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "consola de soporte" in response.get_data(as_text=True)


def test_a_staff_session_without_the_second_factor_never_reaches_the_console(login_as, staff):
    client = login_as(staff)  # as if signed in some other way
    response = client.get("/admin/")
    assert response.status_code == 403


def test_a_suspended_staff_member_cannot_sign_in(client, db, staff):
    from portal.models.base import utcnow

    staff.suspended_at = utcnow()
    db.commit()
    response = _password_step(client, staff.email)
    assert response.status_code == 400 and "suspendida" in response.get_data(as_text=True)


def test_staff_renew_their_recovery_codes_with_a_fresh_code(staff_client, db, staff):
    page = staff_client.get("/admin/security").get_data(as_text=True)
    assert "Te quedan 10 códigos de recuperación." in page
    assert staff_client.post("/admin/security", data={"code": "000000"}).status_code == 400
    renewed = staff_client.post("/admin/security", data={"code": code_for(db, staff, 1)})
    codes = re.findall(r"<code>(\w{5}-\w{5})</code>", renewed.get_data(as_text=True))
    assert len(codes) == 10
    staff_client.post("/admin/logout")
    _password_step(staff_client, staff.email)
    assert staff_client.post("/admin/2fa", data={"code": codes[0]}).status_code == 302
