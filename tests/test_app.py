"""The application shell: health, errors, headers, language."""

from __future__ import annotations

import pytest

from portal import create_app


def test_healthz_answers_ok_with_the_queue(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert "pending" in response.json["queue"]


def test_healthz_answers_503_when_the_database_is_down(tmp_path):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://x@127.0.0.1:1/none",
            "INSTANCE_PATH": str(tmp_path),
            "HUEY_IMMEDIATE": True,
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 1}},
        }
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"


def test_unknown_page_is_a_friendly_html_404(client):
    response = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert "text/html" in response.content_type
    assert "No encontramos lo que buscas" in response.get_data(as_text=True)


def test_unknown_api_path_is_a_json_404(client):
    response = client.get("/v2/no-such-thing")
    assert response.status_code == 404
    assert response.json["ok"] is False
    assert response.json["code"] == "not_found"
    assert response.json["status"] == 404


def test_security_headers_and_request_id(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert len(response.headers["X-Request-Id"]) == 32
    assert response.headers["X-Facturapi-Log-Id"] == response.headers["X-Request-Id"]


def test_pages_have_no_inline_scripts_or_styles(client):
    html = client.get("/signup").get_data(as_text=True)
    assert "<script>" not in html and " style=" not in html and "onclick" not in html


@pytest.mark.parametrize(
    ("accept", "expected"),
    [("en-US,en;q=0.9", "Sign in"), ("es-MX,es;q=0.9", "Entrar"), ("fr-FR", "Entrar")],
)
def test_language_follows_accept_language(client, accept, expected):
    html = client.get("/login", headers={"Accept-Language": accept}).get_data(as_text=True)
    assert expected in html


def test_language_switch_is_remembered(client):
    client.post("/lang/en", headers={"Accept-Language": "es"})
    html = client.get("/login", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Sign in to your account" in html


def test_secure_cookies_when_served_over_https(tmp_path):
    app = create_app(
        {
            "PUBLIC_BASE_URL": "https://facturas.example.com",
            "INSTANCE_PATH": str(tmp_path),
            "HUEY_IMMEDIATE": True,
        }
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


def test_production_requires_its_secrets(tmp_path, monkeypatch):
    from portal.config import ConfigError

    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"PORTAL_ENV": "production", "INSTANCE_PATH": str(tmp_path)})


def test_development_secrets_are_generated_once_and_kept(tmp_path):
    first = create_app({"INSTANCE_PATH": str(tmp_path), "HUEY_IMMEDIATE": True})
    second = create_app({"INSTANCE_PATH": str(tmp_path), "HUEY_IMMEDIATE": True})
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert first.config["ENCRYPTION_KEY"] == second.config["ENCRYPTION_KEY"]
    assert (tmp_path / "secret-key").stat().st_mode & 0o777 == 0o600


def test_json_responses_keep_flasks_rules_for_every_type(app):
    import json
    from datetime import datetime
    from decimal import Decimal

    from flask import jsonify

    with app.test_request_context():
        response = jsonify(amount=Decimal("1.50"), big=10**30, when=datetime(2026, 1, 2), n={1: 2})
    assert response.mimetype == "application/json"
    assert json.loads(response.get_data()) == {
        "amount": "1.50",  # a Decimal is never rounded through a float
        "big": 10**30,  # beyond orjson's 64 bits: the standard library writes it
        "when": "Fri, 02 Jan 2026 00:00:00 GMT",
        "n": {"1": 2},
    }


def test_static_links_follow_the_script_root_of_each_request(client):
    """Static URLs are built once per script root: a request under a mount prefix after one at
    the root (and back) gets its own prefix, never the one built first."""
    at_root = client.get("/login").get_data(as_text=True)
    mounted = client.get("/shop/login", base_url="http://localhost/shop/").get_data(as_text=True)
    again = client.get("/login").get_data(as_text=True)

    assert 'href="/static/css/app.css"' in at_root and 'href="/static/css/app.css"' in again
    assert 'href="/shop/static/css/app.css"' in mounted
    assert 'src="/shop/static/js/app.js"' in mounted
