"""``/v2/openapi.json``, generated from ``app.url_map`` and the shapes each view declares.

Every /v2 view carries ``@portal.schemas.operation(...)`` (its body, query and answer models, a
Spanish summary and its tags); the key it needs comes from its ``auth`` decorator. pydantic's
JSON Schema of those models becomes the OpenAPI 3.1 components. A route without ``operation``
is left out of the document, and tests/api/test_openapi.py fails on it.
"""

from __future__ import annotations

import re
import types
import typing
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from flask import Flask, current_app, jsonify
from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, models_json_schema
from werkzeug.routing import Rule

from portal.api import bp
from portal.schemas import Operation, operation
from portal.schemas.common import Error, JsonObject

Schema = dict[str, Any]
REF = "#/components/schemas/{model}"
KEYS = {
    "user": "Llave de usuario (`sk_user_…`).",
    "organization": "Llave secreta de la organización (`sk_test_…` o `sk_live_…`).",
    "any": "Cualquier llave: de usuario o de organización.",
}
SECURITY = [{"bearer": []}, {"basic": []}]
# 400 bad input (with `path`), 401 no/wrong key, 403 wrong kind of key or suspended, 404 not this
# tenant's, 409 state conflict, 413 too large, 422 rejected by the PAC, 429 throttled.
ERROR_STATUSES = (400, 401, 403, 404, 409, 413, 422, 429)
TAGS = {
    "catalogs": "Catálogos del SAT: claves de producto y de unidad.",
    "customers": "Clientes (receptores) del entorno de la llave.",
    "invoices": "Facturas, borradores, complementos de pago y cancelaciones.",
    "openapi": "Esta descripción.",
    "organizations": "Organizaciones, sus llaves y ajustes (llave de usuario).",
    "products": "Productos y servicios con sus impuestos.",
    "receipts": "Recibos, su autofactura y la factura global.",
    "retentions": "CFDI de Retenciones e información de pagos 2.0.",
    "tools": "Herramientas: el RFC en la lista 69-B.",
    "webhooks": "Webhooks y validación de firmas.",
}
SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer", "description": "La llave de API."},
    "basic": {
        "type": "http",
        "scheme": "basic",
        "description": "La llave como nombre de usuario, contraseña vacía.",
    },
}


ENGINE = "portal.cfdi."


class _Lean(GenerateJsonSchema):
    """pydantic's JSON Schema without the ``title`` it derives from every field name."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False

    def get_defs_ref(self, core_mode_ref: Any) -> Any:
        """The engine's input types (``portal.cfdi``) named ``Cfdi…`` apart from the resources
        of the same name (``CfdiCustomer``: a receiver as an invoice body carries it)."""
        core_ref, mode = core_mode_ref
        module, _, rest = core_ref.rpartition(".")
        if module.startswith(ENGINE):
            core_ref = f"{module}.Cfdi{rest}"
        return super().get_defs_ref((core_ref, mode))

    def dataclass_schema(self, schema: Any) -> Any:
        """An engine type without its docstring (written for developers, in English)."""
        found = super().dataclass_schema(schema)
        if schema.get("cls", type).__module__.startswith(ENGINE):
            found.pop("description", None)
        return found


def openapi_paths(rule: Rule) -> list[str]:
    """The OpenAPI path(s) of a Werkzeug rule: ``<x>`` → ``{x}``, ``<any(a, b):k>`` → a and b."""
    paths = [""]
    for part in re.split(r"(<[^>]+>)", rule.rule.removeprefix("/v2")):
        if match := re.fullmatch(r"<any\(([^)]*)\):\w+>", part):
            options = [o.strip() for o in match.group(1).split(",")]
            paths = [p + option for p in paths for option in options]
        elif match := re.fullmatch(r"<(?:\w+:)?(\w+)>", part):
            paths = [p + "{" + match.group(1) + "}" for p in paths]
        else:
            paths = [p + part for p in paths]
    return paths


def _routes(app: Flask) -> Iterator[tuple[str, str, Any]]:
    """(OpenAPI path, method, view) of every described /v2 route."""
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if not rule.rule.startswith("/v2/") or not hasattr(view, "__api_operation__"):
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            for path in openapi_paths(rule):
                yield path, method.lower(), view


def _models(shape: Any) -> Iterator[type[BaseModel]]:
    """The pydantic models a response annotation names (``list[X]``, ``X | Y``…)."""
    if isinstance(shape, type) and issubclass(shape, BaseModel):
        yield shape
    for argument in typing.get_args(shape):
        yield from _models(argument)


class _Components:
    """The JSON Schema of every model in use, named once under ``components/schemas``."""

    def __init__(self, operations: Iterable[Operation]) -> None:
        wanted: dict[tuple[type[BaseModel], str], None] = {(Error, "serialization"): None}
        for spec in operations:
            for model in (spec.body, spec.query, spec.form):
                if model is not None:
                    wanted[(model, "validation")] = None
            for model in _models(spec.response):
                wanted[(model, "serialization")] = None
        keys = list(wanted)
        refs, defs = models_json_schema(
            keys,  # type: ignore[arg-type]
            ref_template=REF,
            schema_generator=_Lean,
        )
        self.refs = {model: refs[(model, mode)] for model, mode in keys}  # type: ignore[index]
        self.schemas: dict[str, Schema] = defs.get("$defs", {})

    def of(self, shape: Any) -> Schema:
        """The schema of a response annotation."""
        if isinstance(shape, type) and issubclass(shape, BaseModel):
            return self.refs[shape]
        origin, arguments = typing.get_origin(shape), typing.get_args(shape)
        if origin is list:
            return {"type": "array", "items": self.of(arguments[0])}
        if origin in (typing.Union, types.UnionType):
            return {"anyOf": [self.of(argument) for argument in arguments]}
        if shape is str:
            return {"type": "string"}
        return {"type": "object"}

    def parameters(self, model: type[BaseModel] | None) -> list[Schema]:
        """A query model's fields as query parameters (a nullable field as its plain type)."""
        if model is None:
            return []
        schema = self.schemas[self.refs[model]["$ref"].rsplit("/", 1)[1]]
        return [
            {
                "name": name,
                "in": "query",
                "required": name in schema.get("required", []),
                "description": field.get("description", ""),
                "schema": _not_null(field),
            }
            for name, field in schema["properties"].items()
        ]


