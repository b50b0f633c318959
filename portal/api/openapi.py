"""The OpenAPI 3.1 description of /v2, built in Python and served at ``/v2/openapi.json``.

tests/api/test_openapi.py holds it to the code: every route in ``app.url_map`` is described
here (and nothing else), and schemathesis fuzzes every operation against these schemas.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import jsonify

from portal.api import bp
from portal.cfdi import catalogs
from portal.errors import ERROR_TYPES
from portal.scopes import SCOPES

Schema = dict[str, Any]

USER_KEY = "Llave de usuario (`sk_user_…`)."
ORG_KEY = "Llave secreta de la organización (`sk_test_…` o `sk_live_…`)."
ANY_KEY = "Cualquier llave: de usuario o de organización."
SECURITY = [{"bearer": []}, {"basic": []}]


def _t(kind: str, nullable: bool = False, **extra: Any) -> Schema:
    return {"type": [kind, "null"] if nullable else kind, **extra}


STR, NSTR = _t("string"), _t("string", True)
INT, NINT = _t("integer"), _t("integer", True)
NUM, NNUM = _t("number"), _t("number", True)
BOOL = _t("boolean")
DATE, NDATE = _t("string", format="date-time"), _t("string", True, format="date-time")
ANY_OBJECT = _t("object")
NOBJECT = _t("object", True)
STRINGS = _t("array", items=STR)
OBJECTS = _t("array", items=ANY_OBJECT)


def _codes(catalog: str) -> Schema:
    """A string among the SAT catalog's CFDI 4.0 codes."""
    return _t("string", enum=[code for code, _label in catalogs.options(catalog)])


RFC = _t(
    "string",
    pattern=r"^[A-Z&Ñ]{3,4}\d{2}(0[1-9]|1[012])(0[1-9]|[12]\d|3[01])[A-Z0-9]{2}[0-9A]$",
)
ZIP = _t("string", pattern=r"^\d{5}$")


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(props: dict[str, Schema], required: bool = True, **extra: Any) -> Schema:
    """An answer object with exactly these fields, or (``required=False``) an input object."""
    schema: Schema = {"type": "object", "properties": props, **extra}
    if required:  # an answer: exactly these fields, so a new one must be described first
        schema["required"] = list(props)
        schema["additionalProperties"] = False
    return schema


def _optional(schema: Schema, **props: Schema) -> Schema:
    """Add fields that only some answers carry."""
    schema["properties"].update(props)
    return schema


def _page(name: str) -> Schema:
    return _obj(
        {
            "page": _t("integer", minimum=1),
            "total_pages": _t("integer", minimum=1),
            "total_results": _t("integer", minimum=0),
            "data": _t("array", items=_ref(name)),
        }
    )


def _owned(props: dict[str, Schema]) -> Schema:
    """A tenant-owned object: id, creation date, environment and organization first."""
    common = {"id": STR, "created_at": DATE, "livemode": BOOL, "organization": STR}
    return _obj({**common, **props})


