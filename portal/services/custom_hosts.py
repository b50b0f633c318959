"""Custom hosts: an organization serves its self-invoice page on its own host name
(``factura.mitienda.mx``) once a DNS TXT record proves it controls that name.

The record is ``_portal-verify.<host> TXT "portal-verify=<token>"``. Checking it is network
I/O, so it is split in three steps that the caller runs in order: ``due_checks`` (read, then
the caller ends the transaction), ``look_up`` (DNS only, no session) and ``record_check`` (a new
short transaction).
"""

from __future__ import annotations

import ipaddress
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import dns.exception
import dns.nameserver
import dns.resolver
import idna
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from portal.errors import Conflict, ValidationError
from portal.models.base import utcnow
from portal.models.custom_hosts import CustomHost
from portal.models.organizations import Organization

RECORD_PREFIX = "_portal-verify"
VALUE_PREFIX = "portal-verify="
LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
# A verified host is checked again once a day; one waiting for its record at every run.
RECHECK_VERIFIED = timedelta(hours=24)


@dataclass(frozen=True)
class CheckTarget:
    """What one DNS check needs, detached from the session."""

    id: str
    host: str
    token: str


@dataclass(frozen=True)
class CheckResult:
    """What the DNS said: ``found`` the token; ``definite`` when the answer (not a timeout)
    says the record is absent or wrong, which un-verifies a verified host."""

    found: bool
    definite: bool
    error: str | None = None


def record_name(host: str) -> str:
    """The DNS name of the TXT record."""
    return f"{RECORD_PREFIX}.{host}"


def record_value(token: str) -> str:
    """The TXT record's value."""
    return f"{VALUE_PREFIX}{token}"


def display_host(host: str) -> str:
    """The host as people write it (``factura.cafétería.mx`` for its ``xn--`` form)."""
    try:
        return idna.decode(host)
    except idna.IDNAError:
        return host


def _invalid(message: str) -> ValidationError:
    return ValidationError(message, "invalid_host", path="host")


