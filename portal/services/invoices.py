"""Invoices (CFDI I, E and P): create, drafts, stamping, cancellation, copies and search.

The request body is kept (customer and products by id resolved into copies) as the invoice's
``data``; stamping builds the CFDI from it. Folios come from an atomic ``UPDATE … RETURNING``.
An idempotency key replays the first invoice for the same body and refuses a different one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from lxml import etree
from sqlalchemy import Select, and_, delete, func, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, aliased

from portal import search as text_search
from portal.cfdi import documents, money, qr, rules, zones
from portal.cfdi.errors import PAC_UNAVAILABLE
from portal.cfdi.pac import (
    PAC,
    CancelResult,
    CancelTarget,
    StampResult,
    StatusResult,
    mexico_now,
    stamp_result,
)
from portal.cfdi.sat_matrix import enforce
from portal.cfdi.types import InvoiceInput, in_amount_range
from portal.errors import Conflict, PortalError, ValidationError
from portal.models.base import iso, utcnow
from portal.models.files import StampingLease
from portal.models.invoices import Invoice, InvoiceCount
from portal.models.organizations import FolioSeries, Organization
from portal.models.tenancy import Tenant, scoped_select
from portal.services import (
    cancellation_rules,
    customers,
    events,
    organizations,
    payments,
    products,
    related_documents,
    stamping,
)
from portal.services.checks import Checker

TYPES = ("I", "E", "P")
CREATE_STATUSES = ("pending", "draft")
LIST_STATUSES = ("draft", "pending", "valid", "canceled", "failed")
ASYNC_BODY_BYTES = 2 * 1024 * 1024
MAX_ITEMS = 5000
META_FIELDS = ("idempotency_key", "status", "external_id")
MEXICO = ZoneInfo("America/Mexico_City")  # how SAT and the PAC write their times
FOLIO_LOCK_TIMEOUT = "1s"  # then the folio is taken in the caller's transaction instead
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE for a lock_timeout


# Reading the body --------------------------------------------------------------------------


def body_hash(body: dict[str, Any]) -> str:
    """A stable fingerprint of a request body (key order and spacing do not matter)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _customer_copy(session: Session, tenant: Tenant, value: Any) -> tuple[str | None, Any]:
    """A customer id becomes (id, a copy of its data); an inline customer stays as sent."""
    if isinstance(value, str):
        customer = customers.get_customer(session, tenant, value)
        return customer.id, _jsonable(dataclasses.asdict(customers.to_cfdi(customer)))
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
    check = Checker(body)
    meta = {
        "status": check.choice("status", CREATE_STATUSES) or "pending",
        "external_id": check.text("external_id", max_len=255),
        "idempotency_key": check.text("idempotency_key", max_len=64) or header_key,
        "type": check.choice("type", TYPES) or "I",
        "series": check.series("series"),
        "folio_number": check.integer("folio_number", minimum=1, maximum=2_000_000_000),
    }
    check.items("items", max_items=MAX_ITEMS)
    organizations.pdf_switches(check, "pdf_options")  # kept in the body; the PDF reads it
    custom_section = body.get("pdf_custom_section")
    if custom_section is not None and not isinstance(custom_section, str):
        check.fail(
            "pdf_custom_section", "El campo pdf_custom_section debe ser texto.", "invalid_type"
        )
    if header_key is not None and len(header_key) > 64:
        check.fail("idempotency_key", "La llave de idempotencia admite 64 caracteres.", "too_long")
    check.done()
    return meta


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
    return not (invoice.type != "P" and not invoice.data.get("items"))


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
    invoice.use = _short("CP01" if invoice.type == "P" else data.get("use") or "G01", 4)
    invoice.related_documents = data.get("related_documents") or []
    preview = preview_totals(data) if totals and invoice.type != "P" else None
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


def _index_text(invoice: Invoice) -> None:
    customer = invoice.customer or {}
    invoice.search_text = text_search.index_text(
        customer.get("legal_name"),
        customer.get("tax_id"),
        f"{invoice.series or ''}{invoice.folio_number or ''}",
        invoice.folio_number,
        invoice.uuid,
        invoice.external_id,
    )


