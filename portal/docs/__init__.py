"""Public documentation: the API reference (vendored Swagger UI over the generated
``/v2/openapi.json``) and the error pages the API links to (``doc_url`` of every error body)."""

from __future__ import annotations

from flask import Blueprint, render_template

from portal.errors import ERROR_TYPES

bp = Blueprint("docs", __name__, url_prefix="/docs")

# What each error type means to an API client, in Spanish.
TYPE_HELP = {
    "invalid_request_error": "La solicitud trae datos que faltan, sobran o no cumplen una regla.",
    "authentication_error": "Falta la llave de API o no es válida.",
    "authorization_error": "La llave es válida pero no puede hacer esta operación.",
    "idempotency_error": "La cabecera Idempotency-Key se reutilizó de forma incompatible.",
    "rate_limit_error": "Se excedió el límite de solicitudes; reintenta tras Retry-After.",
    "api_error": "Error inesperado del servidor; contacta a soporte con el request_id.",
}

# The codes clients most often handle, with what to do about them.
CODES = [
    ("unauthorized", "authentication_error", "Envía la llave en Authorization: Bearer sk_…."),
    ("insufficient_scope", "authorization_error", "Usa una llave con el scope indicado."),
    ("user_key_required", "authorization_error", "La operación requiere la llave de usuario."),
    ("organization_key_required", "authorization_error", "Requiere una llave sk_test/sk_live."),
    ("suspended", "authorization_error", "La cuenta u organización está suspendida."),
    ("not_found", "invalid_request_error", "El recurso no existe para esta organización."),
    ("invalid_json", "invalid_request_error", "El cuerpo no es un objeto JSON válido."),
    ("invalid_scope", "invalid_request_error", "Un scope no existe; revisa la lista de scopes."),
    ("invoice_not_stamped", "invalid_request_error", "La factura aún no está timbrada."),
    ("idempotency_key_reused", "idempotency_error", "Usa una clave nueva o el mismo body."),
    ("rate_limit_exceeded", "rate_limit_error", "Espera los segundos de Retry-After."),
    ("too_many_requests", "rate_limit_error", "Espera los segundos de Retry-After."),
    ("internal_error", "api_error", "Reintenta; si persiste, escribe a soporte."),
]


@bp.get("")
def reference():
    """The API reference page, rendered in the browser from the generated OpenAPI document."""
    return render_template("docs/reference.html")


@bp.get("/errors")
def errors():
    """The error reference: each type and the common codes, anchored by code."""
    return render_template(
        "docs/errors.html",
        types=[(name, TYPE_HELP[name]) for name in ERROR_TYPES],
        codes=CODES,
    )
