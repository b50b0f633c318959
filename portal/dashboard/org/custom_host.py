"""The organization's own host name for its self-invoice page: choose it, see the DNS records
to create, check them now, remove it (the domain page shows it all)."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, g, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField

from portal import custom_hosts as routing
from portal.dashboard.forms import ConfirmForm
from portal.dashboard.org import bp
from portal.dashboard.roles import requires
from portal.errors import PortalError
from portal.extensions import db
from portal.forms import max_length, strip
from portal.jobs import custom_hosts as host_checks
from portal.services import custom_hosts


class HostForm(FlaskForm):
    """The host name, as the tenant types it (IDNA accepted)."""

    host = StringField(_l("Nombre de host"), [max_length(253)], filters=[strip])


def page_context() -> dict[str, Any]:
    """What the domain page shows about the custom host."""
    row = custom_hosts.host_of(db.session, g.organization)
    return {
        "host": row,
        "host_form": HostForm(data={"host": custom_hosts.display_host(row.host) if row else ""}),
        "host_shown": custom_hosts.display_host(row.host) if row else None,
        "record_name": custom_hosts.record_name(row.host) if row else None,
        "record_value": custom_hosts.record_value(row.token) if row else None,
        "platform_host": routing.platform_host(current_app),
        "confirm_form": ConfirmForm(),
    }


def _back():
    return redirect(url_for("org.domain") + "#custom-host")


@bp.route("/settings/domain/host", methods=["POST"])
@requires("admin", read="configuration")
def set_custom_host():
    """Choose (or change) the host; it waits unverified until its TXT record is found."""
    form = HostForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        custom_hosts.set_host(
            db.session, g.organization, form.host.data, routing.platform_host(current_app)
        )
    except PortalError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _back()
    db.session.commit()
    routing.CACHE.clear()
    flash(_("Guardamos tu dominio. Crea los registros DNS y pulsa «Comprobar ahora»."), "success")
    return _back()


@bp.route("/settings/domain/host/check", methods=["POST"])
@requires("admin", read="configuration")
def check_custom_host():
    """Ask the DNS for the TXT record now (no transaction open meanwhile)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    row = custom_hosts.host_of(db.session, g.organization)
    if row is None:
        return _back()
    target = custom_hosts.target(row)
    db.session.rollback()  # the DNS may take seconds: hold no transaction while it answers
    (checked,) = host_checks.check([target])
    if checked is not None and checked.verified_at is not None:
        flash(_("¡Listo! Verificamos tu dominio: tu página ya responde en él."), "success")
    elif checked is not None:
        flash(_("Aún no: %(why)s", why=checked.last_error), "error")
    return _back()


@bp.route("/settings/domain/host/delete", methods=["POST"])
@requires("admin", read="configuration")
def delete_custom_host():
    """Stop serving the page on the organization's own host."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    custom_hosts.remove_host(db.session, g.organization)
    db.session.commit()
    routing.CACHE.clear()
    flash(_("Quitamos tu dominio. Tu página sigue en la dirección de la plataforma."), "success")
    return _back()