FOREIGN_OR_MEXICAN_ZIP = _t(
    "string",
    maxLength=12,
    description="5 dígitos de c_CodigoPostal; el código postal de su país (90210, K1A 0B6) "
    "si el cliente reside en el extranjero (country distinto de MEX).",
)
ADDRESS_IN = _obj(
    {
        "zip": ZIP,
        **{k: STR for k in "street exterior interior neighborhood city municipality state".split()},
        "country": _t("string", pattern=r"^[A-Z]{3}$"),
    },
    required=False,
)
CUSTOMER_ADDRESS_IN = _obj(
    {**ADDRESS_IN["properties"], "zip": FOREIGN_OR_MEXICAN_ZIP},
    required=False,
)
TAX = _obj(
    {
        "type": STR,
        "rate": NUM,
        "factor": STR,
        "withholding": BOOL,
        "ieps_mode": STR,
    },
    required=False,
)
PRODUCT_IN = _obj(
    {
        "description": STR,
        "product_key": _t("string", pattern=r"^\d{8}$"),
        "price": _t("number", minimum=0),
        "tax_included": BOOL,
        "taxability": STR,
        "taxes": _t("array", items=TAX),
        "local_taxes": _t("array", items=TAX),
        "unit_key": STR,
        "unit_name": STR,
        "sku": STR,
    },
    required=False,
)
CUSTOMER_IN = _obj(
    {
        "legal_name": STR,
        "tax_id": RFC,
        "tax_system": _codes("tax_system"),
        "email": _t("string", format="email"),
        "phone": STR,
        "emails": OBJECTS,
        "phones": OBJECTS,
        "address": CUSTOMER_ADDRESS_IN,
        "default_invoice_use": _codes("use"),
        "external_id": STR,
    },
    required=False,
)
ITEM_IN = _obj(
    {
        "quantity": NUM,
        "discount": NUM,
        "product": {"oneOf": [STR, PRODUCT_IN]},
        "customs_keys": STRINGS,
        "property_tax_account": STR,
        "parts": OBJECTS,
    },
    required=False,
)
INVOICE_IN = _obj(
    {
        "customer": {"oneOf": [STR, CUSTOMER_IN]},
        "items": _t("array", items=ITEM_IN),
        "payment_form": _codes("payment_form"),
        "payment_method": _codes("payment_method"),
        "use": _codes("use"),
        "type": _t("string", enum=["I", "E", "P", "N", "T"]),
        "currency": _t("string", pattern=r"^[A-Z]{3}$"),
        "exchange": NUM,
        "conditions": STR,
        "related_documents": OBJECTS,
        "export": STR,
        "series": STR,
        "folio_number": INT,
        "date": STR,
        "external_id": STR,
        "idempotency_key": STR,
        "status": STR,
        "pdf_custom_section": STR,
        "addenda": STR,
        "namespaces": OBJECTS,
        "complements": _t(
            "array",
            items=ANY_OBJECT,
            description='Complementos: {"type": "pago", "data": [...]} o {"type": '
            '"comercio_exterior", "data": {...}} (Comercio Exterior 2.0, obligatorio con '
            "export 02; ver docs/comercio-exterior.md).",
        ),
        "pdf_options": _t("object", additionalProperties=BOOL),
        "global": ANY_OBJECT,
        "address": ADDRESS_IN,
    },
    required=False,
)
RECEIPT_IN = _obj(
    {
        "items": _t("array", items=ITEM_IN),
        "payment_form": _codes("payment_form"),
        "date": STR,
        "folio_number": INT,
        "currency": STR,
        "exchange": NUM,
        "branch": STR,
        "external_id": STR,
        "idempotency_key": STR,
    },
    required=False,
)
# Bodies that work against a ready test organization (the examples phase of the fuzzing sends them).
CUSTOMER_EXAMPLE = {
    "legal_name": "Universidad Robótica Española",
    "tax_id": "URE180429TM6",
    "tax_system": "601",
    "email": "cliente@example.com",
    "address": {"zip": "86991"},
}
PRODUCT_EXAMPLE = {"description": "Ukelele", "product_key": "60131324", "price": 345.6}
ITEMS_EXAMPLE = [{"quantity": 2, "product": PRODUCT_EXAMPLE}]
INVOICE_EXAMPLE = {
    "customer": CUSTOMER_EXAMPLE,
    "items": ITEMS_EXAMPLE,
    "payment_form": "03",
    "use": "G03",
}
RECEIPT_EXAMPLE = {"items": ITEMS_EXAMPLE, "payment_form": "01"}

LEGAL_IN = _obj(
    {
        "name": STR,
        "legal_name": STR,
        "tax_system": STR,
        "address": ADDRESS_IN,
        "website": STR,
        "support_email": STR,
        "phone": STR,
    },
    required=False,
)
CUSTOMIZATION_IN = _obj(
    {
        "color": STR,
        "next_folio_number": INT,
        "next_folio_number_test": INT,
        "pdf_extra": _t("object", additionalProperties=BOOL),
        "default_series": _t("object", additionalProperties=STR),
    },
    required=False,
)
RECEIPT_SETTINGS_IN = _obj(
    {
        "periodicity": _t("string", enum=["day", "week", "fortnight", "month", "two_months"]),
        "duration_days": INT,
        "next_folio_number": INT,
        "next_folio_number_test": INT,
    },
    required=False,
)
SELF_INVOICE_IN = _obj({"allowed_cfdi_uses": STRINGS, "support_email": STR}, required=False)
KEY_IN = _obj(
    {"scopes": _t("array", items=_t("string", enum=list(SCOPES)), maxItems=len(SCOPES))},
    required=False,
)
SERIES_IN = _obj({"series": STR, "next_folio": INT, "next_folio_test": INT}, required=False)
RECEIPT_INVOICE_IN = _obj(
    {"customer": {"oneOf": [STR, CUSTOMER_IN]}, "use": STR, "series": STR, "folio_number": INT},
    required=False,
)
EMAIL_IN = _obj({"email": {"oneOf": [STR, STRINGS]}}, required=False)