# Creating ---------------------------------------------------------------------------------


def find_by_key(session: Session, tenant: Tenant, key: str) -> Invoice | None:
    """The tenant's invoice created with this idempotency key, if any."""
    return session.scalar(scoped_select(Invoice, tenant).where(Invoice.idempotency_key == key))


def replay(invoice: Invoice | None, digest: str) -> Invoice | None:
    """The earlier result for a repeated idempotency key; 409 when the body differs."""
    if invoice is not None and invoice.body_hash != digest:
        raise Conflict(
            "La llave de idempotencia ya se usó con un cuerpo distinto. Usa una llave nueva "
            "o reenvía exactamente el mismo cuerpo.",
            "idempotency_key_reused",
            "idempotency_key",
        )
    return invoice


def create(
    session: Session,
    tenant: Tenant,
    body: dict[str, Any],
    *,
    idempotency_key: str | None = None,
    run_async: bool = False,
    body_size: int = 0,
) -> Invoice:
    """A new invoice: a draft, stamped now, or ``pending`` for the worker (async / huge body)."""
    invoice, _ = create_call(
        session,
        tenant,
        body,
        idempotency_key=idempotency_key,
        run_async=run_async,
        body_size=body_size,
    )
    return invoice


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
    draft = meta["status"] == "draft"
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
        invoice.status = "pending"  # the worker stamps it (portal.jobs.invoices)
        session.flush()
        return None
    return _stamp_now(session, tenant.organization, invoice, prepared, lease)


def _stamp_now(
    session: Session,
    organization: Organization,
    invoice: Invoice,
    prepared: tuple[dict[str, Any], InvoiceInput],
    lease: timedelta | None,
) -> StampCall | None:
    """Take the folio and stamp, the one flow of a new invoice and of a draft. An in-process
    PAC (test mode), or no ``lease``: stamped here, in the caller's transaction. A remote PAC
    with a ``lease``: sealed and checked against SAT's matrix here, then left ``pending`` under
    a stamping lease (no job or sweep stamps it meanwhile) and the call is returned; the caller
    commits, sends it with no transaction open, and records the answer."""
    # The test PAC's certificate row is stored on first use: outside the savepoint below.
    pac = stamping.pac_for(session, organization, invoice.livemode)
    with session.begin_nested():  # refused by SAT's matrix: the folio taken here is given back
        assign_folio(session, organization, invoice)
        call = stamp_call(session, invoice, prepared)
        # A payment complement checks the paid invoices' balances under a lock that must last
        # until they are updated: it stamps in one transaction (as in the worker).
        if lease is None or not getattr(pac, "remote", False) or invoice.type == "P":
            record_stamp(session, invoice, call, call.send())
            return None
        enforce(call.document.element, mexico_now())  # refused now: no row kept, as in-process
        invoice.status = "pending"
        invoice.total = call.document.total
        session.add(invoice)
        session.flush()
        claim_stamp(session, invoice, lease)
        return call


def _folio_counter(organization: Organization, livemode: bool, series: str | None) -> Any:
    if series:
        column = FolioSeries.next_folio if livemode else FolioSeries.next_folio_test
        where = and_(FolioSeries.organization_id == organization.id, FolioSeries.name == series)
        return update(FolioSeries).where(where).values({column: column + 1}).returning(column)
    column = Organization.next_folio_number if livemode else Organization.next_folio_number_test
    where = Organization.id == organization.id
    return update(Organization).where(where).values({column: column + 1}).returning(column)


def assign_folio(session: Session, organization: Organization, invoice: Invoice) -> None:
    """Series (or the type's default series) and the next folio, taken atomically."""
    invoice.series = invoice.series or organization.default_series.get(invoice.type)
    if invoice.folio_number is None:
        taken = _take_folio(session, _folio_counter(organization, invoice.livemode, invoice.series))
        if taken is None:  # a free-text series without a counter: the organization's folios
            taken = _take_folio(session, _folio_counter(organization, invoice.livemode, None))
        invoice.folio_number = taken - 1
        session.expire(organization, ["next_folio_number", "next_folio_number_test"])
    _index_text(invoice)


