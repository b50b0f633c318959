"""Files rendered from a stamped document and kept, so heavy work (a PDF) is done once."""

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
