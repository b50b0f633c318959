"""Who may do what inside an organization's dashboard: one permission table, one check.

Every organization page passes through ``authorize`` (the organization blueprint's
``before_request``): it resolves the signed-in account's role in the organization of the URL
(anyone outside it gets 404, as for any other tenant's object) and refuses with 403 whatever
the role lacks. By default a view needs ``read`` for GET/HEAD and ``write`` for any other
method; a view that needs something else says so with ``@requires``:

    @requires("export")                       # a POST that only downloads or exports
    @requires("admin", read="configuration")  # settings: admins change them, accountants look
    @requires("owner")                        # deleting the organization or its keys

Support staff acting for a reseller keep full access (their requests are audited apart).
After each change (and each export) the person, their role and the request go to the
organization's team activity.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, g, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from portal import impersonation
from portal.errors import Forbidden
from portal.extensions import db
from portal.models.team import ROLE_ACCOUNTANT, ROLE_ADMIN, ROLE_INVOICER, ROLE_OWNER
from portal.security import SAFE_METHODS
from portal.services import support, team
from portal.tenancy import Tenant, set_tenant

READ = "read"  # see the organization's documents, catalogues and activity
WRITE = "write"  # create, change, send or cancel documents, customers and products
EXPORT = "export"  # download and export
CONFIGURATION = "configuration"  # look at settings and webhooks
ADMIN = "admin"  # change settings, webhooks and keys; manage invoicers and accountants
OWNER = "owner"  # delete the organization, revoke or renew its keys, name admins
PERMISSIONS = (READ, WRITE, EXPORT, CONFIGURATION, ADMIN, OWNER)

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    ROLE_OWNER: frozenset(PERMISSIONS),
    ROLE_ADMIN: frozenset({READ, WRITE, EXPORT, CONFIGURATION, ADMIN}),
    ROLE_INVOICER: frozenset({READ, WRITE, EXPORT}),
    ROLE_ACCOUNTANT: frozenset({READ, EXPORT, CONFIGURATION}),
}

ROLE_LABELS = {
    ROLE_OWNER: _l("Dueño"),
    ROLE_ADMIN: _l("Administrador"),
    ROLE_INVOICER: _l("Facturador"),
    ROLE_ACCOUNTANT: _l("Contador"),
}
ROLE_DESCRIPTIONS = {
    ROLE_ADMIN: _l("Todo, salvo eliminar la organización, revocar sus llaves y nombrar admins."),
    ROLE_INVOICER: _l("Clientes, productos, facturas y recibos; sin configuración ni llaves."),
    ROLE_ACCOUNTANT: _l("Ve todo, descarga y exporta; no cambia nada."),
}

REQUIRED_ATTRIBUTE = "required_permissions"
View = TypeVar("View", bound=Callable[..., Any])


def requires(permission: str, *, read: str | None = None) -> Callable[[View], View]:
    """Declare what a view needs instead of the default (``read`` to look, ``write`` to
    change); ``read=`` lets a lesser permission open it with GET/HEAD."""
    if permission not in PERMISSIONS or (read or permission) not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r} / {read!r}")

    def declare(view: View) -> View:
        setattr(view, REQUIRED_ATTRIBUTE, (permission, read or permission))
        return view

    return declare


def required_permission(endpoint: str, method: str) -> str:
    """The permission a request to ``endpoint`` with ``method`` needs."""
    view = current_app.view_functions[endpoint]
    declared = getattr(view, REQUIRED_ATTRIBUTE, None)
    looking = method in SAFE_METHODS
    if declared is None:
        return READ if looking else WRITE
    return declared[1] if looking else declared[0]


def may(role: str | None, endpoint: str, method: str = "GET") -> bool:
    """Whether ``role`` may send ``method`` to ``endpoint``."""
    if role is None or endpoint not in current_app.view_functions:
        return False
    return required_permission(endpoint, method) in ROLE_PERMISSIONS[role]


def current_role() -> str | None:
    """The signed-in person's role in the organization of this request."""
    return g.get("role")


def authorize(org_id: str, is_live: Callable[[str], bool]) -> None:
    """Load the organization of the URL for the signed-in account, fix the tenant, and refuse
    with 403 what the account's role there does not allow."""
    organization, role = team.get_reachable(db.session, current_user, org_id)
    if impersonation.current() is not None:
        role = ROLE_OWNER  # support acts for the reseller with full access, under audit
    support.refuse_if_suspended(organization)
    g.organization, g.role = organization, role
    set_tenant(Tenant(organization, is_live(organization.id), current_user))
    if not may(role, request.endpoint or "", request.method):
        raise Forbidden(
            _(
                "Tu rol en %(org)s es %(role)s y no permite hacer esto. Si lo necesitas, pide "
                "al dueño o a un administrador de la organización que lo haga o que cambie tu "
                "rol.",
                org=organization.name,
                role=ROLE_LABELS[role],
            ),
            "role_forbidden",
        )


def record_action(response: Response) -> Response:
    """After each change or export: who did it, in which role, and how it ended."""
    role = g.get("role")
    if role is None or impersonation.current() is not None or request.endpoint is None:
        return response
    looking = request.method in SAFE_METHODS
    if looking and required_permission(request.endpoint, request.method) != EXPORT:
        return response
    tenant = g.tenant
    fields = {
        "role": role,
        "livemode": tenant.livemode,
        "endpoint": request.endpoint[:80],
        "method": request.method,
        "path": request.path[:500],
        "status": response.status_code,
        "details": {
            "view_args": {k: str(v) for k, v in (request.view_args or {}).items()},
            "fields": sorted(k for k in request.form if not k.endswith("csrf_token")),
        },
    }
    organization_id, account_id = tenant.organization.id, current_user.id
    impersonation.commit_audit_entry(
        lambda: team.record_action(db.session, organization_id, account_id, **fields)
    )
    return response


def navigation_context() -> dict[str, Any]:
    """Template helpers: the role, whether it only reads, and ``may(endpoint, method)`` to show
    only what it allows."""
    role = current_role()
    return {
        "role": role,
        "role_labels": ROLE_LABELS,
        "read_only": role is not None and WRITE not in ROLE_PERMISSIONS[role],
        "may": lambda endpoint, method="GET": may(role, endpoint, method),
    }


PROTECTED: set[str] = set()  # the blueprints whose every page goes through ``authorize``


def protect(blueprint: Blueprint, is_live: Callable[[str], bool]) -> None:
    """Put every page of an organization ``blueprint`` (its URLs carry ``org_id``) behind
    sign-in and ``authorize``, and record what people do there."""

    @login_required
    def check_role() -> None:
        authorize(g.org_id, is_live)

    blueprint.before_request(check_role)
    blueprint.after_request(record_action)
    blueprint.context_processor(navigation_context)
    PROTECTED.add(blueprint.name)