def _take_folio(session: Session, statement: Any) -> int | None:
    """Run a counter's ``UPDATE … RETURNING``. On PostgreSQL it commits at once in a short
    transaction of its own, so the counter's row is not locked while the invoice is sealed and
    stamped (parallel invoices of one organization would take turns); a failure after this
    leaves a gap in the folios, which SAT allows. It stays in the caller's transaction when that
    one created the counter (the short one cannot see it yet) or already locks it. On SQLite
    the whole transaction holds the write lock anyway."""
    options = {"synchronize_session": False}
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        try:
            with bind.connect() as connection:
                connection.execute(text(f"SET LOCAL lock_timeout = '{FOLIO_LOCK_TIMEOUT}'"))
                taken = connection.execute(statement, execution_options=options).scalar()
                connection.commit()
        except OperationalError as error:
            if getattr(error.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                raise
            taken = None  # our own transaction may hold the row: take it there
        if taken is not None:
            return int(taken)
    return session.execute(statement, execution_options=options).scalar()


# Stamping ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class StampCall:
    """A sealed document for the PAC and what recording its stamp needs."""

    pac: PAC
    document: documents.BuiltDocument
    data: dict[str, Any]
    parsed: InvoiceInput

    def send(self) -> StampResult:
        """Stamp it (network I/O for a real PAC: the worker calls it with no transaction open)."""
        return self.pac.stamp(self.document)


def stamp_call(
    session: Session,
    invoice: Invoice,
    prepared: tuple[dict[str, Any], InvoiceInput] | None = None,
) -> StampCall:
    """Build and seal the invoice for the PAC; raises (nothing changes) when refused.
    ``prepared``: its body with the balances and the engine's input, when the caller has just
    read them (a new invoice); otherwise they are read from the stored body."""
    organization = session.get(Organization, invoice.organization_id)
    assert organization is not None
    issuer = stamping.issuer_of(organization)
    pac = stamping.pac_for(session, organization, invoice.livemode)
    if prepared is None:
        data = _with_balances(session, invoice, dict(invoice.data))
        prepared = data, parse(data, issuer.zip, issuer.tax_system)
    data, parsed = prepared
    parsed.series, parsed.folio_number = invoice.series, invoice.folio_number
    csd = stamping.csd_of(organization.certificate)  # type: ignore[arg-type]
    try:
        document = documents.build_invoice(csd, issuer, parsed)
    except ArithmeticError:  # the engine's Decimal context refuses absurd amounts (1e999)
        raise ValidationError("Un importe está fuera de rango.", "invalid_amount") from None
    if not in_amount_range(document.total):  # each amount fits, their total would not
        raise ValidationError("El total de la factura está fuera de rango.", "invalid_amount")
    return StampCall(pac, document, data, parsed)


def record_stamp(session: Session, invoice: Invoice, call: StampCall, result: StampResult) -> None:
    """Store the stamped XML and what is derived from it; the invoice becomes ``valid``."""
    organization = session.get(Organization, invoice.organization_id)
    assert organization is not None
    document = call.document
    invoice.xml, invoice.uuid, invoice.status = result.xml, result.uuid, "valid"
    invoice.stamp = {
        "date": result.stamp_date.replace(tzinfo=MEXICO).astimezone(UTC).isoformat(),
        "sat_signature": result.sello_sat,
        "sat_cert_number": result.sat_cert_number,
        "signature": result.sello_cfd,
    }
    invoice.verification_url = verification_url(result.xml, result.uuid, result.sello_cfd)
    place = document.element.get("LugarExpedicion") or organization.address["zip"]
    invoice.date = document.issued_at.replace(tzinfo=zones.zone_of(place))
    invoice.total = document.total
    if document.totals is not None:
        invoice.subtotal = document.totals.subtotal
    invoice.data = call.data
    invoice.failure_reason = None
    _index_text(invoice)
    _record_payments(session, invoice, call.parsed)
    session.flush()
    related_documents.index(session, invoice)


def stamp(
    session: Session,
    invoice: Invoice,
    prepared: tuple[dict[str, Any], InvoiceInput] | None = None,
) -> None:
    """Build, seal and stamp the invoice now, in the caller's transaction; raises (nothing
    changes) when refused. The worker instead calls the PAC between two transactions."""
    call = stamp_call(session, invoice, prepared)
    record_stamp(session, invoice, call, call.send())


def stamp_draft(session: Session, invoice: Invoice) -> None:
    """Stamp a draft (``POST /invoices/{id}/stamp``): its folio is taken now."""
    stamp_draft_call(session, invoice)


def stamp_draft_call(
    session: Session, invoice: Invoice, lease: timedelta | None = None
) -> StampCall | None:
    """``stamp_draft``; with ``lease``, a remote PAC's call is returned as in ``create_call``."""
    if invoice.status != "draft":
        raise ValidationError("Sólo se puede timbrar una factura en borrador.", "not_a_draft")
    organization = session.get(Organization, invoice.organization_id)
    assert organization is not None
    issuer = stamping.issuer_of(organization)
    stamping.pac_for(session, organization, invoice.livemode)  # outside the savepoint below
    data = _with_balances(session, invoice, dict(invoice.data))
    prepared = data, parse(data, issuer.zip, issuer.tax_system)  # refused before the folio
    return _stamp_now(session, organization, invoice, prepared, lease)


def claim_stamp(session: Session, invoice: Invoice, lease: timedelta) -> bool:
    """Take a pending invoice (locked by the caller) for one stamping attempt; commit before
    calling the PAC. The lease keeps a second job (the sweep, a retry) from stamping it again
    meanwhile; it ends by itself if the worker dies."""
    now = utcnow()
    if invoice.status != "pending":
        return False  # already stamped or failed: a job that runs twice does nothing
    held = session.get(StampingLease, invoice.id)
    if held is not None and held.until > now:
        return False  # another worker is stamping it
    if held is None:
        session.add(StampingLease(invoice_id=invoice.id, until=now + lease))
    else:
        held.until = now + lease
    session.flush()
    return True


def release_stamp(session: Session, invoice_id: str) -> None:
    """End the lease (stamped, failed, or an unexpected error that a retry may fix)."""
    session.execute(delete(StampingLease).where(StampingLease.invoice_id == invoice_id))


def is_transient(error: PortalError) -> bool:
    """The PAC did not answer (timeout, unreachable): the invoice may still be stamped later."""
    return error.code == PAC_UNAVAILABLE


def fail_stamp(session: Session, invoice: Invoice, error: PortalError) -> None:
    """The worker's outcome when the invoice is refused: ``failed`` with the reason."""
    invoice.status, invoice.failure_reason = "failed", error.message
    release_stamp(session, invoice.id)
    session.flush()
    status_event(session, invoice)


def finish_stamp(session: Session, invoice: Invoice, call: StampCall, result: StampResult) -> None:
    """The worker's outcome when the PAC stamped it: ``valid``, and the event."""
    record_stamp(session, invoice, call, result)
    release_stamp(session, invoice.id)
    status_event(session, invoice)


def stamp_pending(session: Session, invoice: Invoice) -> None:
    """Stamp a pending invoice in the caller's transaction, or mark it failed with the reason
    (the worker uses ``claim_stamp``/``stamp_call``/``finish_stamp`` instead)."""
    if invoice.status != "pending":
        return
    try:
        with session.begin_nested():
            stamp(session, invoice)
    except PortalError as error:
        invoice.status, invoice.failure_reason = "failed", error.message
        session.flush()
    status_event(session, invoice)


def _with_balances(session: Session, invoice: Invoice, data: dict[str, Any]) -> dict[str, Any]:
    """Payment complements: each paid invoice's balance, installment and taxes, checked."""
    return payments.with_balances(session, invoice, data)


def _record_payments(session: Session, invoice: Invoice, parsed: InvoiceInput) -> None:
    payments.record(session, invoice, parsed)


# Drafts and copies ------------------------------------------------------------------------


def update_draft(session: Session, tenant: Tenant, invoice: Invoice, body: dict[str, Any]) -> None:
    """Change the fields sent of a draft; the others stay."""
    if invoice.status != "draft":
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
        status="draft",
        customer_id=invoice.customer_id,
        data=dict(invoice.data),
        external_id=invoice.external_id,
    )
    _describe(draft, draft.data)
    session.add(draft)
    session.flush()
    return draft


