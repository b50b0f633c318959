"""The reseller's dashboard: organizations and account settings."""

from flask import Blueprint

from portal import support_activity

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
bp.add_app_template_global(support_activity.sentence, "support_sentence")

from portal.dashboard import mailbox, views  # noqa: E402,F401
