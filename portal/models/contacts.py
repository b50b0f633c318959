"""A customer's contacts (emails, phones) and its tax identities (company names)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, false, text, true
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, IdMixin


class _Contact(IdMixin):
    """What an email and a phone contact share; a locked one cannot change until unlocked."""

    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(100))
    role: Mapped[str | None] = mapped_column(String(100))
    notes: Mapped[str | None] = mapped_column(String(500))
    is_locked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    updated_at: Mapped[datetime | None]


class CustomerEmail(_Contact, Base):
    """An email address of a customer; ``is_for_invoicing`` ones receive its invoices."""

    __tablename__ = "customer_emails"

    email: Mapped[str] = mapped_column(String(254))
    is_for_invoicing: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class CustomerPhone(_Contact, Base):
    """A phone number of a customer, stored in E.164."""

    __tablename__ = "customer_phones"

    # E.164 (16 characters at most); a number migrated that did not parse stays as written.
    phone: Mapped[str] = mapped_column(String(40))
    extension: Mapped[str | None] = mapped_column(String(10))
    is_whatsapp: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class CustomerCompanyName(IdMixin, Base):
    """One tax identity (razón social) of a customer; exactly one is the default."""

    __tablename__ = "customer_company_names"
    __table_args__ = (
        # At most one default per customer, enforced by the database (partial unique index).
        Index(
            "uq_customer_company_names_default",
            "customer_id",
            unique=True,
            sqlite_where=text("is_default"),
            postgresql_where=text("is_default"),
        ),
    )

    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    tax_id: Mapped[str] = mapped_column(String(13), index=True)
    tax_system: Mapped[str] = mapped_column(String(3))
    billing_email: Mapped[str | None] = mapped_column(String(254))
    address: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    billing_address: Mapped[str | None] = mapped_column(String(300))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    is_default: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    updated_at: Mapped[datetime | None]
