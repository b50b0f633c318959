"""Webhooks: the tenant's subscriptions, signed event delivery with retries, and their log.

Delivery follows the outbox pattern of ``services.mail``: a job claims a due delivery (and
commits), makes the HTTP request outside any transaction, then records the attempt. A claim is
a lease: if the worker dies mid-request the delivery becomes due again when the lease ends, so
every event is delivered at least once (receivers dedupe by event id).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from portal import settings
from portal.errors import ValidationError
from portal.models.accounts import Account
from portal.models.base import iso, utcnow
from portal.models.events import EVENT_TYPES, Event, Webhook, WebhookAttempt, WebhookDelivery
from portal.models.organizations import Organization
from portal.schemas import parse
from portal.schemas.webhooks import SignatureIn, WebhookIn, WebhookUpdate
from portal.services import outbound
from portal.services.secrets import decrypt, encrypt, generate_key, same
from portal.statuses import DeliveryStatus, WebhookStatus
from portal.untrusted_json import UnreadableJSON, loads_untrusted

SIGNATURE_HEADER = "Facturapi-Signature"
TIMEOUT_SECONDS = 10
# Seconds to wait after each failed attempt: seconds and minutes first, the last attempt
# (the tenth) about 3.9 days after the event.
RETRY_DELAYS = (10, 60, 300, 1800, 7200, 21600, 43200, 86400, 172800)


# Subscriptions ---------------------------------------------------------------------------


def _context() -> dict[str, Any]:
    """What the webhook shapes need to know: the event types and whether a URL is reachable."""
    allow_loopback = settings.current().webhooks_allow_loopback

    def check_url(url: str) -> str | None:
        try:
            outbound.resolve(url, allow_loopback)
        except outbound.UnsafeURL as exc:
            return str(exc)
        return None

    return {"event_types": EVENT_TYPES, "check_url": check_url}


def create_webhook(
    session: Session, organization_id: str, livemode: bool, data: dict[str, Any]
) -> tuple[Webhook, str]:
    """A new webhook and its signing secret (shown to the user here)."""
    sent = parse(WebhookIn, data, context=_context())
    url, events = sent.url, sent.enabled_events
    secret = generate_key("whsec_")
    webhook = Webhook(
        organization_id=organization_id,
        livemode=livemode,
        url=url,
        enabled_events=events,
        status=WebhookStatus.ENABLED,
        secret_encrypted=encrypt(secret.encode()),
    )
    session.add(webhook)
    session.flush()
    return webhook, secret


def update_webhook(webhook: Webhook, data: dict[str, Any]) -> Webhook:
    """Change the URL, the events or the status (enabling clears the failing mark)."""
    sent = parse(WebhookUpdate, data, context=_context())
    url, events, status = sent.url, sent.enabled_events, sent.status
    if url is not None:
        webhook.url = url
    if events is not None:
        webhook.enabled_events = events
    if status is not None:
        webhook.status = status
        if status == WebhookStatus.ENABLED:
            webhook.failing_since = None
    return webhook


def delete_webhook(webhook: Webhook) -> Webhook:
    """Remove the webhook: it gets no more deliveries; its log stays."""
    webhook.deleted_at = utcnow()
    return webhook


def secret_of(webhook: Webhook) -> str:
    """The webhook's signing secret, decrypted."""
    return decrypt(webhook.secret_encrypted).decode()


# Signatures -------------------------------------------------------------------------------


def event_payload(event: Event) -> dict[str, Any]:
    """The event as receivers get it."""
    return {
        "id": event.id,
        "created_at": iso(event.created_at),
        "livemode": event.livemode,
        "organization": event.organization_id,
        "type": event.type,
        "data": event.data,
    }