def _invoice_schema() -> Schema:
    schema = _obj(
        {
            "id": STR,
            "created_at": DATE,
            "livemode": BOOL,
            "status": _t("string", enum=["draft", "pending", "valid", "canceled", "failed"]),
            "cancellation_status": STR,
            "verification_url": NSTR,
            "date": NDATE,
            "type": STR,
            "customer": ANY_OBJECT,
            "total": NUM,
            "subtotal": NUM,
            "uuid": NSTR,
            "folio_number": NINT,
            "series": NSTR,
            "external_id": NSTR,
            "idempotency_key": NSTR,
            "payment_form": NSTR,
            "payment_method": NSTR,
            "use": NSTR,
            "items": OBJECTS,
            "related_documents": OBJECTS,
            "currency": STR,
            "exchange": NUM,
            "conditions": NSTR,
            "complements": OBJECTS,
            "pdf_custom_section": NSTR,
            "addenda": NSTR,
            "namespaces": OBJECTS,
            "address": NOBJECT,
            "export": STR,
            "stamp": NOBJECT,
            "cancellation": NOBJECT,
            "failure_reason": NSTR,
        }
    )
    # balance: PPD income invoices only; is_ready_to_stamp: drafts only
    return _optional(schema, balance=NUM, is_ready_to_stamp=BOOL)


WEBHOOK = {
    "url": STR,
    "enabled_events": STRINGS,
    "status": _t("string", enum=["enabled", "disabled"]),
    "failing_since": NDATE,
}

SCHEMAS: dict[str, Schema] = {
    "Problem": _obj({"message": STR, "code": STR, "path": NSTR, "source": NSTR}),
    "Error": _obj(
        {
            "ok": _t("boolean", const=False),
            "message": STR,
            "status": INT,
            "code": STR,
            "path": NSTR,
            "errors": _t("array", items=_ref("Problem")),
            "type": _t("string", enum=list(ERROR_TYPES)),
            "param": NSTR,
            "doc_url": STR,
            "request_id": STR,
        }
    ),
    "Ok": _obj({"ok": _t("boolean", const=True)}),
    "Organization": _obj(
        {
            "id": STR,
            "created_at": DATE,
            "is_production_ready": BOOL,
            "pending_steps": _t("array", items=_obj({"type": STR, "description": STR})),
            "domain": NSTR,
            "timezone": STR,
            "legal": _obj(
                {
                    "name": STR,
                    "legal_name": NSTR,
                    "tax_id": NSTR,
                    "tax_system": NSTR,
                    "address": ANY_OBJECT,
                    "website": NSTR,
                    "support_email": NSTR,
                    "phone": NSTR,
                }
            ),
            "customization": _obj(
                {
                    "has_logo": BOOL,
                    "color": STR,
                    "next_folio_number": INT,
                    "next_folio_number_test": INT,
                    "pdf_extra": ANY_OBJECT,
                    "default_series": ANY_OBJECT,
                }
            ),
            "certificate": _obj(
                {
                    "has_certificates": BOOL,
                    "updated_at": NDATE,
                    "expires_at": NDATE,
                    "serial_number": NSTR,
                }
            ),
            "receipts": _obj(
                {
                    "periodicity": STR,
                    "duration_days": INT,
                    "next_folio_number": INT,
                    "next_folio_number_test": INT,
                }
            ),
            "self_invoice": _obj({"allowed_cfdi_uses": STRINGS, "support_email": NSTR}),
        }
    ),
    "Series": _obj({"series": STR, "next_folio": INT, "next_folio_test": INT}),
    "LiveKey": _obj(
        {
            "id": STR,
            "first_12": STR,
            "created_at": DATE,
            "scopes": _t("array", items=_t("string", enum=list(SCOPES))),
            "last_used_at": NDATE,
        }
    ),
    "PublicLink": _obj(
        {
            "data": _obj(
                {
                    "object": _t("string", const="public_link"),
                    "url": STR,
                    "id": STR,
                    "enabled": BOOL,
                    "expires_at": NDATE,
                    "max_days": INT,
                }
            )
        }
    ),
    "PublicLinkSettings": _obj({"max_days": _t("integer", minimum=1, maximum=3650)}),
    "Customer": _optional(
        _owned(
            {
                "legal_name": NSTR,
                "tax_id": NSTR,
                "tax_system": NSTR,
                "email": NSTR,
                "phone": NSTR,
                "emails": OBJECTS,
                "phones": OBJECTS,
                "address": ANY_OBJECT,
                "default_invoice_use": NSTR,
                "external_id": NSTR,
            }
        ),
        # only when ?createEditLink=true issued one
        edit_link=STR,
        edit_link_expires_at=NDATE,
    ),
    "Product": _owned(
        {
            "description": STR,
            "product_key": STR,
            "price": NUM,
            "tax_included": BOOL,
            "taxability": STR,
            "taxes": OBJECTS,
            "local_taxes": OBJECTS,
            "unit_key": STR,
            "unit_name": NSTR,
            "sku": NSTR,
        }
    ),
    "Invoice": _invoice_schema(),
    "Receipt": _owned(
        {
            "date": DATE,
            "expires_at": DATE,
            "status": _t(
                "string",
                enum=["open", "canceled", "invoiced_to_customer", "invoiced_globally"],
            ),
            "self_invoice_url": NSTR,
            "total": NUM,
            "invoice": NSTR,
            "key": STR,
            "items": OBJECTS,
            "external_id": NSTR,
            "idempotency_key": NSTR,
            "payment_form": STR,
            "folio_number": INT,
            "currency": STR,
            "exchange": NUM,
            "branch": NSTR,
        }
    ),
    "Webhook": _owned(WEBHOOK),
    "WebhookWithSecret": _owned({**WEBHOOK, "secret": STR}),
    "CatalogEntry": _obj({"key": STR, "description": STR, "score": NUM}),
}

