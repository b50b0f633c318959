"""The support console at /admin: staff sign-in with a second factor, search, tenant pages,
account controls, impersonation and the audit log."""

from flask import Blueprint

from portal import impersonation

bp = Blueprint("admin", __name__, url_prefix="/admin")

# Impersonation spans the whole site (the dashboard is where staff act), so its hooks are app-wide.
bp.before_app_request(impersonation.load_impersonation)
bp.after_app_request(impersonation.record_request)
bp.app_context_processor(impersonation.banner_context)

from portal.admin import access, auth, views  # noqa: E402,F401
