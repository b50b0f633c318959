"""Customers (invoice receivers) of one organization and environment."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, IdMixin


class Customer(IdMixin, Base):
    """A receiver saved for reuse; deleting hides it, invoices keep their own copy of its data.

    Fields stay empty while a customer created with an edit link has not filled them in; the
    edit link's secret is stored only as a SHA-256 hash.
    """

    __tablename__ = "customers"
    __table_args__ = (
        Index(None, "organization_id", "livemode", "created_at"),
        # An import finds the customer a row updates by its RFC.
        Index(None, "organization_id", "livemode", "tax_id"),
    )

    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    livemode: Mapped[bool] = mapped_column(Boolean)
    deleted_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]
    legal_name: Mapped[str | None] = mapped_column(String(300))
    tax_id: Mapped[str | None] = mapped_column(String(40))
    tax_system: Mapped[str | None] = mapped_column(String(3))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    # Extra contacts and tax identities: portal.models.contacts.
    address: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    default_invoice_use: Mapped[str | None] = mapped_column(String(4))
    external_id: Mapped[str | None] = mapped_column(String(255), index=True)
    edit_link_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    edit_link_expires_at: Mapped[datetime | None]
