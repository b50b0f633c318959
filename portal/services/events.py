"""Events: written in the caller's transaction, with one delivery row per subscribed webhook.

Callers (invoices, receipts, customers) call ``record`` inside the transaction that makes the
change. The deliveries are outbox rows: after the commit the dispatcher turns them into jobs,
and a periodic sweep picks up any whose job was lost, so no event is ever dropped.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models.events import EVENT_TYPES, Event, Webhook, WebhookDelivery
from portal.statuses import WebhookStatus


def record(
    session: Session, organization_id: str, livemode: bool, type: str, data: dict[str, Any]
) -> Event:
    """Write an event (``data`` is the payload's ``data``, e.g. ``{"type": "invoice",
    "object": {...}}``) and a pending delivery for each enabled webhook subscribed to it."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    event = Event(organization_id=organization_id, livemode=livemode, type=type, data=data)
    session.add(event)
    session.flush()
    for webhook in subscribers(session, organization_id, livemode, type):
        session.add(
            WebhookDelivery(
                organization_id=organization_id,
                livemode=livemode,
                event_id=event.id,
                webhook_id=webhook.id,
            )
        )
    session.flush()
    return event


def subscribers(session: Session, organization_id: str, livemode: bool, type: str) -> list[Webhook]:
    """The tenant's enabled webhooks that listen to this event type."""
    webhooks = session.scalars(
        select(Webhook).where(
            Webhook.organization_id == organization_id,
            Webhook.livemode.is_(livemode),
            Webhook.status == WebhookStatus.ENABLED,
            Webhook.deleted_at.is_(None),
        )
    ).all()
    return [webhook for webhook in webhooks if type in webhook.enabled_events]
