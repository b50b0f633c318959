"""Email: messages are written to the outbox with the change that causes them; the worker sends.

``MAIL_URL`` names the SMTP server: ``smtp://user:pass@host:587`` (STARTTLS when the server
offers it), ``smtps://…:465`` (TLS from the start), or ``smtp://host:25?tls=0``. Without it,
messages stay in the database, readable on the development mailbox page.
"""

from __future__ import annotations

import base64
import smtplib
import ssl
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from portal import settings
from portal.errors import NotFound
from portal.models.accounts import Account
from portal.models.base import utcnow
from portal.models.mail import OutboxEmail
from portal.models.organizations import DEFAULT_TIMEZONE, Organization
from portal.moments import named_time
from portal.statuses import EmailStatus

RETRY_DELAYS = (60, 300, 1800, 7200, 21600, 86400)  # seconds after each failed attempt
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@cache
def _templates() -> Environment:
    # The messages use nothing of the web layer (no url_for, no request): plain Jinja, with
    # Flask's own escaping rule (HTML escaped, text as written).
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape())
    environment.filters["local"] = local_time
    return environment


def local_time(moment: datetime, zone: str | None = None) -> str:
    """A moment as a message reads it: in the organization's zone, named, in Spanish."""
    return named_time(moment, ZoneInfo(zone or DEFAULT_TIMEZONE), "es")


def render(name: str, context: dict[str, Any]) -> str:
    """``templates/<name>`` rendered with ``context``."""
    return _templates().get_template(name).render(context)


def attachment(filename: str, content_type: str, data: bytes) -> dict[str, str]:
    """An attachment as the outbox stores it."""
    return {
        "filename": filename,
        "content_type": content_type,
        "data": base64.b64encode(data).decode(),
    }


def queue_email(
    session: Session,
    kind: str,
    to: list[str],
    subject: str,
    context: dict[str, Any],
    attachments: list[dict[str, str]] | None = None,
    **owner: str | None,
) -> OutboxEmail:
    """Render ``templates/mail/<kind>.{txt,html}`` and put the message in the outbox (times
    in the zone of the organization it is sent for)."""
    organization = session.get(Organization, owner.get("organization_id") or "")
    zone = organization.timezone if organization is not None else DEFAULT_TIMEZONE
    context = {"subject": subject, "zone": zone, **context}
    email = OutboxEmail(
        kind=kind,
        to=to,
        subject=subject,
        text_body=render(f"mail/{kind}.txt", context),
        html_body=render(f"mail/{kind}.html", context),
        attachments=attachments or [],
        **owner,
    )
    session.add(email)
    session.flush()
    return email


