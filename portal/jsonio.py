"""JSON responses written by orjson (several times faster than the standard library on a page
of fifty invoices), with Flask's own rules for the types orjson leaves to us. Request bodies
are still read by the standard library: orjson turns integers beyond 64 bits into floats, and
an amount must never change on the way in."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import orjson
from flask import Response
from flask.json.provider import DefaultJSONProvider

# Reading untrusted JSON lives in portal.untrusted_json, which services use too.
from portal.untrusted_json import MAX_DEPTH, UnreadableJSON, loads_untrusted

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


__all__ = ["MAX_DEPTH", "OrjsonProvider", "UnreadableJSON", "loads_untrusted"]
