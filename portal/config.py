"""Configuration read from the environment, with development defaults kept under instance/."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from portal.links import parse_trusted_proxies

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = PROJECT_ROOT / "instance"


class ConfigError(RuntimeError):
    """The environment lacks a setting that production requires."""


def _instance_secret(instance: Path, name: str, make: Any) -> str:
    """Read a development secret from instance/, creating it on first use."""
    path = instance / name
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    value = make()
    path.write_text(value)
    path.chmod(0o600)
    return value


def _sqlite_default(instance: Path) -> str:
    return f"sqlite:///{instance / 'portal.db'}"


def _normalise_db_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written the usual way."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _trusted_proxies(value: str | None) -> Any:
    try:
        return parse_trusted_proxies(value)
    except ValueError as error:
        raise ConfigError(str(error)) from None


def load_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Settings from the environment; ``overrides`` (tests, tools) win."""
    env = os.environ
    overrides = dict(overrides or {})
    instance = Path(overrides.get("INSTANCE_PATH") or env.get("INSTANCE_PATH") or DEFAULT_INSTANCE)
    production = (
        overrides.get("PORTAL_ENV") or env.get("PORTAL_ENV", "development")
    ) == "production"
    cfg: dict[str, Any] = {
        "PORTAL_ENV": "production" if production else "development",
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": env.get("SECRET_KEY"),
        "ENCRYPTION_KEY": env.get("ENCRYPTION_KEY"),
        "SQLALCHEMY_DATABASE_URI": _normalise_db_url(
            env.get("DATABASE_URL") or _sqlite_default(instance)
        ),
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", "http://localhost:5000").rstrip("/"),
        # How many reverse proxies (or which addresses) may set X-Forwarded-For; 0 trusts none.
        "TRUSTED_PROXIES": _trusted_proxies(env.get("TRUSTED_PROXIES")),
        "MAIL_URL": env.get("MAIL_URL") or None,
        "MAIL_FROM": env.get("MAIL_FROM", "Portal de facturación <no-reply@localhost>"),
        # Recipients an hour that tenants may email (invoices, receipts, edit links).
        "MAIL_LIMIT_ORGANIZATION_PER_HOUR": int(env.get("MAIL_LIMIT_ORGANIZATION_PER_HOUR") or 200),
        "MAIL_LIMIT_ACCOUNT_PER_HOUR": int(env.get("MAIL_LIMIT_ACCOUNT_PER_HOUR") or 1000),
        "MAIL_LIMIT_NEW_ACCOUNT_PER_HOUR": int(env.get("MAIL_LIMIT_NEW_ACCOUNT_PER_HOUR") or 100),
        "MAIL_NEW_ACCOUNT_DAYS": int(env.get("MAIL_NEW_ACCOUNT_DAYS") or 30),
        "REDIS_URL": env.get("REDIS_URL") or None,
        # Per-key limits on /v2 in the ``limits`` notation (``;`` between several): an average
        # of 60 a second over 10 seconds, with bursts of up to 120 in one second.
        "API_RATE_LIMITS": env.get("API_RATE_LIMITS") or "120/second;600/10 seconds",
        # Public invoice pages live at /<prefix>/<token>.
        "PUBLIC_LINK_PREFIX": (env.get("PUBLIC_LINK_PREFIX") or "d").strip("/"),
        # Days the compact /v2 request log (found by request_id in support) is kept.
        "REQUEST_LOG_DAYS": int(env.get("REQUEST_LOG_DAYS") or 30),
        "HUEY_IMMEDIATE": env.get("HUEY_IMMEDIATE") == "1",
        "WEBHOOKS_ALLOW_LOOPBACK": env.get("WEBHOOKS_ALLOW_LOOPBACK") == "1",
        "JOB_LEASE_SECONDS": int(env.get("JOB_LEASE_SECONDS") or 300),
        # A pending invoice older than this is enqueued again by the sweep (its job was lost).
        "PENDING_INVOICE_SWEEP_SECONDS": int(env.get("PENDING_INVOICE_SWEEP_SECONDS") or 120),
        # /healthz answers 503 when no worker has beaten for this long (0: not required).
        "HEALTH_MAX_HEARTBEAT_AGE": int(
            env.get("HEALTH_MAX_HEARTBEAT_AGE") or (60 if production else 0)
        ),
        # SAT's 69-B list, refreshed daily by the scheduler: a file path or an http(s) URL.
        "EFOS_SOURCE": env.get("EFOS_SOURCE") or None,
        # Custom hosts' TXT records are asked of these servers (``ip`` or ``ip:port``,
        # comma-separated); unset: the system's resolver.
        "CUSTOM_HOST_DNS_SERVERS": env.get("CUSTOM_HOST_DNS_SERVERS") or None,
        "CUSTOM_HOST_DNS_TIMEOUT": float(env.get("CUSTOM_HOST_DNS_TIMEOUT") or 5),
        "PAC_PROVIDER": env.get("PAC_PROVIDER") or None,
        "PAC_USERNAME": env.get("PAC_USERNAME") or None,
        "PAC_PASSWORD": env.get("PAC_PASSWORD") or None,
        "PAC_TEST_ENV": env.get("PAC_TEST_ENV") == "1",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        "BABEL_DEFAULT_LOCALE": "es",
        "LANGUAGES": ["es", "en"],
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "JSON_SORT_KEYS": False,
    }
    cfg.update(overrides)
    cfg["SQLALCHEMY_DATABASE_URI"] = _normalise_db_url(cfg["SQLALCHEMY_DATABASE_URI"])
    _fill_secrets(cfg, instance, production)
    secure = cfg["PUBLIC_BASE_URL"].startswith("https://")
    cfg.setdefault("SESSION_COOKIE_SECURE", secure)
    cfg.setdefault("REMEMBER_COOKIE_SECURE", secure)
    return cfg


def _fill_secrets(cfg: dict[str, Any], instance: Path, production: bool) -> None:
    """Production must bring its secrets; development keeps generated ones in instance/."""
    makers = {
        "SECRET_KEY": lambda: secrets.token_urlsafe(48),
        "ENCRYPTION_KEY": lambda: Fernet.generate_key().decode(),
    }
    for name, make in makers.items():
        if cfg.get(name):
            continue
        if production:
            raise ConfigError(f"{name} must be set in production")
        cfg[name] = _instance_secret(instance, name.lower().replace("_", "-"), make)
