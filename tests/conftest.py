"""Shared fixtures: app, db, client, login_as, api, factories.

The database comes from ``TEST_DATABASE_URL`` (a PostgreSQL server) or is a temporary SQLite
file. Each xdist worker gets its own database; every test starts with empty tables.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from portal import create_app
from portal.database import set_write_intent
from portal.extensions import db as _db
from portal.models.base import Base
from portal.services import stamping

pytest_plugins = [
    "tests.fixtures.factories",
    "tests.fixtures.browser",
    "tests.fixtures.webhooks",
    "tests.fixtures.invoices",
    "tests.fixtures.receipts",
    "tests.fixtures.node_sdk",
    "tests.fixtures.io_guard",
    "tests.fixtures.dns_server",
    "tests.fixtures.site",
]


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _fresh_database(base_url: str, name: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """An empty database named ``name`` on the test server (or a new SQLite file)."""
    if not base_url.startswith("postgresql"):
        return f"sqlite:///{tmp_path_factory.mktemp('db') / (name + '.db')}"
    url = make_url(base_url.replace("postgresql://", "postgresql+psycopg://", 1))
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def fresh_database(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], str]:
    """Make another empty database for this worker (migration tests, separate apps)."""
    base = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    return lambda suffix: _fresh_database(
        base, f"portal_test_{_worker()}_{suffix}", tmp_path_factory
    )


@pytest.fixture(scope="session")
def database_url(fresh_database: Callable[[str], str]) -> str:
    """The database every test of this worker shares."""
    return fresh_database("main")


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One application for the session, schema created from the models."""
    application = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "INSTANCE_PATH": str(tmp_path_factory.mktemp("instance")),
            "SECRET_KEY": "test-secret-key",
            "WTF_CSRF_ENABLED": False,
            "HUEY_IMMEDIATE": True,
            "PASSWORD_HASH_CHEAP": True,
            "PUBLIC_BASE_URL": "http://localhost",
            "SERVER_NAME": None,
            # Counted as in production, but high enough for tests that fire many calls at once
            # (the rate-limit tests set their own).
            "API_RATE_LIMITS": "10000/second",
        }
    )
    with application.app_context():
        Base.metadata.create_all(_db.engine)
    yield application


def _empty_tables() -> None:
    _db.session.rollback()
    if _db.engine.dialect.name == "postgresql":
        # Append-only tables (audit_entries) refuse DELETE by trigger; only tests wipe them.
        _db.session.execute(text("SET LOCAL session_replication_role = replica"))
    for table in reversed(Base.metadata.sorted_tables):
        _db.session.execute(table.delete())
    _db.session.commit()
    stamping._test_pacs.clear()  # its stored certificate is gone with the tables


@pytest.fixture
def db(app: Any) -> Iterator[Any]:
    """The session inside an app context; every table is emptied after the test."""
    with app.app_context():
        # The test's own reads must not hold SQLite's write lock while a live server works.
        set_write_intent(False)
        yield _db.session
        _db.session.remove()
        set_write_intent(True)
        _empty_tables()


@pytest.fixture
def client(app: Any, db: Any) -> Any:
    """Flask's test client (CSRF off; CSRF tests switch it on)."""
    return app.test_client()


@pytest.fixture
def login_as(client: Any) -> Callable[[Any], Any]:
    """Sign the test client in as an account."""

    def login(account: Any) -> Any:
        with client.session_transaction() as session:
            session["_user_id"] = account.get_id()
            session["_fresh"] = True
        return client

    return login


class ApiClient:
    """JSON calls with a key in the Authorization header."""

    def __init__(self, client: Any, key: str | None) -> None:
        self.client, self.key = client, key

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        return {**headers, **(extra or {})}

    def request(self, method: str, path: str, json: Any = None, **kwargs: Any) -> Any:
        """Send a request to ``/v2`` + path."""
        headers = self._headers(kwargs.pop("headers", None))
        return self.client.open("/v2" + path, method=method, json=json, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.request("POST", path, json, **kwargs)

    def put(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.request("PUT", path, json, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.request("DELETE", path, **kwargs)


@pytest.fixture
def api(client: Any) -> Callable[[str | None], ApiClient]:
    """``api(key)`` makes JSON calls to /v2 with that key."""
    return lambda key=None: ApiClient(client, key)
