"""The error bodies of bad requests stay as they were when validation moved to pydantic.

``error_bodies.json`` holds, for a corpus of bad requests across the resources, the whole
Facturapi error body each one got from the hand-written checks (status, code, path, Spanish
message, every problem). Each case sends its request again and compares. The ids of the objects
made for the corpus are written as ``<customer>``, ``<invoice>``… so the file does not depend on
them. ``RECORD_ERROR_BODIES=1`` rewrites the file from the current code (review the diff).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from portal.extensions import db as _db
from portal.models.accounts import ROLE_RESELLER
from tests.conftest import _empty_tables
from tests.fixtures.factories import LEGAL, PASSWORD
from tests.fixtures.invoices import CUSTOMER, ITEM
from tests.fixtures.receipts import RECEIPT_ITEM
from tests.fixtures.retentions import retention_body

FIXTURE = Path(__file__).with_name("error_bodies.json")
RECORD = os.environ.get("RECORD_ERROR_BODIES") == "1"
ENVELOPE = ("type", "param", "doc_url", "request_id")
PRODUCT = ITEM["product"]
INVOICE = {"customer": CUSTOMER, "items": [ITEM], "payment_form": "03", "use": "G03"}
RECEIPT = {"items": [RECEIPT_ITEM], "payment_form": "01"}
# A receiver with no email: an email request without addresses has nowhere to go.
SILENT = {
    **CUSTOMER,
    "email": None,
    "legal_name": "KARLA FUENTE NOLASCO",
    "tax_id": "FUNK671228PH6",
}
SILENT |= {"tax_system": "612", "address": {"zip": "01160"}}
ELEVEN = [f"c{i}@example.com" for i in range(11)]
WEBHOOK = {"url": "http://127.0.0.1:9/hook", "enabled_events": ["invoice.status_updated"]}


def _invoice(**change: Any) -> dict[str, Any]:
    return {**INVOICE, **change}


def _item(**change: Any) -> dict[str, Any]:
    return {**ITEM, **change}


def _product(**change: Any) -> dict[str, Any]:
    return {**PRODUCT, **change}


def _customer(**change: Any) -> dict[str, Any]:
    return {**CUSTOMER, **change}


def _payment(*documents: dict[str, Any], **change: Any) -> dict[str, Any]:
    """A payment complement invoice (type P) paying ``documents``."""
    data = {"payment_form": "03", "related_documents": list(documents), **change}
    return _invoice(type="P", items=[], complements=[{"type": "pago", "data": [data]}])


# (name, key: "org" | "user" | "none", method, path, JSON body or a raw string)
CASES: list[tuple[str, str, str, str, Any]] = [
    # customers
    ("customer-empty", "org", "POST", "/customers", {}),
    ("customer-tax-id-number", "org", "POST", "/customers", {"tax_id": 5}),
    ("customer-tax-id-format", "org", "POST", "/customers", _customer(tax_id="ABC")),
    ("customer-tax-system", "org", "POST", "/customers", _customer(tax_system="999")),
    ("customer-email", "org", "POST", "/customers", _customer(email="no-at")),
    ("customer-address-text", "org", "POST", "/customers", _customer(address="x")),
    ("customer-address-zip", "org", "POST", "/customers", _customer(address={"zip": "1"})),
    ("customer-name-long", "org", "POST", "/customers", _customer(legal_name="A" * 400)),
    ("customer-use", "org", "POST", "/customers", _customer(default_invoice_use="ZZZ")),
    ("customer-emails-text", "org", "POST", "/customers", _customer(emails="x")),
    ("customer-control-char", "org", "POST", "/customers", _customer(legal_name="URE\x01")),
    ("customer-not-json", "org", "POST", "/customers", "{"),
    ("customer-json-list", "org", "POST", "/customers", [1, 2]),
    ("customer-update-system", "org", "PUT", "/customers/<customer>", {"tax_system": 601.5}),
    ("customer-list-page", "org", "GET", "/customers?page=0", None),
    ("customer-list-limit", "org", "GET", "/customers?limit=500", None),
    ("customer-list-date", "org", "GET", "/customers?date[gt]=ayer", None),
    ("customer-unknown", "org", "GET", "/customers/nope", None),
    ("customer-no-key", "none", "GET", "/customers", None),
    ("customer-user-key", "user", "GET", "/customers", None),
    (
        "customer-edit-link-email",
        "org",
        "POST",
        "/customers/<customer>/email-edit-link",
        {"email": "bad"},
    ),
    # products
    ("product-empty", "org", "POST", "/products", {}),
    ("product-key", "org", "POST", "/products", _product(product_key="123")),
    ("product-price-negative", "org", "POST", "/products", _product(price=-1)),
    ("product-price-text", "org", "POST", "/products", _product(price="abc")),
    ("product-price-huge", "org", "POST", "/products", _product(price="1e400")),
    (
        "product-tax-type",
        "org",
        "POST",
        "/products",
        _product(taxes=[{"type": "XYZ", "rate": 0.16}]),
    ),
    ("product-taxes-text", "org", "POST", "/products", _product(taxes="x")),
    ("product-unit-key", "org", "POST", "/products", _product(unit_key="ZZZ")),
    ("product-tax-included", "org", "POST", "/products", _product(tax_included="yes")),
    ("product-update-price", "org", "PUT", "/products/<product>", {"price": [1]}),
    ("product-list-page", "org", "GET", "/products?page=abc", None),
    ("product-update-null", "org", "PUT", "/products/<product>", {"description": None}),
    ("product-update-empty-key", "org", "PUT", "/products/<product>", {"product_key": ""}),
    (
        "product-tax-rate-required",
        "org",
        "POST",
        "/products",
        _product(taxes=[{"type": "ISR"}, {"type": "IEPS", "factor": "Cuota", "rate": "x"}]),
    ),
    (
        "product-tax-factor-mode",
        "org",
        "POST",
        "/products",
        _product(taxes=[{"factor": "Otro", "ieps_mode": "x"}, {"type": "IEPS", "ieps_mode": 1}]),
    ),
    ("product-tax-not-object", "org", "POST", "/products", _product(taxes=[5, {}])),
    (
        "product-local-tax",
        "org",
        "POST",
        "/products",
        _product(local_taxes=[{"rate": -1}, {"type": "x" * 101, "rate": "0.02"}]),
    ),
    (
        "product-many-taxes",
        "org",
        "POST",
        "/products",
        _product(taxes=[{}] * 11, sku=["x"], unit_name="\x07", taxability="09"),
    ),
    (
        "product-types",
        "org",
        "POST",
        "/products",
        {"description": 5, "product_key": 60131324, "price": True},
    ),
    # invoices
    ("invoice-empty", "org", "POST", "/invoices", {}),
    ("invoice-no-items", "org", "POST", "/invoices", _invoice(items=[])),
    (
        "invoice-quantity-negative",
        "org",
        "POST",
        "/invoices",
        _invoice(items=[_item(quantity=-1)]),
    ),
    ("invoice-quantity-text", "org", "POST", "/invoices", _invoice(items=[_item(quantity="x")])),
    (
        "invoice-item-price-missing",
        "org",
        "POST",
        "/invoices",
        _invoice(
            items=[{"quantity": 1, "product": {"description": "x", "product_key": "60131324"}}]
        ),
    ),
    ("invoice-payment-form", "org", "POST", "/invoices", _invoice(payment_form="77")),
    ("invoice-use", "org", "POST", "/invoices", _invoice(use="XX")),
    ("invoice-currency", "org", "POST", "/invoices", _invoice(currency="usd1")),
    ("invoice-customer-id", "org", "POST", "/invoices", _invoice(customer="nope")),
    ("invoice-type", "org", "POST", "/invoices", _invoice(type="Z")),
    ("invoice-folio", "org", "POST", "/invoices", _invoice(folio_number="abc")),
    ("invoice-series", "org", "POST", "/invoices", _invoice(series="a|b")),
    ("invoice-date", "org", "POST", "/invoices", _invoice(date="ayer")),
    ("invoice-complements-text", "org", "POST", "/invoices", _invoice(complements="x")),
    (
        "invoice-related",
        "org",
        "POST",
        "/invoices",
        _invoice(related_documents=[{"relationship": "99", "documents": ["x"]}]),
    ),
    ("invoice-items-text", "org", "POST", "/invoices", _invoice(items="x")),
    (
        "invoice-customer-tax-id",
        "org",
        "POST",
        "/invoices",
        _invoice(customer=_customer(tax_id="XYZ")),
    ),
    ("invoice-async-empty", "org", "POST", "/invoices?async=true", {}),
    ("invoice-status", "org", "POST", "/invoices", _invoice(status="valid")),
    ("invoice-external-id-long", "org", "POST", "/invoices", _invoice(external_id="x" * 256)),
    ("invoice-idempotency-long", "org", "POST", "/invoices", _invoice(idempotency_key="k" * 65)),
    ("invoice-pdf-options-text", "org", "POST", "/invoices", _invoice(pdf_options="x")),
    (
        "invoice-pdf-options-switches",
        "org",
        "POST",
        "/invoices",
        _invoice(pdf_options={"codes": "yes", "tax_breakdown": 1, "other": "x"}),
    ),
    ("invoice-pdf-section-number", "org", "POST", "/invoices", _invoice(pdf_custom_section=5)),
    ("invoice-items-too-many", "org", "POST", "/invoices", _invoice(items=[{}] * 5001)),
    (
        "invoice-meta-all",
        "org",
        "POST",
        "/invoices",
        _invoice(
            status="x",
            external_id=["x"],
            idempotency_key="\x01",
            type="Q",
            series="",
            folio_number=0,
            items="x",
            pdf_options={"round_unit_price": "no", "ieps_breakdown": None, "codes": 0},
            pdf_custom_section=["x"],
        ),
    ),
    (
        "invoice-draft-meta",
        "org",
        "PUT",
        "/invoices/<draft>",
        {"status": "valid", "external_id": "x" * 300, "folio_number": True, "series": "a/b"},
    ),
    ("invoice-draft-items", "org", "PUT", "/invoices/<draft>", {"items": "x"}),
    ("invoice-cancel-motive", "org", "DELETE", "/invoices/<invoice>?motive=09", None),
    ("invoice-cancel-substitution", "org", "DELETE", "/invoices/<invoice>?motive=01", None),
    ("invoice-email", "org", "POST", "/invoices/<invoice>/email", {"email": "bad"}),
    ("invoice-list-date", "org", "GET", "/invoices?date[lt]=x", None),
    ("invoice-list-type", "org", "GET", "/invoices?type=Z", None),
    ("invoice-list-status", "org", "GET", "/invoices?status=paid", None),
    ("invoice-list-method", "org", "GET", "/invoices?payment_method=ppd", None),
    (
        "invoice-list-filters",
        "org",
        "GET",
        "/invoices?status=x&payment_method=y&type=z&customer=nope",
        None,
    ),
    ("invoice-list-control", "org", "GET", "/invoices?status=%01", None),
    ("invoice-list-type-and-page", "org", "GET", "/invoices?type=Z&page=0", None),
    ("invoice-list-page", "org", "GET", "/invoices?page=abc", None),
    ("invoice-list-limit", "org", "GET", "/invoices?limit=101&status=valid", None),
    ("invoice-list-date-and-limit", "org", "GET", "/invoices?date[gt]=x&limit=0", None),
    ("invoice-cancel-no-motive", "org", "DELETE", "/invoices/<invoice>", None),
    ("invoice-cancel-motive-empty", "org", "DELETE", "/invoices/<invoice>?motive=", None),
    ("invoice-cancel-motive-one", "org", "DELETE", "/invoices/<invoice>?motive=1", None),
    ("invoice-cancel-motive-long", "org", "DELETE", "/invoices/<invoice>?motive=0202", None),
    ("invoice-cancel-motive-control", "org", "DELETE", "/invoices/<invoice>?motive=%0002", None),
    (
        "invoice-cancel-substitution-unknown",
        "org",
        "DELETE",
        "/invoices/<invoice>?motive=01&substitution=nope",
        None,
    ),
    ("invoice-email-number", "org", "POST", "/invoices/<invoice>/email", {"email": 5}),
    ("invoice-email-true", "org", "POST", "/invoices/<invoice>/email", {"email": True}),
    ("invoice-email-object", "org", "POST", "/invoices/<invoice>/email", {"email": {"a": 1}}),
    (
        "invoice-email-list",
        "org",
        "POST",
        "/invoices/<invoice>/email",
        {"email": ["ok@example.com", "bad", 5, {}, "", None, [], " "]},
    ),
    ("invoice-email-eleven", "org", "POST", "/invoices/<invoice>/email", {"email": ELEVEN}),
    (
        "invoice-email-eleven-bad",
        "org",
        "POST",
        "/invoices/<invoice>/email",
        {"email": [*ELEVEN, "bad"]},
    ),
    ("invoice-email-nowhere", "org", "POST", "/invoices/<silent>/email", {}),
    ("invoice-email-nowhere-empty", "org", "POST", "/invoices/<silent>/email", {"email": ""}),
    ("invoice-email-nowhere-list", "org", "POST", "/invoices/<silent>/email", {"email": []}),
    ("invoice-email-nowhere-zero", "org", "POST", "/invoices/<silent>/email", {"email": 0}),
    ("invoice-unknown", "org", "GET", "/invoices/nope", None),
    ("invoice-stamp-valid", "org", "POST", "/invoices/<invoice>/stamp", None),
    # payments
    (
        "payment-uuid",
        "org",
        "POST",
        "/invoices",
        _payment({"uuid": "not-a-uuid", "amount": "100"}),
    ),
    (
        "payment-amount-negative",
        "org",
        "POST",
        "/invoices",
        _payment({"uuid": "<ppd_uuid>", "amount": "-5"}),
    ),
    (
        "payment-form-99",
        "org",
        "POST",
        "/invoices",
        _payment({"uuid": "<ppd_uuid>", "amount": "100"}, payment_form="99"),
    ),
    (
        "payment-data-text",
        "org",
        "POST",
        "/invoices",
        _invoice(type="P", items=[], complements=[{"type": "pago", "data": "x"}]),
    ),
    (
        "payment-over-balance",
        "org",
        "POST",
        "/invoices",
        _payment({"uuid": "<ppd_uuid>", "amount": "99999"}),
    ),
    # receipts
    ("receipt-empty", "org", "POST", "/receipts", {}),
    ("receipt-no-items", "org", "POST", "/receipts", {**RECEIPT, "items": []}),
    ("receipt-payment-form", "org", "POST", "/receipts", {**RECEIPT, "payment_form": "ZZ"}),
    ("receipt-folio", "org", "POST", "/receipts", {**RECEIPT, "folio_number": -1}),
    ("receipt-branch-control", "org", "POST", "/receipts", {**RECEIPT, "branch": "Centro\x00"}),
    (
        "receipt-invoice-customer",
        "org",
        "POST",
        "/receipts/<receipt>/invoice",
        {"customer": _customer(tax_id="XYZ"), "use": "G03"},
    ),
    ("receipt-to-invoice-keys-text", "org", "POST", "/receipts/to-invoice", {"keys": "x"}),
    ("receipt-to-invoice-no-keys", "org", "POST", "/receipts/to-invoice", {"keys": []}),
    (
        "receipt-to-invoice-keys-kinds",
        "org",
        "POST",
        "/receipts/to-invoice",
        {"keys": [["a"], "b"], "dry_run": True},
    ),
    ("receipt-email", "org", "POST", "/receipts/<receipt>/email", {"email": ["bad"]}),
    ("receipt-list-page", "org", "GET", "/receipts?limit=0", None),
    # global invoices
    (
        "global-periodicity",
        "org",
        "POST",
        "/receipts/global-invoice",
        {"periodicity": "year"},
    ),
    ("global-from", "org", "POST", "/receipts/global-invoice", {"from": "x"}),
    ("global-payment-form", "org", "POST", "/receipts/global-invoice", {"payment_form": "ZZ"}),
    (
        "global-ancient",
        "org",
        "POST",
        "/receipts/global-invoice",
        {"from": "0001-01-01T00:06:12Z"},
    ),
    ("global-receipts-text", "org", "POST", "/receipts/global-invoice", {"receipts": "x"}),
    # retentions
    ("retention-list-page", "org", "GET", "/retentions?page=0", None),
    ("retention-list-date-and-limit", "org", "GET", "/retentions?date[lt]=x&limit=0", None),
    ("retention-cancel-motive", "org", "DELETE", "/retentions/<retention>?motive=09", None),
    ("retention-cancel-motive-empty", "org", "DELETE", "/retentions/<retention>?motive=", None),
    ("retention-cancel-01", "org", "DELETE", "/retentions/<retention>?motive=01", None),
    (
        "retention-cancel-substitution",
        "org",
        "DELETE",
        "/retentions/<retention>?substitution=x",
        None,
    ),
    ("retention-email-bad", "org", "POST", "/retentions/<retention>/email", {"email": "bad"}),
    ("retention-email-number", "org", "POST", "/retentions/<retention>/email", {"email": 5}),
    ("retention-email-object", "org", "POST", "/retentions/<retention>/email", {"email": {}}),
    (
        "retention-email-list",
        "org",
        "POST",
        "/retentions/<retention>/email",
        {"email": ["ok@example.com", "bad", 5, "", None]},
    ),
    (
        "retention-email-eleven-bad",
        "org",
        "POST",
        "/retentions/<retention>/email",
        {"email": [*ELEVEN, "bad"]},
    ),
    ("retention-email-nowhere", "org", "POST", "/retentions/<silent_retention>/email", {}),
    # receipts and global invoices: every field of their bodies and query (issue 17)
    ("receipt-items-missing", "org", "POST", "/receipts", {"payment_form": "01"}),
    ("receipt-items-text", "org", "POST", "/receipts", {**RECEIPT, "items": "x"}),
    ("receipt-items-object", "org", "POST", "/receipts", {**RECEIPT, "items": {}}),
    ("receipt-items-too-many", "org", "POST", "/receipts", {**RECEIPT, "items": [1] * 5001}),
    ("receipt-item-number", "org", "POST", "/receipts", {**RECEIPT, "items": [5]}),
    (
        "receipt-item-quantity",
        "org",
        "POST",
        "/receipts",
        {**RECEIPT, "items": [{**RECEIPT["items"][0], "quantity": "x"}]},
    ),
    ("receipt-payment-form-missing", "org", "POST", "/receipts", {"items": RECEIPT["items"]}),
    ("receipt-payment-form-number", "org", "POST", "/receipts", {**RECEIPT, "payment_form": 1}),
    ("receipt-payment-form-list", "org", "POST", "/receipts", {**RECEIPT, "payment_form": []}),
    ("receipt-folio-text", "org", "POST", "/receipts", {**RECEIPT, "folio_number": "abc"}),
    ("receipt-folio-bool", "org", "POST", "/receipts", {**RECEIPT, "folio_number": True}),
    ("receipt-folio-fraction", "org", "POST", "/receipts", {**RECEIPT, "folio_number": 1.5}),
    ("receipt-folio-huge", "org", "POST", "/receipts", {**RECEIPT, "folio_number": 3 * 10**9}),
    ("receipt-date-text", "org", "POST", "/receipts", {**RECEIPT, "date": "ayer"}),
    ("receipt-date-number", "org", "POST", "/receipts", {**RECEIPT, "date": 5}),
    ("receipt-date-object", "org", "POST", "/receipts", {**RECEIPT, "date": {}}),
    ("receipt-date-future", "org", "POST", "/receipts", {**RECEIPT, "date": "2999-01-01"}),
    ("receipt-branch-long", "org", "POST", "/receipts", {**RECEIPT, "branch": "x" * 101}),
    ("receipt-branch-list", "org", "POST", "/receipts", {**RECEIPT, "branch": ["x"]}),
    ("receipt-external-id-long", "org", "POST", "/receipts", {**RECEIPT, "external_id": "x" * 256}),
    (
        "receipt-idempotency-long",
        "org",
        "POST",
        "/receipts",
        {**RECEIPT, "idempotency_key": "k" * 65},
    ),
    ("receipt-currency", "org", "POST", "/receipts", {**RECEIPT, "currency": "ZZZ"}),
    (
        "receipt-exchange",
        "org",
        "POST",
        "/receipts",
        {**RECEIPT, "currency": "USD", "exchange": "x"},
    ),
    (
        "receipt-all-wrong",
        "org",
        "POST",
        "/receipts",
        {"items": [], "payment_form": "ZZ", "folio_number": 0, "date": "x", "branch": {}},
    ),
    ("receipt-body-list", "org", "POST", "/receipts", [RECEIPT]),
    ("receipt-list-status", "org", "GET", "/receipts?status=paid", None),
    ("receipt-list-payment-form", "org", "GET", "/receipts?payment_form=1", None),
    ("receipt-list-both", "org", "GET", "/receipts?status=x&payment_form=abc&page=0", None),
    ("receipt-list-date", "org", "GET", "/receipts?date[lte]=ayer", None),
    ("receipt-email-missing", "org", "POST", "/receipts/<receipt>/email", {}),
    ("receipt-email-text", "org", "POST", "/receipts/<receipt>/email", {"email": "bad"}),
    ("receipt-email-number", "org", "POST", "/receipts/<receipt>/email", {"email": 5}),
    ("receipt-email-object", "org", "POST", "/receipts/<receipt>/email", {"email": {}}),
    ("receipt-email-empty-list", "org", "POST", "/receipts/<receipt>/email", {"email": []}),
    (
        "receipt-email-too-many",
        "org",
        "POST",
        "/receipts/<receipt>/email",
        {"email": [f"c{i}@example.com" for i in range(11)]},
    ),
    (
        "receipt-email-mixed",
        "org",
        "POST",
        "/receipts/<receipt>/email",
        {"email": ["a@example.com", 5, "bad", None, ""]},
    ),
    ("receipt-invoice-empty", "org", "POST", "/receipts/<receipt>/invoice", {}),
    (
        "receipt-invoice-customer-number",
        "org",
        "POST",
        "/receipts/<receipt>/invoice",
        {"customer": 5},
    ),
    (
        "receipt-invoice-customer-blank",
        "org",
        "POST",
        "/receipts/<receipt>/invoice",
        {"customer": ""},
    ),
    (
        "receipt-invoice-customer-list",
        "org",
        "POST",
        "/receipts/<receipt>/invoice",
        {"customer": ["x"]},
    ),
    (
        "receipt-invoice-use-long",
        "org",
        "POST",
        "/receipts/<receipt>/invoice",
        {"customer": "nope", "use": "G03XX"},
    ),
    (
        "receipt-invoice-series",
        "org",
        "POST",
        "/receipts/<receipt>/invoice",
        {"customer": {}, "use": 5, "series": "A|B"},
    ),
    (
        "receipt-invoice-unknown-customer",
        "org",
        "POST",
        "/receipts/<receipt>/invoice",
        {"customer": "nope"},
    ),
    ("receipt-to-invoice-empty", "org", "POST", "/receipts/to-invoice", {}),
    ("receipt-to-invoice-no-customer", "org", "POST", "/receipts/to-invoice", {"keys": ["nope"]}),
    (
        "receipt-to-invoice-dry-run-text",
        "org",
        "POST",
        "/receipts/to-invoice",
        {"keys": ["nope"], "dry_run": "yes", "payment_form": "ZZ"},
    ),
    (
        "receipt-to-invoice-too-many",
        "org",
        "POST",
        "/receipts/to-invoice",
        {"keys": ["k"] * 1001, "dry_run": True},
    ),
    (
        "receipt-to-invoice-series",
        "org",
        "POST",
        "/receipts/to-invoice",
        {"keys": ["nope"], "customer": 5, "series": "A/B", "use": "x" * 5},
    ),
    ("global-periodicity-number", "org", "POST", "/receipts/global-invoice", {"periodicity": 5}),
    (
        "global-periodicity-list",
        "org",
        "POST",
        "/receipts/global-invoice",
        {"periodicity": ["day"]},
    ),
    ("global-to", "org", "POST", "/receipts/global-invoice", {"to": "mañana"}),
    ("global-from-number", "org", "POST", "/receipts/global-invoice", {"from": 5}),
    ("global-from-long", "org", "POST", "/receipts/global-invoice", {"from": "2" * 41}),
    ("global-to-date-only", "org", "POST", "/receipts/global-invoice", {"to": "2020-13-01"}),
    (
        "global-from-after-to",
        "org",
        "POST",
        "/receipts/global-invoice",
        {"from": "2024-02-01T00:00:00Z", "to": "2024-01-01T00:00:00Z"},
    ),
    (
        "global-nothing-open",
        "org",
        "POST",
        "/receipts/global-invoice",
        {"from": "2020-01-01", "to": "2020-01-02", "payment_form": "03"},
    ),
    ("global-months", "org", "POST", "/receipts/global-invoice", {"months": "19"}),
    ("global-months-number", "org", "POST", "/receipts/global-invoice", {"months": 5}),
    ("global-payment-form-number", "org", "POST", "/receipts/global-invoice", {"payment_form": 3}),
    (
        "global-receipts-too-many",
        "org",
        "POST",
        "/receipts/global-invoice",
        {"receipts": ["r"] * 5001},
    ),
    ("global-currency", "org", "POST", "/receipts/global-invoice", {"currency": "ZZZ"}),
    ("global-exchange-text", "org", "POST", "/receipts/global-invoice", {"exchange": "x"}),
    ("global-exchange-zero", "org", "POST", "/receipts/global-invoice", {"exchange": 0}),
    ("global-series", "org", "POST", "/receipts/global-invoice", {"series": "A|B"}),
    ("global-folio", "org", "POST", "/receipts/global-invoice", {"folio_number": 0}),
    ("global-folio-text", "org", "POST", "/receipts/global-invoice", {"folio_number": "x"}),
    (
        "global-autoincremental",
        "org",
        "POST",
        "/receipts/global-invoice",
        {"folio_number": "autoincremental", "periodicity": "year"},
    ),
    (
        "global-all-wrong",
        "org",
        "POST",
        "/receipts/global-invoice",
        {
            "periodicity": "year",
            "from": "x",
            "to": 7,
            "months": "00",
            "payment_form": "ZZ",
            "receipts": {},
            "currency": 1,
            "exchange": -1,
            "series": "",
            "folio_number": -3,
        },
    ),
    ("global-body-list", "org", "POST", "/receipts/global-invoice", [1]),
    # webhooks
    ("webhook-empty", "org", "POST", "/webhooks", {}),
    ("webhook-url", "org", "POST", "/webhooks", {"url": "ftp://x", "enabled_events": ["x"]}),
    (
        "webhook-event-object",
        "org",
        "POST",
        "/webhooks",
        {"url": "http://127.0.0.1:9/hook", "enabled_events": [{}]},
    ),
    ("webhook-status", "org", "PUT", "/webhooks/<webhook>", {"status": "paused"}),
    ("webhook-unknown", "org", "GET", "/webhooks/nope", None),
    ("signature-empty", "org", "POST", "/webhooks/validate-signature", {}),
    (
        "signature-wrong",
        "org",
        "POST",
        "/webhooks/validate-signature",
        {"signature": "x", "payload": "{}"},
    ),
    # organizations
    ("organization-empty", "user", "POST", "/organizations", {}),
    (
        "organization-legal",
        "user",
        "PUT",
        "/organizations/<organization>/legal",
        {"tax_system": "999", "address": {"zip": "x"}},
    ),
    (
        "organization-legal-org-key",
        "org",
        "PUT",
        "/organizations/<organization>/legal",
        {"name": "x"},
    ),
    (
        "organization-customization",
        "user",
        "PUT",
        "/organizations/<organization>/customization",
        {"color": "red", "next_folio_number": -1},
    ),
    (
        "organization-receipts",
        "user",
        "PUT",
        "/organizations/<organization>/receipts",
        {"periodicity": "year", "duration_days": -1},
    ),
    (
        "organization-self-invoice",
        "user",
        "PUT",
        "/organizations/<organization>/self-invoice",
        {"allowed_cfdi_uses": ["ZZ", {}]},
    ),
    ("organization-domain", "user", "PUT", "/organizations/<organization>/domain", {"domain": "A"}),
    (
        "organization-series-name",
        "user",
        "POST",
        "/organizations/<organization>/series-group",
        {"series": "a|b"},
    ),
    (
        "organization-series-empty",
        "user",
        "POST",
        "/organizations/<organization>/series-group",
        {},
    ),
    (
        "organization-series-unknown",
        "user",
        "PUT",
        "/organizations/<organization>/series-group/NOPE",
        {"next_folio": 2},
    ),
    (
        "organization-certificate-missing",
        "user",
        "PUT",
        "/organizations/<organization>/certificate",
        None,
    ),
    ("organization-list-page", "user", "GET", "/organizations?page=0", None),
    ("organization-unknown", "user", "GET", "/organizations/nope", None),
    ("organization-domain-check", "user", "PUT", "/organizations/domain-check", {"domain": 5}),
    # catalogs and tools
    ("catalog-products-page", "org", "GET", "/catalogs/products?page=0", None),
    ("catalog-units-limit", "org", "GET", "/catalogs/units?limit=1000", None),
    ("tool-tax-id-missing", "org", "GET", "/tools/tax_id_validation", None),
    ("tool-tax-id-format", "org", "GET", "/tools/tax_id_validation?tax_id=bad", None),
]


class World:
    """An account, a ready organization, its keys and one object of each kind."""

    def __init__(self, app: Any, org_csd: Any) -> None:
        from portal.services import accounts, api_keys
        from portal.services import organizations as orgs

        self.client = app.test_client()
        with app.app_context():
            account, self.user_key = accounts.create_account(
                _db.session, "errors@example.com", PASSWORD, "Errores", ROLE_RESELLER
            )
            org = orgs.create_organization(_db.session, account, "Escuela Kemper")
            orgs.upload_certificate(org, org_csd.cer_der, org_csd.key_der, org_csd.password)
            orgs.update_legal(org, LEGAL)
            self.key = api_keys.test_key(_db.session, org)
            _db.session.commit()
            self.ids = {"organization": org.id}
        ppd = self._made("/invoices", _invoice(payment_method="PPD", payment_form="99"))
        self.ids |= {
            "customer": self._made("/customers", CUSTOMER)["id"],
            "product": self._made("/products", PRODUCT)["id"],
            "invoice": self._made("/invoices", INVOICE)["id"],
            "draft": self._made("/invoices", _invoice(status="draft"))["id"],
            "ppd_uuid": ppd["uuid"],
            "receipt": self._made("/receipts", RECEIPT)["id"],
            "webhook": self._made("/webhooks", WEBHOOK)["id"],
            "silent": self._made("/invoices", _invoice(customer=SILENT))["id"],
            "retention": self._made("/retentions", retention_body())["id"],
            "silent_retention": self._made("/retentions", retention_body(customer=SILENT))["id"],
        }

    def _headers(self, key: str) -> dict[str, str]:
        chosen = {"org": self.key, "user": self.user_key}.get(key)
        return {"Authorization": f"Bearer {chosen}"} if chosen else {}

    def _made(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.client.post("/v2" + path, json=body, headers=self._headers("org"))
        assert response.status_code == 200, response.json
        return response.json

    def fill(self, value: Any) -> Any:
        """Put the world's ids in place of ``<customer>``, ``<invoice>``…"""
        text = json.dumps(value)
        for name, real in self.ids.items():
            text = text.replace(f"<{name}>", real)
        return json.loads(text)

    def blank(self, value: Any) -> Any:
        """Put ``<customer>``, ``<invoice>``… back in place of the world's ids."""
        text = json.dumps(value, ensure_ascii=False)
        for name, real in self.ids.items():
            text = text.replace(real, f"<{name}>")
        return json.loads(text)

    def send(self, key: str, method: str, path: str, body: Any) -> Any:
        """The request of a case, as the test client answers it."""
        options: dict[str, Any] = {"method": method, "headers": self._headers(key)}
        if isinstance(body, str):
            options |= {"data": body, "content_type": "application/json"}
        elif body is not None:
            options["json"] = self.fill(body)
        return self.client.open("/v2" + self.fill(path), **options)


