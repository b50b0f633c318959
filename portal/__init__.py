"""Self-invoicing platform for Mexico (CFDI 4.0).

``create_app`` is imported lazily so that ``portal.cfdi`` and ``portal.errors`` can be used
without Flask being loaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask application; ``config`` overrides what the environment says."""
    from portal.app import build_app

    return build_app(config)
