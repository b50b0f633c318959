"""Shapes of invoice public links, their organization settings and scoped API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from portal.schemas import ApiModel
from portal.scopes import SCOPES

Scope = Literal[SCOPES]  # type: ignore[valid-type]
MAX_LINK_DAYS = 3650


class PublicLinkUpdate(ApiModel):
    """An action on an invoice's public link."""

    action: Literal["revoke", "activate", "extend", "reset"] = Field(
        description="revoke: disable; activate: enable; extend: add extend_days to its expiry; "
        "reset: enable with the organization's default lifetime from now."
    )
    extend_days: int | None = Field(
        default=None, ge=1, le=MAX_LINK_DAYS, description="Days to add (action extend)."
    )


class PublicLink(ApiModel):
    """The shareable page of a stamped invoice (its PDF and XML, with no login)."""

    object: Literal["public_link"] = "public_link"
    url: str
    id: str
    enabled: bool
    expires_at: datetime | None
    max_days: int = Field(description="The organization's lifetime of a new or reset link.")


class PublicLinkEnvelope(ApiModel):
    """The answer of the public-link operations."""

    data: PublicLink


class PublicLinkSettings(ApiModel):
    """The organization's default lifetime of public invoice links."""

    max_days: int = Field(ge=1, le=MAX_LINK_DAYS)


class ApiKeyRequest(ApiModel):
    """Options of a new API key: its scopes (none: full access)."""

    scopes: list[Scope] = Field(default_factory=list, max_length=len(SCOPES))
