"""Absolute links and the client address: both decided by configuration, never by a request.

Every link the server writes into an email, a QR code or an API answer starts with
``PUBLIC_BASE_URL``; a request's ``Host`` or ``X-Forwarded-*`` headers cannot change it (a forged
``Host`` on the forgotten-password page would otherwise mail a reset link to an attacker's site).
Behind a reverse proxy, ``TRUSTED_PROXIES`` lets only the client address come from
``X-Forwarded-For``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from flask import Flask, current_app
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.hosts import on_tenant_host

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def public_url(endpoint: str, **values: Any) -> str:
    """``PUBLIC_BASE_URL`` + the path of ``endpoint`` (works in jobs too, with no request)."""
    path = current_app.url_map.bind("", script_name="/").build(endpoint, values)
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def tenant_url(organization: Any, endpoint: str, **values: Any) -> str:
    """``public_url`` for one of the organization's public pages: on its verified custom host
    when it has one."""
    return on_tenant_host(organization, public_url(endpoint, **values), _public_base())


def _public_base() -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/")


def parse_trusted_proxies(value: str | None) -> int | tuple[Network, ...]:
    """``TRUSTED_PROXIES``: a count of proxies in front of the app, or their addresses/networks."""
    value = (value or "").strip()
    if not value:
        return 0
    if value.isdigit():
        return int(value)
    try:
        return tuple(
            ipaddress.ip_network(part.strip(), strict=False)
            for part in value.split(",")
            if part.strip()
        )
    except ValueError as error:
        raise ValueError(f"TRUSTED_PROXIES: {error}") from None


def install_proxy_fix(app: Flask) -> None:
    """Read the client address from X-Forwarded-For only as far as the trusted proxies reach."""
    trusted = app.config.get("TRUSTED_PROXIES") or 0
    if isinstance(trusted, list | tuple):  # overrides may list addresses as text
        trusted = ",".join(str(item) for item in trusted)
    if isinstance(trusted, str):
        trusted = parse_trusted_proxies(trusted)
    if isinstance(trusted, int) and trusted > 0:
        # Host, scheme, port and prefix stay as the server received them: links never use them.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted, x_proto=0, x_host=0, x_port=0)
    elif trusted:
        app.wsgi_app = TrustedProxyAddresses(app.wsgi_app, trusted)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


class TrustedProxyAddresses:
    """WSGI middleware: the client is the last X-Forwarded-For hop not in the trusted networks,
    read only when the connection itself comes from a trusted proxy."""

    def __init__(self, wsgi_app: Any, networks: Iterable[Network]) -> None:
        self.wsgi_app, self.networks = wsgi_app, tuple(networks)

    def _trusted(self, text: str) -> bool:
        address = _address(text)
        return address is not None and any(address in net for net in self.networks)

    def client(self, remote_addr: str, forwarded_for: str) -> str:
        """The real client address given the peer and the X-Forwarded-For header."""
        if not self._trusted(remote_addr):
            return remote_addr
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        for hop in reversed(hops):
            if _address(hop) is None:
                return remote_addr  # a garbled header: keep the proxy's own address
            if not self._trusted(hop):
                return hop
        return hops[0] if hops else remote_addr

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        remote = environ.get("REMOTE_ADDR", "")
        client = self.client(remote, environ.get("HTTP_X_FORWARDED_FOR", ""))
        environ["werkzeug.proxy_fix.orig_remote_addr"] = remote
        environ["REMOTE_ADDR"] = client
        return self.wsgi_app(environ, start_response)
