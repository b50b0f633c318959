"""An organization's own host name for its self-invoice page, and its DNS verification."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, IdMixin


class CustomHost(IdMixin, Base):
    """``factura.mitienda.mx`` for one organization: served only once ``verified_at`` is set,
    which the DNS check does when the TXT record carries ``token``."""

    __tablename__ = "custom_hosts"

    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), unique=True)
    # ASCII (IDNA) form, lower case, no trailing dot: what a Host header carries.
    host: Mapped[str] = mapped_column(String(253), unique=True)
    token: Mapped[str] = mapped_column(String(64))
    verified_at: Mapped[datetime | None]
    checked_at: Mapped[datetime | None]
    # Why the last check did not verify it (shown on the dashboard), None when it did.
    last_error: Mapped[str | None] = mapped_column(String(300))
