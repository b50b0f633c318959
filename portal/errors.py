"""Domain errors: a machine-readable code, a Spanish message, an HTTP status and a field path.

This module is a leaf: the fiscal engine (``portal.cfdi``) and the services raise these, and the
web layer turns them into JSON (API) or form messages (HTML). Nothing here imports Flask.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Problem:
    """One problem found in the input: what, where, and which rule."""

    message: str
    code: str = "invalid"
    path: str | None = None
    source: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        """The shape the Facturapi SDKs read in ``errors``."""
        return {
            "message": self.message,
            "code": self.code,
            "path": self.path,
            "source": self.source,
        }


ERROR_TYPES = (
    "invalid_request_error",
    "authentication_error",
    "authorization_error",
    "idempotency_error",
    "rate_limit_error",
    "api_error",
)


def error_type_for(status: int) -> str:
    """The broad family of an error by its HTTP status (subclasses may name their own)."""
    families = {401: "authentication_error", 403: "authorization_error", 429: "rate_limit_error"}
    if status >= 500:
        return "api_error"
    return families.get(status, "invalid_request_error")


@dataclass
class PortalError(Exception):
    """Base of every error the application raises on purpose."""

    # Set by subclasses whose family the status does not tell (e.g. ``idempotency_error``).
    kind = ""

    message: str
    code: str = "invalid_request"
    status: int = 400
    path: str | None = None
    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.message)
        if not self.problems:
            self.problems = [Problem(self.message, self.code, self.path)]

    @classmethod
    def from_problems(cls, problems: list[Problem], status: int = 400) -> PortalError:
        """One error carrying every problem found; the first one names the error."""
        first = problems[0]
        return cls(first.message, first.code, status, first.path, list(problems))

    @property
    def error_type(self) -> str:
        """One of ``ERROR_TYPES``."""
        return self.kind or error_type_for(self.status)

    def as_dict(self) -> dict[str, object]:
        """The JSON error body of the API: Facturapi's (``ok: false`` and the rest), plus
        ``type`` and ``param`` (the web layer adds ``doc_url`` and ``request_id``)."""
        return {
            "ok": False,
            "message": self.message,
            "status": self.status,
            "code": self.code,
            "path": self.path,
            "errors": [p.as_dict() for p in self.problems],
            "type": self.error_type,
            "param": self.path,
        }


class ValidationError(PortalError):
    """The input breaks a rule (HTTP 400)."""


class NotFound(PortalError):
    """The object does not exist for this tenant (HTTP 404)."""

    def __init__(
        self,
        message: str = "El recurso solicitado no existe.",
        code: str = "not_found",
        path: str | None = None,
    ) -> None:
        super().__init__(message, code, 404, path)


class Unauthorized(PortalError):
    """Missing or wrong credentials (HTTP 401)."""

    def __init__(
        self,
        message: str = "La llave de API es inválida o no fue enviada.",
        code: str = "unauthorized",
    ) -> None:
        super().__init__(message, code, 401)


class Forbidden(PortalError):
    """The actor may not do this (HTTP 403)."""

    def __init__(self, message: str, code: str = "forbidden") -> None:
        super().__init__(message, code, 403)


class Conflict(PortalError):
    """The request clashes with the current state (HTTP 409)."""

    def __init__(self, message: str, code: str = "conflict", path: str | None = None) -> None:
        super().__init__(message, code, 409, path)


class IdempotencyError(Conflict):
    """An ``Idempotency-Key`` was reused with another body or is still in flight (HTTP 409)."""

    kind = "idempotency_error"


class InsufficientScope(Forbidden):
    """The key's scopes do not include the one this operation needs (HTTP 403)."""

    def __init__(self, scope: str) -> None:
        super().__init__(
            f"Esta llave de API no tiene el scope «{scope}» que requiere esta operación.",
            "insufficient_scope",
        )
        self.scope = scope


class TooManyRequests(PortalError):
    """A rate limit was hit (HTTP 429); ``retry_after`` in seconds."""

    def __init__(
        self,
        message: str = "Demasiadas solicitudes. Intenta de nuevo más tarde.",
        retry_after: int = 60,
        code: str = "too_many_requests",
    ) -> None:
        super().__init__(message, code, 429)
        self.retry_after = retry_after
