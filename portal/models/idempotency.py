"""Idempotency keys of the creating ``POST``s that have no key column of their own."""

from __future__ import annotations

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, IdMixin


class IdempotencyKey(IdMixin, Base):
    """One ``Idempotency-Key`` used by one caller (an organization's environment, or an account
    for its user key) on one kind of resource: the fingerprint of the body it came with and
    the id of what it created (written in the creating transaction)."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("owner", "livemode", "scope", "key"),)

    owner: Mapped[str] = mapped_column(String(40))  # "organization:<id>" or "account:<id>"
    livemode: Mapped[bool]
    scope: Mapped[str] = mapped_column(String(40))  # the resource: customers, products…
    key: Mapped[str] = mapped_column(String(64))
    body_hash: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str | None] = mapped_column(String(24))