# Cancellation -----------------------------------------------------------------------------


def _mexico(moment: datetime) -> datetime:
    return moment.astimezone(MEXICO).replace(tzinfo=None)


def cancel_target(invoice: Invoice) -> CancelTarget:
    """What the PAC needs to know about a stamped invoice, derived from its XML."""
    stamped = stamp_result(invoice.xml or b"")
    root = etree.fromstring(invoice.xml or b"")
    issuer = root.find(f"{{{documents.CFDI_NS}}}Emisor")
    receiver = root.find(f"{{{documents.CFDI_NS}}}Receptor")
    return CancelTarget(
        uuid=stamped.uuid,
        issuer_rfc=issuer.get("Rfc") if issuer is not None else "",
        receiver_rfc=receiver.get("Rfc") if receiver is not None else "",
        total=invoice.total,
        stamped_at=stamped.stamp_date,
        kind=invoice.type,
        xml=invoice.xml,
        exchange=invoice.exchange if invoice.currency != "MXN" else Decimal(1),
    )


@dataclasses.dataclass(frozen=True)
class CancelCall:
    """A signed cancellation request for the PAC, ready to send after the transaction ends."""

    pac: PAC
    target: CancelTarget
    request: documents.CancellationRequest
    motive: str

    def send(self) -> CancelResult:
        """Send it (network I/O for a real PAC: call it with no transaction open)."""
        return self.pac.cancel(self.target, self.request)