def encode(payload: Any) -> bytes:
    """The exact bytes sent: compact JSON with sorted keys, so that an event re-serialized by
    a client (``validate-signature`` gets it parsed) yields the same bytes again."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode()


def sign(secret: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of the raw body."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def validate_signature(session: Session, organization_id: str, livemode: bool, data: Any) -> Any:
    """The payload when ``signature`` matches it (with ``secret``, or any of the tenant's
    webhook secrets when none is given); a 400 otherwise."""
    sent = parse(SignatureIn, data)
    signature, secret, payload = sent.signature, sent.secret, sent.payload
    body = payload.encode() if isinstance(payload, str) else encode(payload)
    secrets = [secret] if secret else _tenant_secrets(session, organization_id, livemode)
    if not any(same(sign(candidate, body), signature.lower()) for candidate in secrets):
        raise ValidationError(
            "La firma no corresponde al contenido.", "invalid_signature", path="signature"
        )
    if not isinstance(payload, str):
        return payload
    try:
        return loads_untrusted(body)
    except UnreadableJSON:
        raise ValidationError(
            "El payload firmado no es JSON válido.", "invalid_json", path="payload"
        ) from None


def _tenant_secrets(session: Session, organization_id: str, livemode: bool) -> list[str]:
    webhooks = session.scalars(
        select(Webhook).where(
            Webhook.organization_id == organization_id, Webhook.livemode.is_(livemode)
        )
    )
    return [secret_of(webhook) for webhook in webhooks]


# Delivery ---------------------------------------------------------------------------------


def due_deliveries(session: Session, limit: int = 500) -> list[str]:
    """Ids of deliveries to attempt now: new ones, retries due, and expired leases."""
    now = utcnow()
    return list(
        session.scalars(
            select(WebhookDelivery.id)
            .where(
                WebhookDelivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.SENDING]),
                or_(
                    WebhookDelivery.next_attempt_at.is_(None),
                    WebhookDelivery.next_attempt_at <= now,
                ),
            )
            .order_by(WebhookDelivery.created_at)
            .limit(limit)
        )
    )


def claim(delivery: WebhookDelivery) -> bool:
    """Take a due delivery for one attempt (commit before sending)."""
    now = utcnow()
    if delivery.status not in (DeliveryStatus.PENDING, DeliveryStatus.SENDING):
        return False  # already delivered or given up: a job that runs twice does nothing
    if delivery.next_attempt_at and delivery.next_attempt_at > now:
        return False  # not due yet, or another worker holds the lease
    webhook = delivery.webhook
    if webhook.deleted_at is not None or webhook.status != WebhookStatus.ENABLED:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
        return False
    delivery.status, delivery.attempts = DeliveryStatus.SENDING, delivery.attempts + 1
    lease = settings.current().job_lease_seconds
    delivery.next_attempt_at = now + timedelta(seconds=lease)
    return True


@dataclass(frozen=True)
class Outgoing:
    """One signed request, read from the database before the transaction ends."""

    url: str
    body: bytes
    headers: dict[str, str]
    allow_loopback: bool


def prepare(delivery: WebhookDelivery) -> Outgoing:
    """The signed request for a claimed delivery (read it, then commit, then ``post`` it)."""
    body = encode(event_payload(delivery.event))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "FacturaPortal-Webhooks/1",
        SIGNATURE_HEADER: sign(secret_of(delivery.webhook), body),
    }
    allow_loopback = settings.current().webhooks_allow_loopback
    return Outgoing(delivery.webhook.url, body, headers, allow_loopback)


def post(outgoing: Outgoing) -> outbound.Response:
    """POST a prepared request; call it with no transaction open (it touches no row)."""
    return outbound.post(
        outgoing.url, outgoing.body, outgoing.headers, TIMEOUT_SECONDS, outgoing.allow_loopback
    )


def send(delivery: WebhookDelivery) -> outbound.Response:
    """Prepare and POST at once (only for callers that hold no transaction)."""
    return post(prepare(delivery))


def record_attempt(
    session: Session, delivery: WebhookDelivery, response: outbound.Response
) -> WebhookAttempt:
    """Log the attempt; mark the delivery done, schedule a retry, or give up and tell."""
    attempt = WebhookAttempt(
        organization_id=delivery.organization_id,
        livemode=delivery.livemode,
        delivery_id=delivery.id,
        webhook_id=delivery.webhook_id,
        status_code=response.status,
        latency_ms=response.latency_ms,
        response_excerpt=response.excerpt,
        error=response.error,
    )
    session.add(attempt)
    delivery.last_status_code = response.status
    if response.status is not None and 200 <= response.status < 300:
        delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, utcnow()
        delivery.next_attempt_at, delivery.webhook.failing_since = None, None
    elif delivery.attempts > len(RETRY_DELAYS):
        delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
        _mark_failing(session, delivery.webhook)
    else:
        delay = RETRY_DELAYS[delivery.attempts - 1]
        delivery.status = DeliveryStatus.PENDING
        delivery.next_attempt_at = utcnow() + timedelta(seconds=delay)
    session.flush()
    return attempt


def _mark_failing(session: Session, webhook: Webhook) -> None:
    if webhook.failing_since is not None:
        return  # the organization was already told
    webhook.failing_since = utcnow()
    from portal.services.mail import queue_email

    organization = session.get(Organization, webhook.organization_id)
    account = session.get(Account, organization.account_id) if organization else None
    if organization is None or account is None:
        return
    queue_email(
        session,
        "webhook_failing",
        [account.email],
        f"Webhook con fallas: {organization.name}",
        {
            "organization": organization,
            "webhook": webhook,
            "account": account,
            "link": f"{settings.current().public_base_url}/dashboard/o/{organization.id}"
            f"/webhooks/{webhook.id}",
        },
        organization_id=organization.id,
        account_id=account.id,
    )


def seconds_until_retry(delivery: WebhookDelivery) -> float | None:
    """When a failed delivery will be tried again (None when it is done or given up)."""
    if delivery.status != DeliveryStatus.PENDING or delivery.next_attempt_at is None:
        return None
    return max(1.0, (delivery.next_attempt_at - utcnow()).total_seconds())


def resend(delivery: WebhookDelivery) -> WebhookDelivery:
    """Deliver an event again now, with a fresh series of retries."""
    delivery.status, delivery.attempts, delivery.next_attempt_at = DeliveryStatus.PENDING, 0, None
    return delivery
