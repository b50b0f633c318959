"""Views of the sign-in pages."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from portal import custom_hosts, impersonation
from portal.auth import bp
from portal.auth.forms import ForgotForm, LoginForm, ResetForm, SignupForm
from portal.dashboard.views import account_page
from portal.errors import PortalError
from portal.extensions import db, login_manager
from portal.forms import attach_errors
from portal.models.accounts import Account
from portal.redirects import safe_next, same_site_path
from portal.services import accounts, throttle

FORGOT_LIMIT, FORGOT_WINDOW = 5, 3600


@login_manager.user_loader
def load_account(session_id: str) -> Account | None:
    """Flask-Login: the account, if its session token is still current."""
    account_id, _sep, token = session_id.partition(":")
    account = db.session.get(Account, account_id)
    if account is None or account.suspended_at or account.session_token != token:
        return None
    return account


login_manager.login_view = "auth.login"
login_manager.login_message = None


@bp.route("/")
def index():
    """The home page sends people to their dashboard or to sign in."""
    if current_user.is_authenticated and current_user.is_staff:
        return redirect(url_for("admin.index"))
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.home"))
    return redirect(url_for("auth.login"))


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    """Create a reseller account and sign in."""
    form = SignupForm()
    if form.validate_on_submit():
        try:
            account, user_key = accounts.create_account(
                db.session, form.email.data, form.password.data, form.name.data
            )
        except PortalError as error:
            attach_errors(form, error, "email")
        else:
            db.session.commit()
            login_user(account)
            # Shown on this answer only: a key kept in the session would sit in the cookie.
            return account_page(new_user_key=user_key)
    return render_template("auth/signup.html", form=form), 400 if form.errors else 200


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with email and password."""
    form = LoginForm()
    if form.validate_on_submit():
        try:
            account = accounts.authenticate(
                db.session, form.email.data, form.password.data, request.remote_addr or ""
            )
        except PortalError as error:
            db.session.commit()  # keep the failed-attempt counters
            form.form_errors.append(error.message)
        else:
            db.session.commit()
            login_user(account, remember=form.remember.data)
            return redirect(_safe_next() or url_for("dashboard.home"))
    return render_template("auth/login.html", form=form), 400 if form.errors else 200


def _safe_next() -> str | None:
    return safe_next(request.args.get("next"))


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Sign out (POST only, so that a link cannot sign anyone out), here and everywhere else."""
    if impersonation.current() is None:  # staff signing out must not sign the reseller out
        accounts.end_all_sessions(current_user)
        db.session.commit()
    logout_user()
    flash(_("Cerraste tu sesión."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    """Email a reset link; the answer is the same whether or not the account exists."""
    form = ForgotForm()
    if form.validate_on_submit():
        try:
            throttle.limit(
                db.session, f"forgot-ip:{request.remote_addr}", FORGOT_LIMIT, FORGOT_WINDOW
            )
        except PortalError as error:
            db.session.commit()
            form.form_errors.append(error.message)
            return render_template("auth/forgot.html", form=form), 429
        account = accounts.find_by_email(db.session, form.email.data)
        accounts.send_password_reset(db.session, account)
        db.session.commit()
        flash(
            _(
                "Si hay una cuenta con ese correo, te enviamos un enlace para elegir una "
                "nueva contraseña. Revisa tu bandeja."
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form), 400 if form.errors else 200


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password from an emailed link."""
    form = ResetForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(db.session, token, form.password.data)
        except PortalError as error:
            attach_errors(form, error)
        else:
            db.session.commit()
            flash(_("Listo: ya puedes entrar con tu nueva contraseña."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form), 400 if form.errors else 200


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str):
    """Switch the interface language (kept on the account of a signed-in person, unless support
    acts for it), then go back to the page it was asked from."""
    languages = current_app.config["LANGUAGES"]
    if code in languages:
        session["lang"] = code
        if current_user.is_authenticated and impersonation.current() is None:
            accounts.set_language(current_user, code, languages)
            db.session.commit()
    base = custom_hosts.own_base_url(request.referrer) or current_app.config["PUBLIC_BASE_URL"]
    back = same_site_path(request.referrer, base)
    return redirect(back or url_for("auth.index"))
