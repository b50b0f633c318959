"""Reading untrusted input (JSON bodies, form data) into typed values, collecting every problem.

A ``Checker`` wraps one object; each accessor returns the clean value or ``None`` and records
a ``Problem`` with the field's path (``address.zip``, ``items[0].quantity``) when it is wrong.
``done()`` raises one ``ValidationError`` carrying all of them. The rules themselves are the
schema readers of ``portal.schemas.fields`` (the pydantic models use the same ones); the
Checker remains for the bodies not yet declared as models.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pydantic_core import PydanticCustomError

from portal.errors import Problem, ValidationError
from portal.schemas import fields
from portal.schemas.common import ADDRESS_FIELDS  # noqa: F401 (the dashboard forms read it here)


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

    def _read(self, key: str, reader: Callable[..., Any], *args: Any) -> Any:
        """The field read by one of the schema readers; a refused value is recorded."""
        try:
            return reader(self.data.get(key), *args)
        except PydanticCustomError as error:
            path = self.path(key) or "del cuerpo"
            self.fail(key, error.message_template.replace("{path}", path), error.type)
            return None

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
        return self._read(key, fields.read_text, required, max_len, upper, pattern, message)

    def integer(
        self,
        key: str,
        *,
        required: bool = False,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        """A whole number within bounds (booleans and fractions are refused)."""
        return self._read(key, fields.read_integer, required, minimum, maximum)

    def boolean(self, key: str, *, required: bool = False) -> bool | None:
        """A JSON boolean."""
        return self._read(key, fields.read_boolean, required)

    def choice(
        self, key: str, choices: Iterable[str], *, required: bool = False, label: str | None = None
    ) -> str | None:
        """One of a fixed set of values."""
        return self._read(key, fields.read_choice, list(choices), required, label)

    def email(self, key: str, *, required: bool = False) -> str | None:
        """An email address, normalised."""
        return self._read(key, fields.read_email, required)

    def series(self, key: str, *, required: bool = False) -> str | None:
        """A folio series name (see ``schemas.fields.read_series``)."""
        return self._read(key, fields.read_series, required)

    def items(
        self, key: str, *, required: bool = False, max_items: int | None = None
    ) -> list[Any] | None:
        """A list, as given (elements are checked by the caller)."""
        return self._read(key, fields.read_items, required, max_items)

    def done(self) -> None:
        """Raise every problem found, if any."""
        if self.problems:
            raise ValidationError.from_problems(self.problems)
