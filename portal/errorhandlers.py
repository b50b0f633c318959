"""One place that turns errors into JSON for the API and friendly pages for people."""

from __future__ import annotations

from flask import Flask, Response, current_app, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from portal.errors import NotFound, PortalError, TooManyRequests, ValidationError

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}


def wants_json() -> bool:
    """API calls and clients that ask for JSON get JSON errors."""
    if request.path.startswith("/v2"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def error_response(error: PortalError) -> Response:
    """The Facturapi error body (or a page) for a domain error."""
    if wants_json():
        response = jsonify(api_error_body(error))
    else:
        response = Response(
            render_template("errors/error.html", status=error.status, message=error.message)
        )
    response.status_code = error.status
    if isinstance(error, TooManyRequests):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def api_error_body(error: PortalError) -> dict[str, object]:
    """Facturapi's error body plus ``type``, ``param``, ``doc_url`` and ``request_id`` (the
    ``X-Facturapi-Log-Id`` header), which support uses to find the request."""
    body = error.as_dict()
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    body["doc_url"] = f"{base}/docs/errors#{error.code}"
    body["request_id"] = g.get("request_id", "")
    return body


def _http_message(status: int) -> str:
    messages = {
        400: _("La solicitud no es válida."),
        401: _("Necesitas iniciar sesión o enviar una llave de API válida."),
        403: _("No tienes permiso para hacer esto."),
        404: _("No encontramos lo que buscas."),
        405: _("Este método no está permitido aquí."),
        413: _("El archivo o la solicitud es demasiado grande."),
        429: _("Demasiadas solicitudes. Intenta de nuevo más tarde."),
        500: _("Ocurrió un error inesperado. Ya lo estamos revisando."),
    }
    return messages.get(status, _("Ocurrió un error."))


def handle_http(exc: HTTPException) -> Response:
    """Werkzeug's HTTP errors (404, 405, 413…) in our format."""
    status = exc.code or 500
    if isinstance(exc, CSRFError):
        message = _("El formulario caducó o no es válido. Recarga la página e intenta de nuevo.")
    else:
        message = _http_message(status)
    return error_response(PortalError(message, HTTP_CODES.get(status, "error"), status))


def handle_unexpected(exc: Exception) -> Response:
    """Anything unplanned: log it, answer 500 without details."""
    from flask import current_app

    from portal.extensions import db

    if db.session().in_transaction():  # never undo what a commit already saved
        db.session.rollback()
    current_app.logger.exception("unhandled error")
    return error_response(PortalError(_http_message(500), "internal_error", 500))


def refuse_nul() -> None:
    """A NUL character in a request's address, query or form fields is refused before any view
    runs: no document may carry one, and PostgreSQL can neither store nor compare it. (JSON
    bodies are checked field by field by their schemas; ids by ``scoped_get``.)"""
    if "\x00" in request.path:
        raise NotFound()  # nothing has such an address
    fields = list(request.args.items(multi=True))
    if request.method not in ("GET", "HEAD") and request.mimetype in FORM_TYPES:
        fields += list(request.form.items(multi=True))
    for name, value in fields:
        if "\x00" in f"{name}{value}":
            raise ValidationError(
                f"El campo {name} contiene caracteres de control no permitidos.",
                "invalid_characters",
                path=name,
            )


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def init_app(app: Flask) -> None:
    """Register the handlers."""
    app.before_request(refuse_nul)
    app.register_error_handler(PortalError, error_response)
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(Exception, handle_unexpected)
