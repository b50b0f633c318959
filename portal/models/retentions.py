"""Retentions: CFDI de Retenciones e información de pagos 2.0 (Facturapi's /v2/retentions)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, IdMixin
from portal.models.statuses import StatusType
from portal.statuses import RetentionStatus


class Retention(IdMixin, Base):
    """One stamped retention of an organization in one environment (``valid`` or ``canceled``;
    SAT cancels a retention at once, without the receiver's acceptance)."""

    __tablename__ = "retentions"
    __table_args__ = (
        UniqueConstraint("organization_id", "livemode", "idempotency_key"),
        Index("ix_retentions_listing", "organization_id", "livemode", "created_at", "id"),
    )

    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    livemode: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[RetentionStatus] = mapped_column(
        StatusType(RetentionStatus, 20), default=RetentionStatus.VALID
    )
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"), index=True)
    # The request as validated (customer copied from its record): what the answer shows.
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    total: Mapped[Decimal] = mapped_column(Numeric(18, 6), default=Decimal(0))
    uuid: Mapped[str | None] = mapped_column(String(36), index=True)
    xml: Mapped[bytes | None] = mapped_column(LargeBinary)
    stamp: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    external_id: Mapped[str | None] = mapped_column(String(255), index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    body_hash: Mapped[str | None] = mapped_column(String(64))
    cancellation_motive: Mapped[str | None] = mapped_column(String(2))
    cancellation_substitution: Mapped[str | None] = mapped_column(String(36))
    canceled_at: Mapped[datetime | None]
    cancellation_xml: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Lower-case customer name and RFC, folio and external id: one column for ``q``.
    search_text: Mapped[str] = mapped_column(Text, default="")
