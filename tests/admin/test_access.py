"""Every console route refuses anyone who is not staff signed in with both factors."""

from __future__ import annotations

import tempfile

import pytest
from cryptography.fernet import Fernet
from werkzeug.routing import Rule

from portal import create_app
from portal.admin.access import PUBLIC_ENDPOINTS
from tests.admin.helpers import sign_in_staff
from tests.fixtures.factories import PASSWORD


def _admin_rules() -> list[Rule]:
    """The console's routes, read from a throwaway app (parametrize needs them at import)."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "SECRET_KEY": "x",
            "ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "INSTANCE_PATH": tempfile.gettempdir(),
        }
    )
    return sorted(
        (r for r in app.url_map.iter_rules() if r.endpoint.startswith("admin.")),
        key=lambda r: r.rule,
    )


ROUTES = [
    pytest.param(rule.rule, method, id=f"{method} {rule.rule}")
    for rule in _admin_rules()
    if rule.endpoint not in PUBLIC_ENDPOINTS
    for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
]


def _url(rule: str) -> str:
    return rule.replace("<account_id>", "acc123").replace("<organization_id>", "org123")


def test_every_console_route_is_covered():
    assert len(ROUTES) >= 10


@pytest.mark.parametrize(("rule", "method"), ROUTES)
def test_anonymous_visitors_are_sent_to_the_staff_login(client, rule, method):
    response = client.open(_url(rule), method=method, data={"reason": "x" * 20})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login")


@pytest.mark.parametrize(("rule", "method"), ROUTES)
def test_resellers_are_refused(client, reseller, rule, method):
    client.post("/login", data={"email": reseller.email, "password": PASSWORD})
    response = client.open(_url(rule), method=method, data={"reason": "x" * 20})
    assert response.status_code == 403
    assert "sólo para el equipo de soporte" in response.get_data(as_text=True)


@pytest.mark.parametrize("endpoint", sorted(PUBLIC_ENDPOINTS))
def test_the_sign_in_pages_open_nothing_by_themselves(client, reseller, endpoint):
    client.post("/login", data={"email": reseller.email, "password": PASSWORD})
    path = {"admin.login": "/admin/login", "admin.two_factor": "/admin/2fa"}.get(
        endpoint, "/admin/2fa/setup"
    )
    client.post(path, data={"email": reseller.email, "password": PASSWORD, "code": "123456"})
    assert client.get("/admin/").status_code == 403


def test_an_impersonating_session_cannot_use_the_console(client, db, staff, reseller):
    sign_in_staff(client, db, staff)
    client.post(
        f"/admin/accounts/{reseller.id}/impersonate", data={"act-reason": "ticket 42 revisar"}
    )
    response = client.get("/admin/")
    assert response.status_code == 403
    assert "Dejar de actuar" in response.get_data(as_text=True)
