"""The invoice form's page: its state after each post, and what it shows.

Every figure on the page (each line's amount and taxes, the totals) comes from
``services.invoice_preview``, the engine the API stamps with; the browser's script only asks
the server for them sooner. Without JavaScript each button posts the form and the server
answers the same page: "Revisar" recomputes, "Buscar" finds saved products, a suggestion's
button picks a SAT key, "Quitar" drops a line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from portal.cfdi import catalogs, money, rules
from portal.dashboard import invoice_forms as forms
from portal.errors import PortalError, Problem
from portal.models.customers import Customer
from portal.models.invoices import Invoice
from portal.models.organizations import FolioSeries
from portal.models.products import Product
from portal.services import invoice_preview, invoices, products
from portal.tenancy import Tenant, scoped_select

SAVE_ACTIONS = ("draft", "stamp", "async")
PRODUCT_HITS = 10
KEY_SUGGESTIONS = 6
CUSTOMERS_LISTED = 200
TAX_NAMES = {"001": "ISR", "002": "IVA", "003": "IEPS"}


@dataclass
class FormState:
    """What the form holds: the invoice's fields, its lines and related documents, and the
    saved products found by the last search."""

    fields: dict[str, str]
    lines: list[dict[str, str]]
    related: list[dict[str, Any]]
    product_q: str = ""
    product_hits: list[Product] = field(default_factory=list)
    searched: bool = False  # the products were just searched (nothing found is worth saying)

    @property
    def filled_lines(self) -> list[dict[str, str]]:
        """The lines with something in them (a blank one is left out of the invoice)."""
        return [line for line in self.lines if not forms.is_blank(line)]

    def body(self) -> tuple[dict[str, Any], list[Problem]]:
        """The Facturapi body and the form's own problems (``forms.build_body``)."""
        return forms.build_body(self.fields, self.filled_lines, self.related)


def _apply_picks(form: MultiDict, lines: list[dict[str, str]]) -> None:
    """A suggestion's button (``pick-<i>-product_key`` = key) sets that field of line i."""
    for key, value in form.items():
        parts = key.split("-")
        if len(parts) == 3 and parts[0] == "pick" and parts[1].isdigit():
            index, name = int(parts[1]), parts[2]
            if index < len(lines) and name in ("product_key", "unit_key"):
                lines[index][name] = value


def state_from_post(session: Session, tenant: Tenant, form: MultiDict) -> FormState:
    """The form as posted, with its button's effect (add, remove or pick a line, find or add a
    saved product)."""
    lines = forms.form_lines(form)
    action = form.get("action", "")
    _apply_picks(form, lines)
    if action.startswith("remove-") and action[7:].isdigit() and int(action[7:]) < len(lines):
        lines.pop(int(action[7:]))
    if form.get("add_product"):
        lines.append(
            forms.line_from_product(products.get_product(session, tenant, form["add_product"]))
        )
    if action == "add_line" or not lines:
        lines.append(dict(forms.BLANK_LINE))
    state = FormState(forms.document_fields(form), lines, forms.related_groups(form))
    state.product_q = form.get("product_q", "").strip()
    if action == "find_product":
        state.product_hits = find_products(session, tenant, state.product_q)
        state.searched = True
    return state


def find_products(session: Session, tenant: Tenant, q: str) -> list[Product]:
    """Saved products whose name, SKU or SAT key contains ``q``."""
    query = products.search(tenant, q).limit(PRODUCT_HITS)
    return list(session.scalars(query))


def state_from_invoice(invoice: Invoice | None) -> FormState:
    """A draft as the form shows it, or a blank invoice."""
    if invoice is None:
        return FormState({"currency": "MXN"}, [dict(forms.BLANK_LINE)], [])
    data = invoice.data or {}
    customer = data.get("customer") if isinstance(data.get("customer"), dict) else {}
    fields = {key: str(customer.get(key) or "") for key in ("tax_id", "legal_name", "email")}
    fields["tax_system"] = str(customer.get("tax_system") or "")
    fields["zip"] = str((customer.get("address") or {}).get("zip") or "")
    fields["customer_id"] = invoice.customer_id or ""
    for key in ("use", "payment_form", "payment_method", "currency", "exchange", "series"):
        fields[key] = str(data.get(key) or "")
    items = data.get("items") if isinstance(data.get("items"), list) else []
    lines = [forms.line_from_item(item) for item in items if isinstance(item, dict)]
    related = [g for g in data.get("related_documents") or [] if isinstance(g, dict)]
    return FormState(fields, lines or [dict(forms.BLANK_LINE)], related)


# What the page shows -----------------------------------------------------------------------


def _money(value: Decimal | None, decimals: int) -> str:
    return "—" if value is None else f"{value:,.{decimals}f}"


