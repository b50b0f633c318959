"""The statuses of invoices, receipts, retentions, deliveries and jobs, as ``StrEnum``s.

A member equals the text stored in the database and written by the API (``"valid" ==
InvoiceStatus.VALID``), so the columns stay strings: ``portal.statuses.StatusType``
only reads them back as members. No SQLAlchemy here: the API's schemas use them too.
"""

from __future__ import annotations

from enum import StrEnum


class InvoiceStatus(StrEnum):
    """An invoice's life: a draft, waiting for the PAC, stamped, cancelled or refused."""

    DRAFT = "draft"
    PENDING = "pending"
    VALID = "valid"
    CANCELED = "canceled"
    FAILED = "failed"


class CancellationStatus(StrEnum):
    """Where an invoice's cancellation request stands with the SAT."""

    NONE = "none"
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    EXPIRED = "expired"


class ReceiptStatus(StrEnum):
    """A receipt waits to be invoiced (to its customer or in a global invoice) or is cancelled."""

    OPEN = "open"
    CANCELED = "canceled"
    INVOICED_TO_CUSTOMER = "invoiced_to_customer"
    INVOICED_GLOBALLY = "invoiced_globally"


class RetentionStatus(StrEnum):
    """A retention certificate (CFDI de Retenciones 2.0): stamped or cancelled."""

    VALID = "valid"
    CANCELED = "canceled"


class WebhookStatus(StrEnum):
    """Whether a webhook receives events."""

    ENABLED = "enabled"
    DISABLED = "disabled"


class DeliveryStatus(StrEnum):
    """A webhook delivery in the outbox."""

    PENDING = "pending"
    SENDING = "sending"
    DELIVERED = "delivered"
    FAILED = "failed"


class EmailStatus(StrEnum):
    """An email in the outbox; ``kept`` when no SMTP server is configured (development)."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    KEPT = "kept"


class JobStatus(StrEnum):
    """A background job whose progress is shown (a global invoice run)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


STATUS_ENUMS: tuple[type[StrEnum], ...] = (
    InvoiceStatus,
    CancellationStatus,
    ReceiptStatus,
    RetentionStatus,
    WebhookStatus,
    DeliveryStatus,
    EmailStatus,
    JobStatus,
)