PAGE_PARAMS = [
    ("page", _t("integer", minimum=1), "Página, desde 1."),
    ("limit", _t("integer", minimum=1, maximum=100), "Resultados por página (1 a 100, 50)."),
]
DATE_PARAMS = [
    (f"date[{op}]", DATE, f"Filtra por fecha de creación ({op}).")
    for op in ("gt", "gte", "lt", "lte")
]
SEARCH = [("q", STR, "Texto a buscar.")]
LIST_PARAMS = SEARCH + PAGE_PARAMS + DATE_PARAMS
BINARY = {"type": "string", "format": "binary"}

# 400 bad input (with `path`), 401 no/wrong key, 403 wrong kind of key or suspended, 404 not this
# tenant's, 409 state conflict, 413 too large, 422 rejected by the PAC, 429 throttled.
ERROR_STATUSES = ("400", "401", "403", "404", "409", "413", "422", "429")


def _query(name: str, schema: Schema, description: str) -> Schema:
    return {"name": name, "in": "query", "schema": schema, "description": description}


def _json(schema: Schema) -> Schema:
    return {"application/json": {"schema": schema}}


def _op(
    summary: str,
    key: str,
    ok: Schema,
    *,
    body: Schema | None = None,
    query: list[tuple[str, Schema, str]] | None = None,
    files: dict[str, Schema] | None = None,
    binary: str | None = None,
    example: Schema | None = None,
) -> Schema:
    """One operation: its key, inputs, the 200 answer and every error status it may give."""
    operation: Schema = {
        "summary": summary,
        "description": key,
        "security": SECURITY,
        "parameters": [_query(*q) for q in query or []],
        "responses": {"200": {"description": "OK", "content": _json(ok)}},
    }
    if binary:
        operation["responses"]["200"]["content"] = {binary: {"schema": BINARY}}
    if body is not None:
        operation["requestBody"] = {"required": False, "content": _json(body)}
        if example is not None:
            operation["requestBody"]["content"]["application/json"]["example"] = example
    if files is not None:
        form = _obj(files, required=False)
        operation["requestBody"] = {
            "required": True,
            "content": {"multipart/form-data": {"schema": form}},
        }
    for status in ERROR_STATUSES:
        operation["responses"][status] = {"$ref": "#/components/responses/Error"}
    return operation


def _crud(
    name: str,
    label: str,
    body: Schema,
    list_query: list[tuple[str, Schema, str]],
    example: Schema | None = None,
) -> dict[str, Schema]:
    """Create/list and retrieve/update/delete of one tenant-owned resource."""
    return {
        f"/{name}s": {
            "post": _op(f"Crear {label}", ORG_KEY, _ref(name.title()), body=body, example=example),
            "get": _op(f"Listar {label}s", ORG_KEY, _page(name.title()), query=list_query),
        },
        f"/{name}s/{{{name}_id}}": {
            "get": _op(f"Obtener {label}", ORG_KEY, _ref(name.title())),
            "put": _op(f"Editar {label}", ORG_KEY, _ref(name.title()), body=body),
            "delete": _op(f"Eliminar {label}", ORG_KEY, _ref(name.title())),
        },
    }


