"""The Facturapi-compatible JSON API under /v2, authenticated by key."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/v2")

from portal.api import (  # noqa: E402,F401
    auth,
    catalogs,
    contacts,
    customers,
    invoices,
    openapi,
    organizations,
    products,
    public_links,
    receipts,
    retentions,
    webhooks,
)
