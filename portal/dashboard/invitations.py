"""Accepting an invitation to an organization's team, signed in or by creating an account.

The link's token is the only proof: looking it up is throttled per client, so that guessing
links is useless. The invitation goes to one email; only the account with that email may take
it, and the page says so plainly when someone else is signed in.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired

from portal.dashboard.forms import ConfirmForm
from portal.dashboard.roles import ROLE_DESCRIPTIONS, ROLE_LABELS
from portal.database import set_write_intent
from portal.errors import NotFound, PortalError
from portal.extensions import db
from portal.forms import attach_errors, max_length, strip
from portal.models.organizations import Organization
from portal.models.team import Invitation
from portal.services import accounts, team

bp = Blueprint("invitations", __name__, url_prefix="/invitations")


class JoinForm(FlaskForm):
    """A new account for the invited email."""

    name = StringField(
        _l("Tu nombre"), [InputRequired(_l("Escribe tu nombre.")), max_length(120)], filters=[strip]
    )
    password = PasswordField(
        _l("Contraseña"), [InputRequired(_l("Escribe una contraseña.")), max_length(128)]
    )
    confirm = PasswordField(
        _l("Repite la contraseña"), [EqualTo("password", _l("Las contraseñas no coinciden."))]
    )


def _page(invitation: Invitation, status: int | None = None, **context: Any) -> tuple[str, int]:
    """The invitation page; without ``status``, 410 for a used, revoked or expired one and 403
    for someone signed in with another email."""
    organization = db.session.get(Organization, invitation.organization_id)
    signed_in = current_user.is_authenticated
    context = {
        "invitation": invitation,
        "organization": organization,
        "role_label": ROLE_LABELS[invitation.role],
        "role_description": ROLE_DESCRIPTIONS.get(invitation.role, ""),
        "problem": team.usable_problem(db.session, invitation),
        "email_problem": team.email_problem(invitation, current_user) if signed_in else "",
        "has_account": accounts.find_by_email(db.session, invitation.email) is not None,
        "confirm": ConfirmForm(),
        "join_form": JoinForm(),
        **context,
    }
    if status is None:
        status = 410 if context["problem"] else 403 if context["email_problem"] else 200
    return render_template("dashboard/invitation.html", **context), status


def _found(token: str) -> Invitation:
    ip = request.remote_addr or ""
    try:
        return team.find_invitation(db.session, token, ip)
    except NotFound:
        # The miss is written in a short transaction of its own; the page itself only reads.
        db.session.rollback()
        set_write_intent(True)
        team.record_miss(db.session, ip)
        db.session.commit()
        raise


@bp.get("/<token>")
def invitation(token: str) -> Any:
    """Who invites whom to what, and how to accept."""
    return _page(_found(token))


@bp.post("/<token>")
def accept(token: str) -> Any:
    """Accept: signed in with the invited email, or creating that account here."""
    found = _found(token)
    if current_user.is_authenticated:
        return _join(found, current_user)
    form = JoinForm()
    if team.usable_problem(db.session, found) or not form.validate_on_submit():
        return _page(found, 400, join_form=form)
    try:
        account, _key = accounts.create_account(
            db.session, found.email, form.password.data, form.name.data
        )
    except PortalError as error:
        db.session.rollback()
        attach_errors(form, error, "password")
        return _page(found, 400, join_form=form)
    return _join(found, account, sign_in=True)


def _join(found: Invitation, account: Any, sign_in: bool = False) -> Any:
    if not ConfirmForm().validate_on_submit():
        return _page(found, 400)
    try:
        membership = team.accept(db.session, found, account)
    except PortalError as error:
        db.session.rollback()
        return _page(found, error.status, problem=error.message)
    db.session.commit()
    if sign_in:
        login_user(account)
    flash(
        _(
            "Ya eres parte del equipo como %(role)s.",
            role=ROLE_LABELS[membership.role],
        ),
        "success",
    )
    return redirect(url_for("org.overview", org_id=membership.organization_id))