def _organization_paths() -> dict[str, dict[str, Schema]]:
    org, one = _ref("Organization"), "/organizations/{organization_id}"
    domain = _obj({"domain": STR}, required=False)
    available = _obj({"available": BOOL, "message": NSTR})
    return {
        "/organizations": {
            "post": _op("Crear una organización", USER_KEY, org, body=_obj({"name": STR}, False)),
            "get": _op("Listar organizaciones", USER_KEY, _page("Organization"), query=LIST_PARAMS),
        },
        "/organizations/me": {"get": _op("La organización de la llave", ANY_KEY, org)},
        "/organizations/domain-check": {
            "get": _op(
                "¿Está libre el dominio?", USER_KEY, available, query=[("domain", STR, "Dominio.")]
            ),
            "put": _op("¿Está libre el dominio?", USER_KEY, available, body=domain),
        },
        one: {
            "get": _op("Obtener una organización", ANY_KEY, org),
            "delete": _op("Eliminar una organización", USER_KEY, org),
        },
        f"{one}/legal": {"put": _op("Datos fiscales", USER_KEY, org, body=LEGAL_IN)},
        f"{one}/certificate": {
            "put": _op(
                "Subir el CSD",
                USER_KEY,
                org,
                files={
                    "cer": BINARY,
                    "key": BINARY,
                    "cerFile": BINARY,
                    "keyFile": BINARY,
                    "password": STR,
                },
            ),
            "delete": _op("Eliminar el CSD", USER_KEY, _obj({"updated_at": NDATE})),
        },
        f"{one}/logo": {"put": _op("Subir el logotipo", USER_KEY, org, files={"file": BINARY})},
        f"{one}/customization": {
            "put": _op("Personalización", USER_KEY, org, body=CUSTOMIZATION_IN)
        },
        f"{one}/receipts": {
            "put": _op("Ajustes de recibos", USER_KEY, org, body=RECEIPT_SETTINGS_IN)
        },
        f"{one}/self-invoice": {
            "put": _op("Ajustes de autofactura", USER_KEY, org, body=SELF_INVOICE_IN)
        },
        f"{one}/domain": {"put": _op("Elegir el dominio", USER_KEY, org, body=domain)},
        f"{one}/apikeys/test": {
            "get": _op("La llave de pruebas", USER_KEY, STR),
            "put": _op("Renovar la llave de pruebas", USER_KEY, STR, body=KEY_IN),
        },
        f"{one}/apikeys/live": {
            "get": _op("Llaves de producción", USER_KEY, _t("array", items=_ref("LiveKey"))),
            "put": _op("Crear una llave de producción", USER_KEY, STR, body=KEY_IN),
        },
        f"{one}/public-links": {
            "get": _op("Vigencia de los enlaces públicos", ANY_KEY, _ref("PublicLinkSettings")),
            "put": _op(
                "Cambiar la vigencia de los enlaces públicos",
                USER_KEY,
                _ref("PublicLinkSettings"),
                body=_ref("PublicLinkSettings"),
            ),
        },
        f"{one}/apikeys/live/{{key_id}}": {
            "delete": _op("Revocar una llave", USER_KEY, _t("array", items=_ref("LiveKey")))
        },
        f"{one}/series-group": {
            "get": _op("Series", USER_KEY, _obj({"data": _t("array", items=_ref("Series"))})),
            "post": _op("Crear una serie", USER_KEY, _ref("Series"), body=SERIES_IN),
        },
        f"{one}/series-group/{{name}}": {
            "put": _op("Editar una serie", USER_KEY, _ref("Series"), body=SERIES_IN),
            "delete": _op("Eliminar una serie", USER_KEY, _ref("Series")),
        },
    }


