"""Which UUIDs a stamped CFDI relates to or pays: an index of its XML, written when it is
stamped, so a document's dependents are found without reading every body."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base
from portal.models.invoices import Invoice

PAYMENT = "pago"  # a Pagos 2.0 DoctoRelacionado; otherwise the TipoRelacion code (01-07)


class InvoiceRelation(Base):
    """One reference of a stamped CFDI (``from_invoice_id``) to another one's UUID."""

    __tablename__ = "invoice_relations"
    __table_args__ = (
        UniqueConstraint("from_invoice_id", "to_uuid", "kind"),
        Index("ix_invoice_relations_target", "organization_id", "livemode", "to_uuid"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    livemode: Mapped[bool] = mapped_column(Boolean)
    from_invoice_id: Mapped[str] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), index=True
    )
    to_uuid: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(4))
    # Many-to-one, so a relation written with a new invoice is inserted after the invoice.
    invoice: Mapped[Invoice] = relationship(Invoice)
