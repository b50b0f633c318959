"""Public links of stamped invoices and the compact log of API requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, IdMixin, utcnow


class InvoicePublicLink(IdMixin, Base):
    """A shareable, revocable link to one stamped invoice; ``token`` is random (192 bits)."""

    __tablename__ = "invoice_public_links"

    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    livemode: Mapped[bool] = mapped_column(Boolean)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"), unique=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    expires_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class RequestLogEntry(IdMixin, Base):
    """One /v2 request, kept a while so support can find it by its ``request_id`` (a client
    may choose it with ``X-Request-Id``, so it is not unique)."""

    __tablename__ = "request_log"

    request_id: Mapped[str] = mapped_column(String(64), index=True)
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(300))
    status: Mapped[int] = mapped_column(Integer)
    organization_id: Mapped[str | None] = mapped_column(String(24), index=True)
    key_id: Mapped[str | None] = mapped_column(String(24))


class ApiRateWindow(Base):
    """A counter of the ``limits`` library's database storage: hits of ``key`` until ``expiry``."""

    __tablename__ = "api_rate_windows"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, default=0)
    expiry: Mapped[float] = mapped_column(Float)
