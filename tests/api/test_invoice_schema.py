"""The invoice body in /v2/openapi.json is the engine's input types, field for field: what
the document promises is what ``InvoiceInput.from_dict`` reads (issue 17, one definition)."""

from __future__ import annotations

import dataclasses

from portal.api.openapi import bare_api_app, build_spec
from portal.cfdi import types

SPEC = build_spec(bare_api_app())["components"]["schemas"]


def _properties(schema: dict) -> set[str]:
    if "$ref" in schema:
        return _properties(SPEC[schema["$ref"].rsplit("/", 1)[1]])
    for option in schema.get("anyOf", []):
        if option.get("type") != "null" and option.get("type") != "string":
            return _properties(option)
    if schema.get("type") == "array":
        return _properties(schema["items"])
    return set(schema["properties"])


def _fields(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


def test_the_documented_invoice_body_is_what_the_engine_reads() -> None:
    body = SPEC["InvoiceIn"]["properties"]
    assert _properties(body["items"]) == _fields(types.Item)
    assert _properties(body["customer"]) == _fields(types.Customer)
    item = SPEC["InvoiceIn"]["properties"]["items"]
    product = next(o for o in item["anyOf"] if o.get("type") == "array")["items"]
    assert _properties(product["properties"]["product"]) == _fields(types.Product)
    assert set(SPEC["CfdiPayment"]["properties"]) == _fields(types.Payment)
    assert set(SPEC["CfdiPaymentDocument"]["properties"]) == _fields(types.PaymentDocument)
    assert set(types.InvoiceBody.model_fields) - {"global_"} <= set(body)


def test_a_product_or_customer_may_be_an_id() -> None:
    body = SPEC["InvoiceIn"]["properties"]
    assert {"description": "Id.", "type": "string"} in body["customer"]["anyOf"]
