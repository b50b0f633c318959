"""Invoices (CFDI of type I, E and P) and the local test PAC's persisted certificate."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    DDL,
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from portal import search
from portal.models.base import Base, IdMixin
from portal.models.statuses import StatusType
from portal.statuses import CancellationStatus, InvoiceStatus

STATUSES = tuple(InvoiceStatus)
CANCELLATION_STATUSES = tuple(CancellationStatus)
MONEY = Numeric(18, 6)


class Invoice(IdMixin, Base):
    """One CFDI of an organization in one environment; the stamped XML is the legal document."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("organization_id", "livemode", "idempotency_key"),
        Index("ix_invoices_listing", "organization_id", "livemode", "created_at", "id"),
        # The home's figures: an organization's invoices of one environment by issue date.
        Index("ix_invoices_issued", "organization_id", "livemode", "date"),
        # The few invoices whose cancellation awaits the receiver (the home, the polling job).
        Index(
            "ix_invoices_cancellation_pending",
            "organization_id",
            "livemode",
            "created_at",
            sqlite_where=text("cancellation_status = 'pending'"),
            postgresql_where=text("cancellation_status = 'pending'"),
        ),
    )

    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    livemode: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[InvoiceStatus] = mapped_column(
        StatusType(InvoiceStatus, 10), default=InvoiceStatus.PENDING, index=True
    )
    cancellation_status: Mapped[CancellationStatus] = mapped_column(
        StatusType(CancellationStatus, 10), default=CancellationStatus.NONE
    )
    type: Mapped[str] = mapped_column(String(1), default="I")
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"), index=True)
    customer: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    series: Mapped[str | None] = mapped_column(String(25))
    folio_number: Mapped[int | None] = mapped_column(Integer)
    uuid: Mapped[str | None] = mapped_column(String(36), index=True)
    total: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    subtotal: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    currency: Mapped[str] = mapped_column(String(3), default="MXN")
    exchange: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(1))
    payment_form: Mapped[str | None] = mapped_column(String(2))
    payment_method: Mapped[str | None] = mapped_column(String(3))
    use: Mapped[str | None] = mapped_column(String(4))
    date: Mapped[datetime | None]
    # The request body (minus idempotency fields): what a draft edits and a stamp builds from.
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    xml: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    stamp: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    verification_url: Mapped[str | None] = mapped_column(String(400))
    related_documents: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    external_id: Mapped[str | None] = mapped_column(String(255), index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    body_hash: Mapped[str | None] = mapped_column(String(64))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    # The tokens of the customer's name and RFC, folio, uuid and external id, for ``q``
    # (``portal.search``).
    search_text: Mapped[str] = mapped_column(Text, default="")
    # PPD invoices: what payment complements have covered so far.
    amount_paid: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    last_installment: Mapped[int] = mapped_column(Integer, default=0)
    cancellation_motive: Mapped[str | None] = mapped_column(String(2))
    cancellation_substitution: Mapped[str | None] = mapped_column(String(36))
    cancellation_requested_at: Mapped[datetime | None]
    canceled_at: Mapped[datetime | None]
    cancellation_xml: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    # Who asked to cancel it: {"type": "user" | "api_key" | "support", ...} (``portal.actors``).
    cancellation_actor: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    @property
    def balance(self) -> Decimal:
        """What is still owed on the invoice (PPD payment complements reduce it)."""
        return self.total - self.amount_paid


# ``q`` on PostgreSQL: a GIN index over the tokens (``portal.search``).
Index(
    "ix_invoices_search", search.index_expression(Invoice.search_text), postgresql_using="gin"
).ddl_if(dialect="postgresql")


class InvoiceCount(Base):
    """How many invoices an organization has in one environment: the sum of its slots, kept by
    triggers on ``invoices`` (lists show the total of a million invoices without counting
    them). A table of its own, not columns of ``organizations``, so that a transaction that
    inserted an invoice does not hold the organization's row, which the folio counters live
    on. On PostgreSQL each connection counts into its own slot, so that parallel transactions
    that insert invoices of one organization do not wait on one another's count."""

    __tablename__ = "invoice_counts"

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    livemode: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    slot: Mapped[int] = mapped_column(SmallInteger, primary_key=True, default=0)
    count: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


INVOICE_COUNT_SQL = {
    "postgresql": (
        """
CREATE OR REPLACE FUNCTION invoices_count() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO invoice_counts AS c (organization_id, livemode, slot, count)
        VALUES (NEW.organization_id, NEW.livemode, mod(pg_backend_pid(), 8), 1)
        ON CONFLICT (organization_id, livemode, slot) DO UPDATE SET count = c.count + 1;
    ELSE
        INSERT INTO invoice_counts AS c (organization_id, livemode, slot, count)
        VALUES (OLD.organization_id, OLD.livemode, mod(pg_backend_pid(), 8), -1)
        ON CONFLICT (organization_id, livemode, slot) DO UPDATE SET count = c.count - 1;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
""",
        """
CREATE TRIGGER invoices_count AFTER INSERT OR DELETE ON invoices
    FOR EACH ROW EXECUTE FUNCTION invoices_count()
""",
    ),
    "sqlite": (  # one writer at a time: one slot
        """
CREATE TRIGGER invoices_count_insert AFTER INSERT ON invoices BEGIN
    INSERT OR IGNORE INTO invoice_counts (organization_id, livemode, slot, count)
    VALUES (NEW.organization_id, NEW.livemode, 0, 0);
    UPDATE invoice_counts SET count = count + 1
    WHERE organization_id = NEW.organization_id AND livemode = NEW.livemode AND slot = 0;
END
""",
        """
CREATE TRIGGER invoices_count_delete AFTER DELETE ON invoices BEGIN
    UPDATE invoice_counts SET count = count - 1
    WHERE organization_id = OLD.organization_id AND livemode = OLD.livemode AND slot = 0;
END
""",
    ),
}
"""Keep ``invoice_counts`` equal to the rows of ``invoices``, whichever code path writes them."""

for _dialect, _statements in INVOICE_COUNT_SQL.items():
    for _statement in _statements:
        event.listen(
            Invoice.__table__, "after_create", DDL(_statement).execute_if(dialect=_dialect)
        )


class LocalPacCredential(Base):
    """The local test PAC's certificate and key, kept so that test stamps stay verifiable."""

    __tablename__ = "local_pac_credentials"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    cer_der: Mapped[bytes] = mapped_column(LargeBinary)
    key_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    password_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
