"""The tenant of the current request, and the scoped loader bound to it for the views.

The loader itself (``portal.models.tenancy``) takes a session and a tenant; here both default
to the request's, so a view reads ``scoped_get(Invoice, invoice_id)``.
"""

from __future__ import annotations

from typing import Any, TypeVar

from flask import g
from sqlalchemy import Select

from portal.extensions import db
from portal.models import tenancy
from portal.models.tenancy import NOT_FOUND, Tenant

__all__ = ["Tenant", "current_tenant", "scoped_get", "scoped_select", "set_tenant"]

T = TypeVar("T")


def set_tenant(tenant: Tenant) -> None:
    """Fix the tenant for the rest of the request."""
    g.tenant = tenant


def current_tenant() -> Tenant:
    """The request's tenant (a view that needs one is protected by a decorator that sets it)."""
    tenant = g.get("tenant")
    if tenant is None:
        raise RuntimeError("no tenant in this request")
    return tenant


def scoped_select(model: type[T], tenant: Tenant | None = None) -> Select[tuple[T]]:
    """``select(model)`` restricted to the (request's) tenant."""
    return tenancy.scoped_select(model, tenant or current_tenant())


def scoped_get(
    model: type[T], object_id: Any, tenant: Tenant | None = None, message: str = NOT_FOUND
) -> T:
    """The (request's) tenant's row with this id, or 404."""
    return tenancy.scoped_get(db.session, model, object_id, tenant or current_tenant(), message)
