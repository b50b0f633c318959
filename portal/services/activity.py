"""What the background work did for a tenant: events, webhook deliveries, emails."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models.events import Event, Webhook, WebhookAttempt, WebhookDelivery
from portal.models.mail import OutboxEmail
from portal.models.tenancy import Tenant, scoped_select

RECENT = 50


@dataclass
class EventRow:
    """An event and its deliveries."""

    event: Event
    deliveries: list[WebhookDelivery]


def recent_events(session: Session, tenant: Tenant, limit: int = RECENT) -> list[EventRow]:
    """The environment's latest events, newest first, each with its deliveries."""
    events = session.scalars(
        scoped_select(Event, tenant).order_by(Event.created_at.desc(), Event.id.desc()).limit(limit)
    ).all()
    deliveries = session.scalars(
        select(WebhookDelivery).where(WebhookDelivery.event_id.in_([e.id for e in events]))
    ).all()
    by_event: dict[str, list[WebhookDelivery]] = {}
    for delivery in deliveries:
        by_event.setdefault(delivery.event_id, []).append(delivery)
    return [EventRow(event, by_event.get(event.id, [])) for event in events]


def recent_emails(session: Session, tenant: Tenant, limit: int = RECENT) -> list[OutboxEmail]:
    """The organization's latest emails (both environments), newest first."""
    query = select(OutboxEmail).where(OutboxEmail.organization_id == tenant.organization.id)
    return list(session.scalars(query.order_by(OutboxEmail.created_at.desc()).limit(limit)))


def failing_webhooks(session: Session, tenant: Tenant) -> list[Webhook]:
    """The environment's webhooks that gave up delivering."""
    return list(
        session.scalars(scoped_select(Webhook, tenant).where(Webhook.failing_since.is_not(None)))
    )


def webhook_log(
    session: Session, webhook: Webhook, limit: int = RECENT
) -> list[tuple[WebhookDelivery, list[WebhookAttempt]]]:
    """A webhook's latest deliveries, each with its attempts (oldest attempt first)."""
    deliveries = session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.webhook_id == webhook.id)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
        .limit(limit)
    ).all()
    attempts = session.scalars(
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id.in_([d.id for d in deliveries]))
        .order_by(WebhookAttempt.created_at)
    ).all()
    by_delivery: dict[str, list[WebhookAttempt]] = {}
    for attempt in attempts:
        by_delivery.setdefault(attempt.delivery_id, []).append(attempt)
    return [(d, by_delivery.get(d.id, [])) for d in deliveries]
