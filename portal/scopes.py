"""Key scopes: the list of scopes, and the one map from every /v2 route to the scope it needs.

A route's scope is ``<resource>:read`` for GET/HEAD and ``<resource>:write`` for every other
method; the resource comes from the route's first path segment (``ROUTE_RESOURCES``). A key
with no scopes has full access, as before scopes existed.
"""

from __future__ import annotations

from collections.abc import Iterable

from portal.errors import InsufficientScope

RESOURCES = (  # the one list of scopes: ``<resource>:read`` and ``<resource>:write``
    "invoices",
    "customers",
    "products",
    "receipts",
    "webhooks",
    "retentions",
    "organizations",
    "catalogs",
)
SCOPES = tuple(f"{resource}:{access}" for resource in RESOURCES for access in ("read", "write"))

# First path segment after /v2 → the resource whose scope guards it; ``None``: no key needed.
ROUTE_RESOURCES: dict[str, str | None] = {
    "invoices": "invoices",
    "customers": "customers",
    "products": "products",
    "receipts": "receipts",
    "webhooks": "webhooks",
    "retentions": "retentions",
    "organizations": "organizations",
    "catalogs": "catalogs",
    "tools": "catalogs",
    "openapi.json": None,
}
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class UnmappedRoute(LookupError):
    """A /v2 route whose first segment is not in ``ROUTE_RESOURCES``."""


def resource_of(rule: str) -> str | None:
    """The resource guarding a /v2 URL rule (e.g. ``/v2/invoices/<invoice_id>``)."""
    segment = rule.removeprefix("/v2/").split("/", 1)[0]
    if segment not in ROUTE_RESOURCES:
        raise UnmappedRoute(rule)
    return ROUTE_RESOURCES[segment]


def scope_for(rule: str, method: str) -> str | None:
    """The scope a call of ``method`` on ``rule`` needs (``None``: none)."""
    resource = resource_of(rule)
    if resource is None:
        return None
    return f"{resource}:{'read' if method in READ_METHODS else 'write'}"


def require(granted: Iterable[str], rule: str, method: str) -> None:
    """403 ``insufficient_scope`` unless the key's scopes allow the call (none: all allowed);
    an unmapped route is refused to a scoped key rather than opened."""
    granted = set(granted)
    if not granted:
        return
    try:
        needed = scope_for(rule, method)
    except UnmappedRoute:
        raise InsufficientScope("(sin scope)") from None
    if needed is not None and needed not in granted:
        raise InsufficientScope(needed)
