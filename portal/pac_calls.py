"""PAC calls made from a request, with no transaction open while the PAC answers.

Load what the call needs in the request's transaction, commit (nothing is written yet), call
the PAC, then load the invoice again and record the answer; the view commits that as usual.
On SQLite a transaction left open across a slow PAC would hold the one write lock for everybody.
The services hold the rules (``invoices.cancel_call``, ``status_query``); this module only
decides where the I/O happens, so a view or a job never has to.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from flask import current_app
from sqlalchemy.orm import Session

from portal import actors
from portal.cfdi.pac import StampResult
from portal.errors import PortalError
from portal.models.invoices import Invoice
from portal.services import invoices, receipt_invoices
from portal.statuses import InvoiceStatus
from portal.tenancy import Tenant

T = TypeVar("T")


def outside_transaction(session: Session, call: Callable[[], T]) -> T:
    """End the session's transaction (committing what it flushed), then run ``call``."""
    session.commit()
    return call()


def refresh_status(session: Session, tenant: Tenant, load: Callable[[], Invoice]) -> Invoice:
    """Ask the PAC about the invoice and record the answer (``PUT /invoices/{id}/status``)."""
    query = invoices.status_query(session, tenant, load())
    if query is None:
        return load()
    answer = outside_transaction(session, query.ask)
    return invoices.apply_status(session, load(), answer)


def cancel(
    session: Session,
    tenant: Tenant,
    load: Callable[[], Invoice],
    motive: str | None,
    substitution: str | None,
) -> Invoice:
    """Cancel with the PAC and record its answer and who asked (``actors.request_actor``); a
    draft is deleted (no PAC call)."""
    invoice = load()
    call = invoices.cancel_call(session, tenant, invoice, motive, substitution)
    if call is None:
        return invoice
    actor = actors.request_actor()
    result = outside_transaction(session, call.send)
    invoice = invoices.record_cancellation(session, load(), call, result)
    invoice.cancellation_actor = actor
    return invoice


def stamp_lease() -> timedelta:
    """How long a request's stamping lease keeps jobs and the sweep off its pending invoice."""
    return timedelta(seconds=current_app.config["JOB_LEASE_SECONDS"])


def stamp(
    session: Session,
    invoice: Invoice,
    call: invoices.StampCall | None,
    on_refused: Callable[[Session, Invoice], None] | None = None,
    on_stamped: Callable[[Session, Invoice], None] | None = None,
    no_answer_fails: bool = False,
) -> Invoice:
    """Finish a synchronous stamp that ``invoices.create_call``/``stamp_draft_call`` left to us
    (a remote PAC; ``None``: already stamped in the transaction, nothing to do).

    The pending invoice (its folio, idempotency key and lease) is committed, so a parallel
    request with the same key gets it as ``pending`` and no job stamps it meanwhile; the PAC is
    called with no transaction open; its answer is recorded on the locked row in a new short
    transaction, committed here:
    - stamped: ``valid`` with its XML;
    - refused: ``failed`` with the PAC's reason, and the PAC's error is raised (the same API
      error as an in-process stamp; the folio stays unused, a gap SAT allows); ``on_refused``
      undoes what the first transaction linked to it (receipts become ``open`` again);
    - no answer (timeout, unreachable): still ``pending``, lease ended; the worker's sweep
      (``portal.jobs.invoices``) stamps it later and the caller answers the pending invoice.
      With ``no_answer_fails`` (a self-invoicing visitor, who cannot be told "later") it is
      ``failed`` and refused like a refusal instead, so the receipt is open to try again.
    ``on_stamped`` runs in the recording transaction once it is ``valid``.
    """
    if call is None:
        return invoice
    invoice_id = invoice.id
    try:
        result: StampResult | PortalError = outside_transaction(session, call.send)
    except PortalError as error:
        result = error
    except Exception:  # unexpected: leave it pending, free for the sweep
        session.rollback()
        invoices.release_stamp(session, invoice_id)
        session.commit()
        raise
    invoice = session.get(Invoice, invoice_id, with_for_update=True, populate_existing=True)
    assert invoice is not None
    if invoice.status != InvoiceStatus.PENDING:  # our lease ran out and a job settled it meanwhile
        session.commit()
        return invoice
    if isinstance(result, StampResult):
        invoices.record_stamp(session, invoice, call, result)
        invoices.release_stamp(session, invoice_id)
        if on_stamped is not None:
            on_stamped(session, invoice)
    elif invoices.is_transient(result) and not no_answer_fails:
        invoices.release_stamp(session, invoice_id)
    else:
        invoices.fail_stamp(session, invoice, result)
        if on_refused is not None:
            on_refused(session, invoice)
        session.commit()
        raise result
    session.commit()
    return invoice


def create(session: Session, tenant: Tenant, body: dict[str, Any], **options: Any) -> Invoice:
    """``invoices.create`` with a remote PAC called outside the transaction (``stamp``)."""
    invoice, call = invoices.create_call(session, tenant, body, lease=stamp_lease(), **options)
    return stamp(session, invoice, call)


def stamp_draft(session: Session, invoice: Invoice, run_async: bool = False) -> Invoice:
    """``invoices.stamp_draft`` with a remote PAC called outside the transaction; ``run_async``:
    left ``pending`` for the worker (``portal.jobs.invoices``)."""
    call = invoices.stamp_draft_call(session, invoice, stamp_lease(), run_async=run_async)
    return stamp(session, invoice, call)


def global_invoice(session: Session, tenant: Tenant, body: dict[str, Any]) -> Invoice:
    """``receipt_invoices.global_invoice`` with a remote PAC called outside the transaction;
    refused, its receipts are open again."""
    invoice, call = receipt_invoices.global_invoice_call(session, tenant, body, lease=stamp_lease())
    return stamp(session, invoice, call, on_refused=receipt_invoices.reopen)
