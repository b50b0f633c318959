"""The development mailbox: without MAIL_URL, messages are kept and read here."""

from __future__ import annotations

import base64
import functools
from collections.abc import Callable
from typing import Any

from flask import Response, abort, current_app, render_template
from flask_login import current_user

from portal.dashboard import bp
from portal.downloads import set_disposition
from portal.extensions import db
from portal.impersonation import refuse_if_impersonating
from portal.pagination import paginate
from portal.services import mail

# The message's HTML is shown alone, with nothing that could run or load from elsewhere.
HTML_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def mailbox_enabled() -> bool:
    """Only in development, and only while no SMTP server is configured."""
    config = current_app.config
    return not config["MAIL_URL"] and config["PORTAL_ENV"] != "production"


bp.add_app_template_global(mailbox_enabled)


def dev_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """The mailbox exists only in development; support acting for a reseller never reads it
    (it holds password-reset and edit links: reading one would take the account over)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not mailbox_enabled():
            abort(404)
        refuse_if_impersonating()
        return view(*args, **kwargs)

    return wrapper


@bp.route("/dev/mailbox", endpoint="mailbox")
@dev_only
def mailbox_list() -> str:
    """The messages the account (and its organizations) would have received."""
    page = paginate(db.session, mail.mailbox_query(current_user), lambda row: row)
    return render_template("dashboard/mailbox.html", page=page, q=None)


@bp.route("/dev/mailbox/<email_id>", endpoint="mailbox_message")
@dev_only
def mailbox_message(email_id: str) -> str:
    """One message: headers, text part, attachments, and a link to its HTML part."""
    email = mail.mailbox_message(db.session, current_user, email_id)
    return render_template("dashboard/mailbox_message.html", email=email)


@bp.route("/dev/mailbox/<email_id>/html", endpoint="mailbox_html")
@dev_only
def mailbox_html(email_id: str) -> Response:
    """The HTML part, under a policy that forbids scripts and remote content."""
    email = mail.mailbox_message(db.session, current_user, email_id)
    response = Response(email.html_body, mimetype="text/html")
    response.headers["Content-Security-Policy"] = HTML_POLICY
    return response


@bp.route("/dev/mailbox/<email_id>/attachments/<int:index>", endpoint="mailbox_attachment")
@dev_only
def mailbox_attachment(email_id: str, index: int) -> Any:
    """Download one attachment."""
    email = mail.mailbox_message(db.session, current_user, email_id)
    if index >= len(email.attachments):
        abort(404)
    item = email.attachments[index]
    response = Response(base64.b64decode(item["data"]), mimetype=item["content_type"])
    return set_disposition(response, item["filename"])
