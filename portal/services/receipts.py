"""Receipts (sales notes): create, list, cancel, ticket PDF, email, expiry and locking.

A receipt keeps its items as sent (product ids resolved into copies) and its total from the
engine's money math. Its ``key`` (10 random letters and digits, unique per organization) opens
the self-invoice page; guessing keys is throttled on that page. Folios come from an atomic
``UPDATE … RETURNING``. Invoicing a receipt (to a customer or globally) locks its row first.
"""

from __future__ import annotations

import secrets
import string
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal import hosts, settings
from portal.cfdi import money, pdf
from portal.cfdi.reading import in_amount_range
from portal.cfdi.types import InvoiceInput
from portal.errors import Problem, ValidationError
from portal.models.base import utcnow
from portal.models.invoices import Invoice
from portal.models.organizations import Organization
from portal.models.receipts import Receipt
from portal.models.tenancy import Tenant, scoped_select
from portal.schemas import answer, parse, parse_partial
from portal.schemas import receipts as schema
from portal.schemas.receipts import Receipt as ReceiptShape
from portal.services import events, idempotency, invoice_files, invoices, mail, mail_limits
from portal.statuses import InvoiceStatus, ReceiptStatus

KEY_ALPHABET = string.ascii_letters + string.digits
KEY_LENGTH = 10
NOT_FOUND = "El recibo no existe."
ITEMS_ONLY = {"legal_name": "-", "tax_id": "-"}  # the engine reads items with a customer


# Keys, periods and expiry -----------------------------------------------------------------


def new_key() -> str:
    """A receipt key: 10 characters of [A-Za-z0-9] from the OS's CSPRNG (about 2^59 values)."""
    return "".join(secrets.choice(KEY_ALPHABET) for _ in range(KEY_LENGTH))


def _first_of_month(moment: datetime, months_later: int = 0) -> datetime:
    index = moment.month - 1 + months_later
    return moment.replace(year=moment.year + index // 12, month=index % 12 + 1, day=1)


def period_bounds(moment: datetime, periodicity: str) -> tuple[datetime, datetime]:
    """``[start, end)`` of the day, week (Monday first), fortnight, month or two months
    containing ``moment``, in ``moment``'s own timezone."""
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if periodicity == "day":
        return day, day + timedelta(days=1)
    if periodicity == "week":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=7)
    if periodicity == "fortnight":
        if day.day <= 15:
            return day.replace(day=1), day.replace(day=16)
        return day.replace(day=16), _first_of_month(day, 1)
    if periodicity == "two_months":
        start = _first_of_month(day, -((day.month - 1) % 2))  # day 31 may not exist a month back
        return start, _first_of_month(start, 2)
    start = _first_of_month(day)
    return start, _first_of_month(start, 1)


def last_closed_period(organization: Organization, periodicity: str, now: datetime | None = None):
    """``[start, end)`` of the latest period that has already ended, in the organization's zone."""
    local_now = (now or utcnow()).astimezone(ZoneInfo(organization.timezone))
    current_start, _ = period_bounds(local_now, periodicity)
    return period_bounds(current_start - timedelta(microseconds=1), periodicity)


def expiry(organization: Organization, date: datetime) -> datetime:
    """When a receipt dated ``date`` leaves the self-invoice portal: ``duration_days`` after it
    or at the end of its period, whichever comes first (0 days: the end of the period)."""
    local = date.astimezone(ZoneInfo(organization.timezone))
    _, end = period_bounds(local, organization.receipts_periodicity)
    if organization.receipts_duration_days:
        end = min(end, local + timedelta(days=organization.receipts_duration_days))
    return end


def is_expired(receipt: Receipt, now: datetime | None = None) -> bool:
    """Whether the self-invoice portal no longer accepts the receipt (the API still does)."""
    return receipt.expires_at <= (now or utcnow())


# Reading the body -------------------------------------------------------------------------