def normalize_host(value: object, platform_host: str) -> str:
    """The ASCII (IDNA) form of a host name a tenant typed, or a ValidationError: a real
    public name of two labels or more, not an address, not the platform's host or under it."""
    if not isinstance(value, str) or not value.strip():
        raise _invalid("Escribe el nombre de host, por ejemplo factura.mitienda.mx.")
    text = value.strip().rstrip(".").lower()
    if "/" in text or ":" in text or "@" in text or " " in text:
        raise _invalid("Escribe solo el nombre de host, sin https://, ruta ni puerto.")
    try:
        ipaddress.ip_address(text)
    except ValueError:
        pass
    else:
        raise _invalid("Escribe un nombre de host, no una dirección IP.")
    try:
        host = idna.encode(text, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        raise _invalid(f"«{value.strip()}» no es un nombre de host válido.") from None
    labels = host.split(".")
    if len(host) > 253 or len(labels) < 2 or not all(LABEL.fullmatch(p) for p in labels):
        raise _invalid(f"«{value.strip()}» no es un nombre de host válido.")
    if labels[-1].isdigit():
        raise _invalid("Escribe un nombre de host, no una dirección IP.")
    platform = platform_host.lower().rstrip(".")
    if host == platform or host.endswith("." + platform) or host == "localhost":
        raise _invalid("Ese nombre es de la plataforma. Usa un nombre de tu propio dominio.")
    return host


def host_of(session: Session, organization: Organization) -> CustomHost | None:
    """The organization's custom host, verified or not."""
    return session.scalar(select(CustomHost).where(CustomHost.organization_id == organization.id))


def set_host(
    session: Session, organization: Organization, value: object, platform_host: str
) -> CustomHost:
    """Choose (or change) the organization's host: unverified, with a new token, until the DNS
    check finds the record. The same host again keeps its token and verification."""
    host = normalize_host(value, platform_host)
    current = host_of(session, organization)
    if current is not None and current.host == host:
        return current
    taken = session.scalar(select(CustomHost.organization_id).where(CustomHost.host == host))
    if taken is not None:
        raise Conflict(
            f"El nombre «{display_host(host)}» ya lo usa otra organización.", "host_taken", "host"
        )
    if current is not None:
        session.delete(current)
        session.flush()
    row = CustomHost(organization_id=organization.id, host=host, token=secrets.token_hex(16))
    session.add(row)
    session.flush()
    return row


def remove_host(session: Session, organization: Organization) -> None:
    """Stop serving the organization's page on its own host."""
    current = host_of(session, organization)
    if current is not None:
        session.delete(current)
        session.flush()


def verified_host(session: Session, organization_id: str) -> str | None:
    """The organization's host when verified (links and QR codes use it), else None."""
    return session.scalar(
        select(CustomHost.host).where(
            CustomHost.organization_id == organization_id, CustomHost.verified_at.is_not(None)
        )
    )


def domain_for_host(session: Session, host: str) -> str | None:
    """The self-invoice domain a verified host serves (None for any other host)."""
    return session.scalar(
        select(Organization.domain)
        .join(CustomHost, CustomHost.organization_id == Organization.id)
        .where(
            CustomHost.host == host,
            CustomHost.verified_at.is_not(None),
            Organization.domain.is_not(None),
            Organization.deleted_at.is_(None),
            Organization.suspended_at.is_(None),
        )
    )


def is_served(session: Session, host: str) -> bool:
    """Whether this host is verified and serves a page (the TLS proxy's ``ask``)."""
    return domain_for_host(session, host) is not None


# Checking the DNS record ------------------------------------------------------------------


def target(row: CustomHost) -> CheckTarget:
    """One row's check, to run once the transaction is over."""
    return CheckTarget(row.id, row.host, row.token)


def due_checks(session: Session, now: datetime | None = None) -> list[CheckTarget]:
    """Hosts the periodic job checks: every unverified one, and verified ones once a day."""
    now = now or utcnow()
    rows = session.scalars(
        select(CustomHost)
        .where(
            or_(
                CustomHost.verified_at.is_(None),
                CustomHost.checked_at.is_(None),
                CustomHost.checked_at < now - RECHECK_VERIFIED,
            )
        )
        .order_by(CustomHost.checked_at.nulls_first(), CustomHost.id)
    )
    return [target(row) for row in rows]


def make_resolver(nameservers: str | None, timeout: float) -> dns.resolver.Resolver:
    """The system's resolver, or one asking only ``nameservers`` (``ip`` or ``ip:port``,
    comma-separated: the operator's setting, and the tests' server on 127.0.0.1)."""
    servers = [part.strip() for part in (nameservers or "").split(",") if part.strip()]
    resolver = dns.resolver.Resolver(configure=not servers)
    if servers:
        resolver.nameservers = [_nameserver(server) for server in servers]
    resolver.lifetime = resolver.timeout = timeout
    resolver.cache = None  # a record just added must be seen at once by "Comprobar ahora"
    return resolver


def _nameserver(server: str) -> dns.nameserver.Do53Nameserver:
    address, _, port = server.rpartition(":") if server.count(":") == 1 else (server, "", "")
    return dns.nameserver.Do53Nameserver(address or server, int(port) if port else 53)


def look_up(resolver: dns.resolver.Resolver, check: CheckTarget) -> CheckResult:
    """Ask the DNS for the record (network I/O: call it with no transaction open)."""
    name = record_name(check.host)
    try:
        answer = resolver.resolve(name, "TXT", search=False)
    except dns.resolver.NXDOMAIN:
        return CheckResult(False, True, f"No existe el registro TXT {name}.")
    except dns.resolver.NoAnswer:
        return CheckResult(False, True, f"{name} no tiene un registro TXT.")
    except (dns.exception.Timeout, dns.resolver.NoNameservers):
        return CheckResult(False, False, "El DNS no respondió. Lo intentaremos de nuevo.")
    except dns.exception.DNSException:
        return CheckResult(False, False, "No pudimos consultar el DNS. Lo intentaremos de nuevo.")
    values = {b"".join(rdata.strings).decode("utf-8", "replace") for rdata in answer}
    if record_value(check.token) in values:
        return CheckResult(True, True)
    return CheckResult(
        False, True, f"El registro TXT {name} no tiene el valor {record_value(check.token)}."
    )


def record_check(
    session: Session, check: CheckTarget, result: CheckResult, now: datetime | None = None
) -> CustomHost | None:
    """Save a check's result, unless the host changed meanwhile (None then). A timeout never
    un-verifies a host; an answer without the record does."""
    row = session.get(CustomHost, check.id)
    if row is None or row.host != check.host or row.token != check.token:
        return None
    row.checked_at = now or utcnow()
    row.last_error = None if result.found else (result.error or "")[:300]
    if result.found and row.verified_at is None:
        row.verified_at = row.checked_at
    elif not result.found and result.definite:
        row.verified_at = None
    session.flush()
    return row
