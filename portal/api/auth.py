"""Key authentication: ``Authorization: Bearer <key>``, or the key as the Basic user name."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import g, request

from portal.errors import Forbidden, Unauthorized
from portal.extensions import db
from portal.models.accounts import Account
from portal.services import accounts


@dataclass
class ApiActor:
    """Who is calling: the account behind a user key (organization keys come later)."""

    account: Account


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


def _authenticate_user_key() -> ApiActor:
    key = presented_key()
    if not key:
        raise Unauthorized("Falta la llave de API. Envíala en el encabezado Authorization.")
    account = accounts.account_for_user_key(db.session, key)
    if account is None:
        if key.startswith(("sk_test_", "sk_live_")):
            raise Forbidden(
                "Esta operación requiere la llave de usuario (sk_user_…).", "user_key_required"
            )
        raise Unauthorized()
    return ApiActor(account=account)


def user_key_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """The view needs an account's user key."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g.actor = _authenticate_user_key()
        return view(*args, **kwargs)

    return wrapper
