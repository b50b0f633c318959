"""``Cache-Control: no-store`` on every page that shows a secret or a tenant's private data.

Signed-in pages (dashboard, organization, console, sign-in) and API answers may carry keys,
reset tokens, recovery codes or tax data; the self-invoice pages reached through a receipt key,
an edit-link secret or a download token are as private as the secret in their address. None of
them may sit in a browser's history cache or a shared proxy. A view that sets its own policy
(a logo) keeps it.
"""

from __future__ import annotations

from flask import Flask, Response, request

NO_STORE = "no-store"
PRIVATE_BLUEPRINTS = frozenset({"auth", "dashboard", "org", "admin", "api"})
SECRET_ENDPOINTS = frozenset(
    {
        "selfinvoice.receipt",
        "selfinvoice.confirm",
        "selfinvoice.lookup",
        "selfinvoice.result",
        "selfinvoice.download",
        "selfinvoice.tax_info",
    }
)


def init_app(app: Flask) -> None:
    """Register the hook."""
    app.after_request(_no_store_on_private_pages)


def _no_store_on_private_pages(response: Response) -> Response:
    if request.blueprint in PRIVATE_BLUEPRINTS or request.endpoint in SECRET_ENDPOINTS:
        response.headers.setdefault("Cache-Control", NO_STORE)
    return response
