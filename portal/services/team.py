"""An organization's team: who may enter it and with which role, invitations, and the record
of what people did inside it.

The owner is the organization's account; everybody else enters through a membership made by
accepting an emailed invitation. An admin manages invoicers and accountants; only the owner
grants, changes or removes the admin role.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from portal import settings
from portal.errors import Conflict, Forbidden, NotFound, PortalError
from portal.models.accounts import Account
from portal.models.base import utcnow
from portal.models.organizations import Organization
from portal.models.team import (
    MEMBER_ROLES,
    ROLE_ADMIN,
    ROLE_OWNER,
    Invitation,
    Membership,
    TeamAction,
)
from portal.schemas import ApiModel, parse
from portal.schemas.fields import Choice, Email
from portal.services import mail, mail_limits, throttle
from portal.services.accounts import normalise_email
from portal.services.secrets import hash_key

INVITATION_DAYS = 7
# Wrong invitation links from one client before it must wait (guessing tokens is useless).
MISSES_PER_IP, MISS_WINDOW = 20, 600

ROLE_NAMES = {
    ROLE_OWNER: "Dueño",
    ROLE_ADMIN: "Administrador",
    "invoicer": "Facturador",
    "accountant": "Contador",
}
OWNER_ONLY = "Solo el dueño de la organización puede dar, cambiar o quitar el rol de administrador."


# Who reaches which organization ------------------------------------------------------------


def reachable_query(account: Account) -> Select[tuple[Organization]]:
    """The organizations the account owns or belongs to, not deleted."""
    member_of = select(Membership.organization_id).where(Membership.account_id == account.id)
    return select(Organization).where(
        or_(Organization.account_id == account.id, Organization.id.in_(member_of)),
        Organization.deleted_at.is_(None),
    )


def role_in(session: Session, account: Account, organization: Organization) -> str | None:
    """The account's role in the organization: ``owner``, a member's role, or None."""
    if organization.account_id == account.id:
        return ROLE_OWNER
    return session.scalar(
        select(Membership.role).where(
            Membership.organization_id == organization.id, Membership.account_id == account.id
        )
    )


def get_reachable(
    session: Session, account: Account, organization_id: str
) -> tuple[Organization, str]:
    """The organization and the account's role in it; 404 for anyone outside it."""
    organization = session.scalar(
        reachable_query(account).where(Organization.id == organization_id)
    )
    role = None if organization is None else role_in(session, account, organization)
    if organization is None or role is None:
        raise NotFound("La organización no existe.", path="organization_id")
    return organization, role


def roles_of(session: Session, account: Account) -> dict[str, str]:
    """The account's role in every organization it belongs to (its own ones are ``owner``)."""
    rows = session.execute(
        select(Membership.organization_id, Membership.role).where(
            Membership.account_id == account.id
        )
    )
    return dict(rows.tuples().all())


# The team page -----------------------------------------------------------------------------


def members(session: Session, organization: Organization) -> list[Membership]:
    """The organization's members, oldest first."""
    query = select(Membership).where(Membership.organization_id == organization.id)
    return list(session.scalars(query.order_by(Membership.created_at, Membership.id)))


def pending_invitations(
    session: Session, organization: Organization, now: datetime | None = None
) -> list[Invitation]:
    """Invitations not accepted, revoked or expired, newest first."""
    query = select(Invitation).where(
        Invitation.organization_id == organization.id,
        Invitation.accepted_at.is_(None),
        Invitation.revoked_at.is_(None),
        Invitation.expires_at > (now or utcnow()),
    )
    return list(session.scalars(query.order_by(Invitation.created_at.desc())))


def _refuse_unless_owner_may(actor_role: str, *roles: str) -> None:
    """An admin manages invoicers and accountants; the admin role is the owner's to give."""
    if actor_role != ROLE_OWNER and ROLE_ADMIN in roles:
        raise Forbidden(OWNER_ONLY, "owner_only")


class RoleIn(ApiModel):
    """A member's role, as the team page sends it."""

    role: Choice(MEMBER_ROLES, required=True)


