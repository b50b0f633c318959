"""Scoped API keys: the one route→scope map covers every /v2 route, and a key outside its
scopes gets 403 ``insufficient_scope`` on each of them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from werkzeug.routing import AnyConverter

from portal.models.organizations import ApiKey
from portal.scopes import ROUTE_RESOURCES, SCOPES, scope_for


def _v2_calls(app: Any) -> list[tuple[str, str, str]]:
    """(method, concrete path, rule) for every /v2 route and method."""
    calls = []
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/v2/"):
            continue
        values = {
            name: sorted(conv.items)[0] if isinstance(conv, AnyConverter) else "x"
            for name, conv in rule._converters.items()
        }
        path = adapter.build(rule.endpoint, values)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            calls.append((method, path, rule.rule))
    return calls


def test_every_v2_route_is_mapped_to_a_scope(app) -> None:
    calls = _v2_calls(app)
    assert len(calls) > 60
    unmapped = [rule for _m, _p, rule in calls if rule[4:].split("/")[0] not in ROUTE_RESOURCES]
    assert not unmapped, f"map these in portal/scopes.py ROUTE_RESOURCES: {unmapped}"
    for method, _path, rule in calls:
        assert scope_for(rule, method) in (*SCOPES, None)
    assert scope_for("/v2/invoices/<invoice_id>", "GET") == "invoices:read"
    assert scope_for("/v2/invoices/<invoice_id>/public-link", "PUT") == "invoices:write"
    assert scope_for("/v2/tools/tax_id_validation", "GET") == "catalogs:read"


@pytest.fixture
def keys(make_account: Any, make_organization: Any, api: Any) -> Any:
    """The owner's user key and the organization it opens."""
    account, user_key = make_account()
    organization, _test_key = make_organization(account=account)
    owner = api(user_key)

    def scoped(*scopes: str, live: bool = True) -> Any:
        kind = "live" if live else "test"
        path = f"/organizations/{organization.id}/apikeys/{kind}"
        response = owner.put(path, json={"scopes": list(scopes)})
        assert response.status_code == 200, response.get_json()
        return api(response.get_json())

    scoped.owner, scoped.organization = owner, organization
    return scoped


def test_calls_outside_the_scopes_get_403_insufficient_scope(keys, invoice_body) -> None:
    reader = keys("invoices:read", live=False)
    assert reader.get("/invoices").status_code == 200
    refused = reader.post("/invoices", json=invoice_body())
    assert refused.status_code == 403
    error = refused.get_json()
    assert error["code"] == "insufficient_scope" and error["type"] == "authorization_error"
    assert "invoices:write" in error["message"]
    assert error["doc_url"] == "http://localhost/docs/errors#insufficient_scope"
    assert reader.get("/customers").get_json()["code"] == "insufficient_scope"
    full = keys(live=False)  # no scopes: full access, as before scopes existed
    assert full.post("/invoices", json=invoice_body()).status_code == 200
    assert full.get("/customers").status_code == 200


def test_every_route_refuses_a_key_without_its_scope(app, keys) -> None:
    """A key holding every scope but the one a route needs is refused there; holding only
    that scope, it is not refused for scope."""
    by_scope: dict[str, Any] = {}
    refused_everywhere = []
    for method, path, rule in _v2_calls(app):
        needed = scope_for(rule, method)
        if needed is None:
            continue
        if needed not in by_scope:
            others = [s for s in SCOPES if s != needed]
            by_scope[needed] = (keys(*others), keys(needed))
        without, only = by_scope[needed]
        response = without.client.open(
            path, method=method, headers={"Authorization": f"Bearer {without.key}"}, json={}
        )
        if response.status_code != 403 or response.get_json()["code"] != "insufficient_scope":
            refused_everywhere.append((method, rule, response.status_code))
        allowed = only.client.open(
            path, method=method, headers={"Authorization": f"Bearer {only.key}"}, json={}
        )
        assert (allowed.get_json(silent=True) or {}).get("code") != "insufficient_scope", rule
    assert not refused_everywhere


@pytest.mark.parametrize(
    "scopes, path",
    [(["invoices:read", "invoices:delete"], "scopes[1]"), (["everything"], "scopes[0]")],
)
def test_unknown_scopes_are_400_naming_the_field(keys, scopes, path) -> None:
    organization = keys.organization
    for kind in ("live", "test"):
        response = keys.owner.put(
            f"/organizations/{organization.id}/apikeys/{kind}", json={"scopes": scopes}
        )
        assert response.status_code == 400
        body = response.get_json()
        assert body["path"] == path and body["param"] == path
        assert body["type"] == "invalid_request_error"
    not_a_list = keys.owner.put(
        f"/organizations/{organization.id}/apikeys/live", json={"scopes": "invoices:read"}
    )
    assert not_a_list.status_code == 400 and not_a_list.get_json()["path"] == "scopes"


def test_keys_list_their_scopes_and_last_use(keys, db) -> None:
    scoped = keys("receipts:write", "invoices:read")
    listed = keys.owner.get(f"/organizations/{keys.organization.id}/apikeys/live").get_json()
    assert listed[0]["scopes"] == ["invoices:read", "receipts:write"]
    assert listed[0]["last_used_at"] is None
    before = datetime.now(UTC)
    assert scoped.get("/invoices").status_code == 200
    listed = keys.owner.get(f"/organizations/{keys.organization.id}/apikeys/live").get_json()
    used = datetime.fromisoformat(listed[0]["last_used_at"].replace("Z", "+00:00"))
    assert used >= before.replace(microsecond=0)
    stored = db.query(ApiKey).filter_by(id=listed[0]["id"]).one()
    first = stored.last_used_at
    assert scoped.get("/invoices").status_code == 200  # within a minute: not written again
    db.expire_all()
    assert db.query(ApiKey).filter_by(id=listed[0]["id"]).one().last_used_at == first
