"""Views of the reseller's dashboard."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_required, login_user

from portal.dashboard import bp
from portal.dashboard.forms import ChangeEmailForm, ChangePasswordForm, ConfirmForm, LanguageForm
from portal.dashboard.org.forms import CreateOrganizationForm
from portal.dashboard.roles import ROLE_LABELS
from portal.errors import PortalError
from portal.extensions import db
from portal.forms import attach_errors
from portal.i18n import language
from portal.impersonation import refused_while_impersonating
from portal.services import accounts, audit, team
from portal.services import organizations as orgs


@bp.before_request
@login_required
def require_login() -> None:
    """Every dashboard page needs a signed-in account."""


@bp.route("/")
def home():
    """The reseller's organizations, with search and readiness."""
    q = request.args.get("q", "").strip()[:100]
    return _home(q, CreateOrganizationForm())


@bp.route("/organizations", methods=["POST"])
def create_organization():
    """Open an organization and go to its checklist."""
    form = CreateOrganizationForm()
    if form.validate_on_submit():
        try:
            organization = orgs.create_organization(db.session, current_user, form.name.data)
        except PortalError as error:
            attach_errors(form, error)
        else:
            db.session.commit()
            flash(
                _("Creamos %(name)s. Completa los pasos para facturar.", name=organization.name),
                "success",
            )
            return redirect(url_for("org.overview", org_id=organization.id))
    return _home("", form), 400


def _home(q: str, form: CreateOrganizationForm) -> str:
    """The organizations the account owns or is a team member of, with its role in each."""
    query = orgs.search(current_user, q, with_teams=True).limit(200)
    return render_template(
        "dashboard/home.html",
        organizations=db.session.scalars(query).all(),
        member_roles=team.roles_of(db.session, current_user),
        role_labels=ROLE_LABELS,
        q=q,
        form=form,
        pending_steps=orgs.pending_steps,
        is_test_ready=orgs.is_test_ready,
    )


def account_page(
    password_form=None, email_form=None, status: int = 200, new_user_key=None, language_form=None
):
    """The account page; a just-issued user key is shown on this answer and never stored."""
    return render_template(
        "dashboard/account.html",
        new_user_key=new_user_key,
        password_form=password_form or ChangePasswordForm(prefix="pw"),
        email_form=email_form or ChangeEmailForm(prefix="em"),
        confirm_form=ConfirmForm(),
        language_form=language_form
        or LanguageForm(prefix="lang", language=current_user.language or language()),
        support_activity=audit.for_reseller(db.session, current_user.id),
    ), status


@bp.route("/account")
def account():
    """Account settings: user key, password, email."""
    return account_page()


@bp.route("/account/password", methods=["POST"])
@refused_while_impersonating
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
    return account_page(password_form=form, status=400)


@bp.route("/account/email", methods=["POST"])
@refused_while_impersonating
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
    return account_page(email_form=form, status=400)


@bp.route("/account/language", methods=["POST"])
@refused_while_impersonating
def change_language():
    """Keep the interface language on the account, for every device it signs in on."""
    form = LanguageForm(prefix="lang")
    if form.validate_on_submit():
        try:
            accounts.set_language(current_user, form.language.data, current_app.config["LANGUAGES"])
        except PortalError as error:
            attach_errors(form, error)
        else:
            db.session.commit()
            session["lang"] = form.language.data
            refresh()
            flash(_("Guardamos tu idioma."), "success")
            return redirect(url_for("dashboard.account"))
    return account_page(language_form=form, status=400)


@bp.route("/account/user-key", methods=["POST"])
@refused_while_impersonating
def renew_user_key():
    """Issue a new user key; the old one stops working at once."""
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("dashboard.account"))
    key = accounts.renew_user_key(current_user)
    db.session.commit()
    flash(_("Generamos una nueva llave de usuario. La anterior ya no funciona."), "success")
    return account_page(new_user_key=key)
