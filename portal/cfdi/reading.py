"""Reading untrusted input into the engine's types: each kind of value's rule, written once.

The rules (``text``, ``number``, ``flag``, ``strings``, ``moment``…) refuse a value with a
``PydanticCustomError`` whose message names the field as ``«{path}»``. They serve two readers:

- pydantic, through the ``Annotated`` field types below (``Text``, ``Amount``, ``Flag``…) that
  the input dataclasses of ``portal.cfdi.types`` carry: pydantic validates an invoice body into
  those dataclasses, and the same dataclasses give the API's JSON Schema;
- ``Reader``, a mapping plus its path, for the complements whose SAT shape is read by hand
  (Nómina, Carta Porte, Comercio Exterior).

The engine stops at the first problem, as it always has: ``first_problem`` turns pydantic's
first error into the engine's ``ValidationError`` (``invalid_input``, the field's path).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, TypeVar

from pydantic import (
    BeforeValidator,
    Field,
    GetJsonSchemaHandler,
    TypeAdapter,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticCustomError, core_schema

from portal.cfdi import catalogs
from portal.cfdi.errors import INVALID_INPUT, invalid
from portal.errors import ValidationError

T = TypeVar("T")

# What XML 1.0 cannot carry (control characters, lone surrogates, U+FFFE/U+FFFF): refused as
# input, since a stamped document, and every text that may end up in one, must serialize.
NOT_XML_CHARACTER = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

# What an amount column holds (NUMERIC(18, 6)): below a trillion, and nothing finer than
# 1E-12 that could not round to its six places without surprise.
AMOUNT_LIMIT, AMOUNT_FINEST = Decimal(10) ** 12, -12

REQUIRED = "El campo «{path}» es obligatorio."
AN_OBJECT = "Se esperaba un objeto en «{path}»."
A_LIST = "El campo «{path}» debe ser una lista."
# pydantic's own error types, as the engine words them.
ENGINE_MESSAGES = {
    "missing": REQUIRED,
    "dataclass_type": AN_OBJECT,
    "dataclass_exact_type": AN_OBJECT,
    "model_type": AN_OBJECT,
    "model_attributes_type": AN_OBJECT,
    "dict_type": AN_OBJECT,
    "list_type": A_LIST,
}


def refusal(code: str, message: str) -> PydanticCustomError:
    """A rule's own error: ``code`` and the Spanish ``message`` (``{path}`` names the field),
    kept as they are even when the code is also one of pydantic's error types."""
    return PydanticCustomError(code, message, {"ours": True})


def in_amount_range(number: Decimal) -> bool:
    """Whether a number is one an amount, quantity, rate or exchange can hold."""
    return abs(number) < AMOUNT_LIMIT and (number == 0 or number.adjusted() >= AMOUNT_FINEST)


# ---------------------------------------------------------------- the rules


def required(value: Any) -> Any:
    """The value, which must be given (``None`` is not)."""
    if value is None:
        raise refusal(INVALID_INPUT, REQUIRED)
    return value


_required = required  # for the field types below, whose ``required`` is a switch


def text(value: Any) -> str | None:
    """Text (a whole number is read as text); nothing XML 1.0 cannot carry."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise refusal(INVALID_INPUT, "El campo «{path}» debe ser texto.")
    if NOT_XML_CHARACTER.search(str(value)):
        raise refusal(
            INVALID_INPUT, "El campo «{path}» contiene caracteres de control no permitidos."
        )
    return str(value)


def number(value: Any) -> Decimal | None:
    """An exact Decimal from int/str/Decimal; a float goes through ``str`` so 0.1 stays 0.1."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise refusal(INVALID_INPUT, "El campo «{path}» debe ser un número.")
    try:
        found = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise refusal(INVALID_INPUT, "El campo «{path}» debe ser un número.") from None
    if not found.is_finite():
        raise refusal(INVALID_INPUT, "El campo «{path}» debe ser un número finito.")
    if not in_amount_range(found):
        raise refusal(INVALID_INPUT, "El campo «{path}» está fuera de rango.")
    return found


def flag(value: Any) -> bool | None:
    """A JSON boolean."""
    if value is None or isinstance(value, bool):
        return value
    raise refusal(INVALID_INPUT, "El campo «{path}» debe ser booleano.")


