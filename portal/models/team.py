"""An organization's team: members with a role, pending invitations, and what members did.

The owner is not a member row: it is the organization's account (``Organization.account_id``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.accounts import Account
from portal.models.base import Base, IdMixin

ROLE_OWNER = "owner"  # never stored: the organization's own account
ROLE_ADMIN = "admin"
ROLE_INVOICER = "invoicer"
ROLE_ACCOUNTANT = "accountant"
MEMBER_ROLES = (ROLE_ADMIN, ROLE_INVOICER, ROLE_ACCOUNTANT)


class Membership(IdMixin, Base):
    """One account's role in one organization it does not own."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("organization_id", "account_id"),)

    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    invited_by_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"))
    updated_at: Mapped[datetime | None]

    account: Mapped[Account] = relationship(foreign_keys=[account_id], viewonly=True, lazy="joined")


class Invitation(IdMixin, Base):
    """An emailed invitation to join with a role: only the token's hash is kept; it expires,
    works once, and can be revoked."""

    __tablename__ = "invitations"
    __table_args__ = (Index(None, "organization_id", "email"),)

    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    accepted_by_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"))
    revoked_at: Mapped[datetime | None]

    invited_by: Mapped[Account] = relationship(
        foreign_keys=[invited_by_id], viewonly=True, lazy="joined"
    )


class TeamAction(IdMixin, Base):
    """Something a person did inside an organization's dashboard (a change, an export), with
    who did it and in which role: the team part of the organization's activity."""

    __tablename__ = "team_actions"
    __table_args__ = (Index(None, "organization_id", "created_at"),)

    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    role: Mapped[str] = mapped_column(String(16))
    livemode: Mapped[bool] = mapped_column(Boolean)
    endpoint: Mapped[str] = mapped_column(String(80))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(500))
    status: Mapped[int] = mapped_column(Integer)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    account: Mapped[Account] = relationship(viewonly=True, lazy="joined")
