"""The error body keeps Facturapi's fields and adds type, param, doc_url and request_id; the
rate limit answers 429 with Retry-After and RateLimit-* headers on every /v2 response."""

from __future__ import annotations

import time
from typing import Any

import pytest

from portal import ratelimit
from portal.extensions import db as _db
from portal.models.public_links import RequestLogEntry

FACTURAPI = {"ok", "message", "status", "code", "path", "errors"}
ADDED = {"type", "param", "doc_url", "request_id"}


def test_401_is_an_authentication_error_with_its_request_id(api) -> None:
    response = api(None).get("/invoices")
    body = response.get_json()
    assert response.status_code == 401 and set(body) == FACTURAPI | ADDED
    assert body["ok"] is False and body["status"] == 401 and body["code"] == "unauthorized"
    assert body["type"] == "authentication_error" and body["param"] is None
    assert body["doc_url"] == "http://localhost/docs/errors#unauthorized"
    assert body["request_id"] and body["request_id"] == response.headers["X-Facturapi-Log-Id"]


@pytest.mark.parametrize(
    "status, kind",
    [
        (400, "invalid_request_error"),
        (404, "invalid_request_error"),
        (405, "invalid_request_error"),
    ],
)
def test_other_errors_carry_their_type(make_organization, api, status, kind) -> None:
    _organization, key = make_organization()
    client = api(key)
    response = {
        400: lambda: client.post("/customers", json={"legal_name": 5}),
        404: lambda: client.get("/invoices/000000000000000000000000"),
        405: lambda: client.client.patch("/v2/invoices", headers=client._headers(None)),
    }[status]()
    body = response.get_json()
    assert response.status_code == status and body["type"] == "invalid_request_error"
    assert body["doc_url"].endswith(f"#{body['code']}")
    if status == 400:
        assert body["param"] == body["path"] == body["errors"][0]["path"]


def test_the_error_page_documents_each_code_in_spanish(client) -> None:
    page = client.get("/docs/errors")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Errores de la API" in html
    for anchor in ("insufficient_scope", "rate_limit_exceeded", "authentication_error"):
        assert f'id="{anchor}"' in html


def test_support_finds_a_request_by_its_request_id(api, db) -> None:
    response = api(None).get("/invoices", headers={"X-Request-Id": "req-lookup-1"})
    assert response.get_json()["request_id"] == "req-lookup-1"
    entry = db.query(RequestLogEntry).filter_by(request_id="req-lookup-1").one()
    assert (entry.method, entry.path, entry.status) == ("GET", "/v2/invoices", 401)


@pytest.fixture
def tight_limit(app: Any) -> Any:
    """The API limited to 5 calls an hour per key for one test (a window no slow machine
    outlasts between the first call and the eighth)."""
    saved = app.config["API_RATE_LIMITS"]
    app.config["API_RATE_LIMITS"] = "5/hour"
    app.extensions.pop("api_rate_limiter", None)
    yield
    app.config["API_RATE_LIMITS"] = saved
    app.extensions.pop("api_rate_limiter", None)


def test_past_the_limit_calls_get_429_with_retry_after(tight_limit, make_organization, api) -> None:
    _first, key = make_organization()
    _second, other_key = make_organization(name="Otra")
    answers = [api(key).get("/customers") for _ in range(8)]
    statuses = [a.status_code for a in answers]
    assert statuses.count(429) >= 2 and statuses[0] == 200, statuses
    for answer in answers:
        assert answer.headers["RateLimit-Limit"] == "5"
        assert int(answer.headers["RateLimit-Reset"]) >= 1
    ok = answers[0]
    assert int(ok.headers["RateLimit-Remaining"]) == 4
    refused = answers[statuses.index(429)]
    body = refused.get_json()
    assert body["type"] == "rate_limit_error" and body["code"] == "rate_limit_exceeded"
    assert refused.headers["RateLimit-Remaining"] == "0"
    assert 1 <= int(refused.headers["Retry-After"]) <= 3600
    assert api(other_key).get("/customers").status_code == 200  # per key


def test_the_database_storage_counts_and_expires(app, db) -> None:
    storage = ratelimit.DatabaseStorage(_db.engine)
    storage.clear("k")
    assert [storage.incr("k", 60) for _ in range(3)] == [1, 2, 3]
    assert storage.get("k") == 3 and storage.get_expiry("k") > 0 and storage.check()
    assert storage.incr("gone", -1) == 1  # a window that has ended starts again
    assert storage.incr("gone", 60) == 1
    storage.clear("k")
    assert storage.get("k") == 0


def test_the_database_storage_counts_every_limit_in_one_statement(app, db) -> None:
    """``incr_many``: each key counted in its own window, the ended one starting again, and
    each window's end returned (what the RateLimit-Reset header reads)."""
    storage = ratelimit.DatabaseStorage(_db.engine)
    for key in ("a", "b"):
        storage.clear(key)
    before = time.time()
    first = storage.incr_many([("a", 60), ("b", -1)])
    assert first["a"][0] == 1 and first["b"][0] == 1 and first["a"][1] >= before + 59
    second = storage.incr_many([("a", 60), ("b", 10)])
    assert second["a"] == (2, first["a"][1])  # same window, one more hit
    assert second["b"][0] == 1 and second["b"][1] >= before + 9  # b's window had ended
    assert storage.get("a") == 2 and storage.get_expiry("b") == second["b"][1]


def test_unknown_v2_paths_are_counted_and_logged_too(api, db) -> None:
    response = api(None).get("/no-such-thing", headers={"X-Request-Id": "req-unknown-path"})
    assert response.status_code == 404 and "RateLimit-Limit" in response.headers
    assert response.get_json()["type"] == "invalid_request_error"
    assert db.query(RequestLogEntry).filter_by(request_id="req-unknown-path").one().status == 404


def test_a_redis_outage_moves_the_counters_to_the_database(app, db) -> None:
    """With REDIS_URL naming a server that does not answer, calls are still counted (and
    refused over the limit) in the database instead of failing."""
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    saved = {name: app.config.get(name) for name in ("REDIS_URL", "API_RATE_LIMITS")}
    app.config.update(REDIS_URL=f"redis://127.0.0.1:{port}/0", API_RATE_LIMITS="3/minute")
    try:
        limiter = ratelimit.build(app, _db.engine)
        limiter.fallback.clear(limiter.items[0].key_for("v2", "key:outage"))
        headers = [limiter.hit("key:outage")["RateLimit-Remaining"] for _ in range(3)]
        assert headers == ["2", "1", "0"]
        with pytest.raises(Exception) as refused:
            limiter.hit("key:outage")
        assert getattr(refused.value, "code", None) == "rate_limit_exceeded"
    finally:
        app.config.update(saved)