def _invoice_paths() -> dict[str, dict[str, Schema]]:
    invoice, one = _ref("Invoice"), "/invoices/{invoice_id}"
    filters = [
        ("customer", STR, "Id del cliente."),
        ("status", STR, "Estado."),
        ("type", STR, "Tipo de comprobante (I, E, P…)."),
        ("payment_method", STR, "PUE o PPD."),
    ]
    paths = _crud("invoice", "una factura", INVOICE_IN, LIST_PARAMS + filters, INVOICE_EXAMPLE)
    paths["/invoices"]["post"]["parameters"].append(
        _query("async", STR, "`true`: timbrar después.")
    )
    paths[one]["put"]["summary"] = "Editar un borrador"
    paths[one]["delete"]["summary"] = "Cancelar una factura (un borrador se elimina)"
    paths[one]["delete"]["parameters"] = [
        _query(
            "motive",
            STR,
            "Motivo de cancelación (01 a 04). 04 sólo para una factura global o una nominativa "
            "relacionada con ella. Con documentos relacionados vigentes (pagos, notas de "
            "crédito, sustitutos) se rechaza con 400 y la lista.",
        ),
        _query(
            "substitution",
            STR,
            "Motivo 01: id o UUID de la factura vigente, del mismo receptor, que relaciona a "
            "esta con TipoRelacion 04.",
        ),
    ]
    files = {"pdf": "application/pdf", "xml": "application/xml", "zip": "application/zip"}
    for kind, mime in files.items():
        paths[f"{one}/{kind}"] = {
            "get": _op(f"Descargar {kind.upper()}", ORG_KEY, STR, binary=mime)
        }
    for kind in ("pdf", "xml"):
        paths[f"{one}/cancellation_receipt/{kind}"] = {
            "get": _op("Acuse de cancelación", ORG_KEY, STR, binary=files[kind])
        }
    paths[f"{one}/stamp"] = {
        "post": _op(
            "Timbrar un borrador",
            ORG_KEY,
            invoice,
            query=[("async", STR, "`true`: queda `pending` y se timbra en segundo plano.")],
        )
    }
    paths[f"{one}/copy"] = {"post": _op("Copiar como borrador", ORG_KEY, invoice)}
    paths[f"{one}/status"] = {"put": _op("Consultar el estado", ORG_KEY, invoice)}
    action = _t("string", enum=["revoke", "activate", "extend", "reset"])
    link_in = _obj({"action": action, "extend_days": _t("integer", minimum=1, maximum=3650)})
    link_in["required"] = ["action"]
    link_in.pop("additionalProperties")
    paths[f"{one}/public-link"] = {
        "get": _op("Enlace público de la factura", ORG_KEY, _ref("PublicLink")),
        "put": _op(
            "Revocar, activar, extender o restablecer el enlace público",
            ORG_KEY,
            _ref("PublicLink"),
            body=link_in,
            example={"action": "extend", "extend_days": 30},
        ),
    }
    paths[f"{one}/email"] = {"post": _op("Enviar por correo", ORG_KEY, _ref("Ok"), body=EMAIL_IN)}
    return paths


def _receipt_paths() -> dict[str, dict[str, Schema]]:
    invoice, one = _ref("Invoice"), "/receipts/{receipt_id}"
    filters = [("status", STR, "Estado."), ("payment_form", STR, "Forma de pago.")]
    paths = _crud("receipt", "un recibo", RECEIPT_IN, LIST_PARAMS + filters, RECEIPT_EXAMPLE)
    del paths[one]["put"]
    paths[one]["delete"]["summary"] = "Cancelar un recibo"
    dry_run = _obj(
        {
            "dry_run": BOOL,
            "receipts": STRINGS,
            "receipts_count": INT,
            "items_count": INT,
            "total": NUM,
            "currency": STR,
            "payment_form": NSTR,
        }
    )
    global_in = _obj(
        {
            "periodicity": _t("string", enum=["day", "week", "fortnight", "month", "two_months"]),
            "from": DATE,
            "to": DATE,
            "months": STR,
            "payment_form": _codes("payment_form"),
            "receipts": STRINGS,
            "series": STR,
            "folio_number": INT,
        },
        required=False,
    )
    to_invoice_in = _obj({"keys": STRINGS, "dry_run": BOOL, "payment_form": STR}, False)
    paths.update(
        {
            f"{one}/pdf": {
                "get": _op("Descargar el ticket", ORG_KEY, STR, binary="application/pdf")
            },
            f"{one}/email": {"post": _op("Enviar por correo", ORG_KEY, _ref("Ok"), body=EMAIL_IN)},
            f"{one}/invoice": {
                "post": _op("Facturar un recibo", ORG_KEY, invoice, body=RECEIPT_INVOICE_IN)
            },
            "/receipts/to-invoice": {
                "post": _op(
                    "Facturar varios recibos",
                    ORG_KEY,
                    {"anyOf": [invoice, dry_run]},
                    body=to_invoice_in,
                )
            },
            "/receipts/global-invoice": {
                "post": _op("Factura global", ORG_KEY, invoice, body=global_in)
            },
        }
    )
    return paths