def tax_label(code: str, factor: str | None, rate: Decimal | None, withholding: bool) -> str:
    """ "IVA 16 %", "IVA exento", "Retención ISR 10 %": a tax in the user's words."""
    name = TAX_NAMES.get(code, code)
    if factor == "Exento":
        return _("%(tax)s exento", tax=name)
    shown = f"{(rate or Decimal(0)) * 100:.4f}".rstrip("0").rstrip(".") + " %"
    if factor == "Cuota":
        shown = _("cuota %(rate)s", rate=f"{rate:f}")
    if withholding:
        return _("Retención %(tax)s %(rate)s", tax=name, rate=shown)
    return f"{name} {shown}"


def line_figures(line: money.Line, decimals: int) -> dict[str, Any]:
    """One computed line as the page and the script show it."""
    taxes = [
        {
            "label": tax_label(t.code, t.factor, t.rate, t.withholding),
            "amount": _money(t.amount, decimals) if t.amount is not None else "",
            "withholding": t.withholding,
        }
        for t in line.taxes
    ] + [
        {
            "label": f"{t.name} {t.rate * 100:.4f}".rstrip("0").rstrip(".") + " %",
            "amount": _money(t.amount, decimals),
            "withholding": t.withholding,
        }
        for t in line.local_taxes
    ]
    return {
        "unit_value": _money(line.unit_value, decimals),
        "amount": _money(line.amount, decimals),
        "discount": _money(line.discount, decimals) if line.discount else "",
        "taxes": taxes,
        "total": _money(line.total, decimals),
    }


def totals_figures(preview: invoice_preview.Preview, exchange: str) -> dict[str, Any] | None:
    """The document totals (None while a line is unfinished)."""
    totals = preview.totals
    if totals is None:
        return None
    decimals = money.currency_decimals(preview.currency)
    rows = [
        {"label": tax_label(r.code, r.factor, r.rate, False), "amount": _money(r.amount, decimals)}
        for r in totals.transfers
        if r.amount is not None
    ] + [
        {
            "label": _("Retención %(tax)s", tax=TAX_NAMES.get(r.code, r.code)),
            "amount": "-" + _money(r.amount, decimals),
        }
        for r in totals.withholdings
    ]
    if totals.local_transferred or totals.local_withheld:
        local = totals.local_transferred - totals.local_withheld
        rows.append({"label": _("Impuestos locales"), "amount": _money(local, decimals)})
    result = {
        "currency": preview.currency,
        "subtotal": _money(totals.subtotal, decimals),
        "discount": _money(totals.discount, decimals) if totals.discount else "",
        "taxes": rows,
        "total": _money(totals.total, decimals),
        "in_pesos": "",
    }
    try:
        rate = Decimal(forms.plain_number(exchange)) if exchange else None
    except ArithmeticError:
        rate = None
    if preview.currency != "MXN" and rate is not None and rate.is_finite() and rate > 0:
        result["in_pesos"] = _money(totals.total * rate, 2)
    return result


