"""Webhooks (``/v2/webhooks``): what is sent and what is answered."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, ValidationInfo, model_validator

from portal.cfdi.reading import refusal
from portal.schemas import ApiModel
from portal.schemas.common import Moment, Owned, PageQuery
from portal.schemas.fields import REQUIRED, Choice, Text, read_items, read_text
from portal.statuses import WebhookStatus

URL_MAX = 2000


def _present(value: Any) -> Any:
    if value is None:
        raise refusal("required", REQUIRED)
    return value


def _url(value: Any, info: ValidationInfo, required: bool) -> str | None:
    """A URL the webhook may reach (the caller's ``check_url`` context says why not)."""
    url = read_text(value, required, URL_MAX)
    if url is not None:
        problem = (info.context or {})["check_url"](url)
        if problem:
            raise refusal("invalid_url", problem)
    return url


def _event(value: Any, info: ValidationInfo) -> str:
    allowed = (info.context or {})["event_types"]
    if not isinstance(value, str) or value not in allowed:
        raise refusal(
            "invalid_enum",
            f"El evento «{value}» no existe. Valores permitidos: {', '.join(allowed)}.",
        )
    return value


def _some(events: list[str] | None) -> list[str] | None:
    if events is not None and not events:
        raise refusal("required", "Elige al menos un tipo de evento.")
    return None if events is None else list(dict.fromkeys(events))


def _events(required: bool) -> Any:
    """The event types to send: each one known, at most as many as there are, none twice."""

    def read(value: Any, info: ValidationInfo) -> list[Any] | None:
        return read_items(value, required, len((info.context or {})["event_types"]))

    events = list[Annotated[str, BeforeValidator(_event)]]
    return Annotated[
        events if required else events | None, BeforeValidator(read), AfterValidator(_some)
    ]


class WebhookUpdate(ApiModel):
    """Lo que cambia de un webhook: su URL, sus eventos o su estado."""

    url: Annotated[
        str | None,
        BeforeValidator(lambda value, info: _url(value, info, False)),
        Field(json_schema_extra={"maxLength": URL_MAX}),
    ] = None
    enabled_events: _events(False) = None
    status: Choice(WebhookStatus) = None


class WebhookIn(ApiModel):
    """Una URL que escucha eventos."""

    url: Annotated[
        str,
        BeforeValidator(lambda value, info: _url(value, info, True)),
        Field(json_schema_extra={"maxLength": URL_MAX}),
    ]
    enabled_events: _events(True)


class SignatureIn(ApiModel):
    """Una firma ``Facturapi-Signature`` por validar (``body``: otro nombre de ``payload``)."""

    signature: Text(required=True, max_len=200)
    secret: Text(max_len=200) = None
    payload: Annotated[Any, BeforeValidator(_present)]

    @model_validator(mode="before")
    @classmethod
    def _body_is_payload(cls, data: Any) -> Any:
        if isinstance(data, dict) and "payload" not in data and "body" in data:
            return {**data, "payload": data["body"]}
        return data


class WebhookQuery(PageQuery):
    """Página de la lista de webhooks."""


class Webhook(Owned):
    """Un webhook."""

    url: str
    enabled_events: list[str]
    status: WebhookStatus
    failing_since: Moment | None


class WebhookWithSecret(Webhook):
    """Un webhook recién creado, con su secreto de firma (sólo en esta respuesta)."""

    secret: str
