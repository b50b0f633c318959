"""SAT's 69-B list (EFOS: taxpayers presumed to invoice simulated operations)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, IdMixin


class EfosEntry(IdMixin, Base):
    """One row of the 69-B list; ``details`` keeps SAT's numbers and publication dates."""

    __tablename__ = "efos_entries"

    rfc: Mapped[str] = mapped_column(String(13), index=True)
    name: Mapped[str] = mapped_column(String(500))
    situation: Mapped[str] = mapped_column(String(60))
    details: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    imported_at: Mapped[datetime]
