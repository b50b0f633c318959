"""Field types that read untrusted input the API's way (as ``services/checks.Checker`` does).

Facturapi's clients send numbers where text is expected, empty strings for "not given" and
stray spaces; these types accept that and refuse the rest with the API's Spanish messages and
codes. ``None`` and ``""`` count as not given: ``Text(required=True)`` refuses them as missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, ValidationInfo
from pydantic_core import PydanticCustomError

from portal.cfdi.types import NOT_XML_CHARACTER

REQUIRED = "El campo {path} es obligatorio."


def _given(value: Any, required: bool) -> bool:
    """Whether a value was sent; a required one that was not is an error."""
    if value is None or value == "":
        if required:
            raise PydanticCustomError("required", REQUIRED)
        return False
    return True


def read_text(value: Any, required: bool = False, max_len: int | None = None) -> str | None:
    """A string, trimmed (numbers are read as text)."""
    if not _given(value, required):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise PydanticCustomError("invalid_type", "El campo {path} debe ser texto.")
    if NOT_XML_CHARACTER.search(value):
        raise PydanticCustomError(
            "invalid_characters", "El campo {path} contiene caracteres de control no permitidos."
        )
    value = value.strip()
    if max_len is not None and len(value) > max_len:
        raise PydanticCustomError(
            "too_long", f"El campo {{path}} admite como máximo {max_len} caracteres."
        )
    return value


def Text(required: bool = False, max_len: int | None = None) -> Any:  # noqa: N802
    """A text field (``Annotated`` metadata): trimmed, bounded, control characters refused."""
    extra = {"maxLength": max_len} if max_len else None
    return Annotated[
        str if required else str | None,
        BeforeValidator(lambda value: read_text(value, required, max_len)),
        Field(json_schema_extra=extra),
    ]


def Choice(choices: Iterable[str], required: bool = False) -> Any:  # noqa: N802
    """One of a fixed set of values (listed in the message)."""
    allowed = list(choices)

    def read(value: Any, info: ValidationInfo) -> str | None:
        text = read_text(value, required)
        if text is not None and text not in allowed:
            raise PydanticCustomError(
                "invalid_enum",
                f"El valor «{text}» no es válido para {{path}}. "
                f"Valores permitidos: {', '.join(allowed)}.",
            )
        return text

    return Annotated[
        str if required else str | None,
        BeforeValidator(read),
        Field(json_schema_extra={"enum": allowed}),
    ]


def read_items(value: Any, required: bool = False, max_items: int | None = None) -> list | None:
    """A list, as given (its elements are read by their own type)."""
    if not _given(value, required):
        return None
    if not isinstance(value, list):
        raise PydanticCustomError("invalid_type", "El campo {path} debe ser una lista.")
    if max_items is not None and len(value) > max_items:
        raise PydanticCustomError(
            "too_many_items", f"El campo {{path}} admite como máximo {max_items} elementos."
        )
    return value


def Items(  # noqa: N802
    element: Any, required: bool = False, max_items: int | None = None
) -> Any:
    """A list of ``element``: each one refused at its own path (``field[2]``)."""
    shape = list[element]  # type: ignore[valid-type]
    return Annotated[
        shape if required else shape | None,
        BeforeValidator(lambda value: read_items(value, required, max_items)),
        Field(json_schema_extra={"maxItems": max_items} if max_items else None),
    ]


def checked(read: Callable[[Any, ValidationInfo], Any]) -> BeforeValidator:
    """A rule-specific reading (it raises ``PydanticCustomError`` with its own code)."""
    return BeforeValidator(read)
