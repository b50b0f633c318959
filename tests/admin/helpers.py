"""Staff accounts and their sign-in, for the admin and end-to-end tests."""

from __future__ import annotations

import re
import time
from typing import Any

import pyotp

from portal.models.accounts import ROLE_STAFF
from portal.services import staff as staff_auth
from tests.fixtures.factories import PASSWORD


def make_staff(make_account: Any, email: str = "soporte@example.com", name: str = "Sofía Soporte"):
    """A staff account (as ``portal create-staff`` makes it)."""
    account, _key = make_account(email=email, name=name, role=ROLE_STAFF)
    return account


def totp_for(db: Any, staff: Any) -> pyotp.TOTP:
    """The staff member's authenticator, read from the stored secret."""
    db.expire_all()
    return pyotp.TOTP(staff_auth.secret_of(staff_auth.totp_of(db, staff)))


def code_for(db: Any, staff: Any, offset_steps: int = 0) -> str:
    """A valid code; later steps (``offset_steps``) since a code is never accepted twice."""
    return totp_for(db, staff).at(time.time() + 30 * offset_steps)


def sign_in_staff(client: Any, db: Any, staff: Any, offset_steps: int = 0) -> list[str]:
    """The real sign-in: password, then the authenticator (set up if needed); recovery codes."""
    response = client.post("/admin/login", data={"email": staff.email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    if response.headers["Location"].startswith("/admin/2fa/setup"):
        page = client.post("/admin/2fa/setup", data={"code": code_for(db, staff)})
        assert page.status_code == 200
        return re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", page.get_data(as_text=True))
    done = client.post("/admin/2fa", data={"code": code_for(db, staff, offset_steps)})
    assert done.status_code == 302, done.get_data(as_text=True)
    return []
