"""What an invoice's page shows beyond its header: each line with its amount and taxes (from
the stamped XML, or computed like the API would for a draft), and once cancelled, when, why
and by whom."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from portal.cfdi import catalogs, money
from portal.cfdi.concepts import concepts
from portal.dashboard.invoice_form_page import tax_label
from portal.formatting import when
from portal.models.invoices import Invoice
from portal.models.organizations import Organization
from portal.services import invoice_preview
from portal.statuses import CancellationStatus
from portal.tenancy import Tenant


def _money(value: Decimal | None, decimals: int) -> str:
    return "" if value is None else f"{value:,.{decimals}f}"


def _taxes(taxes: list[money.LineTax], decimals: int) -> list[dict[str, Any]]:
    return [
        {
            "label": tax_label(t.code, t.factor, t.rate, t.withholding),
            "amount": _money(t.amount, decimals),
            "withholding": t.withholding,
        }
        for t in taxes
    ]


def _decimals(invoice: Invoice) -> int:
    try:
        return money.currency_decimals(invoice.currency)
    except Exception:  # an unknown currency on a draft: show two places
        return 2


def _quantity(value: Decimal) -> str:
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}"


def _stamped_rows(invoice: Invoice, decimals: int) -> tuple[list[dict], list[dict]]:
    rows, local = concepts(invoice.xml or b"")
    lines = [
        {
            "quantity": _quantity(c.quantity),
            "unit": f"{c.unit_key} {c.unit_name}".strip(),
            "description": c.description,
            "product_key": c.product_key,
            "unit_value": _money(c.unit_value, decimals),
            "amount": _money(c.amount, decimals),
            "discount": _money(c.discount, decimals) if c.discount else "",
            "taxes": _taxes(c.taxes, decimals),
            "total": _money(c.total, decimals),
        }
        for c in rows
    ]
    return lines, [_local(t, decimals) for t in local]


def _local(tax: money.LineLocalTax, decimals: int) -> dict[str, Any]:
    rate = f"{tax.rate * 100:.4f}".rstrip("0").rstrip(".")
    return {
        "label": f"{tax.name} {rate} %",
        "amount": _money(tax.amount, decimals),
        "withholding": tax.withholding,
    }


def _draft_rows(
    session: Session, tenant: Tenant, invoice: Invoice, decimals: int
) -> tuple[list[dict], list]:
    items = (invoice.data or {}).get("items") or []
    preview = invoice_preview.preview(session, tenant, invoice.data or {})
    lines = []
    for item, view in zip(items, preview.lines, strict=False):
        product = item.get("product") if isinstance(item, dict) else None
        product = product if isinstance(product, dict) else {}
        line = view.line
        lines.append(
            {
                "quantity": str(item.get("quantity", 1)),
                "unit": str(product.get("unit_key") or "H87"),
                "description": str(product.get("description") or ""),
                "product_key": str(product.get("product_key") or ""),
                "unit_value": _money(line.unit_value, decimals) if line else "",
                "amount": _money(line.amount, decimals) if line else "",
                "discount": _money(line.discount, decimals) if line and line.discount else "",
                "taxes": (
                    _taxes(line.taxes, decimals) + [_local(t, decimals) for t in line.local_taxes]
                )
                if line
                else [],
                "total": _money(line.total, decimals) if line else "",
                "problem": view.problems[0].message if view.problems else "",
            }
        )
    return lines, []


def line_rows(session: Session, tenant: Tenant, invoice: Invoice) -> tuple[list[dict], list[dict]]:
    """The invoice's lines, and its document-level local taxes (a stamped one's XML)."""
    decimals = _decimals(invoice)
    if invoice.xml:
        return _stamped_rows(invoice, decimals)
    return _draft_rows(session, tenant, invoice, decimals)


def _actor(actor: dict[str, Any] | None) -> str:
    if not actor:
        return _("No registrado")
    kind = actor.get("type")
    if kind == "support":
        return _("Soporte (%(email)s)", email=actor.get("email", ""))
    if kind == "api_key":
        return _("Llave de API %(key)s…", key=actor.get("first_12", ""))
    name = actor.get("name") or ""
    email = actor.get("email") or ""
    return f"{name} ({email})" if name else email


def cancellation_facts(invoice: Invoice, organization: Organization, lang: str) -> dict | None:
    """When, why and by whom the invoice was (or is being) cancelled; None if it was not."""
    if not invoice.cancellation_motive:
        return None
    motive = invoice.cancellation_motive
    return {
        "when": when(invoice.canceled_at, organization.timezone),
        "requested": when(invoice.cancellation_requested_at, organization.timezone),
        "motive": f"{motive} · {catalogs.label('cancellation_motive', motive, lang) or ''}",
        "substitution": invoice.cancellation_substitution,
        "by": _actor(invoice.cancellation_actor),
        "pending": invoice.cancellation_status == CancellationStatus.PENDING,
    }