class InvitationIn(ApiModel):
    """Who is invited, and with which role."""

    email: Email(required=True)
    role: Choice(MEMBER_ROLES, required=True)


def invite(
    session: Session,
    organization: Organization,
    inviter: Account,
    inviter_role: str,
    data: dict[str, Any],
) -> tuple[Invitation, str]:
    """Invite an email with a role: a new single-use token (only its hash is kept) is mailed
    as a link; a pending invitation of the same email is replaced. Returns the token too."""
    sent = parse(InvitationIn, data)
    email, role = normalise_email(sent.email), sent.role
    _refuse_unless_owner_may(inviter_role, role)
    _refuse_if_inside(session, organization, email)
    for old in _pending_for(session, organization, email):
        old.revoked_at = utcnow()
    # Invitations are mail to addresses the inviter chooses: they count like any other.
    mail_limits.admit(session, organization, True, [email])
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        organization_id=organization.id,
        email=email,
        role=role,
        token_hash=hash_key(token),
        invited_by_id=inviter.id,
        expires_at=utcnow() + timedelta(days=INVITATION_DAYS),
    )
    session.add(invitation)
    session.flush()
    link = settings.current().link("invitations.invitation", token=token)
    _mail_invitation(session, organization, inviter, invitation, link)
    return invitation, token


def _refuse_if_inside(session: Session, organization: Organization, email: str) -> None:
    owner = session.get(Account, organization.account_id)
    if owner is not None and owner.email == email:
        raise Conflict("Ese correo es el del dueño de la organización.", "already_owner", "email")
    member = session.scalar(
        select(Membership.id)
        .join(Account, Account.id == Membership.account_id)
        .where(Membership.organization_id == organization.id, Account.email == email)
    )
    if member:
        raise Conflict(
            "Esa persona ya es parte del equipo: cambia su rol en la lista de miembros.",
            "already_member",
            "email",
        )


def _pending_for(session: Session, organization: Organization, email: str) -> list[Invitation]:
    query = select(Invitation).where(
        Invitation.organization_id == organization.id,
        Invitation.email == email,
        Invitation.accepted_at.is_(None),
        Invitation.revoked_at.is_(None),
    )
    return list(session.scalars(query))


def _mail_invitation(
    session: Session,
    organization: Organization,
    inviter: Account,
    invitation: Invitation,
    link: str,
) -> None:
    name = organization.name  # the name members see in the dashboard
    mail.queue_email(
        session,
        "team_invitation",
        [invitation.email],
        f"Te invitaron al equipo de {name}",
        {
            "organization_name": name,
            "brand_color": f"#{organization.color}",
            "inviter": inviter.name or inviter.email,
            "role_name": ROLE_NAMES[invitation.role],
            "link": link,
            "expires_at": invitation.expires_at,
        },
        organization_id=organization.id,
    )


def revoke_invitation(
    session: Session, organization: Organization, actor_role: str, invitation_id: str
) -> Invitation:
    """Make a pending invitation's link stop working."""
    invitation = session.scalar(
        select(Invitation).where(
            Invitation.id == invitation_id, Invitation.organization_id == organization.id
        )
    )
    if invitation is None:
        raise NotFound("La invitación no existe.")
    _refuse_unless_owner_may(actor_role, invitation.role)
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
    return invitation


def _membership(session: Session, organization: Organization, membership_id: str) -> Membership:
    membership = session.scalar(
        select(Membership).where(
            Membership.id == membership_id, Membership.organization_id == organization.id
        )
    )
    if membership is None:
        raise NotFound("Esa persona no es parte del equipo.")
    return membership


def change_role(
    session: Session,
    organization: Organization,
    actor_role: str,
    membership_id: str,
    data: dict[str, Any],
) -> Membership:
    """Give a member another role."""
    role = parse(RoleIn, data).role
    membership = _membership(session, organization, membership_id)
    _refuse_unless_owner_may(actor_role, membership.role, role)
    membership.role, membership.updated_at = role, utcnow()
    return membership


