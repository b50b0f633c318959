"""PAC calls made from a request, with no transaction open while the PAC answers.

Load what the call needs in the request's transaction, commit (nothing is written yet), call
the PAC, then load the invoice again and record the answer; the view commits that as usual.
On SQLite a transaction left open across a slow PAC would hold the one write lock for everybody.
The services hold the rules (``invoices.cancel_call``, ``status_query``); this module only
decides where the I/O happens, so a view or a job never has to.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from portal.models.invoices import Invoice
from portal.services import invoices
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
    """Cancel with the PAC and record its answer; a draft is deleted (no PAC call)."""
    invoice = load()
    call = invoices.cancel_call(session, tenant, invoice, motive, substitution)
    if call is None:
        return invoice
    result = outside_transaction(session, call.send)
    return invoices.record_cancellation(session, load(), call, result)