def _other_paths() -> dict[str, dict[str, Schema]]:
    one = "/customers/{customer_id}"
    webhook_in = _obj({"url": STR, "enabled_events": STRINGS, "status": STR}, required=False)
    paths = {
        **_crud("customer", "un cliente", CUSTOMER_IN, LIST_PARAMS, CUSTOMER_EXAMPLE),
        **_crud(
            "product",
            "un producto",
            PRODUCT_IN,
            LIST_PARAMS + [("sku", STR, "SKU.")],
            PRODUCT_EXAMPLE,
        ),
        **_crud("webhook", "un webhook", webhook_in, PAGE_PARAMS),
        f"{one}/tax-info-validation": {
            "get": _op(
                "Validar los datos fiscales",
                ORG_KEY,
                _obj(
                    {
                        "is_valid": BOOL,
                        "errors": _t(
                            "array", items=_obj({"path": NSTR, "message": STR, "code": STR})
                        ),
                    }
                ),
            )
        },
        f"{one}/email-edit-link": {
            "post": _op("Enviar liga de edición", ORG_KEY, _ref("Ok"), body=EMAIL_IN)
        },
        "/webhooks/validate-signature": {
            "post": _op(
                "Validar una firma",
                ORG_KEY,
                ANY_OBJECT,
                body=_obj({"signature": STR, "payload": STR, "secret": STR}, required=False),
            )
        },
        "/catalogs/products": {
            "get": _op(
                "Buscar claves de producto",
                ANY_KEY,
                _page("CatalogEntry"),
                query=SEARCH + PAGE_PARAMS,
            )
        },
        "/catalogs/units": {
            "get": _op(
                "Buscar claves de unidad",
                ANY_KEY,
                _page("CatalogEntry"),
                query=SEARCH + PAGE_PARAMS,
            )
        },
        "/tools/tax_id_validation": {
            "get": _op(
                "¿Está el RFC en la lista 69-B?",
                ANY_KEY,
                _obj(
                    {
                        "efos": _obj(
                            {
                                "is_valid": _t("boolean", True),
                                "list_loaded": BOOL,
                                "data": _obj(
                                    {"mensaje": STR, "fechaLista": NSTR, "detalles": OBJECTS}
                                ),
                            }
                        )
                    }
                ),
                query=[("tax_id", STR, "RFC.")],
            )
        },
    }
    for operation in (paths["/customers"]["post"], paths[one]["put"]):
        link = _query("createEditLink", STR, "`true`: emite una liga de edición.")
        operation["parameters"].append(link)
    paths["/webhooks"]["post"]["responses"]["200"]["content"] = _json(_ref("WebhookWithSecret"))
    return paths


def _described(view: Any) -> Schema:
    """One operation from the shapes its view declares with ``portal.schemas.operation``."""
    described = view.__api_operation__
    template = "#/components/schemas/{model}"

    def schema_of(model: Any) -> Schema:
        found = model.model_json_schema(ref_template=template)
        SCHEMAS.update(found.pop("$defs", {}))
        return found

    body = schema_of(described.body) if described.body else None
    return _op(described.summary, ORG_KEY, schema_of(described.response), body=body)


def _contact_paths() -> dict[str, dict[str, Schema]]:
    """The customer's emails, phones and company names (until the document is generated)."""
    from portal.api import contacts as views

    one = "/customers/{customer_id}"
    table = {
        f"{one}/emails": {"get": views.list_emails, "post": views.add_email},
        f"{one}/emails/{{email_id}}": {"put": views.update_email, "delete": views.delete_email},
        f"{one}/emails/{{email_id}}/toggle-lock": {"post": views.toggle_email_lock},
        f"{one}/phones": {"get": views.list_phones, "post": views.add_phone},
        f"{one}/phones/{{phone_id}}": {"put": views.update_phone, "delete": views.delete_phone},
        f"{one}/phones/{{phone_id}}/toggle-lock": {"post": views.toggle_phone_lock},
        f"{one}/company-names": {
            "get": views.list_company_names,
            "post": views.create_company_name,
        },
        f"{one}/company-names/{{company_name_id}}": {"put": views.update_company_name},
        f"{one}/company-names/{{company_name_id}}/set-default": {
            "post": views.set_default_company_name
        },
        f"{one}/company-names/{{company_name_id}}/toggle-active": {
            "post": views.toggle_active_company_name
        },
    }
    return {
        path: {method: _described(view) for method, view in ops.items()}
        for path, ops in table.items()
    }


