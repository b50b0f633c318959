"""Accounts: resellers who own organizations, and support staff."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, IdMixin, utcnow

ROLE_RESELLER = "reseller"
ROLE_STAFF = "staff"


def new_session_token() -> str:
    """A random marker that changes whenever old sessions must stop working."""
    return secrets.token_hex(16)


class Account(IdMixin, Base):
    """A person who signs in: a reseller or a staff member."""

    __tablename__ = "accounts"

    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[str] = mapped_column(String(16), default=ROLE_RESELLER)
    password_hash: Mapped[str] = mapped_column(String(255))
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    session_token: Mapped[str] = mapped_column(String(32), default=new_session_token)
    user_key_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    user_key_prefix: Mapped[str | None] = mapped_column(String(16))
    user_key_created_at: Mapped[datetime | None]
    suspended_at: Mapped[datetime | None]
    # The interface language the person chose ("es", "en"); None follows the browser.
    language: Mapped[str | None] = mapped_column(String(5))

    @property
    def is_staff(self) -> bool:
        """Support staff, created only from the command line."""
        return self.role == ROLE_STAFF

    # Flask-Login's user protocol, written here so that models need no web module.
    is_authenticated = True
    is_anonymous = False
    __hash__ = object.__hash__

    @property
    def is_active(self) -> bool:
        """Flask-Login: every account may sign in (suspension is checked on its own)."""
        return True

    def __eq__(self, other: object) -> bool:
        """Flask-Login's rule: the same sign-in id is the same user."""
        return isinstance(other, Account) and self.get_id() == other.get_id()

    def get_id(self) -> str:
        """Flask-Login's id: the session token makes a password change end other sessions."""
        return f"{self.id}:{self.session_token}"
