"""Turning receipts into invoices: one receipt for a customer, several into one invoice, and
the global invoice to the general public for whatever stayed open in a period.

Every path locks the receipt rows (``FOR UPDATE``; SQLite serializes writers) and selects only
those still ``open`` inside the lock, so a receipt is never invoiced twice, and a global invoice
racing a self-invoice never includes the receipt the customer got. Invoices are created and
stamped only through ``services.invoices.create``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from portal.cfdi import rules
from portal.errors import PortalError, Problem, ValidationError
from portal.models.base import iso, utcnow
from portal.models.invoices import Invoice
from portal.models.organizations import Organization
from portal.models.receipts import GlobalInvoiceRun, Receipt
from portal.models.tenancy import Tenant, scoped_select
from portal.schemas import answer, parse, parse_partial
from portal.schemas import receipts as schema
from portal.schemas.receipts import MAX_GLOBAL_CONCEPTS, ToInvoiceDryRun
from portal.services import events, invoices, receipts
from portal.statuses import JobStatus, ReceiptStatus

# What a receipt's invoice may add to the receipt's own items and payment form.
INVOICE_FIELDS = (
    "customer", "use", "conditions", "series", "folio_number",
    "pdf_custom_section", "addenda", "namespaces",
)  # fmt: skip


def _autoincremental(body: dict[str, Any]) -> dict[str, Any]:
    """``folio_number: "autoincremental"`` (the reference's default and samples) is no folio
    number: the organization's next one is taken."""
    if body.get("folio_number") == "autoincremental":
        return {k: v for k, v in body.items() if k != "folio_number"}
    return body


def _invoice_body(rows: list[Receipt], body: dict[str, Any], payment_form: str) -> dict[str, Any]:
    extra = {k: body[k] for k in INVOICE_FIELDS if body.get(k) is not None}
    if not isinstance(extra.get("folio_number"), int):
        extra.pop("folio_number", None)  # Facturapi's samples send "autoincremental"
    return {
        **extra,
        "items": [item for row in rows for item in row.items],
        "payment_form": payment_form,
        "currency": rows[0].currency,
        "exchange": str(rows[0].exchange),
    }


def _main_payment_form(rows: list[Receipt]) -> str:
    """The payment form that covers the largest amount among the receipts."""
    amounts: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        amounts[row.payment_form] += row.total
    return max(amounts, key=lambda form: amounts[form])


def _mark(session: Session, rows: list[Receipt], status: ReceiptStatus, invoice: Invoice) -> None:
    for row in rows:
        receipts.set_status(session, row, status, invoice.id)


# One receipt ------------------------------------------------------------------------------


def _require_customer(body: dict[str, Any]) -> None:
    """Refuse a body that does not say whom to invoice (or says it wrongly)."""
    parse(schema.ReceiptInvoiceIn, body)


def invoice_receipt(
    session: Session,
    tenant: Tenant,
    receipt: Receipt,
    body: dict[str, Any],
    lease: timedelta | None = None,
) -> tuple[Invoice, invoices.StampCall | None]:
    """Invoice one open receipt to a customer (``POST /receipts/{id}/invoice``). With
    ``lease`` and a remote PAC, the receipt is linked to the pending invoice and the PAC call
    is returned (``invoices.create_call``; ``reopen`` if the PAC refuses it)."""
    _require_customer(body)
    receipt = receipts.lock(session, receipt)
    receipts.require_open(receipt)
    body = _invoice_body([receipt], body, receipt.payment_form)
    invoice, call = invoices.create_call(session, tenant, body, lease=lease)
    _mark(session, [receipt], ReceiptStatus.INVOICED_TO_CUSTOMER, invoice)
    return invoice, call


def reopen(session: Session, invoice: Invoice) -> None:
    """The PAC refused ``invoice`` (now ``failed``): its receipts can be invoiced again."""
    query = select(Receipt).where(
        Receipt.invoice_id == invoice.id,
        Receipt.status.in_((ReceiptStatus.INVOICED_TO_CUSTOMER, ReceiptStatus.INVOICED_GLOBALLY)),
    )
    for row in session.scalars(query.with_for_update()):
        row.invoice_id = None
        receipts.set_status(session, row, ReceiptStatus.OPEN, None)


# Several receipts into one invoice --------------------------------------------------------


def _locked_by_keys(session: Session, tenant: Tenant, keys: list[Any]) -> list[Receipt]:
    """The tenant's receipts with these keys, locked, in the order given; 400 naming each
    key that does not exist, is repeated or is no longer open."""
    wanted = [k for k in keys if isinstance(k, str)]
    query = scoped_select(Receipt, tenant).where(Receipt.key.in_(wanted)).order_by(Receipt.id)
    found = {row.key: row for row in session.scalars(query.with_for_update())}
    problems, seen = [], set()
    for index, key in enumerate(keys):
        path = f"keys[{index}]"
        row = found.get(key) if isinstance(key, str) else None
        repeated = isinstance(key, str) and key in seen
        if row is None or repeated:
            reason = "está repetida" if repeated else "no corresponde a ningún recibo"
            problems.append(Problem(f"La clave «{key}» {reason}.", "invalid_receipt_key", path))
        elif row.status != ReceiptStatus.OPEN:
            try:
                receipts.require_open(row, path)
            except ValidationError as error:
                problems.extend(error.problems)
        if isinstance(key, str):
            seen.add(key)
    if problems:
        raise ValidationError.from_problems(problems)
    return [found[k] for k in keys]


def _same_currency(rows: list[Receipt]) -> None:
    if len({row.currency for row in rows}) > 1:
        raise ValidationError(
            "Los recibos están en monedas distintas; factúralos por separado.",
            "mixed_currencies",
            path="keys",
        )


def receipts_to_invoice(
    session: Session, tenant: Tenant, body: dict[str, Any], lease: timedelta | None = None
) -> Any:
    """Several open receipts (by key) into one invoice, with the PAC call as in
    ``invoice_receipt``; ``dry_run`` only reports what it would include (a dict)
    (``POST /receipts/to-invoice``)."""
    sent, problems = parse_partial(schema.ToInvoiceIn, body)
    if body.get("keys") == []:
        problems.append(Problem("Indica al menos una clave de recibo.", "required", "keys"))
    if problems or sent is None:
        raise ValidationError.from_problems(problems)
    keys, dry_run, payment_form = sent.keys, bool(sent.dry_run), sent.payment_form
    if not dry_run:
        _require_customer(body)
    rows = _locked_by_keys(session, tenant, keys or [])
    _same_currency(rows)
    form = payment_form or _main_payment_form(rows)
    if dry_run:
        return _summary(rows, form)
    invoice, call = invoices.create_call(
        session, tenant, _invoice_body(rows, body, form), lease=lease
    )
    _mark(session, rows, ReceiptStatus.INVOICED_TO_CUSTOMER, invoice)
    return invoice, call


def _summary(rows: list[Receipt], payment_form: str) -> dict[str, Any]:
    shown = {
        "dry_run": True,
        "receipts": [row.id for row in rows],
        "receipts_count": len(rows),
        "items_count": sum(len(row.items) for row in rows),
        "total": float(sum((row.total for row in rows), Decimal(0))),
        "currency": rows[0].currency,
        "payment_form": payment_form,
    }
    return answer(ToInvoiceDryRun, shown)


# The global invoice -----------------------------------------------------------------------


@dataclass
class GlobalSelection:
    """What a global invoice covers: the period, its SAT fields and the open receipts."""

    periodicity: str
    start: datetime
    end: datetime  # inclusive
    months: str
    year: int
    payment_form: str | None
    receipts: list[Receipt]
    receipt_ids: list[Any] | None = None  # an explicit list instead of the period
    currency: str | None = None  # only receipts in this currency (one invoice per currency)
    exchange: Decimal | None = None  # the invoice's TipoCambio when its receipts' rates differ

    @property
    def total(self) -> Decimal:
        """The receipts' total."""
        return sum((row.total for row in self.receipts), Decimal(0))


def _months(start: datetime, periodicity: str) -> str:
    if periodicity == "two_months":
        return str(13 + (start.month - 1) // 2)
    return f"{start.month:02d}"


def read_global(organization: Organization, body: dict[str, Any]) -> GlobalSelection:
    """A global-invoice request, checked, with its defaults: the organization's periodicity
    and the last closed period (the receipts are still to be found)."""
    zone = ZoneInfo(organization.timezone)
    sent = parse(schema.GlobalInvoiceIn, _autoincremental(body), context=zone)
    periodicity = sent.periodicity or organization.receipts_periodicity
    start, end, months = sent.from_, sent.to, sent.months
    closed_start, closed_end = receipts.last_closed_period(organization, periodicity)
    start, end = start or closed_start, end or closed_end - timedelta(microseconds=1)
    if start > end:
        raise ValidationError(
            "La fecha «from» debe ser anterior a «to».", "invalid_range", path="from"
        )
    local_start = start.astimezone(zone)
    months = months or _months(local_start, periodicity)
    return GlobalSelection(
        periodicity,
        start,
        end,
        months,
        local_start.year,
        sent.payment_form,
        [],
        sent.receipts,
        sent.currency,
        sent.exchange,
    )


def select_global(
    session: Session,
    tenant: Tenant,
    body: dict[str, Any],
    *,
    lock: bool = False,
    limit: int | None = None,
) -> GlobalSelection:
    """Read a global-invoice request and find the open receipts it covers (locked, for
    invoicing them; at most ``limit``)."""
    selection = read_global(tenant.organization, body)
    query = scoped_select(Receipt, tenant).where(Receipt.status == ReceiptStatus.OPEN)
    if selection.receipt_ids:
        query = query.where(Receipt.id.in_([str(i) for i in selection.receipt_ids]))
    else:
        query = query.where(Receipt.date >= selection.start, Receipt.date <= selection.end)
    if selection.payment_form:
        query = query.where(Receipt.payment_form == selection.payment_form)
    if selection.currency:
        query = query.where(Receipt.currency == selection.currency)
    query = query.order_by(Receipt.date, Receipt.id).limit(limit)
    selection.receipts = list(session.scalars(query.with_for_update() if lock else query))
    return selection


def _nothing_open(selection: GlobalSelection, zone: ZoneInfo) -> ValidationError:
    start = selection.start.astimezone(zone).strftime("%d/%m/%Y %H:%M")
    end = selection.end.astimezone(zone).strftime("%d/%m/%Y %H:%M")
    form = f" con forma de pago {selection.payment_form}" if selection.payment_form else ""
    return ValidationError(
        f"No hay recibos abiertos{form} entre el {start} y el {end}; no se emitió ninguna "
        "factura global. Revisa el periodo o la lista de recibos.",
        "no_open_receipts",
    )


def _tax_signature(item: dict[str, Any]) -> str:
    product = item.get("product") if isinstance(item.get("product"), dict) else {}
    keys = ("taxes", "local_taxes", "taxability")
    return json.dumps({k: product.get(k) for k in keys}, sort_keys=True, default=str)


def _global_concepts(receipt: Receipt) -> list[dict[str, Any]]:
    """One concept per receipt (per distinct tax treatment inside it), as SAT asks: key
    01010101, unit ACT, the receipt's folio as identification, its amount taxes included."""
    lines = receipts.lines_of(receipt.items, receipt.currency)
    groups: dict[str, Decimal] = defaultdict(Decimal)
    products: dict[str, dict[str, Any]] = {}
    for item, line in zip(receipt.items, lines, strict=True):
        signature = _tax_signature(item)
        groups[signature] += line.total
        products[signature] = item["product"]
    return [
        {
            "quantity": 1,
            "product": {
                **{
                    k: v
                    for k in ("taxes", "local_taxes", "taxability")
                    if (v := products[sig].get(k)) is not None
                },
                "description": "Venta",
                "product_key": "01010101",
                "unit_key": "ACT",
                "unit_name": "Actividad",
                "sku": str(receipt.folio_number),
                "price": str(amount),
                "tax_included": True,
            },
        }
        for sig, amount in groups.items()
    ]


def _global_currency(selection: GlobalSelection) -> tuple[str, Decimal]:
    """The currency and exchange rate of the global invoice: its receipts' own. Receipts in
    several currencies go into one global invoice per currency (``currency``), never into MXN
    with foreign amounts; several rates in one currency need the invoice's ``exchange``."""
    currencies = sorted({row.currency for row in selection.receipts})
    if len(currencies) > 1:
        raise ValidationError(
            f"El periodo tiene recibos en varias monedas ({', '.join(currencies)}): emite una "
            "factura global por moneda indicando «currency».",
            "mixed_currencies",
            path="currency",
        )
    currency = currencies[0]
    if currency in ("MXN", "XXX"):
        return currency, Decimal(1)
    rates = {row.exchange for row in selection.receipts}
    if selection.exchange is not None:
        return currency, selection.exchange
    if len(rates) > 1:
        raise ValidationError(
            f"Los recibos en {currency} tienen tipos de cambio distintos: indica en «exchange» "
            "el tipo de cambio de la factura global.",
            "mixed_exchange_rates",
            path="exchange",
        )
    return currency, rates.pop()


def _global_body(selection: GlobalSelection, tenant: Tenant, body: dict[str, Any]) -> dict:
    concepts = [c for row in selection.receipts for c in _global_concepts(row)]
    if len(concepts) > MAX_GLOBAL_CONCEPTS:
        raise ValidationError(
            f"El periodo tiene {len(concepts)} conceptos; una factura admite "
            f"{MAX_GLOBAL_CONCEPTS}. Agrupa por forma de pago o usa un periodo más corto.",
            "too_many_receipts",
            path="periodicity",
        )
    zip_code = (tenant.organization.address or {}).get("zip")
    body = _autoincremental(body)
    extra = {k: body[k] for k in ("series", "folio_number", "date") if body.get(k) is not None}
    currency, exchange = _global_currency(selection)
    return {
        **extra,
        "currency": currency,
        "exchange": str(exchange),
        "customer": {
            "legal_name": rules.GENERAL_PUBLIC_NAME,
            "tax_id": rules.GENERIC_NATIONAL,
            "tax_system": rules.GENERIC_TAX_SYSTEM,
            "address": {"zip": zip_code},
        },
        "use": "S01",
        "items": concepts,
        "payment_form": selection.payment_form or _main_payment_form(selection.receipts),
        "global": {
            "periodicity": selection.periodicity,
            "months": selection.months,
            "year": selection.year,
        },
    }


def global_invoice(
    session: Session, tenant: Tenant, body: dict[str, Any], *, max_receipts: int | None = None
) -> Invoice:
    """Invoice every open receipt of the period (or the first ``max_receipts``) to the general
    public (XAXX010101000) and mark them ``invoiced_globally``; nothing open is a clear 400,
    not an empty invoice."""
    return global_invoice_call(session, tenant, body, max_receipts=max_receipts)[0]


def global_invoice_call(
    session: Session,
    tenant: Tenant,
    body: dict[str, Any],
    *,
    max_receipts: int | None = None,
    lease: timedelta | None = None,
) -> tuple[Invoice, invoices.StampCall | None]:
    """``global_invoice``, with the PAC call as in ``invoice_receipt``."""
    selection = select_global(session, tenant, body, lock=True, limit=max_receipts)
    if not selection.receipts:
        raise _nothing_open(selection, ZoneInfo(tenant.organization.timezone))
    global_body = _global_body(selection, tenant, body)
    invoice, call = invoices.create_call(session, tenant, global_body, lease=lease)
    ids = [row.id for row in selection.receipts]
    session.execute(
        update(Receipt)
        .where(Receipt.id.in_(ids), Receipt.status == ReceiptStatus.OPEN)
        .values(status=ReceiptStatus.INVOICED_GLOBALLY, invoice_id=invoice.id),
        execution_options={"synchronize_session": False},
    )
    for row in selection.receipts:
        session.expire(row, ["status", "invoice_id"])
    events.record(
        session,
        invoice.organization_id,
        invoice.livemode,
        "invoice.global_invoice_created",
        {"type": "invoice", "object": invoices.to_dict(invoice)},
    )
    return invoice, call


def preview(selection: GlobalSelection, zone: ZoneInfo) -> dict[str, Any]:
    """What a global invoice would include, for the dashboard's confirmation."""
    by_form: dict[str, Decimal] = defaultdict(Decimal)
    for row in selection.receipts:
        by_form[row.payment_form] += row.total
    return {
        "periodicity": selection.periodicity,
        "from": selection.start.astimezone(zone),
        "to": selection.end.astimezone(zone),
        "from_iso": iso(selection.start),
        "to_iso": iso(selection.end),
        "months": selection.months,
        "year": selection.year,
        "count": len(selection.receipts),
        "total": selection.total,
        "currencies": sorted({row.currency for row in selection.receipts}),
        "by_payment_form": sorted(by_form.items()),
    }


# Large periods: a background run in batches ----------------------------------------------


def start_run(session: Session, tenant: Tenant, selection: GlobalSelection) -> GlobalInvoiceRun:
    """A queued background run for this selection (its period fixed now, so it cannot move)."""
    run = GlobalInvoiceRun(
        organization_id=tenant.organization.id,
        livemode=tenant.livemode,
        params={
            "periodicity": selection.periodicity,
            "from": iso(selection.start),
            "to": iso(selection.end),
            "months": selection.months,
            **({"payment_form": selection.payment_form} if selection.payment_form else {}),
            **({"currency": selection.currency} if selection.currency else {}),
            **({"exchange": str(selection.exchange)} if selection.exchange else {}),
        },
        total=len(selection.receipts),
    )
    session.add(run)
    session.flush()
    return run


def start_batch(
    session: Session, run: GlobalInvoiceRun, batch: int, lease: timedelta | None = None
) -> tuple[Invoice, invoices.StampCall | None] | None:
    """Issue the next global invoice of a run (up to ``batch`` receipts), with the PAC call
    left to the caller as in ``invoice_receipt`` (``lease``: a remote PAC); None once no open
    receipt is left (the run is done or failed). The caller commits each batch (a crash loses
    no stamped invoice) and counts it with ``record_batch``."""
    organization = session.get(Organization, run.organization_id)
    tenant = Tenant(organization, run.livemode)  # type: ignore[arg-type]
    run.status = JobStatus.RUNNING
    try:
        with session.begin_nested():  # a refused batch leaves nothing behind
            return global_invoice_call(session, tenant, run.params, max_receipts=batch, lease=lease)
    except PortalError as error:
        if error.code != "no_open_receipts" or not run.invoice_ids:
            fail_run(run, error)
        else:
            run.status = JobStatus.DONE
            run.finished_at = utcnow()
        return None


def fail_run(run: GlobalInvoiceRun, error: PortalError) -> None:
    """The run stops: a batch was refused (by the rules or by the PAC)."""
    run.status, run.error = JobStatus.FAILED, error.message
    run.finished_at = utcnow()


def record_batch(session: Session, run: GlobalInvoiceRun, invoice: Invoice) -> None:
    """Count the batch's invoice (stamped, or pending for the sweep) and its receipts."""
    run.invoice_ids = [*run.invoice_ids, invoice.id]
    included = select(func.count()).where(Receipt.invoice_id == invoice.id)
    run.processed += session.scalar(included) or 0
