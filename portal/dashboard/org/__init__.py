"""Screens inside one organization: overview, settings, keys. Later sections register here too.

Every URL carries the organization id; ``roles.protect`` loads it for the signed-in account (its
owner or a team member; anyone else gets 404), refuses what the account's role there does not
allow, and fixes the tenant, with the environment chosen by the always-visible test/live switch.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, request, session, url_for
from flask_babel import lazy_gettext as _l

from portal.dashboard import roles

bp = Blueprint("org", __name__, url_prefix="/dashboard/o/<org_id>")

# (endpoint, label): a section appears in the navigation once its view exists and the role may
# open it.
SECTIONS = [
    ("org.overview", _l("Resumen")),
    ("org.customers", _l("Clientes")),
    ("org.products", _l("Productos")),
    ("org.invoices", _l("Facturas")),
    ("org.receipts", _l("Recibos")),
    ("org.retentions", _l("Retenciones")),
    ("org.webhooks", _l("Webhooks")),
    ("org.activity", _l("Actividad")),
    ("org.settings", _l("Configuración")),
    ("org.keys", _l("Llaves de API")),
    ("org.team_page", _l("Equipo")),
]


def _env_key(org_id: str) -> str:
    return f"live:{org_id}"


def is_live(org_id: str) -> bool:
    """Whether the dashboard shows this organization's live environment."""
    return bool(session.get(_env_key(org_id)))


def set_live(org_id: str, live: bool) -> None:
    """Switch the dashboard between test and live for this organization."""
    session[_env_key(org_id)] = live


@bp.url_value_preprocessor
def _pull_org_id(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    g.org_id = (values or {}).pop("org_id", None)


@bp.url_defaults
def _add_org_id(endpoint: str, values: dict[str, Any]) -> None:
    if "org_id" not in values and g.get("org_id"):
        values["org_id"] = g.org_id


# Every page: the signed-in account's role in the organization of the URL, checked (404 for
# anyone outside it, 403 for what the role does not allow), and the tenant fixed.
roles.protect(bp, is_live)


@bp.context_processor
def _navigation() -> dict[str, Any]:
    if "organization" not in g:
        return {}  # an error page before the organization was loaded
    role = roles.current_role()
    sections = [(endpoint, label) for endpoint, label in SECTIONS if roles.may(role, endpoint)]
    return {
        "org": g.organization,
        "livemode": g.tenant.livemode,
        "sections": sections,
        "section_url": lambda endpoint: url_for(endpoint),
        "current_section": _current_section(sections),
    }


def _current_section(sections: list[tuple[str, Any]]) -> str | None:
    """The section the page belongs to: the one whose address is the longest start of the
    page's (an invoice, the import page or the export page sit under their list)."""
    path, found, longest = request.path.rstrip("/"), None, -1
    for endpoint, _label in sections:
        base = url_for(endpoint).rstrip("/")
        inside = path == base or (endpoint != "org.overview" and path.startswith(base + "/"))
        if inside and len(base) > longest:
            found, longest = endpoint, len(base)
    return found


from portal.dashboard.org import (  # noqa: E402,F401
    catalog,
    custom_host,
    events,
    home,
    invoice_actions,
    invoices,
    public_links,
    receipts,
    retentions,
    settings,
    team,
    transfers,
)
