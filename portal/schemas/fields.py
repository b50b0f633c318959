"""Field types that read untrusted input the API's way.

Facturapi's clients send numbers where text is expected, empty strings for "not given" and
stray spaces; these types accept that and refuse the rest with the API's Spanish messages and
codes. ``None`` and ``""`` count as not given: ``Text(required=True)`` refuses them as missing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    BeforeValidator,
    Field,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    WrapValidator,
)
from pydantic import ValidationError as PydanticValidationError

from portal.cfdi import catalogs
from portal.cfdi.reading import NOT_XML_CHARACTER, in_amount_range, raised_again, refusal

REQUIRED = "El campo {path} es obligatorio."
PHONE_PATTERN = r"[0-9+()\- .]{7,40}"
PHONE_MESSAGE = "El teléfono sólo puede tener dígitos, espacios y + ( ) -."
FOLIO_MAX = 2_000_000_000
SERIES_MAX = 25  # CFDI 4.0's Serie: 1–25 characters
SERIES_FORBIDDEN = frozenset("|\"'`/\\<>:*?")
SERIES_MESSAGE = (
    "La serie admite de 1 a 25 caracteres, sin comillas, barras, «|», «<>:*?» ni caracteres "
    "de control."
)


def _given(value: Any, required: bool) -> bool:
    """Whether a value was sent; a required one that was not is an error."""
    if value is None or value == "":
        if required:
            raise refusal("required", REQUIRED)
        return False
    return True


def read_text(
    value: Any,
    required: bool = False,
    max_len: int | None = None,
    upper: bool = False,
    pattern: str | None = None,
    message: str | None = None,
) -> str | None:
    """A string, trimmed (numbers are read as text); ``pattern`` must match all of it
    (``message`` says what is wrong when it does not)."""
    if not _given(value, required):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise refusal("invalid_type", "El campo {path} debe ser texto.")
    if NOT_XML_CHARACTER.search(value):
        raise refusal(
            "invalid_characters", "El campo {path} contiene caracteres de control no permitidos."
        )
    value = value.strip().upper() if upper else value.strip()
    if max_len is not None and len(value) > max_len:
        raise refusal("too_long", f"El campo {{path}} admite como máximo {max_len} caracteres.")
    if pattern and not re.fullmatch(pattern, value):
        raise refusal("invalid_format", message or "El campo {path} no tiene un formato válido.")
    return value


def Text(  # noqa: N802
    required: bool = False,
    max_len: int | None = None,
    upper: bool = False,
    pattern: str | None = None,
    message: str | None = None,
) -> Any:
    """A text field (``Annotated`` metadata): trimmed, bounded, control characters refused."""
    extra: dict[str, Any] = {"maxLength": max_len} if max_len else {}
    if pattern:
        extra["pattern"] = f"^{pattern}$"
    return Annotated[
        str if required else str | None,
        BeforeValidator(lambda value: read_text(value, required, max_len, upper, pattern, message)),
        Field(json_schema_extra=extra or None),
    ]


def Phone() -> Any:  # noqa: N802
    """A phone number as written (digits, spaces and + ( ) -)."""
    return Text(max_len=40, pattern=PHONE_PATTERN, message=PHONE_MESSAGE)


def read_email(value: Any, required: bool = False) -> str | None:
    """An email address, normalised."""
    text = read_text(value, required, max_len=254)
    if text is None:
        return None
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        raise refusal("invalid_email", f"El correo «{text}» no es válido.") from None


def Email(required: bool = False) -> Any:  # noqa: N802
    """An email address field."""
    return Annotated[
        str if required else str | None,
        BeforeValidator(lambda value: read_email(value, required)),
        Field(json_schema_extra={"format": "email", "maxLength": 254}),
    ]


def read_object(value: Any, required: bool = False) -> dict[str, Any] | None:
    """A nested JSON object (``None`` or ``""``: not given)."""
    if not _given(value, required):
        return None
    if not isinstance(value, dict):
        raise refusal("invalid_type", "El campo {path} debe ser un objeto.")
    return value


def read_choice(
    value: Any, allowed: list[str], required: bool = False, label: str | None = None
) -> str | None:
    """One of a fixed set of values (a long set is named by ``label`` in the message)."""
    text = read_text(value, required)
    if text is not None and text not in allowed:
        shown = ", ".join(allowed) if len(allowed) <= 12 else label or "los del catálogo"
        raise refusal(
            "invalid_enum",
            f"El valor «{text}» no es válido para {{path}}. Valores permitidos: {shown}.",
        )
    return text


def Choice(  # noqa: N802
    choices: Iterable[str], required: bool = False, label: str | None = None
) -> Any:
    """One of a fixed set of values (listed in the message, or named by ``label`` if long)."""
    allowed = [str(choice) for choice in choices]
    return Annotated[
        str if required else str | None,
        BeforeValidator(lambda value: read_choice(value, allowed, required, label)),
        Field(json_schema_extra={"enum": allowed}),
    ]


def read_decimal(
    value: Any, required: bool = False, minimum: Decimal | None = None
) -> Decimal | None:
    """An exact number (JSON number or numeric string); floats keep their shortest form."""
    if not _given(value, required):
        return None
    try:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise InvalidOperation
        number = Decimal(str(value).strip())
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise refusal("invalid_type", "El campo {path} debe ser un número.")
    if not in_amount_range(number):
        raise refusal("out_of_range", "El campo {path} está fuera de rango.")
    if minimum is not None and number < minimum:
        raise refusal("out_of_range", f"El campo {{path}} debe ser mayor o igual a {minimum}.")
    return number


def Number(minimum: Decimal | None = None, required: bool = False) -> Any:  # noqa: N802
    """An exact number field (``Decimal``), at least ``minimum``."""
    return Annotated[
        Decimal if required else Decimal | None,
        BeforeValidator(lambda value: read_decimal(value, required, minimum)),
        Field(json_schema_extra={"minimum": float(minimum)} if minimum is not None else None),
    ]


def read_boolean(value: Any, required: bool = False) -> bool | None:
    """A JSON boolean."""
    if not _given(value, required):
        return None
    if not isinstance(value, bool):
        raise refusal("invalid_type", "El campo {path} debe ser true o false.")
    return value


Boolean = Annotated[bool | None, BeforeValidator(read_boolean)]


def read_catalog_code(value: Any, catalog: str, name: str, required: bool = False) -> str | None:
    """A SAT catalog key (upper-cased), refused when the catalog does not have it."""
    code = read_text(value, required, max_len=8, upper=True)
    if code is not None and not catalogs.is_valid(catalog, code):
        raise refusal("not_found", f"La clave «{code}» no existe en el catálogo {name} del SAT.")
    return code


def read_items(value: Any, required: bool = False, max_items: int | None = None) -> list | None:
    """A list, as given (its elements are read by their own type)."""
    if not _given(value, required):
        return None
    if not isinstance(value, list):
        raise refusal("invalid_type", "El campo {path} debe ser una lista.")
    if max_items is not None and len(value) > max_items:
        raise refusal(
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


def bounds(minimum: int | None, maximum: int | None) -> str:
    """How a range reads in a message."""
    if minimum is not None and maximum is not None:
        return f"un número entre {minimum} y {maximum}"
    if minimum is not None:
        return f"mayor o igual a {minimum}"
    return f"menor o igual a {maximum}"


def read_integer(
    value: Any, required: bool = False, minimum: int | None = None, maximum: int | None = None
) -> int | None:
    """A whole number within bounds (booleans and fractions are refused; digits as text read)."""
    if not _given(value, required):
        return None
    if isinstance(value, str) and re.fullmatch(r"-?\d{1,15}", value.strip()):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise refusal("invalid_type", "El campo {path} debe ser un número entero.")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise refusal("out_of_range", f"El campo {{path}} debe ser {bounds(minimum, maximum)}.")
    return value


def Integer(  # noqa: N802
    minimum: int | None = None, maximum: int | None = None, required: bool = False
) -> Any:
    """A whole number field within bounds."""
    return Annotated[
        int if required else int | None,
        BeforeValidator(lambda value: read_integer(value, required, minimum, maximum)),
        Field(json_schema_extra={"minimum": minimum, "maximum": maximum}),
    ]


Folio = Integer(1, FOLIO_MAX)


def read_query_integer(value: Any, low: int, high: int | None = None) -> int | None:
    """A whole-number query parameter within bounds (absent or empty: None)."""
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = low - 1
    if number < low or (high is not None and number > high):
        shown = f"entre {low} y {high}" if high else f"mayor o igual a {low}"
        raise refusal(
            "invalid_parameter", f"El parámetro {{path}} debe ser un número entero {shown}."
        )
    return number


def read_query_moment(value: Any) -> datetime | None:
    """An ISO 8601 moment as a query parameter (UTC when it has no offset; absent: None)."""
    if value is None or value == "":
        return None
    try:
        moment = datetime.fromisoformat(str(value).strip())
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        moment.astimezone(UTC)  # years 1 and 9999 may not fit once in UTC
    except (ValueError, OverflowError):
        raise refusal(
            "invalid_parameter",
            "El parámetro {path} debe ser una fecha ISO 8601 (p. ej. 2024-01-31T06:00:00.000Z).",
        ) from None
    return moment


def safe_in_file_name(char: str) -> bool:
    """Whether a series may hold the character (file names and headers carry it)."""
    category = unicodedata.category(char)
    if char == " ":
        return True
    return char not in SERIES_FORBIDDEN and category[0] not in "CZ"


def read_series(value: Any, required: bool = False) -> str | None:
    """A folio series name: it ends up in file names and download headers, so only characters
    safe in both (no control characters, quotes, slashes or «|»)."""
    name = read_text(value, required, SERIES_MAX)
    if name is None:
        return None
    if not name or not all(safe_in_file_name(char) for char in name):
        raise refusal("invalid_series", SERIES_MESSAGE)
    return name


def SeriesName(required: bool = False) -> Any:  # noqa: N802
    """A folio series name field (see ``read_series``)."""
    return Annotated[
        str if required else str | None,
        BeforeValidator(lambda value: read_series(value, required)),
        Field(json_schema_extra={"maxLength": SERIES_MAX}),
    ]


def Recipients(  # noqa: N802
    most: int, message: str, code: str, *, least: int = 1, each: str | None = None
) -> Any:
    """One email address or a list of ``least`` to ``most`` (else ``message`` with ``code``,
    and each address is still checked at its own path: ``email[2]``, or ``email[2].each``).
    With ``least`` 0, nothing (absent, empty, 0) is an empty list. Read as a list."""

    def read(value: Any, handler: ValidatorFunctionWrapHandler) -> list[str]:
        if not isinstance(value, list):
            if least:
                return [read_email(value, required=True)]  # type: ignore[list-item]
            # Nothing given (absent, "", 0) is none; an object, even empty, is a mistake.
            value = [value] if value or isinstance(value, dict) else []
        errors = []
        if not least <= len(value) <= most:
            errors.append({"type": refusal(code, message), "loc": (), "input": value})
        try:
            emails = handler(value)
        except PydanticValidationError as exc:
            for error in exc.errors(include_url=False):
                loc = (*error["loc"], each) if each else error["loc"]
                errors.append(raised_again({**error, "loc": loc}))
        if errors:
            raise PydanticValidationError.from_exception_data("Recipients", errors)
        return emails

    address = {"type": "string", "format": "email", "maxLength": 254}
    listed = {"type": "array", "items": address, "minItems": least, "maxItems": most}
    shapes = [address, listed, *([{"type": "null"}] if not least else [])]
    return Annotated[
        list[Email(required=True)],  # type: ignore[misc]
        WrapValidator(read),
        WithJsonSchema({"anyOf": shapes}),
    ]


Series = SeriesName()  # an optional series name