def strings(value: Any) -> list[str]:
    """A list of texts (whole numbers read as text); absent is empty."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise refusal(INVALID_INPUT, "El campo «{path}» debe ser una lista de textos.")
    return [str(v) for v in value]


def moment(value: Any) -> datetime | None:
    """A datetime from an ISO 8601 string (``Z`` accepted) or a date/datetime."""
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, 12)
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise refusal(INVALID_INPUT, "El campo «{path}» debe ser una fecha ISO 8601.") from None


def listed(value: Any) -> Any:
    """A list field: absent is empty (its elements are read by their own type)."""
    return [] if value is None else value


# ---------------------------------------------------------------- field types of the dataclasses


def Text(  # noqa: N802
    default: str | None = None, *, upper: bool = False, required: bool = False
) -> Any:
    """A text field: ``None`` and ``""`` read as ``default``; upper-cased when ``upper``."""

    def read(value: Any) -> str | None:
        found = text(_required(value) if required else value)
        if not found and default is not None:
            found = default
        return found.upper() if upper and found else found

    return Annotated[str if required or default else str | None, BeforeValidator(read)]


def Amount(default: Decimal | None = None, *, required: bool = False) -> Any:  # noqa: N802
    """An exact number field (``None`` reads as ``default``)."""

    def read(value: Any) -> Decimal | None:
        found = number(_required(value) if required else value)
        return default if found is None else found

    shape = Decimal if required or default is not None else Decimal | None
    return Annotated[shape, BeforeValidator(read)]


def Flag(default: bool) -> Any:  # noqa: N802
    """A boolean field (``None`` reads as ``default``)."""

    def read(value: Any) -> bool:
        found = flag(value)
        return default if found is None else found

    return Annotated[bool, BeforeValidator(read)]


# JSON Schema of a three-letter code (a currency, a country), upper-cased as read.
THREE_LETTERS = Field(json_schema_extra={"pattern": "^[A-Z]{3}$"})


def Codes(catalog: str) -> Any:  # noqa: N802
    """JSON Schema of a SAT catalog code: the CFDI 4.0 codes listed (the rules check them)."""
    return Field(json_schema_extra={"enum": [code for code, _label in catalogs.options(catalog)]})


Required = BeforeValidator(required)
Strings = Annotated[list[str], BeforeValidator(strings)]
Moment = Annotated[datetime | None, BeforeValidator(moment)]


def Listed(element: Any) -> Any:  # noqa: N802
    """A list of ``element`` (absent: empty), each refused at its own path (``field[2]``)."""
    return Annotated[list[element], BeforeValidator(listed)]  # type: ignore[valid-type]


def OneOrMany(element: Any) -> Any:  # noqa: N802
    """A list of ``element`` that may also come as one object (the reference shows both);
    a lone object's problems name the field itself, not ``field[0]``."""

    def read(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        if not isinstance(value, Mapping):
            return handler(listed(value))
        try:
            return handler([value])
        except PydanticValidationError as exc:
            errors = [{**e, "loc": tuple(e["loc"])[1:]} for e in exc.errors(include_url=False)]
            raise PydanticValidationError.from_exception_data(
                "OneOrMany", [raised_again(e) for e in errors]
            ) from None

    return Annotated[list[element], WrapValidator(read)]  # type: ignore[valid-type]


def Filled(shape: Any, **defaults: Any) -> Any:  # noqa: N802
    """``shape`` read with ``defaults`` for the keys an object leaves out."""

    def read(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        return handler({**defaults, **value} if isinstance(value, Mapping) else value)

    return Annotated[shape, WrapValidator(read)]


def refused_at(loc: tuple[str | int, ...], value: Any) -> PydanticValidationError:
    """A required field's refusal raised by a rule of the whole object (``loc`` inside it)."""
    error = {"type": refusal(INVALID_INPUT, REQUIRED), "loc": loc, "input": value}
    return PydanticValidationError.from_exception_data("refused", [error])  # type: ignore[list-item]


class OrId:
    """JSON Schema of a field the API also takes as an id (resolved before the engine reads)."""

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        return {"anyOf": [{"type": "string", "description": "Id."}, handler(schema)]}


def raised_again(error: dict[str, Any]) -> dict[str, Any]:
    """A pydantic error (as ``errors()`` lists it) ready to be raised once more."""
    context = error.get("ctx")
    again = {"loc": tuple(error["loc"]), "input": error["input"]}
    if (context or {}).get("ours"):
        return {**again, "type": PydanticCustomError(error["type"], error["msg"], context)}
    return {**again, "type": error["type"], **({"ctx": context} if context else {})}


# ---------------------------------------------------------------- stopping at the first problem


def path_of(loc: tuple[str | int, ...], prefix: str = "") -> str:
    """``('items', 0, 'quantity')`` → ``items[0].quantity`` (the API's way of naming a field)."""
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path = f"{path}.{part}" if path else str(part)
    return path


def first_problem(exc: PydanticValidationError, prefix: str = "") -> ValidationError:
    """pydantic's first error as the engine's refusal (``invalid_input`` at the field's path)."""
    error = exc.errors(include_url=False)[0]
    path = path_of(tuple(error["loc"]), prefix)
    if (error.get("ctx") or {}).get("ours"):
        code, message = error["type"], error["msg"]
    else:
        code = INVALID_INPUT
        message = ENGINE_MESSAGES.get(error["type"], "El campo «{path}» no es válido.")
    return invalid(message.replace("{path}", path or "cuerpo"), code, path)


def read(adapter: TypeAdapter[T], data: Any, prefix: str = "") -> T:
    """``data`` read by ``adapter``; its first problem refused, named under ``prefix``."""
    try:
        return adapter.validate_python(data)
    except PydanticValidationError as exc:
        raise first_problem(exc, prefix) from None


# ---------------------------------------------------------------- hand reading (complements)


def _checked(rule: Callable[[Any], T], value: Any, path: str) -> T:
    try:
        return rule(value)
    except PydanticCustomError as exc:
        raise invalid(exc.message().replace("{path}", path), exc.type, path) from None


def to_decimal(value: Any, path: str) -> Decimal:
    """``number`` outside pydantic: the refusal names ``path``."""
    return _checked(lambda v: number(required(v)), value, path)


def to_datetime(value: Any, path: str) -> datetime:
    """``moment`` outside pydantic: the refusal names ``path``."""
    return _checked(lambda v: moment(required(v)), value, path)


class Reader:
    """A mapping plus its path, so every conversion error can say where it happened."""

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, Mapping):
            raise invalid(AN_OBJECT.replace("{path}", path or "cuerpo"), INVALID_INPUT, path)
        self.data = data
        self.path = path

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def raw(self, key: str, default: Any = None) -> Any:
        value = self.data.get(key)
        return default if value is None else value

    def required(self, key: str) -> Any:
        return _checked(required, self.data.get(key), self.at(key))

    def text(self, key: str, default: str | None = None, required: bool = False) -> str | None:
        value = self.required(key) if required else self.data.get(key)
        found = _checked(text, value, self.at(key))
        return default if found is None else found

    def decimal(self, key: str, default: Decimal | None = None, required: bool = False) -> Any:
        value = self.required(key) if required else self.data.get(key)
        found = _checked(number, value, self.at(key))
        return default if found is None else found

    def boolean(self, key: str, default: bool) -> bool:
        found = _checked(flag, self.data.get(key), self.at(key))
        return default if found is None else found

    def child(self, key: str) -> Reader | None:
        value = self.data.get(key)
        return None if value is None else Reader(value, self.at(key))

    def items(self, key: str, read: Callable[[Reader], T]) -> list[T]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise invalid(A_LIST.replace("{path}", self.at(key)), INVALID_INPUT, self.at(key))
        return [read(Reader(v, f"{self.at(key)}[{i}]")) for i, v in enumerate(value)]

    def complement(
        self, kind: str, read: Callable[[Reader], T], duplicate: str, code: str
    ) -> T | None:
        """The one ``complements`` entry of type ``kind`` read with ``read``; ``duplicate`` (with
        ``code``) refuses a second one, and an entry without ``data`` is refused."""
        found = None
        for c in self.items("complements", lambda complement: complement):
            if c.text("type") != kind:
                continue
            if found is not None:
                raise invalid(duplicate, code, c.path)
            c.required("data")
            data = c.child("data")
            assert data is not None
            found = read(data)
        return found

    def strings(self, key: str) -> list[str]:
        return _checked(strings, self.data.get(key), self.at(key))
