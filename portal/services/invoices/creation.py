"""Creating invoices (drafts, stamped now, or pending for the worker) and editing drafts.

An idempotency key replays the first invoice for the same body and refuses a different one.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.cfdi.types import InvoiceInput
from portal.errors import ValidationError
from portal.models.invoices import Invoice
from portal.models.tenancy import Tenant, scoped_select
from portal.services import customers, stamping
from portal.services.idempotency import body_hash, reused_key
from portal.services.invoices.body import _describe, _read_meta, parse, resolve
from portal.services.invoices.folios import assign_folio
from portal.services.invoices.payments import _with_balances
from portal.services.invoices.stamps import StampCall, _stamp_now
from portal.statuses import InvoiceStatus

ASYNC_BODY_BYTES = 2 * 1024 * 1024


# Creating ---------------------------------------------------------------------------------


def find_by_key(session: Session, tenant: Tenant, key: str) -> Invoice | None:
    """The tenant's invoice created with this idempotency key, if any."""
    return session.scalar(scoped_select(Invoice, tenant).where(Invoice.idempotency_key == key))


def replay(invoice: Invoice | None, digest: str) -> Invoice | None:
    """The earlier result for a repeated idempotency key; 409 when the body differs."""
    if invoice is not None and invoice.body_hash != digest:
        raise reused_key()
    return invoice


def create(session: Session, tenant: Tenant, body: dict[str, Any], **options: Any) -> Invoice:
    """A new invoice: a draft, stamped now, or ``pending`` for the worker (async / huge body);
    ``options`` as ``create_call``'s."""
    return create_call(session, tenant, body, **options)[0]


def create_call(
    session: Session,
    tenant: Tenant,
    body: dict[str, Any],
    *,
    idempotency_key: str | None = None,
    run_async: bool = False,
    body_size: int = 0,
    lease: timedelta | None = None,
) -> tuple[Invoice, StampCall | None]:
    """``create``; with ``lease``, a remote PAC is not called here: the invoice is left
    ``pending`` under a stamping lease and the call is returned, for the caller to commit,
    send it with no transaction open and record the answer (``portal.pac_calls.stamp``)."""
    meta = _read_meta(body, idempotency_key)
    key = meta["idempotency_key"]
    digest = body_hash({k: v for k, v in body.items() if k != "idempotency_key"})
    if key and (existing := replay(find_by_key(session, tenant, key), digest)):
        return existing, None  # a parallel request still stamping it: the pending invoice
    customer_id, data = resolve(session, tenant, body)
    customer_id = customer_id or customers.record_for_invoice(session, tenant, data["customer"])
    draft = meta["status"] == InvoiceStatus.DRAFT
    invoice = Invoice(
        organization_id=tenant.organization.id,
        livemode=tenant.livemode,
        status=meta["status"],
        customer_id=customer_id,
        data=data,
        external_id=meta["external_id"],
        idempotency_key=key,
        body_hash=digest,
        series=meta["series"],
        folio_number=meta["folio_number"],
    )
    run_async = run_async or body_size > ASYNC_BODY_BYTES
    prepared = None
    if not draft:  # refused here, before a folio is taken; kept for stamping
        balanced = _with_balances(session, invoice, data)
        organization = tenant.organization
        prepared = (
            balanced,
            parse(balanced, organization.address.get("zip"), organization.tax_system),
        )
    # Stamped now, the totals come from the document itself.
    _describe(invoice, data, totals=draft or run_async)
    if key and (raced := _claim(session, tenant, invoice)) is not None:
        return replay(raced, digest), None  # type: ignore[return-value]
    call = None
    if prepared is not None:
        call = _start(session, tenant, invoice, run_async, prepared, lease)
    session.add(invoice)  # without a key, the row is written once, stamped
    session.flush()
    return invoice, call


def _claim(session: Session, tenant: Tenant, invoice: Invoice) -> Invoice | None:
    """Write the row before stamping, so that a parallel request with the same idempotency key
    waits for it (and never stamps twice); returns theirs when they were first."""
    try:
        with session.begin_nested():
            session.add(invoice)
    except IntegrityError:
        return find_by_key(session, tenant, invoice.idempotency_key)  # type: ignore[arg-type]
    return None


def _start(
    session: Session,
    tenant: Tenant,
    invoice: Invoice,
    run_async: bool,
    prepared: tuple[dict[str, Any], InvoiceInput],
    lease: timedelta | None,
) -> StampCall | None:
    stamping.issuer_of(tenant.organization)  # refuse early when the organization is not ready
    if run_async:
        assign_folio(session, tenant.organization, invoice)
        invoice.status = InvoiceStatus.PENDING  # the worker stamps it (portal.jobs.invoices)
        session.flush()
        return None
    return _stamp_now(session, tenant.organization, invoice, prepared, lease)


# Drafts and copies ------------------------------------------------------------------------


def update_draft(session: Session, tenant: Tenant, invoice: Invoice, body: dict[str, Any]) -> None:
    """Change the fields sent of a draft; the others stay."""
    if invoice.status != InvoiceStatus.DRAFT:
        raise ValidationError("Sólo se puede editar una factura en borrador.", "not_a_draft")
    meta = _read_meta({k: v for k, v in body.items() if k != "status"}, None)
    customer_id, data = resolve(session, tenant, {**invoice.data, **body})
    if "customer" in body:
        invoice.customer_id = customer_id
    if "external_id" in body:
        invoice.external_id = meta["external_id"]
    if "series" in body or "folio_number" in body:
        invoice.series, invoice.folio_number = meta["series"], meta["folio_number"]
    invoice.data = data
    _describe(invoice, data)
    session.flush()


def copy_to_draft(session: Session, invoice: Invoice) -> Invoice:
    """A new draft with the same content (no folio, no stamp)."""
    draft = Invoice(
        organization_id=invoice.organization_id,
        livemode=invoice.livemode,
        status=InvoiceStatus.DRAFT,
        customer_id=invoice.customer_id,
        data=dict(invoice.data),
        external_id=invoice.external_id,
    )
    _describe(draft, draft.data)
    session.add(draft)
    session.flush()
    return draft
