"""The tenant of the current request, and the one loader for tenant-owned rows.

Every tenant-owned model has ``organization_id`` and ``livemode``; reading one goes through
``scoped_select``/``scoped_get``, which filter on both, so another tenant's id (or the other
environment's) is simply not found.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from flask import g
from sqlalchemy import Select, select

from portal.errors import NotFound
from portal.extensions import db
from portal.models.accounts import Account
from portal.models.organizations import Organization

T = TypeVar("T")


@dataclass
class Tenant:
    """Who the request acts for: the organization, the environment and the actor."""

    organization: Organization
    livemode: bool
    account: Account | None = None  # the reseller (dashboard or user key)
    key_id: str | None = None  # the organization key used, if any


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
    """``select(model)`` restricted to the tenant's organization and environment."""
    tenant = tenant or current_tenant()
    query = select(model).where(model.organization_id == tenant.organization.id)  # type: ignore[attr-defined]
    if hasattr(model, "livemode"):
        query = query.where(model.livemode.is_(tenant.livemode))  # type: ignore[attr-defined]
    if hasattr(model, "deleted_at"):
        query = query.where(model.deleted_at.is_(None))  # type: ignore[attr-defined]
    return query


def scoped_get(
    model: type[T],
    object_id: Any,
    tenant: Tenant | None = None,
    message: str = "El recurso solicitado no existe.",
) -> T:
    """The tenant's row with this id, or 404 (never 403: nothing confirms it exists)."""
    row = db.session.scalar(scoped_select(model, tenant).where(model.id == str(object_id)))  # type: ignore[attr-defined]
    if row is None:
        raise NotFound(message)
    return row
