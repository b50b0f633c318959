"""Key authentication: ``Authorization: Bearer <key>``, or the key as the Basic user name.

``sk_user_…`` is the account's key (organizations and their settings); ``sk_test_…`` and
``sk_live_…`` open one organization in one environment.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import g, request
from sqlalchemy import or_, update

from portal import scopes
from portal.database import writing
from portal.errors import Forbidden, Unauthorized
from portal.extensions import db
from portal.models.accounts import Account
from portal.models.base import utcnow
from portal.models.organizations import ApiKey
from portal.services import accounts, api_keys, secrets
from portal.tenancy import Tenant, set_tenant

SUSPENDED = "La cuenta u organización está suspendida. Escribe a soporte para reactivarla."


@dataclass
class ApiActor:
    """Who is calling: an account (user key) or an organization key."""

    account: Account
    key_owner: api_keys.KeyOwner | None = None


def presented_key() -> str | None:
    """The key sent with the request, if any (never from the query string)."""
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[0] or None
    return None


def authenticate() -> ApiActor:
    """The actor behind the presented key; 401 when there is none or it is wrong."""
    key = presented_key()
    if not key:
        raise Unauthorized("Falta la llave de API. Envíala en el encabezado Authorization.")
    if key.startswith((api_keys.TEST_PREFIX, api_keys.LIVE_PREFIX)):
        note_use(key)
    owner = api_keys.owner_of(db.session, key)
    if owner is not None:
        if owner.organization.suspended_at or owner.account.suspended_at:
            raise Forbidden(SUSPENDED, "suspended")
        scopes.require(owner.key.scopes or [], request.url_rule.rule, request.method)
        return ApiActor(owner.account, owner)
    account = accounts.account_for_user_key(db.session, key, include_suspended=True)
    if account is None:
        raise Unauthorized()
    if account.suspended_at:
        raise Forbidden(SUSPENDED, "suspended")
    return ApiActor(account)


LAST_USE_STEP = timedelta(minutes=1)
_last_noted: dict[str, float] = {}  # key digest → when this process last recorded its use


def note_use(plain: str) -> None:
    """Record when a key was last used, at most once a minute per key and process, in a short
    transaction of its own taken before the request's (so that it never holds that one up)."""
    digest = secrets.hash_key(plain)
    now = time.monotonic()
    if now - _last_noted.get(digest, -1e9) < LAST_USE_STEP.total_seconds():
        return
    if len(_last_noted) > 10_000:
        _last_noted.clear()
    _last_noted[digest] = now
    moment = utcnow()
    stale = or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < moment - LAST_USE_STEP)
    with writing(), db.engine.begin() as connection:
        connection.execute(
            update(ApiKey).where(ApiKey.key_hash == digest, stale).values(last_used_at=moment)
        )


def _guard(check: Callable[[ApiActor], None], kind: str) -> Callable[[Callable[..., Any]], Any]:
    """A view decorator that admits the actors ``check`` lets through (``kind`` names the key
    in the generated OpenAPI document)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            actor = authenticate()
            check(actor)
            g.actor = actor
            return view(*args, **kwargs)

        wrapper.__api_key__ = kind  # type: ignore[attr-defined]
        return wrapper

    return decorate


def _user_only(actor: ApiActor) -> None:
    if actor.key_owner is not None:
        raise Forbidden(
            "Esta operación requiere la llave de usuario (sk_user_…); las llaves "
            "de organización sólo pueden leer su configuración.",
            "user_key_required",
        )


def _organization_only(actor: ApiActor) -> None:
    owner = actor.key_owner
    if owner is None:
        raise Forbidden(
            "Esta operación requiere la llave secreta de una organización (sk_test_… o sk_live_…).",
            "organization_key_required",
        )
    set_tenant(Tenant(owner.organization, owner.livemode, owner.account, owner.key.id))


user_key_required = _guard(_user_only, "user")
organization_key_required = _guard(_organization_only, "organization")
any_key_required = _guard(lambda actor: None, "any")
