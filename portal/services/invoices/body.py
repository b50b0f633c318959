"""Reading an invoice body: ids resolved into copies, the meta fields checked, SAT's rules on
the receiver, and the summary fields (customer, type, totals, search text) copied out of it."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from portal import schemas
from portal import search as text_search
from portal.cfdi import documents, money, rules
from portal.cfdi.reading import in_amount_range
from portal.cfdi.types import DEFAULT_USES, InvoiceInput
from portal.errors import PortalError, Problem
from portal.models.invoices import Invoice
from portal.models.organizations import Organization
from portal.models.tenancy import Tenant
from portal.schemas.invoices import InvoiceMeta
from portal.services import invoice_receivers, products
from portal.statuses import InvoiceStatus

META_FIELDS = ("idempotency_key", "status", "external_id")


# Reading the body --------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _customer_copy(session: Session, tenant: Tenant, value: Any) -> tuple[str | None, Any]:
    """A customer id (or ``{id, company_name_id}``) becomes (id, a copy of its data with the
    company name chosen); an inline customer stays as sent."""
    stored = invoice_receivers.receiver(session, tenant, value)
    if stored is not None:
        return stored[0], _jsonable(dataclasses.asdict(stored[1]))
    return None, value


def _product_copy(session: Session, tenant: Tenant, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    product = products.get_product(session, tenant, value)
    return {"id": product.id, **_jsonable(dataclasses.asdict(products.to_cfdi(product)))}


def resolve(
    session: Session, tenant: Tenant, body: dict[str, Any]
) -> tuple[str | None, dict[str, Any]]:
    """The body with ``customer`` and ``items[].product`` ids replaced by copies of their data."""
    data = {k: v for k, v in body.items() if k not in META_FIELDS}
    customer_id, data["customer"] = _customer_copy(session, tenant, body.get("customer"))
    if isinstance(data.get("items"), list):
        data["items"] = [
            {**item, "product": _product_copy(session, tenant, item.get("product"))}
            if isinstance(item, dict)
            else item
            for item in data["items"]
        ]
    return customer_id, data


def _read_meta(body: dict[str, Any], header_key: str | None) -> dict[str, Any]:
    """The body's top-level fields the invoice keeps apart (``InvoiceMeta``); the
    ``Idempotency-Key`` header, when given, is held to the body field's length."""
    too_long = []
    if header_key is not None and len(header_key) > 64:
        too_long.append(
            Problem("La llave de idempotencia admite 64 caracteres.", "too_long", "idempotency_key")
        )
    meta = schemas.parse(InvoiceMeta, body, after=too_long)
    return {
        "status": meta.status or InvoiceStatus.PENDING,
        "external_id": meta.external_id,
        "idempotency_key": meta.idempotency_key or header_key,
        "type": meta.type or "I",
        "series": meta.series,
        "folio_number": meta.folio_number,
    }


def parse(
    data: dict[str, Any], issuer_zip: str | None = None, issuer_regime: str | None = None
) -> InvoiceInput:
    """The engine's input for a stored body, with the receiver checked by SAT's rules (and the
    global period against the issuer's regime, when given)."""
    parsed = InvoiceInput.from_dict(data)
    customer = parsed.customer
    foreign = customer.is_foreign
    use = "CP01" if parsed.type == "P" else parsed.use
    problems = rules.check_receiver(
        rules.GENERIC_FOREIGN if foreign else customer.tax_id,
        customer.legal_name,
        # A foreign receiver's regime is always 616 (the CFDI writes it; Facturapi omits it).
        customer.tax_system or (rules.GENERIC_TAX_SYSTEM if foreign else None),
        customer.address.zip,
        use,
        issuer_zip=issuer_zip,
        foreign_tax_id=customer.tax_id if foreign else None,
        country=customer.address.country,
        document_type=parsed.type,
    )
    info = parsed.global_info
    problems += [
        problem
        for problem in (
            rules.global_problem(parsed.type, customer.tax_id, customer.legal_name, bool(info)),
            rules.global_period_problem(info.periodicity_code if info else None, issuer_regime),
        )
        if problem is not None
    ]
    rules.raise_problems(problems)
    documents.custom_complements(parsed.custom_complements, parsed.namespaces)  # 400 before a folio
    return parsed


def is_ready_to_stamp(invoice: Invoice, organization: Organization) -> bool:
    """Whether a draft passes the checks that stamping starts with."""
    try:
        parse(invoice.data, organization.address.get("zip"), organization.tax_system)
    except PortalError:
        return False
    return not (invoice.type not in ("P", "N") and not invoice.data.get("items"))


def preview_totals(data: dict[str, Any]) -> money.Totals | None:
    """The engine's totals for a body's items (None while the items are incomplete)."""
    try:
        parsed = InvoiceInput.from_dict({"customer": {}, **data})
        decimals = money.currency_decimals(parsed.currency)
        return money.summarize(money.compute_lines(parsed.items, decimals), decimals)
    except (PortalError, ArithmeticError):  # ArithmeticError: amounts like 1e999
        return None


# Summary fields ---------------------------------------------------------------------------


def _describe(invoice: Invoice, data: dict[str, Any], *, totals: bool = True) -> None:
    """Copy the searchable, listable fields out of the body (drafts may be incomplete), and
    the totals the engine previews for its items, when ``totals``."""
    customer = data.get("customer") if isinstance(data.get("customer"), dict) else {}
    invoice.customer = customer
    invoice.type = data.get("type") or "I"
    invoice.currency = str(data.get("currency") or "MXN").upper()[:3]
    invoice.exchange = _decimal_or_one(data.get("exchange"))
    invoice.payment_form = _short(data.get("payment_form"), 2)
    invoice.payment_method = _short(data.get("payment_method") or "PUE", 3)
    default_use = DEFAULT_USES.get(invoice.type, "G01")
    invoice.use = _short("CP01" if invoice.type == "P" else data.get("use") or default_use, 4)
    invoice.related_documents = data.get("related_documents") or []
    preview = preview_totals(data) if totals and invoice.type not in ("P", "N") else None
    if preview is not None and all(map(in_amount_range, (preview.total, preview.subtotal))):
        invoice.total, invoice.subtotal = preview.total, preview.subtotal
    _index_text(invoice)


def _decimal_or_one(value: Any) -> Decimal:
    try:
        number = Decimal(str(value if value is not None else 1))
    except ArithmeticError:
        return Decimal(1)
    return number if number.is_finite() and 0 < number < 10**9 else Decimal(1)


def _short(value: Any, size: int) -> str | None:
    return None if value is None else str(value)[:size]


ITEMS_INDEXED = 100  # ``q`` finds the words of an invoice's first 100 concepts


def _item_words(data: Any) -> list[Any]:
    """Each concept's description (the product's name) and SKU, for the word search."""
    items = data.get("items") if isinstance(data, dict) else None
    words: list[Any] = []
    for item in items[:ITEMS_INDEXED] if isinstance(items, list) else []:
        product = item.get("product") if isinstance(item, dict) else None
        if isinstance(product, dict):
            words += [product.get("description"), product.get("sku")]
    return words


def _index_text(invoice: Invoice) -> None:
    customer = invoice.customer or {}
    invoice.search_text = text_search.index_text(
        customer.get("legal_name"),
        customer.get("tax_id"),
        f"{invoice.series or ''}{invoice.folio_number or ''}",
        invoice.folio_number,
        invoice.uuid,
        invoice.external_id,
        *_item_words(invoice.data),
    )
