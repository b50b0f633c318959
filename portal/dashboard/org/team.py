"""The organization's team: members and their roles, invitations by email."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField

from portal.dashboard.forms import ConfirmForm
from portal.dashboard.org import bp
from portal.dashboard.roles import ROLE_DESCRIPTIONS, ROLE_LABELS, current_role, requires
from portal.errors import PortalError
from portal.extensions import db
from portal.forms import attach_errors, max_length, strip
from portal.models.accounts import Account
from portal.models.team import MEMBER_ROLES, ROLE_OWNER, TeamAction
from portal.services import team

ROLE_CHOICES = [(role, ROLE_LABELS[role]) for role in MEMBER_ROLES]

# What a team action did, as the organization's activity tells it (a past-tense phrase).
ACTION_PHRASES = {
    "org.new_customer": _l("creó un cliente"),
    "org.edit_customer": _l("editó un cliente"),
    "org.delete_customer": _l("eliminó un cliente"),
    "org.email_customer_edit_link": _l("envió a un cliente el enlace para sus datos fiscales"),
    "org.new_product": _l("creó un producto"),
    "org.edit_product": _l("editó un producto"),
    "org.delete_product": _l("eliminó un producto"),
    "org.new_invoice": _l("creó una factura"),
    "org.edit_invoice": _l("editó un borrador de factura"),
    "org.cancel_invoice": _l("canceló una factura"),
    "org.register_payment": _l("registró un pago"),
    "org.issue_credit_note": _l("emitió una nota de crédito"),
    "org.draft_substitute": _l("preparó una factura sustituta"),
    "org.invoice_public_link": _l("generó el enlace público de una factura"),
    "org.new_receipt": _l("creó un recibo"),
    "org.cancel_receipt": _l("canceló un recibo"),
    "org.email_receipt": _l("envió un recibo por correo"),
    "org.global_invoice": _l("emitió una factura global"),
    "org.new_retention": _l("emitió una constancia de retenciones"),
    "org.invite_member": _l("invitó a alguien al equipo"),
    "org.revoke_invitation": _l("canceló una invitación"),
    "org.change_member_role": _l("cambió el rol de alguien del equipo"),
    "org.remove_member": _l("quitó a alguien del equipo"),
    "org.create_live_key": _l("creó una llave de producción"),
    "org.revoke_live_key": _l("revocó una llave de producción"),
    "org.renew_test_key": _l("renovó la llave de pruebas"),
    "org.switch_env": _l("cambió entre pruebas y producción"),
    "org.webhooks": _l("creó un webhook"),
    "org.webhook": _l("editó un webhook"),
    "org.delete_webhook": _l("eliminó un webhook"),
    "org.reveal_webhook_secret": _l("consultó el secreto de un webhook"),
    "org.resend_delivery": _l("reenvió un evento a un webhook"),
}
INVOICE_ACTIONS = {
    "stamp": _l("timbró una factura"),
    "copy": _l("copió una factura"),
    "cancel": _l("canceló una factura"),
    "email": _l("envió una factura por correo"),
    "refresh": _l("actualizó el estado de una factura"),
}


def describe_action(action: TeamAction) -> str:
    """What a team action did, as the predicate of a sentence: «creó un cliente»."""
    if action.endpoint == "org.invoice_action":
        phrase = INVOICE_ACTIONS.get(action.details.get("view_args", {}).get("action", ""))
    else:
        phrase = ACTION_PHRASES.get(action.endpoint)
    if phrase is None:
        area = action.path.split("/")[4:5]  # the section after /dashboard/o/<org_id>/, no ids
        phrase = _l("hizo un cambio en %(area)s", area=area[0] if area and area[0] else "/")
    return str(phrase)


@bp.context_processor
def _activity_helpers() -> dict[str, Any]:
    return {"describe_action": describe_action}


class InviteForm(FlaskForm):
    """Who to invite, and with which role."""

    email = EmailField(_l("Correo electrónico"), [max_length(254)], filters=[strip])
    role = SelectField(_l("Rol"), choices=ROLE_CHOICES, default="invoicer")


class RoleForm(FlaskForm):
    """A member's new role."""

    role = SelectField(_l("Rol"), choices=ROLE_CHOICES)


def _team_page(form: InviteForm | None = None, status: int = 200) -> tuple[str, int]:
    organization = g.organization
    return render_template(
        "dashboard/org/team.html",
        form=form or InviteForm(),
        confirm=ConfirmForm(),
        owner=db.session.get(Account, organization.account_id),
        members=team.members(db.session, organization),
        invitations=team.pending_invitations(db.session, organization),
        role_labels=ROLE_LABELS,
        role_descriptions=ROLE_DESCRIPTIONS,
        role_choices=ROLE_CHOICES,
        is_owner=current_role() == ROLE_OWNER,
    ), status


@bp.get("/team")
@requires("admin")
def team_page() -> Any:
    """Members with their roles, pending invitations, and a form to invite someone."""
    return _team_page()


@bp.post("/team/invitations")
@requires("admin")
def invite_member() -> Any:
    """Email an invitation to join with a role."""
    form = InviteForm()
    if not form.validate_on_submit():
        return _team_page(form, 400)
    data = {"email": form.email.data, "role": form.role.data}
    try:
        invitation, _token = team.invite(
            db.session, g.organization, current_user, current_role() or "", data
        )
    except PortalError as error:
        attach_errors(form, error)
        return _team_page(form, error.status)
    db.session.commit()
    flash(_("Enviamos la invitación a %(email)s.", email=invitation.email), "success")
    return redirect(url_for("org.team_page"))


def _done(action: Any, message: str) -> Any:
    """Run a team change; commit and say so, or show why not."""
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("org.team_page"))
    try:
        action()
    except PortalError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("org.team_page"))
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("org.team_page"))


@bp.post("/team/invitations/<invitation_id>/revoke")
@requires("admin")
def revoke_invitation(invitation_id: str) -> Any:
    """Make a pending invitation's link stop working."""
    return _done(
        lambda: team.revoke_invitation(
            db.session, g.organization, current_role() or "", invitation_id
        ),
        _("Cancelamos la invitación: su enlace ya no funciona."),
    )


@bp.post("/team/members/<membership_id>/role")
@requires("admin")
def change_member_role(membership_id: str) -> Any:
    """Give a member another role."""
    form = RoleForm()
    return _done(
        lambda: team.change_role(
            db.session,
            g.organization,
            current_role() or "",
            membership_id,
            {"role": form.role.data},
        ),
        _("Cambiamos el rol."),
    )


@bp.post("/team/members/<membership_id>/remove")
@requires("admin")
def remove_member(membership_id: str) -> Any:
    """Take someone out of the team."""
    return _done(
        lambda: team.remove_member(db.session, g.organization, current_role() or "", membership_id),
        _("Quitamos a la persona del equipo: ya no puede entrar a la organización."),
    )
