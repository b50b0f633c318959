"""Support staff's second factor: a TOTP secret and single-use recovery codes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, IdMixin, utcnow


class StaffTotp(Base):
    """A staff member's authenticator secret (encrypted); usable once confirmed."""

    __tablename__ = "staff_totp"

    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    secret_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    # The 30-second step of the last code accepted: a code is never accepted twice.
    last_step: Mapped[int] = mapped_column(BigInteger, default=0)


class StaffRecoveryCode(IdMixin, Base):
    """One recovery code, stored hashed; ``used_at`` is set when it is spent."""

    __tablename__ = "staff_recovery_codes"

    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime | None]
