"""Typed SQLAlchemy models, one module per aggregate; importing this registers them all."""

from portal.models.accounts import Account
from portal.models.audit import AuditEntry
from portal.models.base import Base
from portal.models.cluster import Heartbeat, QueuedJob
from portal.models.contacts import CustomerCompanyName, CustomerEmail, CustomerPhone
from portal.models.custom_hosts import CustomHost
from portal.models.customers import Customer
from portal.models.efos import EfosEntry
from portal.models.events import Event, Webhook, WebhookAttempt, WebhookDelivery
from portal.models.files import RenderedFile, StampingLease
from portal.models.idempotency import IdempotencyKey
from portal.models.invoice_relations import InvoiceRelation
from portal.models.invoices import Invoice, InvoiceCount, LocalPacCredential
from portal.models.mail import OutboxEmail
from portal.models.organizations import ApiKey, Certificate, FolioSeries, Organization
from portal.models.products import Product
from portal.models.public_links import ApiRateWindow, InvoicePublicLink, RequestLogEntry
from portal.models.receipts import GlobalInvoiceRun, Receipt
from portal.models.retentions import Retention
from portal.models.staff import StaffRecoveryCode, StaffTotp
from portal.models.team import Invitation, Membership, TeamAction
from portal.models.throttle import RateCounter
from portal.models.transfers import DataTransfer

__all__ = [
    "Account",
    "ApiKey",
    "ApiRateWindow",
    "AuditEntry",
    "Base",
    "Certificate",
    "Customer",
    "CustomerCompanyName",
    "CustomerEmail",
    "CustomerPhone",
    "CustomHost",
    "DataTransfer",
    "EfosEntry",
    "Event",
    "FolioSeries",
    "GlobalInvoiceRun",
    "Heartbeat",
    "IdempotencyKey",
    "Invitation",
    "Invoice",
    "InvoiceCount",
    "InvoicePublicLink",
    "InvoiceRelation",
    "LocalPacCredential",
    "Membership",
    "Organization",
    "OutboxEmail",
    "Product",
    "QueuedJob",
    "RateCounter",
    "RequestLogEntry",
    "Receipt",
    "RenderedFile",
    "Retention",
    "StaffRecoveryCode",
    "StaffTotp",
    "StampingLease",
    "TeamAction",
    "Webhook",
    "WebhookAttempt",
    "WebhookDelivery",
]
