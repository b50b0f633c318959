"""Typed SQLAlchemy models, one module per aggregate; importing this registers them all."""

from portal.models.accounts import Account
from portal.models.audit import AuditEntry
from portal.models.base import Base
from portal.models.mail import OutboxEmail
from portal.models.organizations import ApiKey, Certificate, FolioSeries, Organization
from portal.models.staff import StaffRecoveryCode, StaffTotp
from portal.models.throttle import RateCounter

__all__ = [
    "Account",
    "ApiKey",
    "AuditEntry",
    "Base",
    "Certificate",
    "FolioSeries",
    "Organization",
    "OutboxEmail",
    "RateCounter",
    "StaffRecoveryCode",
    "StaffTotp",
]
