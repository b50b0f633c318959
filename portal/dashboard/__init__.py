"""The reseller's dashboard: organizations and account settings."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

from portal.dashboard import mailbox, views  # noqa: E402,F401
