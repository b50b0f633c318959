"""Tenant isolation: every organization route refuses another reseller's ids and keys."""

from __future__ import annotations

import re
import tempfile
from functools import cache

import pytest

from portal import create_app

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


@cache
def _url_rules() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Every route of the application: read once, at collection, from a throwaway app."""
    with tempfile.TemporaryDirectory() as instance:
        app = create_app({"INSTANCE_PATH": instance, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
        return tuple((rule.rule, tuple(sorted(rule.methods))) for rule in app.url_map.iter_rules())


def _routes(prefix: str, placeholder: str) -> list[tuple[str, str]]:
    return [
        (method, rule)
        for rule, methods in _url_rules()
        if rule.startswith(prefix) and f"<{placeholder}>" in rule
        for method in methods
        if method not in ("HEAD", "OPTIONS")
    ]


def api_routes() -> list[tuple[str, str]]:
    """The API's routes under one organization."""
    return _routes("/v2/organizations/", "organization_id")


def dashboard_routes() -> list[tuple[str, str]]:
    """The dashboard's routes under one organization."""
    return _routes("/dashboard/o/", "org_id")


ROUTE_SETS = {
    "api_route": api_routes,
    "api_write_route": lambda: [r for r in api_routes() if r[0] in WRITE_METHODS],
    "dashboard_route": dashboard_routes,
}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Walk the routes named by the test's argument (``api_route``…), one case per route."""
    for name, routes in ROUTE_SETS.items():
        if name in metafunc.fixturenames:
            metafunc.parametrize(name, routes(), ids=[f"{m} {r}" for m, r in routes()])


def _fill(rule: str, org_id: str) -> str:
    path = rule.replace("<organization_id>", org_id).replace("<org_id>", org_id)
    return re.sub(r"<(?:\w+:)?\w+>", "0123456789abcdef01234567", path)


def test_the_walk_covers_the_routes():
    assert len(api_routes()) >= 15 and len(dashboard_routes()) >= 15


def test_api_refuses_another_resellers_organization(
    api, make_organization, make_account, api_route
):
    method, rule = api_route
    victim, _victim_key = make_organization()
    _intruder, intruder_key = make_account()
    response = api(intruder_key).request(
        method, _fill(rule, victim.id).removeprefix("/v2"), json={}
    )
    assert response.status_code == 404, (method, rule, response.json)


def test_api_refuses_another_organizations_key(api, make_organization, api_route):
    method, rule = api_route
    victim, _victim_key = make_organization()
    _other, other_key = make_organization()
    response = api(other_key).request(method, _fill(rule, victim.id).removeprefix("/v2"), json={})
    assert response.status_code in (403, 404), (method, rule)
    assert victim.name not in response.get_data(as_text=True)


def test_test_key_cannot_change_settings(api, make_organization, api_write_route):
    method, rule = api_write_route
    org, test_key = make_organization()
    response = api(test_key).request(method, _fill(rule, org.id).removeprefix("/v2"), json={})
    assert response.status_code == 403, (method, rule)
    assert response.json["code"] == "user_key_required"


def test_dashboard_refuses_another_resellers_organization(
    client, login_as, make_organization, make_account, dashboard_route
):
    method, rule = dashboard_route
    victim, _key = make_organization()
    login_as(make_account()[0])
    response = client.open(_fill(rule, victim.id), method=method, data={})
    assert response.status_code == 404, (method, rule)


def test_organization_key_reads_only_its_own_organization(api, make_organization):
    org, key = make_organization()
    other, _other_key = make_organization()
    assert api(key).get(f"/organizations/{org.id}").status_code == 200
    assert api(key).get(f"/organizations/{other.id}").status_code == 404
    assert api(key).get("/organizations").status_code == 403
