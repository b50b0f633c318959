"""Staff sign-in: password, then the authenticator (set up on first sign-in), then the console."""

from __future__ import annotations

import time

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from portal.admin import bp
from portal.admin.access import (
    PENDING_KEY,
    actor,
    sign_in_staff,
    sign_out_staff,
    staff_signed_in,
)
from portal.admin.forms import CodeForm, StaffLoginForm
from portal.errors import PortalError
from portal.extensions import db
from portal.forms import attach_errors
from portal.models.accounts import Account
from portal.redirects import safe_next
from portal.services import accounts, audit
from portal.services import staff as staff_auth
from portal.services.audit import StaffActor

PENDING_MAX_AGE = 600  # seconds between the password and the second factor


def _safe_next() -> str | None:
    return safe_next(request.args.get("next"), prefix="/admin/")


def _pending_staff() -> Account | None:
    """The staff member whose password was checked moments ago in this session."""
    pending = session.get(PENDING_KEY) or {}
    if time.time() - pending.get("at", 0) > PENDING_MAX_AGE:
        return None
    staff = db.session.get(Account, pending.get("id", ""))
    if staff is None or not staff.is_staff or staff.suspended_at:
        return None
    return staff if staff.session_token == pending.get("token") else None


@bp.route("/login", methods=["GET", "POST"])
def login():
    """First factor: email and password of a staff account."""
    if staff_signed_in():
        return redirect(url_for("admin.index"))
    form = StaffLoginForm()
    if form.validate_on_submit():
        try:
            staff = staff_auth.authenticate(
                db.session, form.email.data, form.password.data, request.remote_addr or ""
            )
        except PortalError as error:
            staff_auth.record_failed_sign_in(
                db.session, form.email.data, request.remote_addr or "", error.code
            )
            db.session.commit()  # keep the failed-attempt counters and the audit entry
            form.form_errors.append(error.message)
        else:
            session[PENDING_KEY] = {"id": staff.id, "token": staff.session_token, "at": time.time()}
            step = "admin.two_factor"
            if not staff_auth.has_second_factor(db.session, staff):
                staff_auth.begin_setup(db.session, staff)
                step = "admin.two_factor_setup"
            db.session.commit()
            return redirect(url_for(step, next=_safe_next()))
    return render_template("admin/login.html", form=form), 400 if form.errors else 200


@bp.route("/2fa", methods=["GET", "POST"])
def two_factor():
    """Second factor: a code from the authenticator app, or a recovery code."""
    staff = _pending_staff()
    if staff is None:
        return redirect(url_for("admin.login"))
    if not staff_auth.has_second_factor(db.session, staff):
        return redirect(url_for("admin.two_factor_setup"))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            method = staff_auth.verify(db.session, staff, form.code.data, request.remote_addr)
        except PortalError as error:
            db.session.commit()  # keep the failed-attempt counter
            attach_errors(form, error, "code")
        else:
            left = staff_auth.recovery_codes_left(db.session, staff)
            details = {"method": method, "recovery_codes_left": left}
            audit.record(db.session, _actor_of(staff), "staff.signed_in", details=details)
            db.session.commit()
            sign_in_staff(staff)
            if method == "recovery_code":
                flash(_("Usaste un código de recuperación. Te quedan %(n)d.", n=left), "warning")
            return redirect(_safe_next() or url_for("admin.index"))
    return render_template("admin/two_factor.html", form=form), 400 if form.errors else 200


@bp.route("/2fa/setup", methods=["GET", "POST"])
def two_factor_setup():
    """First sign-in: scan the QR code, confirm a code, keep the recovery codes."""
    staff = _pending_staff()
    if staff is None:
        return redirect(url_for("admin.login"))
    totp = staff_auth.totp_of(db.session, staff)
    if totp is None or totp.confirmed_at is not None:
        return redirect(url_for("admin.two_factor"))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes = staff_auth.confirm_setup(db.session, staff, form.code.data, request.remote_addr)
        except PortalError as error:
            db.session.commit()
            attach_errors(form, error, "code")
        else:
            audit.record(db.session, _actor_of(staff), "staff.second_factor_enabled")
            audit.record(
                db.session, _actor_of(staff), "staff.signed_in", details={"method": "totp"}
            )
            db.session.commit()
            sign_in_staff(staff)
            return render_template("admin/recovery_codes.html", codes=codes, next=_safe_next())
    secret = staff_auth.secret_of(totp)
    return render_template(
        "admin/two_factor_setup.html",
        form=form,
        qr=staff_auth.qr_data_uri(staff_auth.provisioning_uri(totp, staff)),
        secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    ), 400 if form.errors else 200


def _actor_of(staff: Account) -> StaffActor:
    return StaffActor(staff.id, request.remote_addr)


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out of the console."""
    audit.record(db.session, actor(), "staff.signed_out")
    accounts.end_all_sessions(current_user)
    db.session.commit()
    sign_out_staff()
    logout_user()
    flash(_("Cerraste tu sesión de soporte."), "info")
    return redirect(url_for("admin.login"))


@bp.route("/security", methods=["GET", "POST"])
def security():
    """The staff member's recovery codes: how many are left, and new ones on request."""
    staff = current_user._get_current_object()
    form = CodeForm()
    if form.validate_on_submit():
        try:
            staff_auth.verify(db.session, staff, form.code.data, request.remote_addr)
        except PortalError as error:
            db.session.commit()  # keep the failed-attempt counter
            attach_errors(form, error, "code")
        else:
            codes = staff_auth.new_recovery_codes(db.session, staff)
            audit.record(db.session, actor(), "staff.recovery_codes_renewed")
            db.session.commit()
            return render_template("admin/recovery_codes.html", codes=codes, next=None)
    left = staff_auth.recovery_codes_left(db.session, staff)
    return render_template("admin/security.html", form=form, left=left), (
        400 if form.errors else 200
    )
