"""Support console: find any tenant, look at its state, suspend it, help it sign in again.

Search is a list of small functions, one per thing staff may type (email, name, RFC, domain, API
key prefix, invoice UUID, receipt key…). Each returns ``Hit``s; adding a new kind is one function
built on ``_account_hits`` or ``_organization_hits`` plus a line in ``SEARCHES``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session, selectinload

from portal.errors import Conflict, Forbidden, NotFound, ValidationError
from portal.models.accounts import ROLE_RESELLER, ROLE_STAFF, Account, new_session_token
from portal.models.base import utcnow
from portal.models.events import Webhook, WebhookAttempt
from portal.models.invoices import Invoice
from portal.models.organizations import ApiKey, Organization
from portal.models.receipts import Receipt
from portal.services import accounts, audit, organizations
from portal.services.audit import StaffActor
from portal.statuses import InvoiceStatus

SEARCH_MIN_LENGTH = 3
SEARCH_LIMIT = 25
REASON_MIN_LENGTH = 10


@dataclass
class Hit:
    """A search result: the reseller, the organization if the match was one, and why."""

    account: Account
    organization: Organization | None
    matched: str  # which search found it: "email", "rfc", "api_key"…
    value: str


SearchFn = Callable[[Session, str], list[Hit]]


def _contains(column: Any, term: str) -> ColumnElement[bool]:
    return func.lower(column).contains(term.lower(), autoescape=True)


def _starts_with(column: Any, term: str) -> ColumnElement[bool]:
    return column.startswith(term, autoescape=True)


def _account_hits(session: Session, where: ColumnElement[bool], matched: str) -> list[Hit]:
    """Resellers matching ``where`` (staff accounts are never search results)."""
    query = select(Account).where(where, Account.role == ROLE_RESELLER).limit(SEARCH_LIMIT)
    return [Hit(a, None, matched, _shown(a, matched)) for a in session.scalars(query)]


def _organization_hits(
    session: Session,
    where: ColumnElement[bool] | Select[Any],
    matched: str,
    value: str | None = None,
) -> list[Hit]:
    """Organizations matching ``where`` (or whose id is in a subquery), with their reseller."""
    if isinstance(where, Select):
        where = Organization.id.in_(where)
    query = (
        select(Organization, Account)
        .join(Account, Account.id == Organization.account_id)
        .where(where, Organization.deleted_at.is_(None))
        .limit(SEARCH_LIMIT)
    )
    rows = session.execute(query)
    return [Hit(a, o, matched, value or _shown(o, matched)) for o, a in rows]


SHOWN_ATTRIBUTES = {
    "email": "email",
    "name": "name",
    "user_key": "user_key_prefix",
    "legal_name": "legal_name",
    "rfc": "tax_id",
    "domain": "domain",
}


def _shown(obj: Account | Organization, matched: str) -> str:
    return str(getattr(obj, SHOWN_ATTRIBUTES.get(matched, "name"), "") or "")


def accounts_by_email(session: Session, term: str) -> list[Hit]:
    """Resellers whose email contains the term."""
    return _account_hits(session, _contains(Account.email, term), "email")


def accounts_by_name(session: Session, term: str) -> list[Hit]:
    """Resellers whose name contains the term."""
    return _account_hits(session, _contains(Account.name, term), "name")


def accounts_by_user_key(session: Session, term: str) -> list[Hit]:
    """Resellers whose user key starts with the term (``sk_user_…``)."""
    return _account_hits(session, _starts_with(Account.user_key_prefix, term), "user_key")


def organizations_by_name(session: Session, term: str) -> list[Hit]:
    """Organizations whose trade name contains the term."""
    return _organization_hits(session, _contains(Organization.name, term), "name")


def organizations_by_legal_name(session: Session, term: str) -> list[Hit]:
    """Organizations whose legal name (razón social) contains the term."""
    return _organization_hits(session, _contains(Organization.legal_name, term), "legal_name")


def organizations_by_rfc(session: Session, term: str) -> list[Hit]:
    """Organizations whose RFC starts with the term."""
    return _organization_hits(session, _starts_with(Organization.tax_id, term.upper()), "rfc")


def organizations_by_domain(session: Session, term: str) -> list[Hit]:
    """Organizations whose self-invoice domain contains the term."""
    return _organization_hits(session, _contains(Organization.domain, term), "domain")


def organizations_by_api_key(session: Session, term: str) -> list[Hit]:
    """Organizations with a key whose stored first characters start with the term."""
    prefix = term[: len("sk_test_") + 4]  # only the first 12 characters are stored
    keys = select(ApiKey.organization_id).where(_starts_with(ApiKey.first_12, prefix))
    return _organization_hits(session, keys, "api_key")


def organizations_by_invoice_uuid(session: Session, term: str) -> list[Hit]:
    """The organization that issued the invoice with this UUID (folio fiscal)."""
    invoices = select(Invoice.organization_id).where(Invoice.uuid == term.upper())
    return _organization_hits(session, invoices, "invoice_uuid", term.upper())


def organizations_by_receipt_key(session: Session, term: str) -> list[Hit]:
    """The organization of the receipt with this key (the code printed on the ticket)."""
    receipts = select(Receipt.organization_id).where(Receipt.key == term)
    return _organization_hits(session, receipts, "receipt_key", term)


SEARCHES: tuple[SearchFn, ...] = (
    accounts_by_email,
    accounts_by_name,
    accounts_by_user_key,
    organizations_by_name,
    organizations_by_legal_name,
    organizations_by_rfc,
    organizations_by_domain,
    organizations_by_api_key,
    organizations_by_invoice_uuid,
    organizations_by_receipt_key,
)


def search(session: Session, term: str) -> list[Hit]:
    """Every match of every search kind; one hit per (account, organization)."""
    term = term.strip()
    if len(term) < SEARCH_MIN_LENGTH:
        raise ValidationError(
            f"Escribe al menos {SEARCH_MIN_LENGTH} caracteres para buscar.", "term_too_short", "q"
        )
    hits: dict[tuple[str, str | None], Hit] = {}
    for find in SEARCHES:
        for hit in find(session, term):
            key = (hit.account.id, hit.organization.id if hit.organization else None)
            hits.setdefault(key, hit)
    return list(hits.values())


def staff_members(session: Session) -> list[Account]:
    """Every staff account, for the audit log's filter."""
    query = select(Account).where(Account.role == ROLE_STAFF).order_by(Account.email)
    return list(session.scalars(query))