def remove_member(
    session: Session, organization: Organization, actor_role: str, membership_id: str
) -> Account:
    """Take a member out of the organization; they lose access at their next request."""
    membership = _membership(session, organization, membership_id)
    _refuse_unless_owner_may(actor_role, membership.role)
    account = membership.account
    session.delete(membership)
    session.flush()
    return account


# Accepting ---------------------------------------------------------------------------------


def _miss_bucket(ip: str) -> str:
    return f"invitation:ip:{throttle.client(ip)}"


def find_invitation(session: Session, token: str, ip: str) -> Invitation:
    """The invitation of a link; 404 for a wrong one, 429 once its client made too many
    wrong tries (the caller records each miss with ``record_miss``)."""
    throttle.check(session, _miss_bucket(ip), MISSES_PER_IP, MISS_WINDOW)
    invitation = session.scalar(
        select(Invitation).where(Invitation.token_hash == hash_key(token[:100]))
    )
    if invitation is None:
        raise NotFound(
            "Este enlace de invitación no existe. Revisa que lo copiaste completo del correo.",
            "invitation_not_found",
        )
    return invitation


def record_miss(session: Session, ip: str) -> None:
    """Count a wrong invitation link against its client."""
    throttle.hit(session, _miss_bucket(ip), MISS_WINDOW)


def usable_problem(session: Session, invitation: Invitation, now: datetime | None = None) -> str:
    """Why the invitation cannot be accepted any more ("" when it can)."""
    organization = session.get(Organization, invitation.organization_id)
    if invitation.accepted_at is not None:
        return "Esta invitación ya se usó. Si es tuya, entra con tu cuenta."
    if invitation.revoked_at is not None:
        return "Esta invitación fue cancelada. Pide a quien te invitó una nueva."
    if invitation.expires_at <= (now or utcnow()):
        return "Esta invitación caducó. Pide a quien te invitó que te envíe una nueva."
    if organization is None or organization.deleted_at is not None:
        return "La organización de esta invitación ya no existe."
    return ""


def email_problem(invitation: Invitation, account: Account) -> str:
    """Why this signed-in account cannot accept the invitation ("" when it can)."""
    if account.is_staff:
        return "Las cuentas del equipo de soporte no pueden unirse a una organización."
    if normalise_email(account.email) != invitation.email:
        return (
            f"Esta invitación es para {invitation.email} y entraste como {account.email}. "
            f"Cierra tu sesión y entra (o crea tu cuenta) con {invitation.email}."
        )
    return ""


def accept(session: Session, invitation: Invitation, account: Account) -> Membership:
    """Join the organization with the invitation's role; the link then stops working."""
    problem = usable_problem(session, invitation)
    if problem:
        raise PortalError(problem, "invitation_unusable", 410)
    problem = email_problem(invitation, account)
    if problem:
        raise Forbidden(problem, "invitation_email_mismatch")
    organization = session.get(Organization, invitation.organization_id)
    assert organization is not None
    if role_in(session, account, organization) is not None:
        raise Conflict("Ya eres parte de esta organización.", "already_member")
    invitation.accepted_at, invitation.accepted_by_id = utcnow(), account.id
    membership = Membership(
        organization_id=organization.id,
        account_id=account.id,
        role=invitation.role,
        invited_by_id=invitation.invited_by_id,
    )
    session.add(membership)
    session.flush()
    return membership


# What people did ---------------------------------------------------------------------------


def record_action(session: Session, organization_id: str, account_id: str, **fields: Any) -> None:
    """Add one line to the organization's team activity."""
    session.add(TeamAction(organization_id=organization_id, account_id=account_id, **fields))
    session.flush()


def recent_actions(session: Session, organization: Organization, limit: int = 50) -> list[Any]:
    """The organization's latest team actions, newest first."""
    query = select(TeamAction).where(TeamAction.organization_id == organization.id)
    query = query.order_by(TeamAction.created_at.desc(), TeamAction.id.desc()).limit(limit)
    return list(session.scalars(query))