@pytest.fixture(scope="module")
def world(app: Any, org_csd: Any) -> Iterator[World]:
    """One world for the whole corpus (bad requests change nothing)."""
    from portal.services import webhooks

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(webhooks, "send", lambda delivery: None)  # never leave the machine
        patch.setitem(app.config, "WEBHOOKS_ALLOW_LOOPBACK", True)
        yield World(app, org_csd)
    with app.app_context():
        _empty_tables()


@pytest.fixture(scope="module")
def recorded() -> Iterator[dict[str, Any]]:
    """The stored bodies; with ``RECORD_ERROR_BODIES=1``, the ones this run writes."""
    if not RECORD:
        yield json.loads(FIXTURE.read_text())
        return
    bodies: dict[str, Any] = {}
    yield bodies
    FIXTURE.write_text(json.dumps(bodies, ensure_ascii=False, indent=1, sort_keys=True) + "\n")


def test_the_corpus_is_big_and_named_once() -> None:
    names = [case[0] for case in CASES]
    assert len(names) == len(set(names)) >= 60


@pytest.mark.parametrize(
    ("name", "key", "method", "path", "body"), CASES, ids=[c[0] for c in CASES]
)
def test_a_bad_request_gets_the_same_error_body(
    world: World,
    recorded: dict[str, Any],
    name: str,
    key: str,
    method: str,
    path: str,
    body: Any,
) -> None:
    response = world.send(key, method, path, body)
    shown = response.get_json()
    if response.status_code >= 400:
        # The envelope every error body gained after the corpus was recorded follows from the
        # status, code and path (tests/api/test_error_body.py checks it); the rest is compared.
        assert shown["param"] == shown["path"], shown
        assert shown["doc_url"].endswith(f"/docs/errors#{shown['code']}"), shown
        envelope = {name: shown.pop(name) for name in ENVELOPE}
        assert envelope["type"] and envelope["request_id"], envelope
    answer = {"status": response.status_code, "body": world.blank(shown)}
    assert response.status_code < 500, answer
    if RECORD:
        recorded[name] = answer
    else:
        assert answer == recorded[name]