# The tenant page ---------------------------------------------------------------------------


@dataclass
class OrganizationState:
    """What support needs to see of one organization at a glance."""

    organization: Organization
    pending_steps: list[organizations.PendingStep]
    certificate_expires_at: datetime | None
    certificate_expires_soon: bool


@dataclass
class TenantOverview:
    """A reseller and everything support looks at first."""

    account: Account
    organizations: list[OrganizationState]
    recent_activity: list[Any] = field(default_factory=list)
    failing_webhooks: list[FailingWebhook] = field(default_factory=list)
    recent_invoices: list[Any] = field(default_factory=list)  # (Invoice, Organization) rows
    failed_invoices: list[Any] = field(default_factory=list)  # the "recent errors" so far


def get_reseller(session: Session, account_id: str) -> Account:
    """A reseller account by id (staff accounts are not tenants)."""
    account = session.get(Account, account_id)
    if account is None or account.role != ROLE_RESELLER:
        raise NotFound("La cuenta no existe.", path="account_id")
    return account


def get_organization(session: Session, account: Account, organization_id: str) -> Organization:
    """One of the reseller's organizations (deleted ones included: support may need them)."""
    organization = session.get(Organization, organization_id)
    if organization is None or organization.account_id != account.id:
        raise NotFound("La organización no existe.", path="organization_id")
    return organization


def _organization_state(organization: Organization, now: datetime) -> OrganizationState:
    certificate = organization.certificate
    return OrganizationState(
        organization=organization,
        pending_steps=organizations.pending_steps(organization, now),
        certificate_expires_at=certificate.valid_to if certificate else None,
        certificate_expires_soon=organizations.certificate_expires_soon(organization, now),
    )


@dataclass
class FailingWebhook:
    """A webhook whose deliveries exhausted their retries, with its latest attempt."""

    webhook: Webhook
    organization: Organization
    last_attempt: WebhookAttempt | None


def failing_webhooks(session: Session, account: Account) -> list[FailingWebhook]:
    """The reseller's webhooks that are failing now, most recently failing first."""
    rows = session.execute(
        select(Webhook, Organization)
        .join(Organization, Organization.id == Webhook.organization_id)
        .where(
            Organization.account_id == account.id,
            Webhook.failing_since.is_not(None),
            Webhook.deleted_at.is_(None),
        )
        .order_by(Webhook.failing_since.desc())
        .limit(20)
    )
    return [FailingWebhook(w, o, _last_attempt(session, w)) for w, o in rows]


def _last_attempt(session: Session, webhook: Webhook) -> WebhookAttempt | None:
    return session.scalar(
        select(WebhookAttempt)
        .where(WebhookAttempt.webhook_id == webhook.id)
        .order_by(WebhookAttempt.created_at.desc(), WebhookAttempt.id.desc())
        .limit(1)
    )


def _invoices_of(account: Account) -> Select[tuple[Invoice, Organization]]:
    return (
        select(Invoice, Organization)
        .join(Organization, Organization.id == Invoice.organization_id)
        .where(Organization.account_id == account.id)
        .order_by(Invoice.created_at.desc(), Invoice.id.desc())
    )


def recent_invoices(session: Session, account: Account, limit: int = 10) -> list[Any]:
    """The reseller's latest invoices, both environments, with their organization."""
    return list(session.execute(_invoices_of(account).limit(limit)))


def failed_invoices(session: Session, account: Account, limit: int = 10) -> list[Any]:
    """The reseller's latest invoices that failed to stamp, with the reason."""
    query = _invoices_of(account).where(Invoice.status == InvoiceStatus.FAILED).limit(limit)
    return list(session.execute(query))


