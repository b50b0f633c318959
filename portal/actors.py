"""Who acts in the current request, as a record that remembers it keeps it (e.g. who asked to
cancel an invoice): support acting for a reseller, an API key, or a signed-in account."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_login import current_user

from portal import impersonation
from portal.extensions import db
from portal.models.organizations import ApiKey


def request_actor() -> dict[str, Any] | None:
    """{"type": "support" | "api_key" | "user", ...} for this request, or None outside one."""
    acting = impersonation.current()
    if acting is not None:
        return {"type": "support", "id": acting.staff.id, "email": acting.staff.email}
    tenant = g.get("tenant")
    if tenant is not None and tenant.key_id:
        key = db.session.get(ApiKey, tenant.key_id)
        return {"type": "api_key", "id": tenant.key_id, "first_12": key.first_12 if key else ""}
    account = current_user if current_user.is_authenticated else None
    account = account or (tenant.account if tenant is not None else None)
    if account is None:
        return None
    return {"type": "user", "id": account.id, "email": account.email, "name": account.name or ""}
