"""``Idempotency-Key`` for every creating ``POST`` that has no key column of its own: one
mechanism (``run_once``) for customers, products, webhooks, organizations and global invoices,
with the rules of invoices and receipts: the same key and body give the object created the
first time; the same key with another body is a 409 with the Facturapi error body.

The key's row is written in the creating transaction, before the object: a parallel request
with the same key waits on its unique index (PostgreSQL) or the write lock (SQLite) and then
gets the first one's object; nothing is kept when the creation fails, so a retry may succeed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.errors import Conflict, ValidationError
from portal.models.idempotency import IdempotencyKey

MAX_KEY_LENGTH = 64


class _HasId(Protocol):
    id: str


T = TypeVar("T", bound=_HasId)


@dataclass(frozen=True)
class Caller:
    """Whose keys these are: an organization's environment, or an account (its user key)."""

    owner: str
    livemode: bool

    @classmethod
    def organization(cls, organization_id: str, livemode: bool) -> Caller:
        return cls(f"organization:{organization_id}", livemode)

    @classmethod
    def account(cls, account_id: str) -> Caller:
        return cls(f"account:{account_id}", True)


def body_hash(body: dict[str, Any]) -> str:
    """A stable fingerprint of a request body (key order and spacing do not matter)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def reused_key() -> Conflict:
    """The 409 of a key sent again with another body."""
    return Conflict(
        "La llave de idempotencia ya se usó con un cuerpo distinto. Usa una llave nueva "
        "o reenvía exactamente el mismo cuerpo.",
        "idempotency_key_reused",
        "idempotency_key",
    )


def _checked_key(key: str | None) -> str | None:
    if key is not None and len(key) > MAX_KEY_LENGTH:
        raise ValidationError(
            f"La llave de idempotencia admite {MAX_KEY_LENGTH} caracteres.",
            "too_long",
            path="idempotency_key",
        )
    return key or None


def _find(session: Session, caller: Caller, scope: str, key: str) -> IdempotencyKey | None:
    return session.scalar(
        select(IdempotencyKey).where(
            IdempotencyKey.owner == caller.owner,
            IdempotencyKey.livemode == caller.livemode,
            IdempotencyKey.scope == scope,
            IdempotencyKey.key == key,
        )
    )


def _replay(row: IdempotencyKey, digest: str, load: Callable[[str], T]) -> T:
    if row.body_hash != digest:
        raise reused_key()
    if row.resource_id is None:  # created outside this transaction and not recorded yet
        raise Conflict(
            "Otra solicitud con la misma llave de idempotencia sigue en curso; reintenta en "
            "unos segundos.",
            "idempotency_key_in_use",
            "idempotency_key",
        )
    return load(row.resource_id)


def run_once(
    session: Session,
    caller: Caller,
    scope: str,
    key: str | None,
    body: dict[str, Any],
    create: Callable[[], T],
    load: Callable[[str], T],
) -> T:
    """``create()`` once per ``key``; a repeat with the same ``body`` gets ``load(id)`` of
    the first result, with another body a 409. Without a key, just ``create()``."""
    key = _checked_key(key)
    if key is None:
        return create()
    digest = body_hash(body)
    if (row := _find(session, caller, scope, key)) is not None:
        return _replay(row, digest, load)
    row = IdempotencyKey(
        owner=caller.owner, livemode=caller.livemode, scope=scope, key=key, body_hash=digest
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # a parallel request with the key committed first
        found = _find(session, caller, scope, key)
        assert found is not None
        return _replay(found, digest, load)
    row_id = row.id
    try:
        created = create()
    except Exception:
        # ``create`` may have committed the key's row before failing (a remote PAC's refusal
        # is recorded in its own transaction): forget the key, so that a retry may succeed.
        session.rollback()
        session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == row_id))
        session.commit()
        raise
    row.resource_id = created.id
    session.flush()
    return created