def build_message(email: OutboxEmail, sender: str) -> EmailMessage:
    """The MIME message: plain text, an HTML alternative, then the attachments."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, ", ".join(email.to), email.subject
    message["Message-ID"] = make_msgid(domain="portal")
    message.set_content(email.text_body)
    message.add_alternative(email.html_body, subtype="html")
    for item in email.attachments:
        maintype, subtype = item["content_type"].split("/", 1)
        message.add_attachment(
            base64.b64decode(item["data"]),
            maintype=maintype,
            subtype=subtype,
            filename=item["filename"],
        )
    return message


def unbuildable(email: OutboxEmail) -> str | None:
    """Why the stored message cannot become a MIME message (a header with a line break, an
    attachment that is not base64 or has no valid type…), or None when it can."""
    try:
        build_message(email, settings.current().mail_from)
    except Exception as exc:  # any stored value may be at fault, and no retry would fix it
        return f"No se pudo armar el mensaje: {type(exc).__name__}: {exc}"[:2000]
    return None


def _smtp(url: str) -> smtplib.SMTP:
    parts = urlparse(url)
    options = parse_qs(parts.query)
    context = ssl.create_default_context()
    if parts.scheme == "smtps":
        server: smtplib.SMTP = smtplib.SMTP_SSL(
            parts.hostname, parts.port or 465, timeout=30, context=context
        )
    else:
        server = smtplib.SMTP(parts.hostname, parts.port or 25, timeout=30)
        server.ehlo()
        if options.get("tls", ["1"])[0] != "0" and server.has_extn("starttls"):
            server.starttls(context=context)
            server.ehlo()
    if parts.username:
        server.login(unquote(parts.username), unquote(parts.password or ""))
    return server


def claim(email: OutboxEmail) -> bool:
    """Take a due message for one delivery attempt (commit before sending)."""
    now = utcnow()
    waiting = email.next_attempt_at is not None and email.next_attempt_at > now
    if email.status == EmailStatus.SENDING and waiting:
        return False  # another worker holds it
    if email.status not in (EmailStatus.PENDING, EmailStatus.SENDING):
        return False  # already handled: a job that runs twice must not send twice
    if email.status == EmailStatus.PENDING and waiting:
        return False
    problem = unbuildable(email)
    if problem is None and email.attempts > len(RETRY_DELAYS):
        # Every attempt was claimed and none recorded (the worker died while sending each
        # time): give up as after the last retry, not claim it forever.
        problem = email.last_error or f"Sin respuesta tras {email.attempts} intentos."
    if problem is not None:  # no retry would help: give up now, with the reason
        email.status, email.next_attempt_at, email.last_error = EmailStatus.FAILED, None, problem
        return False
    if not settings.current().mail_url:
        email.status = EmailStatus.KEPT
        return False
    email.status, email.attempts = EmailStatus.SENDING, email.attempts + 1
    # If the worker dies while sending, the message becomes claimable again after this.
    email.next_attempt_at = now + timedelta(seconds=settings.current().job_lease_seconds)
    return True


def prepare(email: OutboxEmail) -> EmailMessage:
    """The MIME message of a claimed email, built before the transaction ends."""
    return build_message(email, settings.current().mail_from)


def deliver(message: EmailMessage) -> str | None:
    """Talk to the SMTP server with no transaction open; the error text, or None when sent."""
    try:
        with _smtp(settings.current().mail_url or "") as server:
            server.send_message(message)
    except Exception as exc:  # SMTP, network, or an address the server cannot take: retried
        return f"{type(exc).__name__}: {exc}"
    return None


def send(email: OutboxEmail) -> str | None:
    """Build and send at once (only for callers that hold no transaction)."""
    return deliver(prepare(email))


def record_attempt(email: OutboxEmail, error: str | None) -> None:
    """Mark the message sent, or schedule its next attempt."""
    if error is None:
        email.status, email.sent_at, email.last_error = EmailStatus.SENT, utcnow(), None
        email.next_attempt_at = None
        return
    email.last_error = error[:2000]
    if email.attempts > len(RETRY_DELAYS):
        email.status, email.next_attempt_at = EmailStatus.FAILED, None
        return
    email.status = EmailStatus.PENDING
    email.next_attempt_at = utcnow() + timedelta(seconds=RETRY_DELAYS[email.attempts - 1])


def mailbox_query(account: Account) -> Select[tuple[OutboxEmail]]:
    """The account's own messages and its organizations' messages, newest first."""
    from portal.services.organizations import owned_query

    organizations = owned_query(account).with_only_columns(Organization.id)
    return (
        select(OutboxEmail)
        .where(
            or_(
                OutboxEmail.account_id == account.id,
                OutboxEmail.organization_id.in_(organizations.scalar_subquery()),
            )
        )
        .order_by(OutboxEmail.created_at.desc(), OutboxEmail.id.desc())
    )


def mailbox_message(session: Session, account: Account, email_id: str) -> OutboxEmail:
    """One message of the account's mailbox, or 404."""
    email = session.scalar(mailbox_query(account).where(OutboxEmail.id == email_id))
    if email is None:
        raise NotFound("El mensaje no existe.")
    return email
