"""Tenant isolation: every organization route refuses another reseller's ids and keys."""

from __future__ import annotations

import re

import pytest

from portal import create_app

_app = create_app({"HUEY_IMMEDIATE": True, "INSTANCE_PATH": "/tmp/portal-tenancy-routes"})
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _routes(prefix: str, placeholder: str) -> list[tuple[str, str]]:
    found = []
    for rule in _app.url_map.iter_rules():
        if not rule.rule.startswith(prefix) or f"<{placeholder}>" not in rule.rule:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, rule.rule))
    return found


def _fill(rule: str, org_id: str) -> str:
    path = rule.replace("<organization_id>", org_id).replace("<org_id>", org_id)
    return re.sub(r"<(?:\w+:)?\w+>", "0123456789abcdef01234567", path)


API_ROUTES = _routes("/v2/organizations/", "organization_id")
DASHBOARD_ROUTES = _routes("/dashboard/o/", "org_id")


def test_the_walk_covers_the_routes():
    assert len(API_ROUTES) >= 15 and len(DASHBOARD_ROUTES) >= 15


@pytest.mark.parametrize(("method", "rule"), API_ROUTES)
def test_api_refuses_another_resellers_organization(
    api, make_organization, make_account, method, rule
):
    victim, _victim_key = make_organization()
    _intruder, intruder_key = make_account()
    response = api(intruder_key).request(
        method, _fill(rule, victim.id).removeprefix("/v2"), json={}
    )
    assert response.status_code == 404, (method, rule, response.json)


@pytest.mark.parametrize(("method", "rule"), API_ROUTES)
def test_api_refuses_another_organizations_key(api, make_organization, method, rule):
    victim, _victim_key = make_organization()
    _other, other_key = make_organization()
    response = api(other_key).request(method, _fill(rule, victim.id).removeprefix("/v2"), json={})
    assert response.status_code in (403, 404), (method, rule)
    assert victim.name not in response.get_data(as_text=True)


@pytest.mark.parametrize(("method", "rule"), [r for r in API_ROUTES if r[0] in WRITE_METHODS])
def test_test_key_cannot_change_settings(api, make_organization, method, rule):
    org, test_key = make_organization()
    response = api(test_key).request(method, _fill(rule, org.id).removeprefix("/v2"), json={})
    assert response.status_code == 403, (method, rule)
    assert response.json["code"] == "user_key_required"


@pytest.mark.parametrize(("method", "rule"), DASHBOARD_ROUTES)
def test_dashboard_refuses_another_resellers_organization(
    client, login_as, make_organization, make_account, method, rule
):
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