def _read(body: dict[str, Any], header_key: str | None) -> schema.ReceiptIn:
    """The receipt's fields, checked (every problem at once, the body's own rules last)."""
    sent, problems = parse_partial(schema.ReceiptIn, body)
    if header_key is not None and len(header_key) > 64:
        problems.append(
            Problem("La llave de idempotencia admite 64 caracteres.", "too_long", "idempotency_key")
        )
    if isinstance(body.get("items"), list) and not body["items"]:
        problems.append(Problem("El recibo necesita al menos un concepto.", "required", "items"))
    if problems or sent is None:
        raise ValidationError.from_problems(problems)
    return sent


def lines_of(items: list[Any], currency: str = "MXN", exchange: Any = 1) -> list[money.Line]:
    """The engine's computed lines for receipt items (a receipt has no receiver yet)."""
    parsed = InvoiceInput.from_dict(
        {"customer": ITEMS_ONLY, "items": items, "currency": currency, "exchange": exchange}
    )
    return money.compute_lines(parsed.items, money.currency_decimals(parsed.currency))


def priced_items(
    session: Session, tenant: Tenant, body: dict[str, Any]
) -> tuple[list[dict[str, Any]], Decimal]:
    """The items with product ids resolved, and their total by the engine's money math."""
    _, data = invoices.resolve(session, tenant, {"items": body.get("items")})
    currency = str(body.get("currency") or "MXN")
    try:
        lines = lines_of(data["items"], currency, body.get("exchange", 1))
        total = money.summarize(lines, money.currency_decimals(currency.upper())).total
    except ArithmeticError:  # the engine's Decimal context refuses absurd amounts
        total = None
    if total is None or not in_amount_range(total):
        raise ValidationError("El total del recibo está fuera de rango.", "invalid_amount")
    return data["items"], total


# Creating ---------------------------------------------------------------------------------


def _next_folio(session: Session, organization: Organization, livemode: bool) -> int:
    column = Organization.next_receipt_folio if livemode else Organization.next_receipt_folio_test
    statement = (
        update(Organization)
        .where(Organization.id == organization.id)
        .values({column: column + 1})
        .returning(column)
    )
    taken = session.execute(statement, execution_options={"synchronize_session": False})
    session.expire(organization, ["next_receipt_folio", "next_receipt_folio_test"])
    return taken.scalar_one() - 1


def _find_by_key(session: Session, tenant: Tenant, key: str) -> Receipt | None:
    query = scoped_select(Receipt, tenant).where(Receipt.idempotency_key == key)
    return session.scalar(query)


def _search_text(receipt: Receipt) -> str:
    parts = [str(receipt.folio_number), receipt.external_id or "", receipt.key]
    for item in receipt.items:
        product = item.get("product") if isinstance(item, dict) else None
        if isinstance(product, dict):
            parts += [str(product.get("description") or ""), str(product.get("sku") or "")]
    return " ".join(p for p in parts if p).lower()


def create(
    session: Session, tenant: Tenant, body: dict[str, Any], idempotency_key: str | None = None
) -> Receipt:
    """A new open receipt; the same idempotency key with the same body returns the first one."""
    sent = _read(body, idempotency_key)
    digest = idempotency.body_hash({k: v for k, v in body.items() if k != "idempotency_key"})
    key = sent.idempotency_key or idempotency_key
    if key and (existing := invoices.replay(_find_by_key(session, tenant, key), digest)):
        return existing  # type: ignore[return-value]
    items, total = priced_items(session, tenant, body)
    organization = tenant.organization
    date = sent.date or utcnow()
    receipt = Receipt(
        organization_id=organization.id,
        livemode=tenant.livemode,
        status=ReceiptStatus.OPEN,
        key=new_key(),
        folio_number=sent.folio_number or _next_folio(session, organization, tenant.livemode),
        date=date,
        expires_at=expiry(organization, date),
        items=items,
        total=total,
        payment_form=sent.payment_form,
        currency=str(body.get("currency") or "MXN").upper(),
        exchange=Decimal(str(body.get("exchange") or 1)),
        branch=sent.branch,
        external_id=sent.external_id,
        idempotency_key=key,
        body_hash=digest,
    )
    receipt.search_text = _search_text(receipt)
    return _insert(session, tenant, receipt, digest)