def cancel_call(
    session: Session, tenant: Tenant, invoice: Invoice, motive: str | None, substitution: str | None
) -> CancelCall | None:
    """Check the cancellation against SAT's rules (``cancellation_rules``) and sign its request;
    a draft is simply deleted (None)."""
    if invoice.status == "draft":
        session.delete(invoice)
        session.flush()
        return None
    if invoice.status == "canceled":
        raise ValidationError("La factura ya está cancelada.", "already_canceled")
    if invoice.status != "valid":
        raise ValidationError("Sólo se puede cancelar una factura timbrada.", "not_stamped")
    if invoice.cancellation_status == "pending":
        raise ValidationError("La cancelación ya está en espera de aceptación.", "cancel_pending")
    check = Checker({"motive": motive})
    clean_motive = check.choice("motive", documents.CANCEL_MOTIVES, required=True) or ""
    check.done()
    substitution_uuid = cancellation_rules.check(
        session, tenant, invoice, clean_motive, substitution
    )
    organization = tenant.organization
    csd = stamping.csd_of(organization.certificate)  # type: ignore[arg-type]
    request = documents.build_cancellation(csd, invoice.uuid or "", clean_motive, substitution_uuid)
    pac = stamping.pac_for(session, organization, invoice.livemode)
    return CancelCall(pac, cancel_target(invoice), request, clean_motive)


def record_cancellation(
    session: Session, invoice: Invoice, call: CancelCall, result: CancelResult
) -> Invoice:
    """Record the PAC's answer: ``canceled``, or ``pending`` the receiver's acceptance."""
    invoice.cancellation_motive, invoice.cancellation_substitution = (
        call.motive,
        call.request.substitution_uuid,
    )
    invoice.cancellation_requested_at = result.requested_at.replace(tzinfo=MEXICO)
    invoice.cancellation_xml = result.acuse
    _settle(session, invoice, "canceled" if result.status == "accepted" else "valid", result.status)
    return invoice


def cancel(
    session: Session, tenant: Tenant, invoice: Invoice, motive: str | None, substitution: str | None
) -> Invoice:
    """Cancel with SAT (``canceled``, or ``pending`` acceptance) once SAT's rules allow it
    (``cancellation_rules``); a draft is simply deleted. Calls the PAC in the caller's
    transaction: requests use ``portal.pac_calls.cancel``."""
    call = cancel_call(session, tenant, invoice, motive, substitution)
    return invoice if call is None else record_cancellation(session, invoice, call, call.send())


