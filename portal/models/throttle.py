"""Counters behind rate limits, kept in the database so every worker process shares them."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base


class RateCounter(Base):
    """Hits of one bucket (e.g. ``login-ip:1.2.3.4``) in one fixed time window."""

    __tablename__ = "rate_counters"

    bucket: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, default=0)