def _insert(session: Session, tenant: Tenant, receipt: Receipt, digest: str) -> Receipt:
    """Add the row; a parallel request with the same idempotency key wins, a key clash retries."""
    for _attempt in range(3):
        try:
            with session.begin_nested():
                session.add(receipt)
            return receipt
        except IntegrityError:
            if receipt.idempotency_key and (
                raced := _find_by_key(session, tenant, receipt.idempotency_key)
            ):
                return invoices.replay(raced, digest)  # type: ignore[return-value]
            receipt.key = new_key()  # 1 in 2^59: another receipt of the organization has it
    raise RuntimeError("could not store the receipt")


# Listing ----------------------------------------------------------------------------------


def search(tenant: Tenant, args: dict[str, str]) -> Select[tuple[Receipt]]:
    """The tenant's receipts filtered like Facturapi's list (q, payment_form, status)."""
    filters = parse(schema.ReceiptFilters, args)
    query = scoped_select(Receipt, tenant)
    if q := (args.get("q") or "").strip().lower():
        query = query.where(Receipt.search_text.contains(q, autoescape=True))
    if filters.status:
        query = query.where(Receipt.status == filters.status)
    if filters.payment_form:
        query = query.where(Receipt.payment_form == filters.payment_form)
    return query.order_by(Receipt.created_at.desc(), Receipt.id.desc())


# Status changes ---------------------------------------------------------------------------


def lock(session: Session, receipt: Receipt) -> Receipt:
    """Re-read the receipt holding its row lock (FOR UPDATE; SQLite's writes are serialized
    by BEGIN IMMEDIATE), so a status checked afterwards cannot change under us."""
    query = select(Receipt).where(Receipt.id == receipt.id).with_for_update()
    return session.scalars(query.execution_options(populate_existing=True)).one()


def require_open(receipt: Receipt, path: str | None = None) -> None:
    """Refuse (400) a receipt that is no longer open, saying what became of it."""
    if receipt.status == ReceiptStatus.OPEN:
        return
    messages = {
        ReceiptStatus.CANCELED: "El recibo está cancelado y ya no se puede facturar.",
        ReceiptStatus.INVOICED_TO_CUSTOMER: "El recibo ya se facturó a un cliente.",
        ReceiptStatus.INVOICED_GLOBALLY: "El recibo ya se incluyó en una factura global.",
    }
    raise ValidationError(messages[receipt.status], "receipt_not_open", path=path)


def set_status(
    session: Session, receipt: Receipt, status: ReceiptStatus, invoice_id: str | None
) -> None:
    """Change the status (and the invoice it went into) and write ``receipt.status_updated``;
    a cancellation also writes ``receipt.cancellation_status_updated`` (a receipt is cancelled
    at once, with no SAT request: its cancellation status changes with its status)."""
    receipt.status, receipt.invoice_id = status, invoice_id or receipt.invoice_id
    session.flush()
    organization = session.get(Organization, receipt.organization_id)
    payload = {"type": "receipt", "object": to_dict(receipt, organization)}
    kinds = ["receipt.status_updated"]
    if status == "canceled":
        kinds.append("receipt.cancellation_status_updated")
    for kind in kinds:
        events.record(session, receipt.organization_id, receipt.livemode, kind, payload)


def cancel(session: Session, receipt: Receipt) -> Receipt:
    """Cancel an open receipt: it can no longer be invoiced."""
    receipt = lock(session, receipt)
    require_open(receipt)
    set_status(session, receipt, ReceiptStatus.CANCELED, None)
    return receipt


# Representations --------------------------------------------------------------------------


def self_invoice_url(receipt: Receipt, organization: Organization | None) -> str | None:
    """The receipt's self-invoice page (on the organization's verified custom host, if any),
    or None while the organization has no domain."""
    return hosts.self_invoice_url(organization, receipt.key, settings.current().public_base_url)


