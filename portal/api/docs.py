"""The API reference at ``/docs``: vendored Swagger UI over /v2/openapi.json."""

from __future__ import annotations

from flask import Blueprint, render_template

docs_bp = Blueprint("api_docs", __name__)


@docs_bp.get("/docs")
def reference():
    """The API reference page, rendered in the browser from the generated OpenAPI document."""
    return render_template("api/docs.html")
