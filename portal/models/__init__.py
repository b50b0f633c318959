"""Typed SQLAlchemy models, one module per aggregate; importing this registers them all."""

from portal.models.accounts import Account
from portal.models.base import Base
from portal.models.mail import OutboxEmail
from portal.models.organizations import Organization
from portal.models.throttle import RateCounter

__all__ = ["Account", "Base", "OutboxEmail", "Organization", "RateCounter"]
