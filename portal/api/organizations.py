"""Organizations, managed with the account's user key."""

from __future__ import annotations

from typing import Any

from flask import g
from sqlalchemy import select

from portal.api import bp
from portal.api.auth import user_key_required
from portal.api.pagination import paginate
from portal.extensions import db
from portal.models.organizations import Organization


def serialize_organization(org: Organization) -> dict[str, Any]:
    """The organization object of the API."""
    return {"id": org.id, "created_at": org.created_at.isoformat(), "legal": {"name": org.name}}


@bp.get("/organizations")
@user_key_required
def list_organizations():
    """The caller's organizations, newest first."""
    query = (
        select(Organization)
        .where(Organization.account_id == g.actor.account.id, Organization.deleted_at.is_(None))
        .order_by(Organization.created_at.desc())
    )
    return paginate(db.session, query, serialize_organization)
