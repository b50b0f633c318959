"""Receipts (sales notes): what a customer bought, until it is invoiced to them or globally."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, IdMixin
from portal.models.statuses import StatusType
from portal.statuses import JobStatus, ReceiptStatus

STATUSES = tuple(ReceiptStatus)


class Receipt(IdMixin, Base):
    """One sale of an organization in one environment; its ``key`` opens the self-invoice page."""

    __tablename__ = "receipts"
    __table_args__ = (
        UniqueConstraint("organization_id", "key"),
        UniqueConstraint("organization_id", "livemode", "idempotency_key"),
        Index("ix_receipts_listing", "organization_id", "livemode", "created_at", "id"),
        Index("ix_receipts_open_by_date", "organization_id", "livemode", "status", "date"),
    )

    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    livemode: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[ReceiptStatus] = mapped_column(
        StatusType(ReceiptStatus, 20), default=ReceiptStatus.OPEN
    )
    key: Mapped[str] = mapped_column(String(16))
    folio_number: Mapped[int] = mapped_column(Integer)
    date: Mapped[datetime]
    expires_at: Mapped[datetime]
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    total: Mapped[Decimal] = mapped_column(Numeric(18, 6), default=Decimal(0))
    payment_form: Mapped[str] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(String(3), default="MXN")
    exchange: Mapped[Decimal] = mapped_column(Numeric(18, 6), default=Decimal(1))
    branch: Mapped[str | None] = mapped_column(String(100))
    external_id: Mapped[str | None] = mapped_column(String(255), index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    body_hash: Mapped[str | None] = mapped_column(String(64))
    invoice_id: Mapped[str | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    # Lower-case item descriptions and SKUs, folio and external id: one column for ``q``.
    search_text: Mapped[str] = mapped_column(Text, default="")


class GlobalInvoiceRun(IdMixin, Base):
    """A global invoice of a large period, issued by a background job in batches; its
    progress is what the dashboard shows while it runs."""

    __tablename__ = "global_invoice_runs"

    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    livemode: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[JobStatus] = mapped_column(StatusType(JobStatus, 10), default=JobStatus.QUEUED)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    total: Mapped[int] = mapped_column(Integer, default=0)
    processed: Mapped[int] = mapped_column(Integer, default=0)
    invoice_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None]
