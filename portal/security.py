"""Security headers, the CSP nonce, the request id and write-intent per request."""

from __future__ import annotations

import secrets
import uuid

from flask import Flask, Response, g, request

from portal.database import set_write_intent

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def csp_nonce() -> str:
    """A per-request nonce for the few inline <style> blocks (tenant brand colour)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def init_app(app: Flask) -> None:
    """Register the hooks and the template helper."""
    app.before_request(_before_request)
    app.after_request(_add_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce


def _before_request() -> None:
    # A request always decides afresh who is signed in and in which language (matters when a
    # test keeps one app context, and so one ``g``, across several requests).
    g.pop("_login_user", None)
    g.pop("_flask_babel", None)
    g.request_id = request.headers.get("X-Request-Id", "")[:64] or uuid.uuid4().hex
    set_write_intent(request.method not in SAFE_METHODS)


def _add_headers(response: Response) -> Response:
    policy = (
        "default-src 'self'; img-src 'self' data:; "
        f"style-src 'self' 'nonce-{csp_nonce()}'; script-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
    headers = response.headers
    headers.setdefault("Content-Security-Policy", policy)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure or request.headers.get("X-Forwarded-Proto") == "https":
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    headers["X-Request-Id"] = g.get("request_id", "")
    headers["X-Facturapi-Log-Id"] = g.get("request_id", "")
    return response
