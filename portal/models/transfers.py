"""Imports and exports run in the background: the uploaded file, the progress, the result."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, IdMixin
from portal.models.statuses import StatusType
from portal.statuses import JobStatus


class DataTransfer(IdMixin, Base):
    """One import (customers or products from a spreadsheet) or export (invoices of a period)
    of an organization's environment, asked for by a member of it.

    Inserted ``queued`` in the request's transaction (the outbox enqueues its job after the
    commit); the job claims it with a lease, works in batches and commits its progress with each
    batch, so a killed worker's job resumes where it stopped. The upload is dropped when the
    import ends; the whole row (report and exported file) is deleted after ``expires_at``.
    """

    __tablename__ = "data_transfers"
    __table_args__ = (Index(None, "organization_id", "created_at"), Index(None, "status"))

    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    livemode: Mapped[bool] = mapped_column(Boolean)
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    direction: Mapped[str] = mapped_column(String(6))  # import | export
    resource: Mapped[str] = mapped_column(String(20))  # customers | products | invoices
    file_format: Mapped[str] = mapped_column(String(4))  # csv | xlsx | zip
    status: Mapped[JobStatus] = mapped_column(StatusType(JobStatus, 10), default=JobStatus.QUEUED)
    # What to export (dates, type, status), or the upload's name.
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    total: Mapped[int] = mapped_column(Integer, default=0)
    processed: Mapped[int] = mapped_column(Integer, default=0)
    created_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_count: Mapped[int] = mapped_column(Integer, default=0)
    # Rows refused: [{"row": 7, "reasons": ["RFC (tax_id): …"]}]
    refused: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    source: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    file_name: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    lease_until: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    expires_at: Mapped[datetime]
