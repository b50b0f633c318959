"""The tenant a use case acts for, and the one loader for tenant-owned rows.

Every tenant-owned model has ``organization_id`` and ``livemode``; reading one goes through
``scoped_select``/``scoped_get``, which filter on both, so another tenant's id (or the other
environment's) is simply not found. No Flask here: services pass their session and tenant;
``portal.tenancy`` binds both to the current request for the views.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from portal.errors import NotFound
from portal.models.accounts import Account
from portal.models.organizations import Organization

T = TypeVar("T")
NOT_FOUND = "El recurso solicitado no existe."


@dataclass
class Tenant:
    """Who the request acts for: the organization, the environment and the actor."""

    organization: Organization
    livemode: bool
    account: Account | None = None  # the reseller (dashboard or user key)
    key_id: str | None = None  # the organization key used, if any


ID_SHAPE = re.compile(r"[0-9A-Za-z_-]{1,64}")  # what any of our ids looks like


def scoped_select(model: type[T], tenant: Tenant) -> Select[tuple[T]]:
    """``select(model)`` restricted to the tenant's organization and environment."""
    query = select(model).where(model.organization_id == tenant.organization.id)  # type: ignore[attr-defined]
    if hasattr(model, "livemode"):
        query = query.where(model.livemode.is_(tenant.livemode))  # type: ignore[attr-defined]
    if hasattr(model, "deleted_at"):
        query = query.where(model.deleted_at.is_(None))  # type: ignore[attr-defined]
    return query


def scoped_get(
    session: Session, model: type[T], object_id: Any, tenant: Tenant, message: str = NOT_FOUND
) -> T:
    """The tenant's row with this id, or 404 (never 403: nothing confirms it exists)."""
    if not ID_SHAPE.fullmatch(str(object_id)):  # no row has it (and PostgreSQL refuses NUL)
        raise NotFound(message)
    row = session.scalar(scoped_select(model, tenant).where(model.id == str(object_id)))  # type: ignore[attr-defined]
    if row is None:
        raise NotFound(message)
    return row
