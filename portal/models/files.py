"""Heavy or slow work done once and outside transactions: files rendered from a stamped
document (a PDF), and the worker's lease on an invoice it is stamping."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, utcnow


class RenderedFile(Base):
    """The last rendering of one kind of file of an invoice, valid while its key matches.

    The key is a digest of everything the rendering depends on (the stamped document, the
    branding, the PDF options, the invoice's status and cancellation status, the templates), so
    a change to any of them makes the stored file stale and the next download renders it again.
    """

    __tablename__ = "rendered_files"

    invoice_id: Mapped[str] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    cache_key: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StampingLease(Base):
    """The worker's claim on a pending invoice while it waits for the PAC with no transaction
    open: another job (the sweep, a retry) leaves the invoice alone until ``until``, which also
    frees it by itself if the worker dies."""

    __tablename__ = "stamping_leases"

    invoice_id: Mapped[str] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), primary_key=True
    )
    until: Mapped[datetime]
