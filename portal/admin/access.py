"""Who may enter the console: staff who signed in here with both factors, nobody else.

A staff member who signs in through the resellers' page, a reseller, or an impersonating session
never passes: the console needs the marker that only the second-factor step sets.
"""

from __future__ import annotations

from typing import Any

from flask import Response, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from portal import impersonation
from portal.admin import bp
from portal.errors import Forbidden
from portal.extensions import db
from portal.models.accounts import Account
from portal.services import audit
from portal.services.audit import StaffActor

PENDING_KEY = "admin_pending"  # password checked, second factor not yet
VERIFIED_KEY = "admin_verified"  # both factors passed, for this account and session token
PUBLIC_ENDPOINTS = frozenset({"admin.login", "admin.two_factor", "admin.two_factor_setup"})


def staff_signed_in() -> bool:
    """The current user is staff and passed both factors in this session."""
    return (
        current_user.is_authenticated
        and current_user.is_staff
        and session.get(VERIFIED_KEY) == current_user.get_id()
    )


def sign_in_staff(staff: Account) -> None:
    """Both factors passed: open the console for this session."""
    session.pop(PENDING_KEY, None)
    login_user(staff)
    session[VERIFIED_KEY] = staff.get_id()


def sign_out_staff() -> None:
    """Close the console for this session."""
    session.pop(VERIFIED_KEY, None)
    session.pop(PENDING_KEY, None)


def actor() -> StaffActor:
    """The signed-in staff member as an audit actor."""
    return StaffActor(current_user.id, request.remote_addr)


def note(action: str, **fields: Any) -> None:
    """Ask for an audit entry once a read-only page has been answered (searches, views)."""
    g.admin_audit_note = (action, fields)


@bp.before_request
def require_staff() -> Response | None:
    """Every console page needs a staff member who passed both factors."""
    g.admin_audit_note = None
    if request.endpoint in PUBLIC_ENDPOINTS or staff_signed_in():
        return None
    if request.endpoint == "admin.stop_impersonation" and impersonation.current():
        return None
    if impersonation.current():
        raise Forbidden(
            _(
                "Mientras actúas como un distribuidor la consola no está disponible: termina "
                "primero con el botón «Dejar de actuar» del aviso."
            ),
            "impersonating",
        )
    if current_user.is_authenticated:
        raise Forbidden(_("Esta sección es sólo para el equipo de soporte."), "staff_only")
    return redirect(url_for("admin.login", next=request.full_path))


@bp.after_request
def write_note(response: Response) -> Response:
    """Record what a read-only console page showed (asked for with ``note``)."""
    pending = g.pop("admin_audit_note", None)
    if pending and response.status_code < 400 and staff_signed_in():
        action, fields = pending
        staff = actor()
        impersonation.commit_audit_entry(lambda: audit.record(db.session, staff, action, **fields))
    return response
