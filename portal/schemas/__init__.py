"""API resource shapes, declared once with pydantic v2.

Every request body, query string and answer of ``/v2`` is a model in this package (one module a
resource). ``parse`` validates untrusted input against a model and turns pydantic's errors into
the Facturapi error body (``path`` such as ``items[0].quantity``, Spanish messages, our codes).
``operation`` attaches the shapes to a view so that ``/v2/openapi.json`` is generated from the
routes and these models (``portal.api.openapi``).

This package imports neither Flask nor SQLAlchemy: services may use the models too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticValidationError

from portal.cfdi.reading import path_of
from portal.errors import Problem, ValidationError

M = TypeVar("M", bound=BaseModel)
F = TypeVar("F", bound=Callable[..., Any])


class ApiModel(BaseModel):
    """Base of every request and answer model (unknown input fields are ignored, as Facturapi)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


def iso(moment: datetime | None) -> str | None:
    """A timestamp as Facturapi writes it: UTC, milliseconds, ``Z``."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def answer(model: type[BaseModel], source: Any) -> dict[str, Any]:
    """An answer as the API writes it: ``source`` (an object's attributes or a mapping) read
    through ``model``, so a field the model does not declare is an error, never a leak."""
    shaped = model.model_validate(source, from_attributes=True)
    return shaped.model_dump(mode="json", by_alias=True, exclude_unset=True)


def error_path(loc: tuple[str | int, ...], prefix: str = "") -> str | None:
    """``('items', 0, 'quantity')`` → ``items[0].quantity``; ``None`` for the whole body."""
    return path_of(loc, prefix) or None


# pydantic's error types → (our code, Spanish message); ``{path}`` and the error's context fill in.
MESSAGES: dict[str, tuple[str, str]] = {
    "missing": ("required", "El campo {path} es obligatorio."),
    "string_type": ("invalid_type", "El campo {path} debe ser texto."),
    "string_too_long": ("too_long", "El campo {path} admite como máximo {max_length} caracteres."),
    "string_too_short": ("too_short", "El campo {path} requiere al menos {min_length} caracteres."),
    "string_pattern_mismatch": ("invalid_format", "El campo {path} no tiene un formato válido."),
    "int_type": ("invalid_type", "El campo {path} debe ser un número entero."),
    "int_parsing": ("invalid_type", "El campo {path} debe ser un número entero."),
    "int_from_float": ("invalid_type", "El campo {path} debe ser un número entero."),
    "bool_type": ("invalid_type", "El campo {path} debe ser true o false."),
    "bool_parsing": ("invalid_type", "El campo {path} debe ser true o false."),
    "float_type": ("invalid_type", "El campo {path} debe ser un número."),
    "float_parsing": ("invalid_type", "El campo {path} debe ser un número."),
    "decimal_type": ("invalid_type", "El campo {path} debe ser un número."),
    "decimal_parsing": ("invalid_type", "El campo {path} debe ser un número."),
    "finite_number": ("invalid_type", "El campo {path} debe ser un número."),
    "greater_than": ("out_of_range", "El campo {path} debe ser mayor que {gt}."),
    "greater_than_equal": ("out_of_range", "El campo {path} debe ser mayor o igual a {ge}."),
    "less_than": ("out_of_range", "El campo {path} debe ser menor que {lt}."),
    "less_than_equal": ("out_of_range", "El campo {path} debe ser menor o igual a {le}."),
    "literal_error": (
        "invalid_enum",
        "El valor no es válido para {path}. Valores permitidos: {expected}.",
    ),
    "enum": ("invalid_enum", "El valor no es válido para {path}. Valores permitidos: {expected}."),
    "dict_type": ("invalid_type", "Se esperaba un objeto JSON en {path}."),
    "model_type": ("invalid_type", "Se esperaba un objeto JSON en {path}."),
    "model_attributes_type": ("invalid_type", "Se esperaba un objeto JSON en {path}."),
    "list_type": ("invalid_type", "El campo {path} debe ser una lista."),
    "too_long": ("too_long", "El campo {path} admite como máximo {max_length} elementos."),
    "too_short": ("too_short", "El campo {path} requiere al menos {min_length} elementos."),
    "datetime_type": ("invalid_type", "El campo {path} debe ser una fecha ISO 8601."),
    "datetime_parsing": ("invalid_type", "El campo {path} debe ser una fecha ISO 8601."),
    "datetime_from_date_parsing": ("invalid_type", "El campo {path} debe ser una fecha ISO 8601."),
    "date_parsing": ("invalid_type", "El campo {path} debe ser una fecha AAAA-MM-DD."),
    "extra_forbidden": ("unknown_field", "El campo {path} no se reconoce."),
}


def problem_of(error: dict[str, Any], prefix: str = "") -> Problem:
    """One pydantic error as one ``Problem`` of the API's error body."""
    path = error_path(tuple(error["loc"]), prefix)
    shown = path or "del cuerpo"
    known = None if (error.get("ctx") or {}).get("ours") else MESSAGES.get(error["type"])
    if known is None:  # a PydanticCustomError: its type is our code, its message is Spanish
        code, message = error["type"], error["msg"]
    else:
        code, template = known
        context = {k: v for k, v in (error.get("ctx") or {}).items() if k != "path"}
        try:
            message = template.format(path="{path}", **context)
        except (KeyError, IndexError):
            message = template
    return Problem(message.replace("{path}", shown), code, path)


def parse(
    model: type[M],
    data: Any,
    prefix: str = "",
    context: Any = None,
    *,
    before: Sequence[Problem] = (),
    after: Sequence[Problem] = (),
) -> M:
    """Validate untrusted input against ``model``; one ``ValidationError`` lists every problem,
    the caller's own rules' ``before`` and ``after`` the model's (``context`` reaches the
    validators that need the caller's settings)."""
    found: list[Problem] = []
    try:
        parsed = model.model_validate(data, context=context)
    except PydanticValidationError as exc:
        found = [problem_of(e, prefix) for e in exc.errors(include_url=False)]
    if before or found or after:
        raise ValidationError.from_problems([*before, *found, *after])
    return parsed


def parse_partial(
    model: type[M], data: Any, prefix: str = "", context: Any = None
) -> tuple[M | None, list[Problem]]:
    """Validate ``data`` against ``model`` without stopping at a bad field: each wrong value
    is reported and then read as ``None`` (its parent's, if ``None`` does not fit either), so
    the rules that come after still see every readable field, and report on the whole object
    in one answer. ``None`` for the model only when the input is not an object at all."""
    problems: list[Problem] = []
    seen: set[tuple[Any, ...]] = set()
    while True:
        try:
            return model.model_validate(data, context=context), problems
        except PydanticValidationError as exc:
            errors = exc.errors(include_url=False)
        for error in errors:
            loc = tuple(error["loc"])
            while loc in seen:  # None did not fit there: blank the field that holds it
                loc = loc[:-1]
            if not loc:
                return None, problems
            if tuple(error["loc"]) not in seen and not any(loc[: len(s)] == s for s in seen):
                problems.append(problem_of(error, prefix))
            seen.add(loc)
            data = _blanked(data, loc)


def _blanked(data: Any, loc: tuple[Any, ...]) -> Any:
    """A copy of ``data`` with the value at ``loc`` replaced by ``None``."""
    if not loc:
        return None
    head, rest = loc[0], loc[1:]
    if isinstance(data, dict) and head in data:
        return {**data, head: _blanked(data[head], rest)}
    if isinstance(data, list) and isinstance(head, int) and 0 <= head < len(data):
        return [_blanked(item, rest) if i == head else item for i, item in enumerate(data)]
    return data


@dataclass(frozen=True)
class Operation:
    """What ``/v2/openapi.json`` says of one view: its shapes, summary and tag.

    ``form`` is a multipart body (``bytes`` fields are files); ``media`` makes the answer a file
    of that type, or of the type named by the path's last segment (``{"pdf": ..., "xml": ...}``).
    """

    body: type[BaseModel] | None = None
    response: Any = None
    query: type[BaseModel] | None = None
    summary: str | None = None
    tags: tuple[str, ...] = ()
    responses: dict[int, str] = field(default_factory=dict)
    form: type[BaseModel] | None = None
    media: str | dict[str, str] | None = None


def operation(**spec: Any) -> Callable[[F], F]:
    """Describe a view for the generated OpenAPI document; put it right above ``def``."""
    if "tags" in spec:
        spec["tags"] = tuple(spec["tags"])
    described = Operation(**spec)

    def attach(view: F) -> F:
        view.__api_operation__ = described  # type: ignore[attr-defined]
        return view

    return attach