def release_from(session: Session, invoice: Invoice) -> list[Receipt]:
    """The receipts a cancelled invoice (global, or to a customer from a receipt) held.

    Cancelled with motive 01, its substitute takes them over: the operations are invoiced by
    the substitute, and opening them again would invoice them twice (in the next global
    invoice, say). Otherwise they are ``open`` again (expired or not by their own dates), to
    be invoiced to a customer (on the self-invoice page too) or in a new global invoice. Each
    gets a ``receipt.status_updated``."""
    rows = session.scalars(
        select(Receipt)
        .where(
            Receipt.organization_id == invoice.organization_id,
            Receipt.livemode.is_(invoice.livemode),
            Receipt.invoice_id == invoice.id,
            Receipt.status.in_(
                (ReceiptStatus.INVOICED_GLOBALLY, ReceiptStatus.INVOICED_TO_CUSTOMER)
            ),
        )
        .order_by(Receipt.folio_number)
        .with_for_update()
    ).all()
    substitute = _substitute_of(session, invoice)
    for row in rows:
        if substitute is not None:
            set_status(session, row, row.status, substitute.id)
        else:
            row.invoice_id = None
            set_status(session, row, ReceiptStatus.OPEN, None)
    return list(rows)


def _substitute_of(session: Session, invoice: Invoice) -> Invoice | None:
    """The tenant's valid invoice that substitutes ``invoice`` (motive 01), if any."""
    uuid = invoice.cancellation_substitution if invoice.cancellation_motive == "01" else None
    if not uuid:
        return None
    return session.scalar(
        select(Invoice).where(
            Invoice.organization_id == invoice.organization_id,
            Invoice.livemode.is_(invoice.livemode),
            Invoice.uuid == uuid.upper(),
            Invoice.status == InvoiceStatus.VALID,
        )
    )


def _fields(receipt: Receipt, organization: Organization | None) -> dict[str, Any]:
    """The receipt's fields as the API names them (a preview's unsaved receipt too)."""
    return {
        "id": receipt.id,
        "created_at": receipt.created_at,
        "livemode": receipt.livemode,
        "organization": receipt.organization_id,
        "date": receipt.date,
        "expires_at": receipt.expires_at,
        "status": receipt.status,
        "self_invoice_url": self_invoice_url(receipt, organization),
        "total": float(receipt.total),
        "invoice": receipt.invoice_id,
        "key": receipt.key,
        "items": receipt.items,
        "external_id": receipt.external_id,
        "idempotency_key": receipt.idempotency_key,
        "payment_form": receipt.payment_form,
        "folio_number": receipt.folio_number,
        "currency": receipt.currency,
        "exchange": float(receipt.exchange),
        "branch": receipt.branch,
    }


def to_dict(receipt: Receipt, organization: Organization | None) -> dict[str, Any]:
    """The receipt as Facturapi returns it."""
    return answer(ReceiptShape, _fields(receipt, organization))


def ticket(receipt: Receipt, organization: Organization | None, timezone: str) -> dict[str, Any]:
    """What a ticket shows (also of a preview's unsaved receipt): the receipt and the zone of
    its dates; ``organization`` gives it its self-invoice URL."""
    return {**_fields(receipt, organization), "timezone": timezone}


def pdf_of(receipt: Receipt, organization: Organization) -> bytes:
    """The 80 mm ticket with the QR code of the self-invoice URL, in the organization's brand."""
    return pdf.render_receipt(
        ticket(receipt, organization, organization.timezone),
        invoice_files.branding(organization),
        test_mode=not receipt.livemode,
    )


def email(session: Session, receipt: Receipt, organization: Organization, body: dict) -> None:
    """Queue the ticket (PDF attached) with an «Invoice this purchase» button."""
    to = parse(schema.ReceiptEmailIn, body).email
    mail_limits.admit(session, organization, receipt.livemode, to)
    name = organization.public_name
    mail.queue_email(
        session,
        "receipt",
        to,
        f"Tu recibo {receipt.folio_number} de {name}",
        {
            "receipt": receipt,
            "organization_name": name,
            "brand_color": f"#{organization.color}",
            "self_invoice_url": self_invoice_url(receipt, organization),
            "expires_at": receipt.expires_at.astimezone(ZoneInfo(organization.timezone)),
        },
        [
            mail.attachment(
                f"recibo_{receipt.folio_number}.pdf",
                "application/pdf",
                pdf_of(receipt, organization),
            )
        ],
        organization_id=organization.id,
    )
