"""What tenants may email, and how much: a message to addresses they choose (an invoice, a
receipt, an edit link) counts its recipients against the organization and against the account
that owns it, an hour at a time; a new account gets fewer. Over the limit the request is
refused with 429 and Retry-After. A test organization without legal data may only write to
its own account's address, so that nobody signs up to send mail to strangers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from portal import settings
from portal.errors import Forbidden
from portal.models.accounts import Account
from portal.models.base import utcnow
from portal.models.organizations import Organization
from portal.services import throttle

WINDOW = 3600
TEST_MODE_RECIPIENTS = (
    "En modo de prueba, una organización sin datos fiscales solo puede enviar correos a la "
    "dirección de su cuenta. Completa los datos fiscales para enviarlos a tus clientes."
)


@dataclass(frozen=True)
class MailLimits:
    """Recipients an hour: per organization, per account, and per account younger than
    ``new_account_days``."""

    organization: int = 200
    account: int = 1000
    new_account: int = 100
    new_account_days: int = 30

    @classmethod
    def configured(cls) -> MailLimits:
        """The limits set by ``MAIL_LIMIT_*`` (see ``portal.config``)."""
        return cls(*settings.current().mail_limits)


def _has_legal_data(organization: Organization) -> bool:
    return bool(organization.legal_name and organization.tax_system)


def admit(
    session: Session,
    organization: Organization,
    livemode: bool,
    to: list[str],
    limits: MailLimits | None = None,
) -> None:
    """Count ``to`` against the organization's and its account's hourly limits, or refuse
    (403 for a test organization without legal data writing to others, 429 over a limit).
    ``limits``: the app's configured ones unless given."""
    limits = limits or MailLimits.configured()
    account = session.get(Account, organization.account_id)
    assert account is not None
    if not livemode and not _has_legal_data(organization):
        own = account.email.lower()
        if any(address.lower() != own for address in to):
            raise Forbidden(TEST_MODE_RECIPIENTS, "test_mode_recipients")
    new = account.created_at > utcnow() - timedelta(days=limits.new_account_days)
    throttle.take(
        session,
        [
            (f"mail-organization:{organization.id}", limits.organization, WINDOW),
            (f"mail-account:{account.id}", limits.new_account if new else limits.account, WINDOW),
        ],
        len(to),
    )