def _not_null(field: Schema) -> Schema:
    options = [o for o in field.get("anyOf", []) if o != {"type": "null"}]
    plain = dict(options[0]) if len(options) == 1 else dict(field)
    if "anyOf" in field and len(options) == 1:
        plain |= {k: v for k, v in field.items() if k in ("pattern", "format", "enum")}
    return {k: v for k, v in plain.items() if k not in ("default", "description", "title")}


def _response(spec: Operation, components: _Components, path: str) -> Schema:
    if spec.media is not None:
        media = spec.media if isinstance(spec.media, str) else spec.media[path.rsplit("/", 1)[1]]
        return {media: {"schema": {"type": "string", "format": "binary"}}}
    return {"application/json": {"schema": components.of(spec.response)}}


def _request(spec: Operation, components: _Components) -> Schema | None:
    if spec.form is not None:
        schema = components.refs[spec.form]
        return {"required": True, "content": {"multipart/form-data": {"schema": schema}}}
    if spec.body is None:
        return None
    content: Schema = {"schema": components.refs[spec.body]}
    examples = (spec.body.model_config.get("json_schema_extra") or {}).get("examples")  # type: ignore[union-attr]
    if examples:
        content["example"] = examples[0]
    return {"required": False, "content": {"application/json": content}}


def _operation(view: Any, method: str, path: str, components: _Components) -> Schema:
    """One operation: its key, inputs, the 200 answer and every error status it may give."""
    spec: Operation = view.__api_operation__
    key = getattr(view, "__api_key__", None)
    names = re.findall(r"{(\w+)}", path)
    described: Schema = {
        "summary": spec.summary or "",
        "tags": list(spec.tags) or [path.split("/")[1]],
        "security": SECURITY if key else [],
        "parameters": [
            {"name": n, "in": "path", "required": True, "schema": {"type": "string"}} for n in names
        ]
        + components.parameters(spec.query),
        "responses": {"200": {"description": "OK", "content": _response(spec, components, path)}},
    }
    if key:
        described["description"] = KEYS[key]
        for status in ERROR_STATUSES:
            described["responses"][str(status)] = {"$ref": "#/components/responses/Error"}
    for status, text in spec.responses.items():
        described["responses"][str(status)] = {"description": text}
    if method not in ("get", "delete") and (body := _request(spec, components)) is not None:
        described["requestBody"] = body
    return described


def bare_api_app() -> Flask:
    """An application with only the /v2 routes (no database, no settings), to describe them."""
    app = Flask(__name__)
    app.register_blueprint(bp)
    return app


def build_spec(app: Flask) -> dict[str, Any]:
    """The whole OpenAPI 3.1 document of ``app``'s /v2 routes."""
    routes = list(_routes(app))
    components = _Components(view.__api_operation__ for _path, _method, view in routes)
    paths: dict[str, dict[str, Schema]] = {}
    uses = Counter(view for _path, _method, view in routes)
    for path, method, view in routes:
        described = _operation(view, method, path, components)
        described["operationId"] = view.__name__
        if uses[view] > 1:  # one view, several paths or methods: each operation named apart
            described["operationId"] += f"_{method}_{path.rsplit('/', 1)[1]}"
        paths.setdefault(path, {})[method] = described
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Factura Portal API",
            "version": "2",
            "description": "API compatible con Facturapi v2 para emitir CFDI 4.0.",
        },
        "servers": [{"url": "/v2"}],
        "tags": [{"name": name, "description": text} for name, text in TAGS.items()],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": components.schemas,
            "responses": {
                "Error": {
                    "description": "Error",
                    "content": {"application/json": {"schema": components.refs[Error]}},
                }
            },
            "securitySchemes": SECURITY_SCHEMES,
        },
    }


@bp.get("/openapi.json")
@operation(response=JsonObject, summary="Esta descripción OpenAPI", tags=["openapi"])
def openapi_document():
    """The OpenAPI description of /v2 (no key needed), built once per application."""
    extension = current_app.extensions
    if "openapi" not in extension:
        extension["openapi"] = build_spec(current_app)
    return jsonify(extension["openapi"])
