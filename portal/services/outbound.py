"""Outgoing HTTP that cannot be pointed at our own network (SSRF-safe).

A URL must be http(s) and every address its host resolves to must be public. The check is made
when a URL is saved and again on every request, and the request connects to the very address
that was checked (DNS may change in between). Redirects are never followed. Loopback is allowed
only when the app says so (``WEBHOOKS_ALLOW_LOOPBACK``, for tests and local development).
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

EXCERPT_BYTES = 1000


class UnsafeURL(Exception):
    """The URL is malformed, not http(s), or reaches an address we refuse."""


@dataclass
class Response:
    """What came back (status None when no HTTP answer arrived)."""

    status: int | None
    excerpt: str
    latency_ms: int
    error: str | None = None


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# IPv6 ranges whose addresses carry an IPv4 address in their last 32 bits: IPv4-mapped
# (::ffff:0:0/96), SIIT (::ffff:0:0:0/96), the deprecated IPv4-compatible ::/96 and NAT64's
# well-known prefix (64:ff9b::/96). A host reaches the embedded IPv4 address through them.
_LOW_32_EMBEDDING = tuple(
    ipaddress.IPv6Network(net)
    for net in ("::ffff:0:0/96", "::ffff:0:0:0/96", "::/96", "64:ff9b::/96")
)
# Tunnels and translators that are never a webhook's address: Teredo (its client address is
# obfuscated inside) and NAT64's local-use prefix (RFC 8215), which any network may route.
_TUNNELS = tuple(ipaddress.IPv6Network(net) for net in ("2001::/32", "64:ff9b:1::/48"))


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, NAT64, 6to4…), if any."""
    if ip.sixtofour is not None:
        return ip.sixtofour
    if any(ip in net for net in _LOW_32_EMBEDDING) and int(ip) > 1:  # not :: nor ::1
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _refused(ip: IPAddress, allow_loopback: bool) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        if any(ip in net for net in _TUNNELS):
            return True
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            # Only a plain IPv4-mapped loopback is the loopback; through a translator or a
            # tunnel it would be somebody's network, so it is refused even in development.
            mapped = ip.ipv4_mapped is not None
            return _refused(embedded, allow_loopback and mapped)
    if ip.is_loopback:
        return not allow_loopback
    # is_global is False for private, link-local (cloud metadata), shared, reserved and
    # unspecified ranges; multicast needs its own test.
    return ip.is_multicast or not ip.is_global


def _malformed(url: str) -> bool:
    """Whitespace or control characters anywhere: parsers disagree on what they mean."""
    return any(
        char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") for char in url
    )


def resolve(url: str, allow_loopback: bool) -> tuple[str, int, str]:
    """Check a URL and return (host, port, first safe IP); raise ``UnsafeURL`` otherwise."""
    if _malformed(url):
        raise UnsafeURL("La URL no puede llevar espacios ni caracteres de control.")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeURL("La URL debe comenzar con http:// o https:// e incluir un dominio.")
    try:
        port = parts.port
        if port == 0:
            raise UnsafeURL("El puerto 0 no es válido.")
        port = port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (ValueError, OSError) as exc:
        raise UnsafeURL(f"No se pudo resolver el dominio {parts.hostname}.") from exc
    addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
    if not addresses or any(_refused(ip, allow_loopback) for ip in addresses):
        raise UnsafeURL("La URL apunta a una dirección privada o reservada; no se permite.")
    return parts.hostname, port, str(addresses[0])


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, ip: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.pinned_ip = ip

    def connect(self) -> None:
        self.sock = socket.create_connection((self.pinned_ip, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, ip: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.pinned_ip = ip

    def connect(self) -> None:
        sock = socket.create_connection((self.pinned_ip, self.port), self.timeout)
        # Certificate and SNI are checked against the host name, not the pinned address.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(
    url: str, body: bytes, headers: dict[str, str], timeout: float, allow_loopback: bool
) -> Response:
    """POST ``body`` to a checked address; never raises for network or HTTP failures."""
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        host, port, ip = resolve(url, allow_loopback)
    except UnsafeURL as exc:
        return Response(None, "", elapsed(), str(exc))
    parts = urlsplit(url)
    connection_class = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
    connection = connection_class(host, port, ip, timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body, headers=headers)
        reply = connection.getresponse()
        excerpt = reply.read(EXCERPT_BYTES).decode("utf-8", "replace")
        return Response(reply.status, excerpt, elapsed())
    except (OSError, http.client.HTTPException) as exc:
        return Response(None, "", elapsed(), f"{type(exc).__name__}: {exc}")
    finally:
        connection.close()
