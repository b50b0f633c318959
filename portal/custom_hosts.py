"""Serving an organization's self-invoice page on its own verified host name.

A request whose ``Host`` is a verified custom host is routed to that organization's pages:
``/`` is its key box, ``/<key>`` a receipt, ``/tax-info/<secret>`` its customers' edit links,
``/d/<token>`` its invoices' public links, ``/static/…`` and ``/lang/…`` as on the platform.
Every other path is looked up under the organization's domain, so the platform's own pages
(dashboard, admin, API) never answer there.
Any other host, verified nowhere, gets the platform as before: never another tenant's page.

The WSGI middleware rewrites the path before Flask routes it (``/abc`` → ``/<domain>/abc``),
and ``PortalFlask.url_for`` strips the domain again from the links those pages write.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, has_request_context, request
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db
from portal.services import custom_hosts

ENVIRON_DOMAIN = "portal.custom_domain"
ENVIRON_HOST = "portal.custom_host"
# Paths a custom host serves as the platform does (the pages themselves check the tenant);
# the public invoice links' prefix (``PUBLIC_LINK_PREFIX``) is added from the configuration.
PASSTHROUGH = ("/static/", "/tax-info/", "/lang/")
CACHE_SECONDS = 10.0
CACHE_SIZE = 4096


def host_of(environ: dict[str, Any]) -> str:
    """The request's host name: lower case, without port or trailing dot."""
    host = (environ.get("HTTP_HOST") or environ.get("SERVER_NAME") or "").strip().lower()
    if host.startswith("["):  # an IPv6 literal, with or without a port
        return host.split("]", 1)[0] + "]"
    name, _, port = host.rpartition(":")
    if name and port.isdigit():
        host = name
    return host.rstrip(".")


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


class HostCache:
    """Host → domain answers for a few seconds, so that a page view costs no extra query;
    misses are kept too (a flood of made-up hosts is one query each per interval)."""

    def __init__(self) -> None:
        self.entries: dict[str, tuple[float, str | None]] = {}
        self.lock = threading.Lock()

    def get(self, host: str) -> tuple[bool, str | None]:
        with self.lock:
            found = self.entries.get(host)
        if found is None or found[0] < time.monotonic():
            return False, None
        return True, found[1]

    def put(self, host: str, domain: str | None) -> None:
        with self.lock:
            if len(self.entries) >= CACHE_SIZE:
                self.entries.clear()
            self.entries[host] = (time.monotonic() + CACHE_SECONDS, domain)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


CACHE = HostCache()


class CustomHostRouter:
    """WSGI middleware: route a verified custom host to its organization's pages."""

    def __init__(self, app: Flask, wsgi_app: Any) -> None:
        self.app, self.wsgi_app = app, wsgi_app
        self.platform_hosts = {platform_host(app), "localhost"}
        self.passthrough = (*PASSTHROUGH, f"/{app.config['PUBLIC_LINK_PREFIX']}/")

    def domain_for(self, host: str) -> str | None:
        """The self-invoice domain a host serves, or None (the platform's own hosts, any
        address and any unverified or unknown name)."""
        if not host or host in self.platform_hosts or _is_address(host):
            return None
        cached, domain = CACHE.get(host)
        if not cached:
            try:
                with self.app.app_context():
                    domain = custom_hosts.domain_for_host(db.session, host)
            except SQLAlchemyError:  # the database is down: the platform answers (its 503s)
                return None
            CACHE.put(host, domain)
        return domain

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        host = host_of(environ)
        domain = self.domain_for(host)
        if domain is not None:
            environ[ENVIRON_DOMAIN], environ[ENVIRON_HOST] = domain, host
            path = environ.get("PATH_INFO") or "/"
            if not path.startswith(self.passthrough):
                environ["PATH_INFO"] = f"/{domain}" + ("" if path == "/" else path)
        return self.wsgi_app(environ, start_response)


def platform_host(app: Flask) -> str:
    """The host name of ``PUBLIC_BASE_URL``."""
    return (urlsplit(app.config["PUBLIC_BASE_URL"]).hostname or "").lower()


def current_domain() -> str | None:
    """The domain of the organization whose custom host this request came on (or None)."""
    return request.environ.get(ENVIRON_DOMAIN) if has_request_context() else None


def current_host() -> str | None:
    """The verified custom host this request came on (or None)."""
    return request.environ.get(ENVIRON_HOST) if has_request_context() else None


def own_base_url(referrer: str | None) -> str | None:
    """On a custom host, the scheme and host of a Referer from that same host (a language
    switch goes back there); None otherwise."""
    host = current_host()
    parts = urlsplit(referrer or "")
    if host is None or (parts.hostname or "").rstrip(".") != host:
        return None
    return f"{parts.scheme}://{parts.netloc}"


class PortalFlask(Flask):
    """Flask whose links, on a custom host, leave out the domain the host already implies."""

    def url_for(self, endpoint: str, /, **values: Any) -> str:  # type: ignore[override]
        """``/<domain>/<key>`` is written ``/<key>`` on the organization's own host. A static
        file's path is the same on every host, so each is built once per script root (every
        page links several)."""
        if endpoint == "static" and values.keys() == {"filename"} and has_request_context():
            return _static_url(self, request.script_root, values["filename"])
        url = super().url_for(endpoint, **values)
        domain = current_domain() if not values.get("_external") else None
        if domain is None:
            return url
        prefix = f"/{domain}"
        if url == prefix or url.startswith((prefix + "/", prefix + "?")):
            return url[len(prefix) :] or "/"
        return url


@lru_cache(maxsize=256)
def _static_url(app: PortalFlask, script_root: str, filename: str) -> str:
    return Flask.url_for(app, "static", filename=filename)


def ask() -> Response:
    """For a TLS proxy's on-demand certificates (Caddy's ``ask``): 200 for a verified host
    that serves a page, 404 for any other name, so no certificate is ever requested for it."""
    host = (request.args.get("domain") or "").strip().lower().rstrip(".")
    served = bool(host) and custom_hosts.is_served(db.session, host)
    db.session.rollback()
    return Response("ok" if served else "unknown host", 200 if served else 404)


def init_app(app: Flask) -> None:
    """Install the router (outermost, so it sees the Host header as received) and ``ask``."""
    app.wsgi_app = CustomHostRouter(app, app.wsgi_app)  # type: ignore[method-assign]
    app.add_url_rule("/tls/ask", "tls_ask", ask)
