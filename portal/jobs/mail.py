"""Email delivery jobs."""

from __future__ import annotations

from sqlalchemy import or_, select

from portal.extensions import db
from portal.jobs.queue import job, periodic_job
from portal.models.base import utcnow
from portal.models.mail import OutboxEmail
from portal.services import mail
from portal.statuses import EmailStatus


@job(retries=0)
def deliver_email(email_id: str) -> None:
    """Claim, send and record one message (three short steps, no lock held while sending)."""
    email = db.session.get(OutboxEmail, email_id, with_for_update=True)
    if email is None or not mail.claim(email):
        db.session.commit()
        return
    message = mail.prepare(email)  # read everything the message needs now
    db.session.commit()
    error = mail.deliver(message)  # no transaction open while the SMTP server answers
    email = db.session.get(OutboxEmail, email_id, with_for_update=True)
    if email is not None:  # not deleted meanwhile
        mail.record_attempt(email, error)
    db.session.commit()


@periodic_job(minute="*")
def sweep_emails() -> None:
    """Enqueue every message that is due: retries, and any whose first job was lost."""
    now = utcnow()
    due = db.session.scalars(
        select(OutboxEmail.id)
        .where(
            OutboxEmail.status.in_([EmailStatus.PENDING, EmailStatus.SENDING]),
            or_(OutboxEmail.next_attempt_at.is_(None), OutboxEmail.next_attempt_at <= now),
        )
        .limit(500)
    ).all()
    db.session.rollback()
    for email_id in due:
        deliver_email(email_id)
