"""Webhooks of the key's organization and environment, and signature validation."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from portal.api import bp
from portal.api.auth import organization_key_required
from portal.api.common import idempotent, json_body
from portal.extensions import db
from portal.models.events import Webhook
from portal.pagination import paginate
from portal.schemas import answer, operation
from portal.schemas.common import JsonObject, Page
from portal.schemas.webhooks import (
    SignatureIn,
    WebhookIn,
    WebhookQuery,
    WebhookUpdate,
    WebhookWithSecret,
)
from portal.schemas.webhooks import Webhook as WebhookOut
from portal.services import webhooks
from portal.tenancy import current_tenant, scoped_get, scoped_select

NOT_FOUND = "El webhook solicitado no existe."


def serialize_webhook(webhook: Webhook) -> dict[str, Any]:
    """The webhook object of the API (the secret only appears at creation)."""
    return answer(WebhookOut, webhook)


@bp.post("/webhooks")
@organization_key_required
@operation(body=WebhookIn, response=WebhookWithSecret, summary="Crear un webhook")
def create_webhook() -> Any:
    """Register a listening URL; the answer carries its signing secret."""
    tenant = current_tenant()
    webhook = idempotent(
        "webhooks",
        lambda: webhooks.create_webhook(
            db.session, tenant.organization.id, tenant.livemode, json_body()
        )[0],
        lambda found: scoped_get(Webhook, found, message=NOT_FOUND),
    )
    db.session.commit()
    return jsonify(
        answer(
            WebhookWithSecret, {**serialize_webhook(webhook), "secret": webhooks.secret_of(webhook)}
        )
    )


@bp.get("/webhooks")
@organization_key_required
@operation(query=WebhookQuery, response=Page[WebhookOut], summary="Listar webhooks")
def list_webhooks() -> Any:
    """The environment's webhooks, newest first."""
    query = scoped_select(Webhook).order_by(Webhook.created_at.desc(), Webhook.id.desc())
    return jsonify(paginate(db.session, query, serialize_webhook))


@bp.get("/webhooks/<webhook_id>")
@organization_key_required
@operation(response=WebhookOut, summary="Obtener un webhook")
def retrieve_webhook(webhook_id: str) -> Any:
    """One webhook."""
    return jsonify(serialize_webhook(scoped_get(Webhook, webhook_id, message=NOT_FOUND)))


@bp.put("/webhooks/<webhook_id>")
@organization_key_required
@operation(body=WebhookUpdate, response=WebhookOut, summary="Editar un webhook")
def edit_webhook(webhook_id: str) -> Any:
    """Change the URL, the events or enable/disable it."""
    webhook = scoped_get(Webhook, webhook_id, message=NOT_FOUND)
    webhooks.update_webhook(webhook, json_body())
    db.session.commit()
    return jsonify(serialize_webhook(webhook))


@bp.delete("/webhooks/<webhook_id>")
@organization_key_required
@operation(response=WebhookOut, summary="Eliminar un webhook")
def delete_webhook(webhook_id: str) -> Any:
    """Remove a webhook; answers with what was removed."""
    webhook = webhooks.delete_webhook(scoped_get(Webhook, webhook_id, message=NOT_FOUND))
    db.session.commit()
    return jsonify(serialize_webhook(webhook))


@bp.post("/webhooks/validate-signature")
@organization_key_required
@operation(body=SignatureIn, response=JsonObject, summary="Validar una firma")
def validate_signature() -> Any:
    """The event when its signature is right (``{signature, payload, secret?}``), else 400."""
    tenant = current_tenant()
    payload = webhooks.validate_signature(
        db.session, tenant.organization.id, tenant.livemode, json_body()
    )
    return jsonify(payload)
