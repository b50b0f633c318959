"""The support audit trail: write entries, read them back for staff and for resellers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from portal.models.audit import AuditEntry

PAGE_SIZE = 50
# Entries a reseller does not see on their account page: looking is not acting for them.
PRIVATE_ACTIONS = frozenset({"support.search", "support.tenant_viewed"})


@dataclass(frozen=True)
class StaffActor:
    """Who acts and from where; inside an impersonation, for whom and why."""

    staff_id: str
    ip: str | None = None
    reason: str | None = None
    account_id: str | None = None
    organization_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def record(
    session: Session,
    actor: StaffActor,
    action: str,
    *,
    account_id: str | None = None,
    organization_id: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry; the target defaults to the account the actor is acting for."""
    entry = AuditEntry(
        staff_id=actor.staff_id,
        account_id=account_id or actor.account_id,
        organization_id=organization_id or actor.organization_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        ip=actor.ip,
        reason=actor.reason,
        details={**actor.details, **(details or {})},
    )
    session.add(entry)
    session.flush()
    return entry


def _newest_first(query: Select[tuple[AuditEntry]]) -> Select[tuple[AuditEntry]]:
    return query.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())


LAST_PAGE = 10**9


@dataclass
class AuditPage:
    """Entries of one page of the log and whether older ones follow."""

    entries: list[AuditEntry]
    has_more: bool


def entries(
    session: Session,
    account_id: str | None = None,
    staff_id: str | None = None,
    page: int = 1,
) -> AuditPage:
    """One page of the log, newest first, optionally for one account and/or one staff member."""
    query = select(AuditEntry)
    if account_id:
        query = query.where(AuditEntry.account_id == account_id)
    if staff_id:
        query = query.where(AuditEntry.staff_id == staff_id)
    if page > LAST_PAGE:  # nothing is that far, and the offset would overflow the database
        return AuditPage([], False)
    offset = (max(page, 1) - 1) * PAGE_SIZE
    rows = list(session.scalars(_newest_first(query).limit(PAGE_SIZE + 1).offset(offset)))
    return AuditPage(rows[:PAGE_SIZE], len(rows) > PAGE_SIZE)


def for_organization(session: Session, organization_id: str, limit: int = 20) -> list[AuditEntry]:
    """What support did in this organization, newest first (its activity page)."""
    query = select(AuditEntry).where(
        AuditEntry.organization_id == organization_id, AuditEntry.action.not_in(PRIVATE_ACTIONS)
    )
    return list(session.scalars(_newest_first(query).limit(limit)))


def for_reseller(session: Session, account_id: str, limit: int = 20) -> list[AuditEntry]:
    """What support did for this account, newest first, as its owner sees it."""
    query = select(AuditEntry).where(
        AuditEntry.account_id == account_id, AuditEntry.action.not_in(PRIVATE_ACTIONS)
    )
    return list(session.scalars(_newest_first(query).limit(limit)))
