"""Webhook delivery jobs."""

from __future__ import annotations

from portal.extensions import db
from portal.jobs.queue import job, periodic_job
from portal.models.events import WebhookDelivery
from portal.services import webhooks


@job(retries=0)
def deliver_webhook(delivery_id: str) -> None:
    """Claim, send and record one delivery (no transaction held while the receiver answers)."""
    # The row lock makes a second job for the same delivery wait, then see the claim.
    delivery = db.session.get(WebhookDelivery, delivery_id, with_for_update={"of": WebhookDelivery})
    if delivery is None or not webhooks.claim(delivery):
        db.session.commit()
        return
    outgoing = webhooks.prepare(delivery)  # everything the request needs, read now
    db.session.commit()
    response = webhooks.post(outgoing)  # no transaction open: a slow receiver locks nothing
    delivery = db.session.get(WebhookDelivery, delivery_id, with_for_update={"of": WebhookDelivery})
    if delivery is None:  # deleted meanwhile: nothing to record
        db.session.commit()
        return
    webhooks.record_attempt(db.session, delivery, response)
    wait = webhooks.seconds_until_retry(delivery)
    db.session.commit()
    if wait is not None:  # on time, not at the next sweep (which remains the safety net)
        deliver_webhook.schedule((delivery_id,), delay=wait)


@periodic_job(minute="*")
def sweep_webhooks() -> None:
    """Enqueue every delivery that is due: retries, expired leases, lost jobs."""
    due = webhooks.due_deliveries(db.session)
    db.session.rollback()
    for delivery_id in due:
        deliver_webhook(delivery_id)