def labelled(problems: list[Problem], lines: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Each problem in the form's words: {label, message, line (index or None)}."""
    rows = []
    for problem in problems:
        label = forms.field_label(problem.path, lines)
        message = forms.readable_message(problem.message, problem.path, label, lines)
        if problem.code == rules.GLOBAL_REQUIRED:
            message = _(
                "Una factura a «PUBLICO EN GENERAL» con el RFC XAXX010101000 es una factura "
                "global: emítela desde Recibos → Factura global. Para facturar a una persona "
                "con el RFC genérico, escribe su nombre en lugar de PUBLICO EN GENERAL."
            )
        line = forms.LINE_PATH.match(problem.path or "")
        rows.append(
            {"label": label, "message": message, "line": int(line.group(1)) if line else None}
        )
    return rows


def _key_suggestions(catalog: str, text: str) -> list[dict[str, Any]]:
    """SAT keys like the words typed, when what was typed is not a key itself."""
    if not text or catalogs.is_valid(catalog, text.upper()):
        return []
    search = catalogs.search_products if catalog == "product_key" else catalogs.search_units
    return search(text, KEY_SUGGESTIONS)


def _review_problems(session: Session, tenant: Tenant, body: dict[str, Any]) -> list[Problem]:
    """What stamping would refuse about the receiver and its use (SAT's rules), found now."""
    organization = tenant.organization
    try:
        _customer_id, data = invoices.resolve(session, tenant, body)
        invoices.parse(data, organization.address.get("zip"), organization.tax_system)
    except PortalError as error:
        return [p for p in error.problems if not (p.path or "").startswith("items")]
    return []


def preview_payload(session: Session, tenant: Tenant, state: FormState) -> dict[str, Any]:
    """The figures and problems of the form as it is now (the script's running totals)."""
    body, form_problems = state.body()
    preview = invoice_preview.preview(session, tenant, body)
    decimals = _decimals(preview.currency)
    filled = state.filled_lines
    lines = [
        {
            "figures": line_figures(view.line, decimals) if view.line else None,
            "problems": [row["message"] for row in labelled(view.problems, filled)],
        }
        for view in preview.lines
    ]
    return {
        "ok": preview.totals is not None and not form_problems,
        "lines": lines,
        "totals": totals_figures(preview, state.fields.get("exchange", "")),
        "problems": labelled(form_problems + preview.problems, filled),
    }


def _decimals(currency: str) -> int:
    try:
        return money.currency_decimals(currency)
    except PortalError:
        return 2


def page_context(
    session: Session,
    tenant: Tenant,
    state: FormState,
    lang: str,
    error: PortalError | None = None,
    review: bool = False,
) -> dict[str, Any]:
    """Everything the form's template shows."""
    payload = preview_payload(session, tenant, state)
    problems = list(error.problems) if error else []
    if review:
        problems += _review_problems(session, tenant, state.body()[0])
    shown = labelled(problems, state.filled_lines) + (
        payload["problems"] if review or error else []
    )
    customers = [
        c
        for c in session.scalars(
            scoped_select(Customer, tenant).order_by(Customer.legal_name).limit(CUSTOMERS_LISTED)
        )
        if c.legal_name
    ]
    chosen = next((c for c in customers if c.id == state.fields.get("customer_id")), None)
    regime = chosen.tax_system if chosen else state.fields.get("tax_system")
    if chosen and not state.fields.get("use") and chosen.default_invoice_use:
        state.fields["use"] = chosen.default_invoice_use
    computed = iter(payload["lines"])
    line_views = []
    for line in state.lines:
        index = len([v for v in line_views if not v["blank"]])
        figures = None if forms.is_blank(line) else next(computed, None)
        own = [p["message"] for p in shown if p["line"] == index and figures is not None]
        line_views.append(
            {
                "fields": line,
                "blank": figures is None,
                "figures": figures["figures"] if figures else None,
                "problems": own or (figures["problems"] if figures and review else []),
                "product_keys": _key_suggestions("product_key", line.get("product_key", "")),
                "unit_keys": _key_suggestions("unit", line.get("unit_key", "")),
            }
        )
    return {
        "fields": state.fields,
        "line_views": line_views,
        "blank_line": dict(forms.BLANK_LINE),
        "related": state.related + [{"relationship": "", "documents": []}],
        "totals": payload["totals"],
        "problems": shown,
        "product_q": state.product_q,
        "product_hits": [product_hit(p) for p in state.product_hits],
        "searched": state.searched and not state.product_hits,
        "customers": customers,
        "chosen": chosen,
        "uses": [
            (code, label, regimes, not regime or regime in regimes.split())
            for code, label, regimes in rules.type_use_options("I", lang)
        ],
        "regimes": catalogs.options("tax_system", lang),
        "payment_forms": catalogs.options("payment_form", lang),
        "relationships": catalogs.options("relationship", lang),
        "currencies": _currencies(state.fields.get("currency") or "MXN"),
        "series_names": _series(session, tenant),
        "ieps_rates": forms.IEPS_RATES,
        "isr_withholdings": forms.ISR_WITHHOLDINGS,
        "iva_withholdings": forms.IVA_WITHHOLDINGS,
    }


def product_hit(product: Product) -> dict[str, Any]:
    """A saved product found: what the results list shows and the line it becomes."""
    line = forms.line_from_product(product)
    basis = _("con impuestos") if product.tax_included else _("más impuestos")
    taxes = ", ".join(
        tax_label(
            {"IVA": "002", "ISR": "001", "IEPS": "003"}.get(t.get("type", "IVA"), "002"),
            t.get("factor", "Tasa"),
            Decimal(str(t.get("rate") or 0)),
            bool(t.get("withholding")),
        )
        for t in product.taxes or []
    ) or _("sin impuestos")
    return {
        "id": product.id,
        "description": product.description,
        "details": " · ".join(
            part
            for part in (
                product.sku or "",
                product.product_key,
                f"${Decimal(product.price):,.2f} {basis}",
                taxes,
            )
            if part
        ),
        "line": line,
    }


def _currencies(current: str) -> list[str]:
    return list(forms.CURRENCY_CHOICES) + (
        [current] if current not in forms.CURRENCY_CHOICES else []
    )


def _series(session: Session, tenant: Tenant) -> list[str]:
    query = select(FolioSeries.name).where(FolioSeries.organization_id == tenant.organization.id)
    return list(session.scalars(query.order_by(FolioSeries.name)))
