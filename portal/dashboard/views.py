"""Views of the reseller's dashboard."""

from __future__ import annotations

from flask import flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user
from sqlalchemy import select

from portal.dashboard import bp
from portal.dashboard.forms import ChangeEmailForm, ChangePasswordForm, ConfirmForm
from portal.errors import PortalError
from portal.extensions import db
from portal.forms import attach_errors
from portal.models.organizations import Organization
from portal.services import accounts


@bp.before_request
@login_required
def require_login() -> None:
    """Every dashboard page needs a signed-in account."""


@bp.route("/")
def home():
    """The reseller's organizations."""
    organizations = db.session.scalars(
        select(Organization)
        .where(Organization.account_id == current_user.id, Organization.deleted_at.is_(None))
        .order_by(Organization.created_at.desc())
    ).all()
    return render_template("dashboard/home.html", organizations=organizations)


def _account_page(password_form=None, email_form=None, status: int = 200):
    return render_template(
        "dashboard/account.html",
        new_user_key=session.pop("new_user_key", None),
        password_form=password_form or ChangePasswordForm(prefix="pw"),
        email_form=email_form or ChangeEmailForm(prefix="em"),
        confirm_form=ConfirmForm(),
    ), status


@bp.route("/account")
def account():
    """Account settings: user key, password, email."""
    return _account_page()


@bp.route("/account/password", methods=["POST"])
def change_password():
    """Change the password; other sessions end."""
    form = ChangePasswordForm(prefix="pw")
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current_password.data, form.password.data)
        except PortalError as error:
            attach_errors(form, error)
        else:
            db.session.commit()
            # Keep this session signed in: the account's session token just changed.
            login_user(current_user._get_current_object())
            flash(_("Tu contraseña cambió."), "success")
            return redirect(url_for("dashboard.account"))
    return _account_page(password_form=form, status=400)


@bp.route("/account/email", methods=["POST"])
def change_email():
    """Change the sign-in email."""
    form = ChangeEmailForm(prefix="em")
    if form.validate_on_submit():
        try:
            accounts.change_email(db.session, current_user, form.password.data, form.email.data)
        except PortalError as error:
            attach_errors(form, error)
        else:
            db.session.commit()
            flash(_("Tu correo cambió."), "success")
            return redirect(url_for("dashboard.account"))
    return _account_page(email_form=form, status=400)


@bp.route("/account/user-key", methods=["POST"])
def renew_user_key():
    """Issue a new user key; the old one stops working at once."""
    if ConfirmForm().validate_on_submit():
        session["new_user_key"] = accounts.renew_user_key(current_user)
        db.session.commit()
        flash(_("Generamos una nueva llave de usuario. La anterior ya no funciona."), "success")
    return redirect(url_for("dashboard.account"))
