"""Support acting as a reseller: session state, the 30-minute limit, the banner, the audit.

While staff act for a reseller, the session is signed in as the reseller (Flask-Login) and also
remembers the staff member, the written reason, the start time and the scope (the whole account,
or the one organization chosen at the start). Each request checks that all of it still holds and
that the page lies inside the scope; every page opened and every change attempted is then written
to the audit log with its status and the organization it actually touched.

Views that show or renew secrets, or change a reseller's credentials, use
``@refused_while_impersonating`` (import it from here).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from flask import Response, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from portal import support_activity
from portal.database import set_write_intent
from portal.errors import Forbidden
from portal.extensions import db
from portal.models.accounts import Account
from portal.models.base import utcnow
from portal.security import SAFE_METHODS
from portal.services import audit, support
from portal.services.audit import StaffActor

SESSION_KEY = "impersonation"
MAX_DURATION = timedelta(minutes=30)


@dataclass
class Impersonation:
    """The staff member behind this session, for whom, why, and since when."""

    staff: Account
    account_id: str
    organization_id: str | None
    reason: str
    started_at: datetime

    @property
    def expires_at(self) -> datetime:
        """When the session ends by itself."""
        return self.started_at + MAX_DURATION

    @property
    def minutes_left(self) -> int:
        """Whole minutes before it ends (at least 1 while it lasts)."""
        return max(1, int((self.expires_at - utcnow()).total_seconds() // 60))

    def actor(self) -> StaffActor:
        """The audit actor of this request."""
        return StaffActor(
            self.staff.id, request.remote_addr, self.reason, self.account_id, self.organization_id
        )


def current() -> Impersonation | None:
    """The impersonation of this request, if staff are acting for a reseller."""
    return g.get("impersonation")


def begin(staff: Account, reseller: Account, actor: StaffActor) -> None:
    """Sign this session in as the reseller, remembering who is really behind it."""
    session[SESSION_KEY] = {
        "staff_id": staff.id,
        "staff_token": staff.session_token,
        "account_id": reseller.id,
        "organization_id": actor.organization_id,
        "reason": actor.reason,
        "started_at": utcnow().isoformat(),
    }
    login_user(reseller)
    g.impersonation_recorded = True  # the start is recorded by the service


def end(impersonation: Impersonation) -> None:
    """Go back to being the staff member (the console stays signed in)."""
    session.pop(SESSION_KEY, None)
    login_user(impersonation.staff)
    g.impersonation = None


def refuse_if_impersonating() -> None:
    """Refuse the current action when staff act for the reseller (secrets, credentials…)."""
    if current() is not None:
        g.impersonation_refused = True
        raise Forbidden(
            _(
                "El equipo de soporte no puede ver ni renovar secretos (llaves, CSD, "
                "secretos de webhooks), cambiar la contraseña, el correo o el segundo "
                "factor del distribuidor, ni eliminar organizaciones mientras actúa por él."
            ),
            "refused_while_impersonating",
        )


def refused_while_impersonating(view: Callable[..., Any]) -> Callable[..., Any]:
    """Keep a view out of reach while staff act for a reseller (secrets, credentials, deletion)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        refuse_if_impersonating()
        return view(*args, **kwargs)

    return wrapper


# Request hooks (registered by the admin blueprint) ------------------------------------------


def load_impersonation() -> Response | None:
    """Before each request: check the impersonation still holds, and end it once it expires."""
    g.impersonation = None
    g.impersonation_recorded = g.impersonation_refused = False
    g.pop("organization", None)  # set again by the organization pages' own hook, later on
    state = session.get(SESSION_KEY)
    if not state or request.endpoint == "static":
        return None
    staff = db.session.get(Account, state.get("staff_id", ""))
    if not _staff_still_valid(staff, state):
        _abandon(staff, state, "ended")
        return None
    impersonation = Impersonation(
        staff,
        state["account_id"],
        state.get("organization_id"),
        state["reason"],
        datetime.fromisoformat(state["started_at"]),
    )
    if not (current_user.is_authenticated and current_user.id == impersonation.account_id):
        _abandon(staff, state, "ended")  # the reseller's session ended (sign-out, password…)
        return None
    if utcnow() >= impersonation.expires_at:
        return _expire(impersonation)
    g.impersonation = impersonation
    _refuse_outside_scope(impersonation)
    return None


