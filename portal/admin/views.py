"""Console pages: search, the tenant page, account controls, impersonation, the audit log."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.routing import BuildError
from wtforms import SelectChoice

from portal import impersonation, request_log
from portal.admin import bp
from portal.admin.access import actor, note
from portal.admin.forms import ConfirmForm, ImpersonateForm, ReasonForm, SearchForm
from portal.errors import PortalError
from portal.extensions import db
from portal.forms import attach_errors
from portal.models.accounts import Account
from portal.models.organizations import Organization
from portal.services import accounts, audit, support


@bp.route("/")
def index():
    """Search resellers and organizations."""
    form = SearchForm(request.args)
    hits, requests = None, []
    if form.q.data and form.validate():
        requests = _logged_requests(form.q.data)
        try:
            hits = support.search(db.session, form.q.data)
        except PortalError as error:
            if not requests:
                attach_errors(form, error, "q")
        else:
            note("support.search", details={"q": form.q.data, "results": len(hits)})
    status = 400 if form.errors else 200
    return render_template("admin/index.html", form=form, hits=hits, requests=requests), status


def _logged_requests(request_id: str) -> list[tuple[object, Organization | None]]:
    """The /v2 requests logged under this ``request_id``, each with its organization."""
    found = request_log.find(db.session, request_id)
    if found:
        note("support.request_lookup", details={"request_id": request_id, "found": len(found)})
    return [
        (
            entry,
            db.session.get(Organization, entry.organization_id) if entry.organization_id else None,
        )
        for entry in found
    ]


def _tenant_page(account: Account, status: int = 200, **forms: object):
    overview = support.tenant_overview(db.session, account)
    impersonate_form = forms.pop("impersonate_form", None) or ImpersonateForm(
        prefix="act", organization=request.args.get("organization", "")
    )
    impersonate_form.organization.choices = [SelectChoice("", _("El panel del distribuidor"))] + [
        SelectChoice(state.organization.id, state.organization.name)
        for state in overview.organizations
        if state.organization.deleted_at is None
    ]
    return render_template(
        "admin/tenant.html",
        overview=overview,
        impersonate_form=impersonate_form,
        suspend_form=forms.pop("suspend_form", None) or ReasonForm(prefix="suspend"),
        org_suspend_form=ReasonForm(prefix="org"),
        confirm_form=ConfirmForm(),
    ), status


@bp.route("/accounts/<account_id>")
def tenant(account_id: str):
    """Everything about one reseller: organizations, readiness, certificates, activity."""
    account = support.get_reseller(db.session, account_id)
    note(
        "support.tenant_viewed", account_id=account.id, object_type="account", object_id=account.id
    )
    return _tenant_page(account)


@bp.route("/accounts/<account_id>/impersonate", methods=["POST"])
def impersonate(account_id: str):
    """Act as the reseller (optionally inside one organization), for a written reason."""
    account = support.get_reseller(db.session, account_id)
    form = ImpersonateForm(prefix="act")
    if form.validate_on_submit():
        try:
            organization = _chosen_organization(account, form.organization.data)
            acting = support.start_impersonation(
                db.session, actor(), account, form.reason.data, organization
            )
        except PortalError as error:
            attach_errors(form, error, "reason")
        else:
            db.session.commit()
            impersonation.begin(current_user._get_current_object(), account, acting)
            flash(_("Ahora ves el portal como %(email)s.", email=account.email), "info")
            return redirect(_landing(organization))
    return _tenant_page(account, 400, impersonate_form=form)


def _chosen_organization(account: Account, organization_id: str | None) -> Organization | None:
    if not organization_id:
        return None
    return support.get_organization(db.session, account, organization_id)


def _landing(organization: Organization | None) -> str:
    """Where acting starts: the organization's page when there is one, else the dashboard."""
    if organization is not None:
        try:
            return url_for("org.overview", org_id=organization.id)
        except BuildError:
            return url_for("dashboard.home", organization=organization.id)
    return url_for("dashboard.home")


