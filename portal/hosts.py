"""Where an organization's public pages live: its verified custom host, else ``PUBLIC_BASE_URL``.

Plain functions of the organization and the configured base URL, so services and jobs use them
without Flask (``portal.links`` builds on them for requests).
"""

from __future__ import annotations

from typing import Any


def on_tenant_host(organization: Any, url: str, public_base_url: str) -> str:
    """An absolute link under ``PUBLIC_BASE_URL`` moved onto the organization's verified custom
    host (unchanged without one)."""
    custom, base = custom_base_url(organization), public_base_url.rstrip("/")
    if custom and url.startswith(base + "/"):
        return custom + url[len(base) :]
    return url


def custom_base_url(organization: Any) -> str | None:
    """``https://`` + the organization's custom host once verified (a TLS proxy serves it)."""
    host = organization.custom_host if organization is not None else None
    return f"https://{host.host}" if host is not None and host.verified_at is not None else None


def tenant_base_url(organization: Any, public_base_url: str) -> str:
    """Where an organization's public pages live: its verified custom host, else
    ``PUBLIC_BASE_URL``."""
    return custom_base_url(organization) or public_base_url.rstrip("/")


def self_invoice_url(organization: Any, key: str, public_base_url: str) -> str | None:
    """A receipt's self-invoice page: ``https://<host>/<key>`` on a verified custom host,
    else ``PUBLIC_BASE_URL/<domain>/<key>``; None while the organization has no domain."""
    if organization is None or not organization.domain:
        return None
    custom = custom_base_url(organization)
    if custom:
        return f"{custom}/{key}"
    return f"{public_base_url.rstrip('/')}/{organization.domain}/{key}"
