"""Webhooks (``/v2/webhooks``): what is sent and what is answered."""

from __future__ import annotations

from typing import Literal

from portal.schemas import ApiModel
from portal.schemas.common import Moment, Owned, PageQuery


class WebhookIn(ApiModel):
    """Una URL que escucha eventos."""

    url: str | None = None
    enabled_events: list[str] | None = None
    status: str | None = None


class SignatureIn(ApiModel):
    """Una firma ``Facturapi-Signature`` por validar."""

    signature: str | None = None
    payload: str | None = None
    secret: str | None = None


class WebhookQuery(PageQuery):
    """Página de la lista de webhooks."""


class Webhook(Owned):
    """Un webhook."""

    url: str
    enabled_events: list[str]
    status: Literal["enabled", "disabled"]
    failing_since: Moment | None


class WebhookWithSecret(Webhook):
    """Un webhook recién creado, con su secreto de firma (sólo en esta respuesta)."""

    secret: str
