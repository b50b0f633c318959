"""Organization API keys: one test key (readable again), several live keys (shown once)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.orm import Session, joinedload

from portal.errors import NotFound
from portal.models.accounts import Account
from portal.models.base import utcnow
from portal.models.organizations import ApiKey, Organization
from portal.services import secrets

TEST_PREFIX, LIVE_PREFIX = "sk_test_", "sk_live_"


@dataclass
class KeyOwner:
    """What a presented organization key opens: the organization and its environment."""

    organization: Organization
    livemode: bool
    key: ApiKey
    account: Account


def _issue(
    session: Session, organization: Organization, livemode: bool, scopes: list[str] | None = None
) -> str:
    plain = secrets.generate_key(LIVE_PREFIX if livemode else TEST_PREFIX)
    key = ApiKey(
        organization_id=organization.id,
        livemode=livemode,
        scopes=list(scopes or []),
        key_hash=secrets.hash_key(plain),
        first_12=plain[:12],
        key_encrypted=None if livemode else secrets.encrypt(plain.encode()),
    )
    session.add(key)
    session.flush()
    return plain


def _active(livemode: bool, organization: Organization) -> select:
    return select(ApiKey).where(
        ApiKey.organization_id == organization.id,
        ApiKey.livemode.is_(livemode),
        ApiKey.revoked_at.is_(None),
    )


def test_key(session: Session, organization: Organization) -> str:
    """The organization's test key, issuing one if it has none."""
    key = session.scalar(_active(False, organization))
    if key is None or key.key_encrypted is None:
        return _issue(session, organization, livemode=False)
    return secrets.decrypt(key.key_encrypted).decode()


def renew_test_key(
    session: Session, organization: Organization, scopes: list[str] | None = None
) -> str:
    """Replace the test key (limited to ``scopes``, if any); the previous one stops at once."""
    revoke_all(session, organization, livemode=False)
    return _issue(session, organization, livemode=False, scopes=scopes)


def current_test_key(session: Session, organization: Organization) -> ApiKey | None:
    """The active test key's row (its scopes and last use), if there is one."""
    return session.scalar(_active(False, organization))


def live_keys(session: Session, organization: Organization) -> list[ApiKey]:
    """The active live keys, newest first (only their first 12 characters are known)."""
    return list(
        session.scalars(
            _active(True, organization).order_by(ApiKey.created_at.desc(), ApiKey.id.desc())
        )
    )


def create_live_key(
    session: Session, organization: Organization, scopes: list[str] | None = None
) -> str:
    """A new live key (limited to ``scopes``, if any), returned this once; earlier live keys
    keep working."""
    return _issue(session, organization, livemode=True, scopes=scopes)


def revoke_live_key(session: Session, organization: Organization, key_id: str) -> None:
    """Revoke one live key of this organization."""
    key = session.scalar(_active(True, organization).where(ApiKey.id == key_id))
    if key is None:
        raise NotFound("La llave de API no existe.", path="id")
    key.revoked_at = utcnow()


def revoke_all(session: Session, organization: Organization, livemode: bool | None = None) -> None:
    """Revoke the organization's keys (of one environment, or all)."""
    statement = update(ApiKey).where(
        ApiKey.organization_id == organization.id, ApiKey.revoked_at.is_(None)
    )
    if livemode is not None:
        statement = statement.where(ApiKey.livemode.is_(livemode))
    session.execute(statement.values(revoked_at=utcnow()))


@functools.cache
def _owner_statement() -> Select[tuple[ApiKey, Organization, Account]]:
    # Built once (every API request runs it). The CSD comes along: creating an invoice, the
    # busiest call, needs it, and it saves a round trip.
    return (
        select(ApiKey, Organization, Account)
        .join(Organization, Organization.id == ApiKey.organization_id)
        .join(Account, Account.id == Organization.account_id)
        .where(
            ApiKey.key_hash == bindparam("key_hash"),
            ApiKey.revoked_at.is_(None),
            Organization.deleted_at.is_(None),
        )
        .options(joinedload(Organization.certificate))
    )


def owner_of(session: Session, plain: str) -> KeyOwner | None:
    """The live organization and environment a presented key opens, if any."""
    if not plain.startswith((TEST_PREFIX, LIVE_PREFIX)):
        return None
    row = session.execute(_owner_statement(), {"key_hash": secrets.hash_key(plain)}).first()
    if row is None:
        return None
    key, organization, account = row
    return KeyOwner(organization, key.livemode, key, account)
