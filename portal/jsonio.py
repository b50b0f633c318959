"""JSON responses written by orjson (several times faster than the standard library on a page
of fifty invoices), with Flask's own rules for the types orjson leaves to us. Request bodies
are still read by the standard library: orjson turns integers beyond 64 bits into floats, and
an amount must never change on the way in."""

from __future__ import annotations

import json
import math
from datetime import date
from decimal import Decimal
from typing import Any

import orjson
from flask import Response
from flask.json.provider import DefaultJSONProvider

OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


class OrjsonProvider(DefaultJSONProvider):
    """Flask's JSON provider, with orjson writing responses."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """``obj`` as JSON text; the standard library takes what orjson refuses (big ints)."""
        if kwargs:  # an explicit option (indent, sort_keys…) asked of Flask's own writer
            return super().dumps(obj, **kwargs)
        try:
            return orjson.dumps(obj, default=_default, option=OPTIONS).decode()
        except TypeError:
            return super().dumps(obj)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """A JSON response, as ``jsonify`` builds it."""
        obj = self._prepare_response_obj(args, kwargs)
        try:
            body = orjson.dumps(obj, default=_default, option=OPTIONS)
        except TypeError:
            body = super().dumps(obj).encode()
        return self._app.response_class(body + b"\n", mimetype=self.mimetype)


def _default(value: Any) -> Any:
    """Flask's conversions for what orjson does not write itself."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        from werkzeug.http import http_date

        return http_date(value)
    if hasattr(value, "__html__"):
        return str(value.__html__())
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# Reading untrusted JSON ------------------------------------------------------------------------

MAX_DEPTH = 32  # the deepest body the API describes (an invoice's item taxes) is 5 levels


class UnreadableJSON(ValueError):
    """Not JSON, JSON that nests too deeply, or NaN/Infinity (which JSON does not have)."""


def _no_constant(name: str) -> Any:
    raise UnreadableJSON(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # 1E+999999 would become infinity
        raise UnreadableJSON(f"{text[:20]} is beyond any number")
    return number


def loads_untrusted(data: bytes | str) -> Any:
    """Parse a request's JSON: standard JSON only (no NaN/Infinity, no number beyond a float),
    nested at most ``MAX_DEPTH`` levels; raise ``UnreadableJSON`` otherwise."""
    try:
        value = json.loads(data, parse_constant=_no_constant, parse_float=_finite_float)
    except RecursionError as exc:  # nesting deeper than the parser's stack
        raise UnreadableJSON("nested too deeply") from exc
    except (ValueError, TypeError) as exc:  # includes UnicodeDecodeError and digit limits
        raise UnreadableJSON(str(exc)) from exc
    if _depth_over(value, MAX_DEPTH):
        raise UnreadableJSON("nested too deeply")
    return value


def _depth_over(value: Any, limit: int) -> bool:
    """Whether containers nest deeper than ``limit`` (walked without recursion)."""
    level = [value]
    for _depth in range(limit + 1):
        level = [
            child
            for node in level
            if isinstance(node, dict | list)
            for child in (node.values() if isinstance(node, dict) else node)
            if isinstance(child, dict | list)
        ]
        if not level:
            return False
    return True
