"""What the processes of a cluster share: jobs waiting for the queue, and worker heartbeats."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, utcnow


class QueuedJob(Base):
    """A job the queue refused (Redis down): the scheduler's relay enqueues it later."""

    __tablename__ = "queued_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120))
    message: Mapped[bytes] = mapped_column(LargeBinary)  # huey's serialized task
    priority: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Heartbeat(Base):
    """The last time a worker or scheduler process said it was alive."""

    __tablename__ = "heartbeats"

    process: Mapped[str] = mapped_column(String(120), primary_key=True)  # role:host:pid
    role: Mapped[str] = mapped_column(String(20))
    beat_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
