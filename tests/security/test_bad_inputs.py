"""Every bad input is a 4xx: a fuzz-like walk over every /v2 POST and PUT route of the app's
url_map, sending type-confused bodies (a string where an object is expected in any field,
numbers beyond what a field holds, deep nesting, bodies that are not JSON objects)."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

from portal.api.openapi import build_spec
from tests.api.test_openapi import (  # noqa: F401  (fuzz_world is a fixture used below)
    INVOICE,
    RECEIPT,
    WEBHOOK,
    FuzzWorld,
    _openapi_paths,
    fuzz_world,
)
from tests.fixtures.invoices import CUSTOMER, ITEM

SPEC = build_spec()
SCHEMAS = SPEC["components"]["schemas"]
WRITES = sorted(
    (method.upper(), path)
    for path, operations in SPEC["paths"].items()
    for method in operations
    if method in ("post", "put")
)
# A valid body per resource, so that one confused field is read past the others.
BASES: dict[str, dict[str, Any]] = {
    "/invoices": INVOICE,
    "/invoices/{invoice_id}": INVOICE,
    "/receipts": RECEIPT,
    "/customers": CUSTOMER,
    "/customers/{customer_id}": CUSTOMER,
    "/products": ITEM["product"],
    "/products/{product_id}": ITEM["product"],
    "/webhooks": WEBHOOK,
    "/webhooks/{webhook_id}": WEBHOOK,
}
# JSON numbers that Python's json cannot write: sent as raw text in place of a marker.
RAW_NUMBERS = ["1E+30", "1E+999999", "-1E+999999", "1E-999999999", "1" + "0" * 5000]
CONFUSED: list[Any] = [
    "x",
    "",
    {},
    [],
    [{}],
    [["x"]],
    True,
    -1,
    10**40,
    "1E+999999",
    "1E-999999999",
    "NaN",
    {"a": {"b": {"c": [1, [2, {"d": "e"}]]}}},
    *(f"@raw:{number}@" for number in RAW_NUMBERS),
]
RAW_BODIES: list[bytes] = [
    b"[" * 100_000 + b"]" * 100_000,
    b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    b'{"items": ' + b"[" * 5_000 + b"]" * 5_000 + b"}",
    b'"x"',
    b"1",
    b"1E+999999",
    b"[]",
    b"null",
    b"true",
    b"{",
    b"\xff\xfe{}",
    b'{"a": NaN}',
    b'{"a": Infinity}',
    b'{"a": "\\ud800"}',
    b"not json at all",
]


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SCHEMAS[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _field_paths(schema: dict[str, Any], prefix: tuple[Any, ...] = (), depth: int = 0) -> list:
    """Every field of a request schema as a path of keys (``0`` for a list's first element)."""
    schema = _resolve(schema)
    paths: list[tuple[Any, ...]] = []
    for name, sub in schema.get("properties", {}).items():
        path = (*prefix, name)
        paths.append(path)
        sub = _resolve(sub)
        if depth >= 3:
            continue
        if "object" in sub.get("type", ()) and sub.get("properties"):
            paths += _field_paths(sub, path, depth + 1)
        items = _resolve(sub.get("items", {}))
        if "array" in sub.get("type", ()) and items.get("properties"):
            paths += _field_paths(items, (*path, 0), depth + 1)
    return paths


def _with(body: Any, path: tuple[Any, ...], value: Any) -> Any:
    """A copy of ``body`` with ``value`` at ``path`` (containers made along the way)."""
    body = copy.deepcopy(body)
    node = body
    for key, following in zip(path, path[1:], strict=False):
        empty: Any = [{}] if following == 0 else {}
        if isinstance(node, list):
            node = node[key]
            continue
        if not isinstance(node.get(key), dict | list) or (following == 0 and not node[key]):
            node[key] = empty
        node = node[key]
    if isinstance(node, list):
        node[path[-1]] = value
    else:
        node[path[-1]] = value
    return body


def _encode(body: Any) -> bytes:
    text = json.dumps(body)
    return re.sub(r'"@raw:([^@]+)@"', r"\1", text).encode()


def _request_body(method: str, path: str) -> tuple[str, dict[str, Any]] | None:
    body = SPEC["paths"][path][method.lower()].get("requestBody")
    if body is None:
        return None
    content_type = next(iter(body["content"]))
    return content_type, body["content"][content_type]["schema"]


def _key_for(world: FuzzWorld, path: str) -> str:
    user_route = path.startswith("/organizations") and path != "/organizations/me"
    return world.user_key if user_route else world.key


def _url(world: FuzzWorld, path: str) -> str:
    names = re.findall(r"{(\w+)}", path)
    ids = world.ids(names, fresh=False)
    return "/v2" + re.sub(r"{(\w+)}", lambda m: ids[m.group(1)], path)


def test_every_v2_write_route_of_the_url_map_is_fuzzed(app: Any) -> None:
    served = {
        (method, path)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/v2/")
        for method in rule.methods & {"POST", "PUT"}
        for path in _openapi_paths(rule)
    }
    assert served == set(WRITES)


@pytest.mark.parametrize(("method", "path"), WRITES, ids=[f"{m} {p}" for m, p in WRITES])
def test_type_confused_bodies_are_never_a_server_error(
    app: Any,
    fuzz_world: FuzzWorld,  # noqa: F811  (the fixture imported above)
    method: str,
    path: str,
) -> None:
    """Raw bodies that are not JSON objects, then each field of the route's body (nested ones
    too) replaced by values of the wrong type or beyond any field's range: all 4xx or 2xx."""
    url = _url(fuzz_world, path)
    headers = {"Authorization": f"Bearer {_key_for(fuzz_world, path)}"}
    client = app.test_client()
    failures: list[str] = []

    def send(data: bytes, what: str) -> None:
        response = client.open(
            url, method=method, data=data, headers=headers, content_type="application/json"
        )
        if response.status_code >= 500 or response.status_code < 200:
            failures.append(f"{what}: {response.status_code}")
        elif response.status_code >= 400:
            assert response.json["ok"] is False and response.json["message"], what

    for raw in RAW_BODIES:
        send(raw, f"raw {raw[:20]!r}")
    described = _request_body(method, path)
    if described is not None and described[0] == "application/json":
        base = BASES.get(path, {})
        for field in _field_paths(described[1]):
            for value in CONFUSED:
                send(_encode(_with(base, field, value)), f"{field}={value!r:.40}")
    if path.endswith("/apikeys/test"):  # renewed by the calls above: the world needs the new one
        fuzz_world.key = _current_test_key(client, fuzz_world)
    assert not failures, "\n".join(failures)


def _current_test_key(client: Any, world: FuzzWorld) -> str:
    url = f"/v2/organizations/{world.organization_id}/apikeys/test"
    response = client.get(url, headers={"Authorization": f"Bearer {world.user_key}"})
    assert response.status_code == 200, response.json
    return response.json if isinstance(response.json, str) else response.json["key"]


@pytest.mark.parametrize("path", ["/invoices", "/receipts"])
def test_amounts_in_range_whose_total_is_not_are_a_400(
    api: Any, make_organization: Any, path: str
) -> None:
    """Each number fits its field, their product does not fit the total's column."""
    _org, key = make_organization()
    item = {"quantity": "999999999", "product": {**ITEM["product"], "price": "999999999"}}
    body = {**(INVOICE if path == "/invoices" else RECEIPT), "items": [item]}
    response = api(key).post(path, json=body)
    assert response.status_code == 400, response.json
    assert response.json["ok"] is False
