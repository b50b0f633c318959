"""Reading untrusted input (JSON bodies, form data) into typed values, collecting every problem.

A ``Checker`` wraps one object; each accessor returns the clean value or ``None`` and records
a ``Problem`` with the field's path (``address.zip``, ``items[0].quantity``) when it is wrong.
``done()`` raises one ``ValidationError`` carrying all of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from email_validator import EmailNotValidError, validate_email

from portal.cfdi.types import NOT_XML_CHARACTER, in_amount_range
from portal.errors import Problem, ValidationError
from portal.schemas.fields import SERIES_MAX, SERIES_MESSAGE, bounds, safe_in_file_name

MISSING = object()
# Street address fields of Facturapi's address object and their length limits (zip apart).
ADDRESS_FIELDS = {
    "street": 100,
    "exterior": 55,
    "interior": 55,
    "neighborhood": 100,
    "city": 100,
    "municipality": 100,
    "state": 100,
}


class Checker:
    """Typed access to one input object, collecting problems instead of stopping at the first."""

    def __init__(self, data: Any, prefix: str = "", problems: list[Problem] | None = None):
        self.problems: list[Problem] = [] if problems is None else problems
        self.prefix = prefix
        if data is None:
            data = {}
        if not isinstance(data, dict):
            self.fail(None, "Se esperaba un objeto JSON.", "invalid_type")
            data = {}
        self.data: dict[str, Any] = data

    def path(self, key: str | None) -> str | None:
        """The full path of a field."""
        if key is None:
            return self.prefix or None
        return f"{self.prefix}.{key}" if self.prefix else key

    def fail(self, key: str | None, message: str, code: str = "invalid_value") -> None:
        """Record a problem with a field."""
        self.problems.append(Problem(message, code, self.path(key)))

    def has(self, key: str) -> bool:
        """Whether the field was sent (even as null)."""
        return key in self.data

    def _raw(self, key: str, required: bool) -> Any:
        value = self.data.get(key, MISSING)
        if value is MISSING or value is None or value == "":
            if required:
                self.fail(key, f"El campo {self.path(key)} es obligatorio.", "required")
            return MISSING
        return value

    def text(
        self,
        key: str,
        *,
        required: bool = False,
        max_len: int | None = None,
        pattern: str | None = None,
        message: str | None = None,
        upper: bool = False,
    ) -> str | None:
        """A string, trimmed; optional length limit and pattern."""
        value = self._raw(key, required)
        if value is MISSING:
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)  # Facturapi accepts zip codes and numbers sent as numbers
        if not isinstance(value, str):
            self.fail(key, f"El campo {self.path(key)} debe ser texto.", "invalid_type")
            return None
        if NOT_XML_CHARACTER.search(value):
            message = f"El campo {self.path(key)} contiene caracteres de control no permitidos."
            self.fail(key, message, "invalid_characters")
            return None
        value = value.strip().upper() if upper else value.strip()
        if max_len is not None and len(value) > max_len:
            self.fail(
                key,
                f"El campo {self.path(key)} admite como máximo {max_len} caracteres.",
                "too_long",
            )
            return None
        if pattern and not re.fullmatch(pattern, value):
            self.fail(
                key,
                message or f"El campo {self.path(key)} no tiene un formato válido.",
                "invalid_format",
            )
            return None
        return value

    def integer(
        self,
        key: str,
        *,
        required: bool = False,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        """A whole number within bounds (booleans and fractions are refused)."""
        value = self._raw(key, required)
        if value is MISSING:
            return None
        if isinstance(value, str) and re.fullmatch(r"-?\d{1,15}", value.strip()):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(key, f"El campo {self.path(key)} debe ser un número entero.", "invalid_type")
            return None
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            shown = bounds(minimum, maximum)
            self.fail(key, f"El campo {self.path(key)} debe ser {shown}.", "out_of_range")
            return None
        return value

    def decimal(
        self, key: str, *, required: bool = False, minimum: Decimal | None = None
    ) -> Decimal | None:
        """An exact number (JSON number or numeric string); floats keep their shortest form."""
        value = self._raw(key, required)
        if value is MISSING:
            return None
        try:
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise InvalidOperation
            number = Decimal(str(value).strip())
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite():
            self.fail(key, f"El campo {self.path(key)} debe ser un número.", "invalid_type")
            return None
        if not in_amount_range(number):
            self.fail(key, f"El campo {self.path(key)} está fuera de rango.", "out_of_range")
            return None
        if minimum is not None and number < minimum:
            self.fail(
                key,
                f"El campo {self.path(key)} debe ser mayor o igual a {minimum}.",
                "out_of_range",
            )
            return None
        return number

    def boolean(self, key: str, *, required: bool = False) -> bool | None:
        """A JSON boolean."""
        value = self._raw(key, required)
        if value is MISSING:
            return None
        if not isinstance(value, bool):
            self.fail(key, f"El campo {self.path(key)} debe ser true o false.", "invalid_type")
            return None
        return value

    def choice(
        self, key: str, choices: Iterable[str], *, required: bool = False, label: str | None = None
    ) -> str | None:
        """One of a fixed set of values."""
        allowed = list(choices)
        value = self.text(key, required=required)
        if value is not None and value not in allowed:
            shown = ", ".join(allowed) if len(allowed) <= 12 else label or "los del catálogo"
            self.fail(
                key,
                f"El valor «{value}» no es válido para {self.path(key)}. "
                f"Valores permitidos: {shown}.",
                "invalid_enum",
            )
            return None
        return value

    def email(self, key: str, *, required: bool = False) -> str | None:
        """An email address, normalised."""
        value = self.text(key, required=required, max_len=254)
        if value is None:
            return None
        try:
            return validate_email(value, check_deliverability=False).normalized
        except EmailNotValidError:
            self.fail(key, f"El correo «{value}» no es válido.", "invalid_email")
            return None

    def series(self, key: str, *, required: bool = False) -> str | None:
        """A folio series name: it ends up in file names and download headers, so only
        characters safe in both (no control characters, quotes, slashes or «|»)."""
        value = self.text(key, required=required, max_len=SERIES_MAX)
        if value is None:
            return None
        if not value or not all(safe_in_file_name(char) for char in value):
            self.fail(key, SERIES_MESSAGE, "invalid_series")
            return None
        return value

    def obj(self, key: str, *, required: bool = False) -> Checker | None:
        """A nested object, checked with the same problem list."""
        value = self._raw(key, required)
        if value is MISSING:
            return None
        if not isinstance(value, dict):
            self.fail(key, f"El campo {self.path(key)} debe ser un objeto.", "invalid_type")
            return None
        return Checker(value, self.path(key) or "", self.problems)

    def items(
        self, key: str, *, required: bool = False, max_items: int | None = None
    ) -> list[Any] | None:
        """A list, as given (elements are checked by the caller)."""
        value = self._raw(key, required)
        if value is MISSING:
            return None
        if not isinstance(value, list):
            self.fail(key, f"El campo {self.path(key)} debe ser una lista.", "invalid_type")
            return None
        if max_items is not None and len(value) > max_items:
            self.fail(
                key,
                f"El campo {self.path(key)} admite como máximo {max_items} elementos.",
                "too_many_items",
            )
            return None
        return value

    def done(self) -> None:
        """Raise every problem found, if any."""
        if self.problems:
            raise ValidationError.from_problems(self.problems)
