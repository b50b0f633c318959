"""Organizations: the tenants a reseller onboards."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, IdMixin


class Organization(IdMixin, Base):
    """A merchant that issues invoices; every tenant-owned row points to one."""

    __tablename__ = "organizations"

    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    deleted_at: Mapped[datetime | None]