@bp.route("/impersonation/stop", methods=["POST"])
def stop_impersonation():
    """Stop acting for the reseller and go back to the console."""
    acting = impersonation.current()
    support.end_impersonation(db.session, acting.actor(), "stopped")
    db.session.commit()
    impersonation.end(acting)
    flash(_("Dejaste de actuar como el distribuidor."), "info")
    return redirect(url_for("admin.tenant", account_id=acting.account_id))


@bp.route("/accounts/<account_id>/suspend", methods=["POST"])
def suspend_account(account_id: str):
    """Suspend a reseller: sign-in, user key and open sessions stop."""
    account = support.get_reseller(db.session, account_id)
    form = ReasonForm(prefix="suspend")
    if form.validate_on_submit():
        try:
            support.suspend_account(db.session, actor(), account, form.reason.data)
        except PortalError as error:
            attach_errors(form, error, "reason")
        else:
            db.session.commit()
            flash(_("La cuenta quedó suspendida."), "success")
            return redirect(url_for("admin.tenant", account_id=account.id))
    return _tenant_page(account, 400, suspend_form=form)


@bp.route("/accounts/<account_id>/reactivate", methods=["POST"])
def reactivate_account(account_id: str):
    """Lift a reseller's suspension."""
    account = support.get_reseller(db.session, account_id)
    return _control(
        account,
        lambda: support.reactivate_account(db.session, actor(), account),
        _("La cuenta está activa de nuevo."),
    )


@bp.route("/accounts/<account_id>/password-reset", methods=["POST"])
def send_password_reset(account_id: str):
    """Email the reseller a link to choose a new password."""
    account = support.get_reseller(db.session, account_id)
    return _control(
        account,
        lambda: support.send_password_reset(db.session, actor(), account),
        _("Enviamos el enlace para restablecer la contraseña a %(email)s.", email=account.email),
    )


@bp.route("/accounts/<account_id>/organizations/<organization_id>/suspend", methods=["POST"])
def suspend_organization(account_id: str, organization_id: str):
    """Suspend one organization: its keys and pages stop."""
    account = support.get_reseller(db.session, account_id)
    organization = support.get_organization(db.session, account, organization_id)
    form = ReasonForm(prefix="org")
    reason = form.reason.data or ""
    return _control(
        account,
        lambda: support.suspend_organization(db.session, actor(), organization, reason),
        _("La organización %(name)s quedó suspendida.", name=organization.name),
    )


@bp.route("/accounts/<account_id>/organizations/<organization_id>/reactivate", methods=["POST"])
def reactivate_organization(account_id: str, organization_id: str):
    """Lift an organization's suspension."""
    account = support.get_reseller(db.session, account_id)
    organization = support.get_organization(db.session, account, organization_id)
    return _control(
        account,
        lambda: support.reactivate_organization(db.session, actor(), organization),
        _("La organización %(name)s está activa de nuevo.", name=organization.name),
    )


def _control(account: Account, action, success: str):
    """Run a one-button account control, then back to the tenant page with the outcome."""
    try:
        action()
    except PortalError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(success, "success")
    return redirect(url_for("admin.tenant", account_id=account.id))


@bp.route("/audit")
def audit_log():
    """The audit log, newest first, filtered by account and/or staff member."""
    account_query = request.args.get("account", "").strip()
    staff_id = request.args.get("staff", "").strip() or None
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    account_id = _account_id(account_query)
    return render_template(
        "admin/audit.html",
        result=audit.entries(db.session, account_id, staff_id, page),
        page=page,
        account_query=account_query,
        staff_id=staff_id,
        staff_members=support.staff_members(db.session),
    )


def _account_id(value: str) -> str | None:
    """An account filter given as an id or an email (an unknown one matches nothing)."""
    if not value:
        return None
    found = accounts.find_by_email(db.session, value) if "@" in value else None
    return found.id if found else value