def _settle(session: Session, invoice: Invoice, status: str, cancellation_status: str) -> None:
    status_changed = status != invoice.status
    cancellation_changed = cancellation_status != invoice.cancellation_status
    invoice.status, invoice.cancellation_status = status, cancellation_status
    if status == "canceled" and invoice.canceled_at is None:
        invoice.canceled_at = utcnow()
    session.flush()
    if status_changed and status == "canceled":
        _release(session, invoice)
    if status_changed:
        status_event(session, invoice)
    if cancellation_changed:
        _event(session, invoice, "invoice.cancellation_status_updated")


def _release(session: Session, invoice: Invoice) -> None:
    """What a cancelled CFDI held goes back: a payment's amounts to the balances it paid, a
    global invoice's receipts to ``open``."""
    from portal.services import receipts  # receipts builds on this module

    if invoice.type == "P":
        related_documents.release_payment(session, invoice)
    receipts.release_from(session, invoice)


@dataclasses.dataclass(frozen=True)
class StatusQuery:
    """A status question for the PAC, read from the database so it can be asked after commit."""

    pac: PAC
    target: CancelTarget
    requested_at: datetime | None

    def ask(self) -> StatusResult:
        """Ask the PAC (network I/O for a real PAC: call it with no transaction open)."""
        return self.pac.status(self.target, cancellation_requested_at=self.requested_at)


def status_query(session: Session, tenant: Tenant, invoice: Invoice) -> StatusQuery | None:
    """What to ask the PAC about a stamped invoice (None for an unstamped one)."""
    if invoice.uuid is None or invoice.xml is None:
        return None
    requested = invoice.cancellation_requested_at
    return StatusQuery(
        stamping.pac_for(session, tenant.organization, invoice.livemode),
        cancel_target(invoice),
        _mexico(requested) if requested else None,
    )


def apply_status(session: Session, invoice: Invoice, answer: StatusResult) -> Invoice:
    """Record the PAC's answer about the invoice and its cancellation."""
    _settle(session, invoice, answer.status, answer.cancellation_status)
    return invoice


def refresh_status(session: Session, tenant: Tenant, invoice: Invoice) -> Invoice:
    """Ask the PAC about a stamped invoice and its cancellation (``PUT /invoices/{id}/status``)."""
    query = status_query(session, tenant, invoice)
    return invoice if query is None else apply_status(session, invoice, query.ask())


# Events -----------------------------------------------------------------------------------


def _event(session: Session, invoice: Invoice, kind: str) -> None:
    events.record(
        session,
        invoice.organization_id,
        invoice.livemode,
        kind,
        {"type": "invoice", "object": to_dict(invoice)},
    )


def status_event(session: Session, invoice: Invoice) -> None:
    """Write ``invoice.status_updated`` for the webhooks."""
    _event(session, invoice, "invoice.status_updated")


# Listing ----------------------------------------------------------------------------------


def search(tenant: Tenant, args: dict[str, str]) -> Select[tuple[Invoice]]:
    """The tenant's invoices filtered like Facturapi's list (q, customer, type, method, status)."""
    check = Checker(args)
    kind = check.choice("type", ("I", "E", "P", "N", "T"))
    method = check.choice("payment_method", ("PUE", "PPD"))
    status = check.choice("status", LIST_STATUSES)
    check.done()
    query = scoped_select(Invoice, tenant)
    if (matches := text_search.matches(Invoice.search_text, args.get("q") or "")) is not None:
        query = query.where(matches)
    if args.get("customer"):
        query = query.where(Invoice.customer_id == args["customer"])
    for column, value in ((Invoice.type, kind), (Invoice.payment_method, method)):
        if value:
            query = query.where(column == value)
    if status:
        query = query.where(Invoice.status == status)
    return query.order_by(Invoice.created_at.desc(), Invoice.id.desc())


