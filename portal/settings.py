"""The one settings object services read: a typed view of the application's configuration,
reachable without Flask.

``create_app`` builds a ``Settings`` over ``app.config`` and binds it to every application
context it pushes (``portal.app``), so a service, a job or a CLI command running under the app
reads ``current()``. Code outside Flask (a script, a unit test) binds its own with ``use()``.
The view reads the mapping live, so a value changed on the app's config is seen at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any


def _untranslated(text: str) -> str:
    return text


def _no_routes(endpoint: str, **values: Any) -> str:
    raise RuntimeError(f"no URL map to build a link to {endpoint}")


class Settings:
    """The configuration values services use, plus the two things the web layer lends them:
    ``translate`` (the request's language) and ``link`` (an absolute URL for an endpoint)."""

    def __init__(
        self,
        config: Mapping[str, Any],
        translate: Callable[[str], str] = _untranslated,
        link: Callable[..., str] = _no_routes,
    ) -> None:
        self.config, self.translate, self.link = config, translate, link

    @property
    def secret_key(self) -> str:
        """Signs tokens (password resets, download links)."""
        return self.config["SECRET_KEY"]

    @property
    def encryption_keys(self) -> list[str]:
        """Fernet keys for secrets at rest: the first encrypts, all decrypt (rotation)."""
        return [key.strip() for key in self.config["ENCRYPTION_KEY"].split(",")]

    @property
    def public_base_url(self) -> str:
        """The start of every absolute link the server writes, without a trailing slash."""
        return self.config["PUBLIC_BASE_URL"].rstrip("/")

    @property
    def password_hash_cheap(self) -> bool:
        """Tests only: argon2's cheapest profile."""
        return bool(self.config.get("PASSWORD_HASH_CHEAP"))

    @property
    def mail_url(self) -> str | None:
        """The SMTP server (``smtp://…``), or None to keep messages in the database."""
        return self.config.get("MAIL_URL")

    @property
    def mail_from(self) -> str:
        """The sender of every email."""
        return self.config["MAIL_FROM"]

    @property
    def mail_limits(self) -> tuple[int, int, int, int]:
        """Recipients an hour per organization, per account, per new account; days an account
        counts as new."""
        config = self.config
        return (
            config["MAIL_LIMIT_ORGANIZATION_PER_HOUR"],
            config["MAIL_LIMIT_ACCOUNT_PER_HOUR"],
            config["MAIL_LIMIT_NEW_ACCOUNT_PER_HOUR"],
            config["MAIL_NEW_ACCOUNT_DAYS"],
        )

    @property
    def job_lease_seconds(self) -> int:
        """How long a claimed delivery stays taken before another worker may retry it."""
        return int(self.config["JOB_LEASE_SECONDS"])

    @property
    def webhooks_allow_loopback(self) -> bool:
        """Whether webhook URLs may point at this machine (development and tests)."""
        return bool(self.config["WEBHOOKS_ALLOW_LOOPBACK"])

    @property
    def live_pac(self) -> dict[str, Any] | None:
        """The operator's real PAC settings, or None when none is configured."""
        config = self.config
        if not config.get("PAC_PROVIDER"):
            return None
        username, password = config.get("PAC_USERNAME"), config.get("PAC_PASSWORD")
        return {
            "provider": config["PAC_PROVIDER"],
            "username": username,
            "user": username,
            "password": password,
            "environment": "test" if config.get("PAC_TEST_ENV") else "production",
        }


_bound: ContextVar[tuple[Settings, ...]] = ContextVar("portal_settings", default=())


def current() -> Settings:
    """The settings bound to this context (the app's, inside an application context)."""
    bound = _bound.get()
    if not bound:
        raise RuntimeError("no settings bound: run under the app or inside settings.use()")
    return bound[-1]


def push(settings: Settings) -> None:
    """Bind ``settings`` until the matching ``pop`` (the app calls both around its contexts)."""
    _bound.set((*_bound.get(), settings))


def pop() -> None:
    """Undo the last ``push``."""
    _bound.set(_bound.get()[:-1])


@contextmanager
def use(settings: Settings) -> Iterator[Settings]:
    """Bind ``settings`` for the ``with`` block."""
    push(settings)
    try:
        yield settings
    finally:
        pop()