def _pydantic(model: Any, components: dict[str, Schema]) -> Schema:
    """A pydantic model's JSON schema; its nested models go to ``components``."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(schema.pop("$defs", {}))
    return schema


def _retention_paths(components: dict[str, Schema]) -> dict[str, dict[str, Schema]]:
    """/retentions, from the pydantic models of ``portal.schemas.retentions`` (until the
    generated document replaces this file)."""
    from portal.schemas import retentions as shapes

    answer = _pydantic(shapes.RetentionAnswer, components)
    one = "/retentions/{retention_id}"
    page = _obj(
        {"page": INT, "total_pages": INT, "total_results": INT, "data": _t("array", items=answer)}
    )
    query = [("q", STR, "Texto a buscar."), ("customer", STR, "Id del cliente.")]
    cancel = [
        ("motive", _t("string", enum=["01", "02", "03", "04"]), "Motivo (02 si se omite)."),
        ("substitution", STR, "Motivo 01: UUID de la retención que la sustituye."),
    ]
    create = _pydantic(shapes.RetentionCreate, components)
    components["RetentionCustomer"] = _pydantic(shapes.RetentionCustomer, components)
    create["properties"]["customer"] = {
        "anyOf": [_ref("RetentionCustomer"), _t("string", description="Id de un cliente.")]
    }
    paths: dict[str, dict[str, Schema]] = {
        "/retentions": {
            "post": _op("Crear una retención", ORG_KEY, answer, body=create),
            "get": _op("Listar retenciones", ORG_KEY, page, query=LIST_PARAMS + query),
        },
        one: {
            "get": _op("Obtener una retención", ORG_KEY, answer),
            "delete": _op("Cancelar una retención", ORG_KEY, answer, query=cancel),
        },
        f"{one}/email": {
            "post": _op(
                "Enviar por correo",
                ORG_KEY,
                _ref("Ok"),
                body=_pydantic(shapes.RetentionEmail, components),
            )
        },
    }
    files = {"pdf": "application/pdf", "xml": "application/xml", "zip": "application/zip"}
    for kind, mime in files.items():
        paths[f"{one}/{kind}"] = {
            "get": _op(f"Descargar {kind.upper()}", ORG_KEY, STR, binary=mime)
        }
    return paths


def _with_path_parameters(paths: dict[str, dict[str, Schema]]) -> dict[str, dict[str, Schema]]:
    """Declare every ``{name}`` of a path as a required string parameter."""
    for path, operations in paths.items():
        names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
        for operation in operations.values():
            declared = [{"name": n, "in": "path", "required": True, "schema": STR} for n in names]
            operation["parameters"] = declared + operation.get("parameters", [])
            operation.setdefault("tags", [path.split("/")[1]])
    return paths


@cache
def build_spec() -> dict[str, Any]:
    """The whole OpenAPI 3.1 document."""
    paths = {
        **_organization_paths(),
        **_other_paths(),
        **_invoice_paths(),
        **_receipt_paths(),
        **_contact_paths(),
    }
    components = dict(SCHEMAS)
    paths.update(_retention_paths(components))
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "Factura Portal API",
            "version": "2",
            "description": "API compatible con Facturapi v2 para emitir CFDI 4.0.",
        },
        "servers": [{"url": "/v2"}],
        "paths": _with_path_parameters(paths),
        "components": {
            "schemas": components,
            "responses": {
                "Error": {"description": "Error", "content": _json(_ref("Error"))},
            },
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "La llave de API."},
                "basic": {
                    "type": "http",
                    "scheme": "basic",
                    "description": "La llave como nombre de usuario, contraseña vacía.",
                },
            },
        },
    }
    document["paths"]["/openapi.json"] = {
        "get": {
            "summary": "Esta descripción OpenAPI",
            "tags": ["openapi"],
            "security": [],
            "responses": {"200": {"description": "OK", "content": _json(ANY_OBJECT)}},
        }
    }
    return document


@bp.get("/openapi.json")
def openapi_document():
    """The OpenAPI description of /v2 (no key needed)."""
    return jsonify(build_spec())
