"""The application factory: config, extensions, tenancy hooks, blueprints, errors, CLI."""

from __future__ import annotations

from typing import Any

from flask import Flask, appcontext_popped, appcontext_pushed, current_app, jsonify
from flask_babel import gettext
from flask_sqlalchemy.session import Session as FlaskSession

from portal import (
    cache_control,
    custom_hosts,
    errorhandlers,
    jobs,
    links,
    logs,
    ratelimit,
    request_log,
    security,
    settings,
)
from portal.config import PROJECT_ROOT, load_config
from portal.database import configure_engine
from portal.extensions import babel, csrf, db, login_manager
from portal.formatting import install_filters
from portal.i18n import language, select_locale
from portal.jobs import cluster, outbox
from portal.jobs.queue import backlog, init_queue
from portal.jsonio import OrjsonProvider
from portal.statuses import STATUS_ENUMS


def build_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Create and wire a new application instance."""
    config = load_config(overrides)
    app = custom_hosts.PortalFlask(
        "portal",
        root_path=str(PROJECT_ROOT / "portal"),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=config["INSTANCE_PATH"],
    )
    app.config.update(config)
    _bind_settings(app)
    links.install_proxy_fix(app)
    custom_hosts.init_app(app)  # outermost: it reads the Host header as received
    app.json = OrjsonProvider(app)
    _init_extensions(app)
    security.init_app(app)
    logs.init_app(app)
    request_log.init_app(app)  # first: its hook starts each request outside a transaction
    ratelimit.init_app(app)
    cache_control.init_app(app)
    _register_blueprints(app)
    errorhandlers.init_app(app)
    app.add_url_rule("/healthz", "healthz", healthz)
    app.add_url_rule("/readyz", "readyz", readyz)
    from portal import cli

    cli.init_app(app)
    return app


def _bind_settings(app: Flask) -> None:
    """Give services this app's settings in each of its application contexts."""
    app.extensions["portal.settings"] = settings.Settings(
        app.config, translate=gettext, link=links.public_url
    )
    appcontext_pushed.connect(_push_settings, app)
    appcontext_popped.connect(_pop_settings, app)


def _push_settings(app: Flask, **_: Any) -> None:
    settings.push(app.extensions["portal.settings"])


def _pop_settings(app: Flask, **_: Any) -> None:
    settings.pop()


def _init_extensions(app: Flask) -> None:
    import portal.models  # noqa: F401  (registers every model on the metadata)

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["language"] = language
    install_filters(app)
    app.jinja_env.globals.update({enum.__name__: enum for enum in STATUS_ENUMS})
    init_queue(app)
    jobs.register()
    outbox.install(FlaskSession)


def _register_blueprints(app: Flask) -> None:
    from portal.admin import bp as admin_bp
    from portal.api import bp as api_bp
    from portal.auth import bp as auth_bp
    from portal.dashboard import bp as dashboard_bp
    from portal.dashboard.invitations import bp as invitations_bp
    from portal.dashboard.org import bp as org_bp
    from portal.docs import bp as docs_bp
    from portal.public_links import bp as public_links_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(org_bp)
    app.register_blueprint(invitations_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(docs_bp)
    app.register_blueprint(public_links_bp, url_prefix="/" + app.config["PUBLIC_LINK_PREFIX"])
    from portal.selfinvoice import bp as selfinvoice_bp

    app.register_blueprint(selfinvoice_bp)  # last: /<domain> must not shadow other routes
    csrf.exempt(api_bp)


def healthz() -> tuple[Any, int]:
    """The cluster's health: database, queue, workers' heartbeat and the oldest pending job;
    503 when the database is down or (if required) no worker has beaten recently."""
    try:
        db.session.execute(db.text("SELECT 1"))
        workers = cluster.health(current_app.config["HEALTH_MAX_HEARTBEAT_AGE"])
        waiting = outbox.health()
    except Exception:
        db.session.rollback()
        return jsonify(status="unavailable", database="down"), 503
    finally:
        db.session.rollback()
    status = 200 if workers["ok"] else 503
    return jsonify(
        status="ok" if workers["ok"] else "no_worker",
        database="ok",
        queue=backlog(),
        workers=workers,
        outbox=waiting,
    ), status


def readyz() -> tuple[Any, int]:
    """Whether this web node can serve requests (its database answers): for load balancers."""
    try:
        db.session.execute(db.text("SELECT 1"))
    except Exception:
        return jsonify(status="unavailable", database="down"), 503
    finally:
        db.session.rollback()
    return jsonify(status="ok", database="ok"), 200
