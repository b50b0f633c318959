"""Webhooks and activity screens of one organization, in the dashboard's environment."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField, widgets

from portal.dashboard.forms import ConfirmForm
from portal.dashboard.org import bp
from portal.dashboard.roles import requires
from portal.errors import PortalError
from portal.extensions import db
from portal.forms import attach_errors, max_length, strip
from portal.impersonation import refused_while_impersonating
from portal.models.events import EVENT_TYPES, Webhook, WebhookDelivery
from portal.services import activity, audit, team, webhooks
from portal.statuses import WebhookStatus
from portal.tenancy import current_tenant, scoped_get, scoped_select

EVENT_CHOICES = [(name, name) for name in EVENT_TYPES]


class WebhookForm(FlaskForm):
    """A webhook's URL and the events it listens to."""

    url = StringField(_l("URL"), [max_length(2000)], filters=[strip])
    enabled_events = SelectMultipleField(
        _l("Eventos"),
        choices=EVENT_CHOICES,
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
    )

    def as_payload(self) -> dict[str, Any]:
        """The API-shaped body the service checks."""
        return {"url": self.url.data, "enabled_events": self.enabled_events.data}


class WebhookEditForm(WebhookForm):
    """The same, plus enabling or disabling it."""

    status = SelectField(
        _l("Estado"),
        choices=[
            (WebhookStatus.ENABLED, _l("Activo")),
            (WebhookStatus.DISABLED, _l("Desactivado")),
        ],
    )

    def as_payload(self) -> dict[str, Any]:
        """The API-shaped body the service checks."""
        return {**super().as_payload(), "status": self.status.data}


def _save(form: WebhookForm, save: Any) -> Any:
    if not form.validate_on_submit():
        return None
    try:
        return save(form.as_payload())
    except PortalError as error:
        attach_errors(form, error)
        return None


@bp.route("/webhooks", methods=["GET", "POST"], endpoint="webhooks")
@requires("admin", read="configuration")
def webhooks_list() -> Any:
    """The environment's webhooks and a form to add one."""
    tenant = current_tenant()
    form = WebhookForm(data={"enabled_events": list(EVENT_TYPES)})
    created = _save(
        form,
        lambda data: webhooks.create_webhook(
            db.session, tenant.organization.id, tenant.livemode, data
        ),
    )
    if created:
        db.session.commit()
        hook, secret = created
        return _webhook_page(hook, WebhookEditForm(obj=hook), secret=secret, created=True)
    rows = db.session.scalars(scoped_select(Webhook).order_by(Webhook.created_at.desc())).all()
    status = 400 if form.errors or form.form_errors else 200
    return render_template("dashboard/org/webhooks.html", webhooks=rows, form=form), status


def _webhook_page(hook: Webhook, form: WebhookEditForm, **shown: Any) -> tuple[str, int]:
    status = 400 if form.errors or form.form_errors else 200
    log = activity.webhook_log(db.session, hook)
    context = {"hook": hook, "form": form, "log": log, "confirm": ConfirmForm(), **shown}
    return render_template("dashboard/org/webhook.html", **context), status


@bp.route("/webhooks/<webhook_id>", methods=["GET", "POST"])
@requires("admin", read="configuration")
def webhook(webhook_id: str) -> Any:
    """One webhook: settings, and its deliveries with every attempt."""
    hook = scoped_get(Webhook, webhook_id)
    form = WebhookEditForm(obj=hook)
    if _save(form, lambda data: webhooks.update_webhook(hook, data)):
        db.session.commit()
        flash(_("Guardamos el webhook."), "success")
        return redirect(url_for("org.webhook", webhook_id=hook.id))
    return _webhook_page(hook, form)


@bp.route("/webhooks/<webhook_id>/secret", methods=["POST"])
@requires("admin", read="configuration")
@refused_while_impersonating
def reveal_webhook_secret(webhook_id: str) -> Any:
    """Show the signing secret (a POST, so that it never sits in a cached page or a log)."""
    hook = scoped_get(Webhook, webhook_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("org.webhook", webhook_id=hook.id))
    return _webhook_page(hook, WebhookEditForm(obj=hook), secret=webhooks.secret_of(hook))


@bp.route("/webhooks/<webhook_id>/delete", methods=["POST"])
@requires("admin", read="configuration")
def delete_webhook(webhook_id: str) -> Any:
    """Remove a webhook."""
    if ConfirmForm().validate_on_submit():
        webhooks.delete_webhook(scoped_get(Webhook, webhook_id))
        db.session.commit()
        flash(_("Eliminamos el webhook."), "success")
    return redirect(url_for("org.webhooks"))


@bp.route("/deliveries/<delivery_id>/resend", methods=["POST"])
@requires("admin", read="configuration")
def resend_delivery(delivery_id: str) -> Any:
    """Deliver an event to its webhook again, now."""
    delivery = scoped_get(WebhookDelivery, delivery_id)
    if ConfirmForm().validate_on_submit():
        webhooks.resend(delivery)
        db.session.commit()
        flash(_("Reenviamos el evento."), "success")
    return redirect(url_for("org.webhook", webhook_id=delivery.webhook_id))


@bp.route("/activity", endpoint="activity")
def activity_page() -> Any:
    """What the team did, recent events with their deliveries, recent emails, and failing
    webhooks."""
    tenant = current_tenant()
    return render_template(
        "dashboard/org/activity.html",
        team_actions=team.recent_actions(db.session, tenant.organization),
        events=activity.recent_events(db.session, tenant),
        emails=activity.recent_emails(db.session, tenant),
        failing=activity.failing_webhooks(db.session, tenant),
        support_entries=audit.for_organization(db.session, tenant.organization.id),
        confirm=ConfirmForm(),
    )
