"""Helpers every API view shares: the JSON body, uploaded files, dates."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import request

from portal.errors import ValidationError
from portal.extensions import db
from portal.jsonio import MAX_DEPTH, UnreadableJSON, loads_untrusted
from portal.models.base import iso  # noqa: F401  (the API's timestamp format)
from portal.services import idempotency
from portal.tenancy import current_tenant

UPLOAD_MAX_BYTES = 64 * 1024
T = TypeVar("T")


def json_body() -> dict[str, Any]:
    """The request's JSON object; a clear 400 when it is missing, malformed or not an object."""
    try:
        data = loads_untrusted(request.get_data(cache=True)) if request.data else {}
    except UnreadableJSON:
        raise ValidationError(
            "El cuerpo de la solicitud no es JSON válido, anida más de "
            f"{MAX_DEPTH} niveles o trae un número fuera de rango.",
            "invalid_json",
        ) from None
    if not isinstance(data, dict):
        raise ValidationError("El cuerpo de la solicitud debe ser un objeto JSON.", "invalid_json")
    return data


def uploaded(field: str, max_bytes: int = UPLOAD_MAX_BYTES) -> bytes:
    """The bytes of a multipart file field, with size and presence checked."""
    storage = request.files.get(field)
    if storage is None:
        raise ValidationError(f"Falta el archivo «{field}».", "required", path=field)
    data = storage.read(max_bytes + 1)
    if not data:
        raise ValidationError(f"El archivo «{field}» está vacío.", "empty_file", path=field)
    if len(data) > max_bytes:
        raise ValidationError(
            f"El archivo «{field}» es demasiado grande.", "file_too_large", path=field
        )
    return data


def idempotent(
    scope: str,
    create: Callable[[], T],
    load: Callable[[str], T],
    caller: idempotency.Caller | None = None,
) -> T:
    """``create()`` under the request's ``Idempotency-Key`` (``idempotency.run_once``): a retry
    with the same body gets ``load(id)`` of the first object, another body a 409. The caller
    is the key's organization environment unless given (an account's user key)."""
    if caller is None:
        tenant = current_tenant()
        caller = idempotency.Caller.organization(tenant.organization.id, tenant.livemode)
    return idempotency.run_once(  # type: ignore[type-var]
        db.session,
        caller,
        scope,
        request.headers.get("Idempotency-Key"),
        json_body(),
        create,
        load,
    )
