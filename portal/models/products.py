"""Products and services of one organization and environment, reused on invoice lines."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, IdMixin


class Product(IdMixin, Base):
    """A saved product; deleting hides it, invoices keep their own copy of its data.

    ``taxes`` holds [{"type", "rate", "withholding", "factor", "ieps_mode"}] with the rate as a
    decimal string; an empty list means the product carries no taxes.
    """

    __tablename__ = "products"
    __table_args__ = (Index(None, "organization_id", "livemode", "created_at"),)

    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    livemode: Mapped[bool] = mapped_column(Boolean)
    deleted_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]
    description: Mapped[str] = mapped_column(String(1000))
    product_key: Mapped[str] = mapped_column(String(8))
    price: Mapped[Decimal] = mapped_column(Numeric(24, 6))
    tax_included: Mapped[bool] = mapped_column(Boolean, default=True)
    taxability: Mapped[str] = mapped_column(String(2))
    taxes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    local_taxes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    unit_key: Mapped[str] = mapped_column(String(3), default="H87")
    unit_name: Mapped[str | None] = mapped_column(String(100))
    sku: Mapped[str | None] = mapped_column(String(100), index=True)
