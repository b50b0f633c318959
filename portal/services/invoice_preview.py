"""What an invoice body comes to before it is stamped: each line's figures and the totals.

The figures come from the engine that builds the CFDI (``cfdi.types.InvoiceInput`` reads the
body, ``cfdi.money.compute_line`` and ``summarize`` compute it, as ``documents.build_invoice``
does), after saved products given by id are copied the way ``invoices.create`` copies them. Each
line is computed on its own, so one unfinished line leaves the others' figures on screen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from portal.cfdi import money
from portal.cfdi.types import InvoiceInput
from portal.errors import PortalError, Problem
from portal.models.tenancy import Tenant
from portal.services import invoices

# A line's figures do not depend on the receiver: the reader only needs one to read the body.
ANY_RECEIVER = {"legal_name": "PUBLICO EN GENERAL", "tax_id": "XAXX010101000"}


@dataclass
class LinePreview:
    """One line: its computed figures, or the problems that keep it from being computed."""

    index: int
    line: money.Line | None = None
    problems: list[Problem] = field(default_factory=list)


@dataclass
class Preview:
    """Every line and, once all of them compute, the document's totals."""

    currency: str
    lines: list[LinePreview]
    totals: money.Totals | None = None
    problems: list[Problem] = field(default_factory=list)  # of the document (e.g. currency)

    @property
    def taxes(self) -> Decimal | None:
        """Transferred minus withheld taxes, local ones included (what the total adds)."""
        if self.totals is None:
            return None
        return self.totals.total - self.totals.subtotal + self.totals.discount


def _at_index(problems: list[Problem], index: int) -> list[Problem]:
    """The problems of a body of one item (``items[0]``) with the line's real path."""
    real = f"items[{index}]"
    return [
        Problem(
            p.message.replace("items[0]", real),
            p.code,
            re.sub(r"^items\[0\]", real, p.path or "") or real,
            p.source,
        )
        for p in problems
    ]


def _line(
    session: Session, tenant: Tenant, item: Any, index: int, currency: str, decimals: int
) -> LinePreview:
    try:
        _customer_id, data = invoices.resolve(session, tenant, {"items": [item]})
        parsed = InvoiceInput.from_dict({**data, "customer": ANY_RECEIVER, "currency": currency})
        return LinePreview(index, money.compute_line(parsed.items[0], decimals, f"items[{index}]"))
    except PortalError as error:
        return LinePreview(index, problems=_at_index(error.problems, index))
    except ArithmeticError:  # amounts like 1e999
        problem = Problem("El importe es demasiado grande.", "invalid_input", f"items[{index}]")
        return LinePreview(index, problems=[problem])


def preview(session: Session, tenant: Tenant, body: dict[str, Any]) -> Preview:
    """Each line of ``body`` computed, and the totals when every line computes."""
    currency = str(body.get("currency") or "MXN").upper()
    items = body.get("items") if isinstance(body.get("items"), list) else []
    try:
        decimals = money.currency_decimals(currency)
    except PortalError as error:
        return Preview(currency, [LinePreview(i) for i in range(len(items))], None, error.problems)
    lines = [_line(session, tenant, item, i, currency, decimals) for i, item in enumerate(items)]
    computed = [line.line for line in lines if line.line is not None]
    totals = None
    if computed and len(computed) == len(lines):
        totals = money.summarize(computed, decimals)
    return Preview(currency, lines, totals)
