"""Invoices (CFDI I, E and P): create, drafts, stamping, cancellation, copies and search.

The request body is kept (customer and products by id resolved into copies) as the invoice's
``data``; stamping builds the CFDI from it. Folios come from an atomic ``UPDATE … RETURNING``.
An idempotency key replays the first invoice for the same body and refuses a different one.

The package: ``body`` (reading a body, summary fields), ``creation`` (new invoices, drafts
and copies), ``folios``, ``stamps`` (stamping now or by the worker), ``payments`` (payment
complements' balances), ``cancellation`` (and the PAC's status), ``queries`` (listing and
search) and ``objects`` (the Facturapi object and its events).
"""

from portal.schemas.invoices import MAX_ITEMS, TYPES
from portal.services.invoices.body import (
    is_ready_to_stamp,
    parse,
    preview_totals,
    resolve,
)
from portal.services.invoices.cancellation import (
    CancelCall,
    StatusQuery,
    apply_status,
    cancel,
    cancel_call,
    cancel_target,
    record_cancellation,
    refresh_status,
    status_query,
)
from portal.services.invoices.creation import (
    ASYNC_BODY_BYTES,
    copy_to_draft,
    create,
    create_call,
    find_by_key,
    replay,
    update_draft,
)
from portal.services.invoices.folios import assign_folio
from portal.services.invoices.objects import status_event, to_dict
from portal.services.invoices.queries import listing, search
from portal.services.invoices.stamps import (
    MEXICO,
    StampCall,
    claim_stamp,
    fail_stamp,
    finish_stamp,
    is_transient,
    record_stamp,
    release_stamp,
    stamp,
    stamp_call,
    stamp_draft,
    stamp_draft_call,
    stamp_pending,
)

__all__ = [
    "ASYNC_BODY_BYTES",
    "MAX_ITEMS",
    "MEXICO",
    "TYPES",
    "CancelCall",
    "StampCall",
    "StatusQuery",
    "apply_status",
    "assign_folio",
    "cancel",
    "cancel_call",
    "cancel_target",
    "claim_stamp",
    "copy_to_draft",
    "create",
    "create_call",
    "fail_stamp",
    "find_by_key",
    "finish_stamp",
    "is_ready_to_stamp",
    "is_transient",
    "listing",
    "parse",
    "preview_totals",
    "record_cancellation",
    "record_stamp",
    "refresh_status",
    "release_stamp",
    "replay",
    "resolve",
    "search",
    "stamp",
    "stamp_call",
    "stamp_draft",
    "stamp_draft_call",
    "stamp_pending",
    "status_event",
    "status_query",
    "to_dict",
    "update_draft",
]
