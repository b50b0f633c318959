"""Events (what happened to a tenant's documents) and the webhooks that receive them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, IdMixin
from portal.models.statuses import StatusType
from portal.statuses import DeliveryStatus, WebhookStatus

EVENT_TYPES = (
    "invoice.global_invoice_created",
    "invoice.status_updated",
    "invoice.cancellation_status_updated",
    "receipt.self_invoice_complete",
    "receipt.status_updated",
    "receipt.cancellation_status_updated",
    "customer.edit_link_completed",
)


class Event(IdMixin, Base):
    """Something that happened to a tenant, written in the same transaction as the change."""

    __tablename__ = "events"
    __table_args__ = (Index(None, "organization_id", "livemode", "created_at"),)

    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    livemode: Mapped[bool] = mapped_column(Boolean)
    type: Mapped[str] = mapped_column(String(60))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class Webhook(IdMixin, Base):
    """A tenant's listening URL, the event types it wants and its signing secret."""

    __tablename__ = "webhooks"
    __table_args__ = (Index(None, "organization_id", "livemode"),)

    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    livemode: Mapped[bool] = mapped_column(Boolean)
    url: Mapped[str] = mapped_column(String(2000))
    enabled_events: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[WebhookStatus] = mapped_column(
        StatusType(WebhookStatus, 10), default=WebhookStatus.ENABLED
    )
    secret_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    # Set when a delivery exhausted its retries; cleared by the next successful delivery.
    failing_since: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]


class WebhookDelivery(IdMixin, Base):
    """One event owed to one webhook: the outbox row the worker delivers at least once."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "webhook_id"),
        Index(None, "status", "next_attempt_at"),
    )

    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    livemode: Mapped[bool] = mapped_column(Boolean)
    event_id: Mapped[str] = mapped_column(ForeignKey("events.id"), index=True)
    webhook_id: Mapped[str] = mapped_column(ForeignKey("webhooks.id"), index=True)
    status: Mapped[DeliveryStatus] = mapped_column(
        StatusType(DeliveryStatus, 10), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None]

    event: Mapped[Event] = relationship(lazy="joined")
    webhook: Mapped[Webhook] = relationship(lazy="joined")


class WebhookAttempt(IdMixin, Base):
    """One HTTP request made for a delivery: its outcome, latency and an excerpt of the reply."""

    __tablename__ = "webhook_attempts"

    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    livemode: Mapped[bool] = mapped_column(Boolean)
    delivery_id: Mapped[str] = mapped_column(ForeignKey("webhook_deliveries.id"), index=True)
    webhook_id: Mapped[str] = mapped_column(ForeignKey("webhooks.id"), index=True)
    status_code: Mapped[int | None]
    latency_ms: Mapped[int] = mapped_column(Integer, default=0)
    response_excerpt: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text)
