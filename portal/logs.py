"""Structured logs at INFO: one line per request (with its request id) and per job; JSON
lines when ``LOG_FORMAT=json``."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from typing import Any

from flask import Flask, Response, g, request

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
_configured: dict[str, bool] = {}
QUIET = ("huey", "weasyprint", "fontTools")


class JsonFormatter(logging.Formatter):
    """A log record as one JSON object: time, level, logger, message and every extra field."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """Plain lines, with the extra fields as key=value after the message."""

    def format(self, record: logging.LogRecord) -> str:
        extra = " ".join(f"{k}={v}" for k, v in vars(record).items() if k not in _STANDARD)
        return super().format(record) + (f" {extra}" if extra else "")


def configure(role: str = "") -> None:
    """Send INFO and above to stderr, as JSON when LOG_FORMAT=json (once per process)."""
    if _configured.get("done"):
        return
    _configured["done"] = True
    handler = logging.StreamHandler(sys.stderr)
    formatter: logging.Formatter
    if os.environ.get("LOG_FORMAT") == "json":
        formatter = JsonFormatter()
        formatter.converter = time.gmtime
    else:
        formatter = TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(os.environ.get("LOG_LEVEL", "INFO").upper())
    for chatty in QUIET:  # our own lines say it once, with the fields that matter
        logging.getLogger(chatty).setLevel(logging.WARNING)
    if role:
        logging.getLogger("portal").info("starting", extra={"role": role, "pid": os.getpid()})


def _started() -> None:
    g.request_started = time.perf_counter()


def _log_request(response: Response) -> Response:
    started = g.get("request_started")
    logging.getLogger("portal.request").info(
        "%s %s %s",
        request.method,
        request.path,
        response.status_code,
        extra={
            "request_id": g.get("request_id", ""),
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration": round(time.perf_counter() - started, 4) if started else None,
        },
    )
    return response


def init_app(app: Flask) -> None:
    """Log every request once it has its answer."""
    app.before_request(_started)
    app.after_request(_log_request)