def listing(
    session: Session,
    tenant: Tenant,
    args: dict[str, str],
    narrow: Callable[[Select[tuple[Invoice]]], Select[tuple[Invoice]]] = lambda query: query,
) -> tuple[Select[tuple[Invoice]], int | None]:
    """A list's query (``search``, then the caller's ``narrow``, e.g. its date filters) and
    its total when nothing filters it: the count kept by triggers, not a count of the rows."""
    query = narrow(search(tenant, args))
    if (args.get("q") or "").strip():
        query = _searched_first(query)
    if any(value for name, value in args.items() if name not in ("page", "limit")):
        return query, None
    total = session.scalar(
        select(func.sum(InvoiceCount.count)).where(
            InvoiceCount.organization_id == tenant.organization.id,
            InvoiceCount.livemode.is_(tenant.livemode),
        )
    )
    return query, int(total or 0)  # PostgreSQL sums bigints as numeric


def _searched_first(query: Select[tuple[Invoice]]) -> Select[tuple[Invoice]]:
    """``query`` (with ``q``) planned as: every match through the search index, then the
    newest. Left to itself, PostgreSQL may walk the whole listing index newest first, testing
    each row, when it misjudges how rare the words are (seconds over a million invoices).
    ``OFFSET 0`` keeps the subquery from being merged into the ordered scan."""
    matches = aliased(Invoice, query.order_by(None).offset(0).subquery())
    return select(matches).order_by(matches.created_at.desc(), matches.id.desc())


# The Facturapi invoice object -------------------------------------------------------------


def verification_url(xml: bytes, uuid: str, seal: str) -> str:
    """SAT's verification URL of a stamped CFDI (computed once, when it is stamped)."""
    root = etree.fromstring(xml)
    issuer = root.find(f"{{{documents.CFDI_NS}}}Emisor")
    receiver = root.find(f"{{{documents.CFDI_NS}}}Receptor")
    return qr.verification_url(
        uuid,
        issuer.get("Rfc", "") if issuer is not None else "",
        receiver.get("Rfc", "") if receiver is not None else "",
        root.get("Total", "0"),
        seal,
    )


def _number(value: Decimal) -> float:
    return float(value)


def to_dict(invoice: Invoice, organization: Organization | None = None) -> dict[str, Any]:
    """The invoice as Facturapi returns it."""
    data = invoice.data or {}
    customer = dict(invoice.customer or {})
    if invoice.customer_id:
        customer["id"] = invoice.customer_id
    result: dict[str, Any] = {
        "id": invoice.id,
        "created_at": iso(invoice.created_at),
        "livemode": invoice.livemode,
        "status": invoice.status,
        "cancellation_status": invoice.cancellation_status,
        "verification_url": invoice.verification_url,
        "date": iso(invoice.date),
        "type": invoice.type,
        "customer": customer,
        "total": _number(invoice.total),
        "subtotal": _number(invoice.subtotal),
        "uuid": invoice.uuid,
        "folio_number": invoice.folio_number,
        "series": invoice.series,
        "external_id": invoice.external_id,
        "idempotency_key": invoice.idempotency_key,
        "payment_form": invoice.payment_form,
        "payment_method": invoice.payment_method,
        "use": invoice.use,
        "items": data.get("items") or [],
        "related_documents": invoice.related_documents or [],
        "currency": invoice.currency,
        "exchange": _number(invoice.exchange),
        "conditions": data.get("conditions"),
        "complements": data.get("complements") or [],
        "pdf_custom_section": data.get("pdf_custom_section"),
        "addenda": data.get("addenda"),
        "namespaces": data.get("namespaces") or [],
        "address": data.get("address"),
        "export": data.get("export") or "01",
        "stamp": invoice.stamp,
        "cancellation": _cancellation(invoice),
        "failure_reason": invoice.failure_reason,
    }
    if invoice.payment_method == "PPD" and invoice.type == "I":
        result["balance"] = _number(invoice.balance)
    if invoice.status == "draft" and organization is not None:
        result["is_ready_to_stamp"] = is_ready_to_stamp(invoice, organization)
    return result


def _cancellation(invoice: Invoice) -> dict[str, Any] | None:
    if invoice.cancellation_motive is None:
        return None
    return {
        "motive": invoice.cancellation_motive,
        "substitution": invoice.cancellation_substitution,
        "requested_at": iso(invoice.cancellation_requested_at),
        "canceled_at": iso(invoice.canceled_at),
    }