def tenant_overview(session: Session, account: Account) -> TenantOverview:
    """The reseller, its organizations with their readiness, and recent support activity."""
    now = utcnow()
    rows = session.scalars(
        select(Organization)
        .where(Organization.account_id == account.id)
        .order_by(Organization.deleted_at.is_not(None), Organization.created_at.desc())
        .options(selectinload(Organization.certificate))
    )
    return TenantOverview(
        account=account,
        organizations=[_organization_state(o, now) for o in rows],
        recent_activity=audit.for_reseller(session, account.id, limit=10),
        failing_webhooks=failing_webhooks(session, account),
        recent_invoices=recent_invoices(session, account),
        failed_invoices=failed_invoices(session, account),
    )


# Account controls (outside impersonation) ---------------------------------------------------


def check_reason(reason: str) -> str:
    """A written reason, required before acting for a tenant or suspending it."""
    reason = " ".join(reason.split())
    if len(reason) < REASON_MIN_LENGTH:
        raise ValidationError(
            f"Explica el motivo en al menos {REASON_MIN_LENGTH} caracteres.",
            "reason_too_short",
            "reason",
        )
    return reason[:500]


def suspend_account(session: Session, actor: StaffActor, account: Account, reason: str) -> None:
    """Stop the reseller's sign-in, user key and sessions until reactivated."""
    reason = check_reason(reason)
    if account.suspended_at is not None:
        raise Conflict("La cuenta ya está suspendida.", "already_suspended")
    account.suspended_at = utcnow()
    account.session_token = new_session_token()  # every open session ends now
    audit.record(
        session,
        actor,
        "account.suspended",
        account_id=account.id,
        object_type="account",
        object_id=account.id,
        details={"reason": reason},
    )


def reactivate_account(session: Session, actor: StaffActor, account: Account) -> None:
    """Let a suspended reseller back in."""
    if account.suspended_at is None:
        raise Conflict("La cuenta no está suspendida.", "not_suspended")
    account.suspended_at = None
    audit.record(
        session,
        actor,
        "account.reactivated",
        account_id=account.id,
        object_type="account",
        object_id=account.id,
    )


ORGANIZATION_SUSPENDED = (
    "Esta organización está suspendida: sus llaves y sus páginas no funcionan. Escribe a "
    "soporte para reactivarla."
)


def refuse_if_suspended(organization: Organization) -> None:
    """Stop here, with a clear message, when the organization is suspended."""
    if organization.suspended_at is not None:
        raise Forbidden(ORGANIZATION_SUSPENDED, "organization_suspended")


def suspend_organization(
    session: Session, actor: StaffActor, organization: Organization, reason: str
) -> None:
    """Stop one organization's keys and pages until reactivated."""
    reason = check_reason(reason)
    if organization.suspended_at is not None:
        raise Conflict("La organización ya está suspendida.", "already_suspended")
    organization.suspended_at = utcnow()
    audit.record(
        session,
        actor,
        "organization.suspended",
        account_id=organization.account_id,
        organization_id=organization.id,
        object_type="organization",
        object_id=organization.id,
        details={"reason": reason},
    )


def reactivate_organization(
    session: Session, actor: StaffActor, organization: Organization
) -> None:
    """Let a suspended organization work again."""
    if organization.suspended_at is None:
        raise Conflict("La organización no está suspendida.", "not_suspended")
    organization.suspended_at = None
    audit.record(
        session,
        actor,
        "organization.reactivated",
        account_id=organization.account_id,
        organization_id=organization.id,
        object_type="organization",
        object_id=organization.id,
    )


def send_password_reset(session: Session, actor: StaffActor, account: Account) -> None:
    """Email the reseller a password-reset link, as the forgotten-password page does."""
    if account.suspended_at is not None:
        raise Conflict(
            "La cuenta está suspendida: reactívala antes de enviar el enlace.", "suspended"
        )
    accounts.send_password_reset(session, account)
    audit.record(
        session,
        actor,
        "account.password_reset_sent",
        account_id=account.id,
        object_type="account",
        object_id=account.id,
    )


# Impersonation ------------------------------------------------------------------------------


def start_impersonation(
    session: Session,
    actor: StaffActor,
    account: Account,
    reason: str,
    organization: Organization | None = None,
) -> StaffActor:
    """Check and record that staff starts acting as a reseller; the actor for what follows."""
    if account.suspended_at is not None:
        raise Conflict(
            "La cuenta está suspendida: reactívala antes de actuar como ella.", "suspended"
        )
    if organization is not None and organization.suspended_at is not None:
        raise Conflict(
            "La organización está suspendida: reactívala antes de entrar a ella.", "suspended"
        )
    acting = replace(
        actor,
        reason=check_reason(reason),
        account_id=account.id,
        organization_id=organization.id if organization else None,
    )
    audit.record(
        session, acting, "impersonation.started", object_type="account", object_id=account.id
    )
    return acting


def end_impersonation(session: Session, actor: StaffActor, how: str) -> None:
    """Record the end of acting for a reseller: ``stopped``, ``expired`` or ``ended``."""
    audit.record(
        session, actor, f"impersonation.{how}", object_type="account", object_id=actor.account_id
    )
