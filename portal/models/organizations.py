"""Organizations (the tenants a reseller onboards), their CSD, API keys and folio series."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, IdMixin
from portal.models.custom_hosts import CustomHost
from portal.schemas.organizations import PDF_EXTRA_DEFAULTS

DEFAULT_TIMEZONE = "America/Mexico_City"  # where an organization is until it says otherwise
DEFAULT_PDF_EXTRA = PDF_EXTRA_DEFAULTS


def default_pdf_extra() -> dict[str, bool]:
    """Facturapi's defaults for the optional PDF fields."""
    return dict(DEFAULT_PDF_EXTRA)


class Organization(IdMixin, Base):
    """A merchant that issues invoices; every tenant-owned row points to one."""

    __tablename__ = "organizations"

    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    deleted_at: Mapped[datetime | None]
    suspended_at: Mapped[datetime | None]
    # Legal data; the RFC comes only from the uploaded certificate.
    legal_name: Mapped[str | None] = mapped_column(String(300))
    tax_id: Mapped[str | None] = mapped_column(String(13), index=True)
    tax_system: Mapped[str | None] = mapped_column(String(3))
    address: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    website: Mapped[str | None] = mapped_column(String(200))
    support_email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    timezone: Mapped[str] = mapped_column(String(40), default=DEFAULT_TIMEZONE)
    # Customization.
    color: Mapped[str] = mapped_column(String(6), default="1F6FEB")
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    logo_mime: Mapped[str | None] = mapped_column(String(20))
    logo_updated_at: Mapped[datetime | None]
    pdf_extra: Mapped[dict[str, bool]] = mapped_column(JSON, default=default_pdf_extra)
    next_folio_number: Mapped[int] = mapped_column(Integer, default=1)
    next_folio_number_test: Mapped[int] = mapped_column(Integer, default=1)
    default_series: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # Receipts and the self-invoice portal.
    receipts_periodicity: Mapped[str] = mapped_column(String(12), default="month")
    receipts_duration_days: Mapped[int] = mapped_column(Integer, default=7)
    next_receipt_folio: Mapped[int] = mapped_column(Integer, default=1)
    next_receipt_folio_test: Mapped[int] = mapped_column(Integer, default=1)
    self_invoice_uses: Mapped[list[str]] = mapped_column(JSON, default=list)
    self_invoice_support_email: Mapped[str | None] = mapped_column(String(254))
    domain: Mapped[str | None] = mapped_column(String(50), unique=True)
    # How long a new (or reset) public invoice link lives, in days.
    public_link_days: Mapped[int] = mapped_column(Integer, default=30, server_default="30")

    # Loaded when used (stamping, settings): the self-invoice page and the API's key lookup
    # never need the CSD. Lists of organizations ask for it with ``selectinload``.
    certificate: Mapped[Certificate | None] = relationship(
        back_populates="organization", uselist=False
    )
    # Its own host name for the self-invoice page (links use it once verified).
    custom_host: Mapped[CustomHost | None] = relationship(viewonly=True, uselist=False)

    @property
    def public_name(self) -> str:
        """How the organization signs what its customers receive: its legal name once given,
        else its dashboard name."""
        return self.legal_name or self.name


class Certificate(IdMixin, Base):
    """An organization's CSD; the private key and its password are encrypted at rest."""

    __tablename__ = "certificates"

    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), unique=True)
    cer_der: Mapped[bytes] = mapped_column(LargeBinary)
    key_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    password_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    certificate_number: Mapped[str] = mapped_column(String(20))
    rfc: Mapped[str] = mapped_column(String(13))
    legal_name: Mapped[str] = mapped_column(String(300))
    valid_from: Mapped[datetime]
    valid_to: Mapped[datetime]
    updated_at: Mapped[datetime]

    organization: Mapped[Organization] = relationship(back_populates="certificate")


class ApiKey(IdMixin, Base):
    """A secret key of one organization and environment, stored as a hash.

    The test key is also kept encrypted, since Facturapi lets its owner read it again; live
    keys are shown once and then only by their first 12 characters.
    """

    __tablename__ = "api_keys"

    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    livemode: Mapped[bool] = mapped_column(Boolean)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    first_12: Mapped[str] = mapped_column(String(12), index=True)
    key_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    revoked_at: Mapped[datetime | None]
    # Empty: full access. Otherwise the names in ``portal.api.scopes.SCOPES`` it may use.
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    last_used_at: Mapped[datetime | None]


class FolioSeries(IdMixin, Base):
    """A named folio series with its own next folio per environment."""

    __tablename__ = "folio_series"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(55))
    next_folio: Mapped[int] = mapped_column(Integer, default=1)
    next_folio_test: Mapped[int] = mapped_column(Integer, default=1)
