"""Reading untrusted JSON (request bodies, webhook answers) with no web dependency: standard
JSON only, no NaN/Infinity, no number beyond a float, and a bounded nesting depth."""

from __future__ import annotations

import json
import math
from typing import Any

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
