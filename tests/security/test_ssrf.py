"""The webhook SSRF guard: IPv6 forms that embed an IPv4 address, port 0, and URLs with
whitespace or control characters are refused when a webhook is saved (API and dashboard) and
again at delivery, after DNS resolution."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from portal.services import outbound

EVENTS = ["invoice.status_updated"]

# Each of these reaches loopback or a private network through an IPv6 form.
EMBEDDED_IPV4 = [
    "::ffff:127.0.0.1",  # IPv4-mapped loopback (refused unless loopback is allowed)
    "::ffff:10.0.0.1",  # IPv4-mapped private
    "::ffff:169.254.169.254",  # IPv4-mapped cloud metadata
    "::ffff:0:10.0.0.1",  # SIIT (::ffff:0:0:0/96)
    "::10.0.0.1",  # deprecated IPv4-compatible
    "::127.0.0.1",
    "64:ff9b::7f00:1",  # NAT64 well-known prefix → 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 → 169.254.169.254
    "64:ff9b::c0a8:101",  # NAT64 → 192.168.1.1
    "64:ff9b:1::a00:1",  # NAT64 local-use prefix (RFC 8215)
    "2002:7f00:1::1",  # 6to4 → 127.0.0.1
    "2002:a00:1::1",  # 6to4 → 10.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 → 169.254.169.254
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo
]
# Translators and tunnels never stand for loopback, even when loopback is allowed.
THROUGH_A_TRANSLATOR = [a for a in EMBEDDED_IPV4 if not a.startswith("::ffff:127")]

MALFORMED = [
    "http://exa\tmple.com/hook",
    "http://example.com/ho\nok",
    "http://example.com\r\n/hook",
    "http://exam ple.com/hook",
    "http://example.com/\x00hook",
    "http://example.com/\x7fhook",
    "http://example.com/\u200bhook",  # zero-width space (format character)
    "http://example.com/\u2028hook",  # line separator
    "http://example.com:0/hook",
    "https://example.com:0/hook",
    "http://[::1]:0/",
]


def _bracketed(address: str) -> str:
    return f"http://[{address}]:8080/hook"


@pytest.mark.parametrize("address", EMBEDDED_IPV4)
def test_ipv6_forms_embedding_ipv4_are_refused_when_saved(
    make_organization: Any, api: Any, address: str
) -> None:
    _, key = make_organization()
    response = api(key).post(
        "/webhooks", json={"url": _bracketed(address), "enabled_events": EVENTS}
    )
    assert response.status_code == 400, response.json
    assert response.json["path"] == "url" and response.json["code"] == "invalid_url"


@pytest.mark.parametrize("address", THROUGH_A_TRANSLATOR)
def test_translated_addresses_are_refused_even_when_loopback_is_allowed(address: str) -> None:
    with pytest.raises(outbound.UnsafeURL):
        outbound.resolve(_bracketed(address), allow_loopback=True)


@pytest.mark.parametrize("url", MALFORMED)
def test_whitespace_control_characters_and_port_zero_are_refused_when_saved(
    make_organization: Any, api: Any, app: Any, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    # The host would resolve to a public address: only the URL's form is at fault.
    _resolve_to(monkeypatch, "93.184.215.14")
    _, key = make_organization()
    response = api(key).post("/webhooks", json={"url": url, "enabled_events": EVENTS})
    assert response.status_code == 400, response.json
    assert response.json["path"] == "url"
    assert response.json["code"] in ("invalid_url", "invalid_characters")


def test_a_public_address_is_still_accepted(
    make_organization: Any, api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The guard refuses forms, not every URL: a host on a public address (including one
    reached through 6to4 of a public IPv4) saves."""
    _resolve_to(monkeypatch, "2002:808:808::1")
    _, key = make_organization()
    response = api(key).post(
        "/webhooks", json={"url": "https://hooks.example.com/in", "enabled_events": EVENTS}
    )
    assert response.status_code == 200, response.json


def test_the_dashboard_form_refuses_them_too(
    make_organization: Any, login_as: Any, db: Any
) -> None:
    org, _ = make_organization()
    from portal.models.accounts import Account

    client = login_as(db.get(Account, org.account_id))
    for url in ("http://[64:ff9b::7f00:1]/hook", "http://example.com:0/", "http://ex ample.com/"):
        response = client.post(
            f"/dashboard/o/{org.id}/webhooks",
            data={"url": url, "enabled_events": EVENTS},
        )
        assert response.status_code == 400, (url, response.status_code)
    from sqlalchemy import select

    from portal.models.events import Webhook

    assert db.scalars(select(Webhook)).all() == []


@pytest.mark.parametrize("address", ["64:ff9b::7f00:1", "2002:7f00:1::1", "::ffff:10.0.0.1"])
def test_delivery_refuses_a_host_that_now_resolves_to_an_embedded_address(
    monkeypatch: pytest.MonkeyPatch, address: str
) -> None:
    """DNS may change after the webhook was saved: the check is made again on delivery, on
    the addresses the host resolves to then, and nothing is connected to."""
    _resolve_to(monkeypatch, address)
    connected: list[Any] = []
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: connected.append(a))
    response = outbound.post("http://hooks.example.com/in", b"{}", {}, 1, allow_loopback=True)
    assert response.status is None and "privada o reservada" in (response.error or "")
    assert connected == []


def _resolve_to(monkeypatch: pytest.MonkeyPatch, address: str) -> None:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET

    def fake(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        return [(family, socket.SOCK_STREAM, 6, "", (address, port or 0))]

    monkeypatch.setattr(outbound.socket, "getaddrinfo", fake)