def _refuse_outside_scope(impersonation: Impersonation) -> None:
    """Acting inside one organization keeps staff out of the reseller's other organizations."""
    requested = _requested_organization_id()
    scope = impersonation.organization_id
    if scope and requested and requested != scope:
        g.impersonation_refused = True
        raise Forbidden(
            _(
                "Empezaste a actuar sólo dentro de otra organización: para entrar a esta, "
                "deja de actuar y vuelve a empezar eligiéndola."
            ),
            "outside_impersonation_scope",
        )


def _staff_still_valid(staff: Account | None, state: dict[str, Any]) -> bool:
    return (
        staff is not None
        and staff.is_staff
        and staff.suspended_at is None
        and staff.session_token == state.get("staff_token")
    )


def _abandon(staff: Account | None, state: dict[str, Any], how: str) -> None:
    """End a broken impersonation and sign everyone out of this session."""
    if staff is not None:
        actor = StaffActor(
            staff.id,
            request.remote_addr,
            state.get("reason"),
            state.get("account_id"),
            state.get("organization_id"),
        )
        commit_audit_entry(lambda: support.end_impersonation(db.session, actor, how))
    logout_user()
    session.clear()


def _expire(impersonation: Impersonation) -> Response:
    actor = impersonation.actor()
    commit_audit_entry(lambda: support.end_impersonation(db.session, actor, "expired"))
    end(impersonation)
    flash(_("La sesión de soporte terminó sola a los 30 minutos."), "info")
    return redirect(url_for("admin.tenant", account_id=impersonation.account_id))


# Images a page loads by itself: the page that shows them is already recorded.
ASSET_ENDPOINTS = frozenset({"static", "org.logo", "selfinvoice.logo"})


def record_request(response: Response) -> Response:
    """After each request: write every page opened and every change attempted while
    impersonating to the audit log, with the organization the request actually touched."""
    impersonation = current()
    if impersonation is None or g.get("impersonation_recorded"):
        return response
    if request.endpoint in ASSET_ENDPOINTS:
        return response
    refused = g.get("impersonation_refused")
    details = {
        "method": request.method,
        "endpoint": request.endpoint,
        "path": request.path,
        "view_args": {k: str(v) for k, v in (request.view_args or {}).items()},
        "fields": sorted(k for k in request.form if not k.endswith("csrf_token")),  # no values
        "status": response.status_code,
    }
    if _requested_organization_id():
        details["requested_organization_id"] = _requested_organization_id()
    if refused:
        action = "impersonation.refused"
    elif request.method in SAFE_METHODS:
        action = "impersonation.page_viewed"
    else:
        action = "impersonation.request"
    # The organization recorded is the one this request reached, not the one acting began in.
    actor = replace(impersonation.actor(), organization_id=_touched_organization_id())

    def write() -> None:
        details["subject"] = support_activity.subject(
            db.session,
            actor.organization_id,
            request.endpoint,
            request.view_args or {},
            request.form,
            response.location if response.status_code in (301, 302, 303) else None,
        )
        audit.record(db.session, actor, action, details=details)

    commit_audit_entry(write)
    return response


def _requested_organization_id() -> str | None:
    """The organization in the URL of an organization page (the blueprint reads it into g)."""
    return g.get("org_id") if request.blueprint == "org" else None


def _touched_organization_id() -> str | None:
    """The organization the page really loaded through the reseller's scope, if any."""
    organization = g.get("organization")
    requested = _requested_organization_id()
    return requested if organization is not None and organization.id == requested else None


def commit_audit_entry(write: Callable[[], Any]) -> None:
    """Write an audit entry in a transaction of its own, whatever the view left behind."""
    db.session.rollback()  # never commit a failed view's half-done changes with the entry
    set_write_intent(True)
    write()
    db.session.commit()


def banner_context() -> dict[str, Any]:
    """Template context: ``impersonation`` drives the banner in base.html."""
    return {"impersonation": current()}
