"""Forms of an invoice's page: register a payment, issue a credit note, cancel with SAT.

The forms read and render the fields; the services check every fiscal rule and their errors are
shown beside the fields they name (``portal.forms.attach_errors``).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import DateField, DecimalField, SelectField, StringField
from wtforms.validators import InputRequired, NumberRange, Optional

from portal.cfdi import catalogs
from portal.errors import Problem
from portal.forms import max_length, strip

CURRENCIES = ("MXN", "USD", "EUR")
CREDIT_NOTE_KEY = "84111506"  # c_ClaveProdServ "Servicios de facturación", usual for discounts
AMOUNT = [
    InputRequired(_l("Escribe el importe.")),
    NumberRange(min=0.01, max=10**12, message=_l("El importe debe ser mayor que cero.")),
]


def _payment_forms(lang: str) -> list[tuple[str, str]]:
    # 99 "Por definir" is never the form of a payment actually received.
    options = catalogs.options("payment_form", lang)
    return [(code, f"{code} · {label}") for code, label in options if code != "99"]


class PaymentForm(FlaskForm):
    """A payment received against a PPD invoice (a CFDI of type P with Pagos 2.0)."""

    date = DateField(_l("Fecha del pago"), [InputRequired(_l("Indica la fecha del pago."))])
    payment_form = SelectField(_l("Forma de pago"), choices=[], default="03")
    amount = DecimalField(_l("Importe pagado"), AMOUNT, places=2)
    currency = SelectField(_l("Moneda del pago"), choices=[(c, c) for c in CURRENCIES])
    exchange = DecimalField(
        _l("Tipo de cambio (pesos por unidad)"),
        [Optional(), NumberRange(min=0.000001, message=_l("Debe ser mayor que cero."))],
        places=6,
    )

    def __init__(self, *args: object, lang: str = "es", **kwargs: object) -> None:
        super().__init__(*args, prefix="payment", **kwargs)
        self.payment_form.choices = _payment_forms(lang)


class CreditNoteForm(FlaskForm):
    """A credit note (CFDI of type E) related to the invoice with TipoRelacion 01."""

    description = StringField(
        _l("Concepto"),
        [InputRequired(_l("Describe el descuento o la devolución.")), max_length(1000)],
        filters=[strip],
    )
    amount = DecimalField(_l("Importe con impuestos"), AMOUNT, places=2)
    iva = SelectField(
        _l("IVA"),
        choices=[
            ("16", _l("IVA 16 %")),
            ("8", _l("IVA 8 % (frontera)")),
            ("0", _l("IVA 0 %")),
            ("exento", _l("IVA exento")),
            ("none", _l("Sin IVA")),
        ],
        default="16",
    )
    payment_form = SelectField(_l("Forma de pago"), choices=[], default="15")
    product_key = StringField(
        _l("Clave de producto o servicio"), [max_length(8)], filters=[strip],
        default=CREDIT_NOTE_KEY,
    )  # fmt: skip

    def __init__(self, *args: object, lang: str = "es", **kwargs: object) -> None:
        super().__init__(*args, prefix="credit", **kwargs)
        self.payment_form.choices = _payment_forms(lang)


def credit_note_taxes(iva: str) -> list[dict[str, Any]]:
    """The credit note's taxes for the IVA chosen (the invoice's, by default)."""
    return _taxes({**{key: "" for key in LINE_FIELDS}, "iva": iva}, "items[0]", [])


def invoice_iva(data: dict[str, Any]) -> str:
    """The IVA of an invoice's first line, as the credit note's default."""
    items = data.get("items") if isinstance(data.get("items"), list) else []
    first = items[0] if items and isinstance(items[0], dict) else {}
    return line_from_item(first)["iva"] if first else "16"


class CancelForm(FlaskForm):
    """Cancel with SAT: a motive, and the substitute when the motive is 01."""

    motive = SelectField(_l("Motivo"), choices=[], default="02")
    substitution = StringField(
        _l("Factura que la sustituye (motivo 01)"), [max_length(36)], filters=[strip]
    )

    def __init__(self, *args: object, lang: str = "es", **kwargs: object) -> None:
        super().__init__(*args, prefix="cancel", **kwargs)
        self.motive.choices = [
            (code, f"{code} · {label}")
            for code, label in catalogs.options("cancellation_motive", lang)
        ]


# The invoice form <-> a Facturapi body ------------------------------------------------------
#
# The form posts flat fields (``items-<i>-<field>``, ``related-<k>-<field>``); the body it
# becomes is the API's, checked and computed by the same services. Rates are typed as percents.

LINE_FIELDS = (
    "product_id",
    "description",
    "product_key",
    "unit_key",
    "sku",
    "quantity",
    "price",
    "tax_included",
    "discount",
    "iva",
    "ieps",
    "isr_ret",
    "iva_ret",
    "local_name",
    "local_rate",
    "local_withholding",
)
IVA_CHOICES = ("16", "8", "0", "exento", "none")
# Which form field each of a line's taxes came from, in the order ``_taxes`` writes them.
TAX_FIELDS = ("iva", "ieps", "isr_ret", "iva_ret")
IEPS_RATES = ("26.5", "30", "53", "50", "160", "30.4", "25", "9", "8", "7", "6", "3", "0")
ISR_WITHHOLDINGS = ("10", "1.25")
IVA_WITHHOLDINGS = ("10.6667", "4", "6", "16")
CURRENCY_CHOICES = ("MXN", "USD", "EUR", "CAD", "GBP", "JPY")
BLANK_LINE = {"quantity": "1", "unit_key": "H87", "tax_included": "1", "iva": "16"}
MAX_FORM_LINES = 200
MAX_RELATED_GROUPS = 10


def _indexes(form: MultiDict, prefix: str, limit: int) -> list[int]:
    pattern = re.compile(rf"^{prefix}-(\d{{1,4}})-")
    found = {int(m.group(1)) for key in form if (m := pattern.match(key))}
    return sorted(found)[:limit]


def indexed_lines(form: MultiDict) -> list[tuple[int, dict[str, str]]]:
    """The form's lines that have something in them, with the index each was posted at."""
    lines = [
        (i, {f: form.get(f"items-{i}-{f}", "").strip() for f in LINE_FIELDS})
        for i in _indexes(form, "items", MAX_FORM_LINES)
    ]
    return [(i, line) for i, line in lines if not is_blank(line)]


def is_blank(line: dict[str, str]) -> bool:
    """A line with no description, price nor product is a blank one (left out)."""
    return not any(line.get(f) for f in ("description", "price", "product_id"))


def form_lines(form: MultiDict) -> list[dict[str, str]]:
    """The form's lines, in order, skipping the empty ones."""
    return [line for _index, line in indexed_lines(form)]


def plain_number(text: str) -> str:
    """A number as typed, without the thousands separators and currency sign people write."""
    return text.replace(",", "").replace("$", "").replace(" ", "")


def _percent(text: str, path: str, problems: list[Problem]) -> str | None:
    """A rate typed as a percent ("10.6667") as the API's fraction ("0.106667")."""
    if not text:
        return None
    try:
        value = Decimal(plain_number(text).rstrip("%"))
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or not 0 <= value <= 1000:
        problems.append(Problem(_("Escribe un porcentaje, p. ej. 10."), "invalid_input", path))
        return None
    return f"{(value / 100).quantize(Decimal('0.000001')).normalize():f}"


def _taxes(line: dict[str, str], path: str, problems: list[Problem]) -> list[dict[str, Any]]:
    taxes: list[dict[str, Any]] = []
    iva = line["iva"] if line["iva"] in IVA_CHOICES else "16"
    if iva == "exento":
        taxes.append({"type": "IVA", "factor": "Exento"})
    elif iva != "none":
        taxes.append({"type": "IVA", "rate": _percent(iva, path, problems)})
    for key, tax_type, withholding in (
        ("ieps", "IEPS", False),
        ("isr_ret", "ISR", True),
        ("iva_ret", "IVA", True),
    ):
        rate = _percent(line[key], f"{path}.{key}", problems)
        if rate is not None:
            taxes.append({"type": tax_type, "rate": rate, "withholding": withholding})
    return taxes


def _local_taxes(line: dict[str, str], path: str, problems: list[Problem]) -> list[dict]:
    rate = _percent(line["local_rate"], f"{path}.local_rate", problems)
    if not line["local_name"] and rate is None:
        return []
    if not line["local_name"]:
        problems.append(
            Problem(_("Escribe el nombre del impuesto local."), "required", f"{path}.local_name")
        )
    return [
        {
            "type": line["local_name"],
            "rate": rate if rate is not None else "0",
            "withholding": line["local_withholding"] == "1",
        }
    ]


def line_item(line: dict[str, str], index: int, problems: list[Problem]) -> dict[str, Any]:
    """One line of the form as an API item (``items[index]``)."""
    path = f"items[{index}]"
    product: dict[str, Any] = {
        "description": line["description"],
        "product_key": line["product_key"],
        "unit_key": (line["unit_key"] or "H87").upper(),
        "price": plain_number(line["price"]),
        "tax_included": line["tax_included"] != "0",
        "taxes": _taxes(line, path, problems),
        "local_taxes": _local_taxes(line, path, problems),
    }
    if line["sku"]:
        product["sku"] = line["sku"]
    item: dict[str, Any] = {"quantity": plain_number(line["quantity"]) or "1", "product": product}
    if plain_number(line["discount"]) not in ("", "0"):
        item["discount"] = plain_number(line["discount"])
    return item


def _customer(fields: dict[str, str]) -> Any:
    if fields.get("customer_id"):
        return fields["customer_id"]
    return {
        "legal_name": fields.get("legal_name", ""),
        "tax_id": fields.get("tax_id", "").upper(),
        "tax_system": fields.get("tax_system") or None,
        "email": fields.get("email") or None,
        "address": {"zip": fields.get("zip", "")},
    }


def related_groups(form: MultiDict) -> list[dict[str, Any]]:
    """The related documents typed: one relationship and its UUIDs per group."""
    groups = []
    for k in _indexes(form, "related", MAX_RELATED_GROUPS):
        uuids = re.split(r"[\s,;]+", form.get(f"related-{k}-documents", "").strip())
        documents = [u for u in uuids if u]
        if documents:
            relationship = form.get(f"related-{k}-relationship") or "04"
            groups.append({"relationship": relationship, "documents": documents})
    return groups


DOCUMENT_FIELDS = (
    "customer_id",
    "tax_id",
    "legal_name",
    "tax_system",
    "zip",
    "email",
    "use",
    "payment_form",
    "payment_method",
    "currency",
    "exchange",
    "series",
)


def document_fields(form: MultiDict) -> dict[str, str]:
    """The form's fields about the whole invoice (customer, use, payment, currency, series)."""
    return {key: form.get(key, "").strip() for key in DOCUMENT_FIELDS}


def build_body(
    fields: dict[str, str], lines: list[dict[str, str]], related: list[dict[str, Any]]
) -> tuple[dict[str, Any], list[Problem]]:
    """A Facturapi invoice body from the form's parts, and the problems of the form's own
    fields (percents); the services check everything else."""
    problems: list[Problem] = []
    items = [line_item(line, i, problems) for i, line in enumerate(lines)]
    currency = (fields.get("currency") or "MXN").upper()
    body: dict[str, Any] = {
        "customer": _customer(fields),
        "items": items,
        "use": fields.get("use") or "G03",
        "payment_form": fields.get("payment_form") or None,
        "payment_method": fields.get("payment_method") or "PUE",
        "currency": currency,
        "related_documents": related,
    }
    if currency != "MXN":
        body["exchange"] = plain_number(fields.get("exchange") or "") or None
    if fields.get("series"):
        body["series"] = fields["series"]
    return {key: value for key, value in body.items() if value is not None}, problems


def body_from_form(form: MultiDict) -> tuple[dict[str, Any], list[Problem]]:
    """``build_body`` of a posted form."""
    return build_body(document_fields(form), form_lines(form), related_groups(form))


def items_from_form(form: MultiDict) -> list[dict[str, Any]]:
    """The posted lines as API items (the receipt form shares the invoice form's lines)."""
    return build_body({}, form_lines(form), [])[0]["items"]


# A stored line (a draft's item, or a saved product) as the form shows it ---------------------


def _percent_text(rate: Any) -> str:
    try:
        value = Decimal(str(rate)) * 100
    except InvalidOperation:
        return str(rate)
    return f"{value.normalize():f}"


def tax_fields(taxes: list[dict[str, Any]] | None, local: list[dict[str, Any]] | None) -> dict:
    """The form's tax fields for a product's ``taxes`` (None: Facturapi's IVA 16 %)."""
    fields = {key: "" for key in ("ieps", "isr_ret", "iva_ret", "local_name", "local_rate")}
    fields["iva"] = "16" if taxes is None else "none"
    fields["local_withholding"] = "0"
    for tax in taxes or []:
        kind, withholding = str(tax.get("type", "IVA")).upper(), bool(tax.get("withholding"))
        if kind == "IVA" and not withholding:
            exempt = tax.get("factor") == "Exento"
            fields["iva"] = "exento" if exempt else _percent_text(tax.get("rate", "0.16"))
        elif kind in ("IVA", "ISR", "IEPS"):
            key = {"IVA": "iva_ret", "ISR": "isr_ret", "IEPS": "ieps"}[kind]
            fields[key] = _percent_text(tax.get("rate", 0))
    for tax in (local or [])[:1]:
        fields["local_name"] = str(tax.get("type") or "")
        fields["local_rate"] = _percent_text(tax.get("rate", 0))
        fields["local_withholding"] = "1" if tax.get("withholding") else "0"
    return fields


def line_from_item(item: dict[str, Any]) -> dict[str, str]:
    """A stored invoice item (a draft's) as the form's line."""
    product = item.get("product") if isinstance(item.get("product"), dict) else {}
    line = {key: str(product.get(key) or "") for key in ("description", "product_key", "sku")}
    line["product_id"] = str(product.get("id") or "")
    line["unit_key"] = str(product.get("unit_key") or "H87")
    line["price"] = str(product.get("price") if product.get("price") is not None else "")
    line["tax_included"] = "0" if product.get("tax_included") is False else "1"
    line["quantity"] = str(item.get("quantity") or "1")
    line["discount"] = str(item.get("discount") or "")
    return {**line, **tax_fields(product.get("taxes"), product.get("local_taxes"))}


def line_from_product(product: Any) -> dict[str, str]:
    """A saved product as a new line of the form, its taxes and price basis included."""
    return {
        "product_id": product.id,
        "description": product.description,
        "product_key": product.product_key,
        "unit_key": product.unit_key or "H87",
        "sku": product.sku or "",
        "quantity": "1",
        "price": f"{Decimal(product.price).normalize():f}",
        "tax_included": "1" if product.tax_included else "0",
        "discount": "",
        **tax_fields(product.taxes, product.local_taxes),
    }


# Spanish names for the paths a problem can name ---------------------------------------------

LINE_LABELS = {
    "description": _l("Descripción"),
    "product_key": _l("Clave de producto SAT"),
    "unit_key": _l("Unidad SAT"),
    "quantity": _l("Cantidad"),
    "price": _l("Precio unitario"),
    "discount": _l("Descuento"),
    "tax_included": _l("Precio con o sin impuestos"),
    "iva": _l("IVA"),
    "ieps": _l("IEPS"),
    "isr_ret": _l("Retención de ISR"),
    "iva_ret": _l("Retención de IVA"),
    "local_name": _l("Impuesto local"),
    "local_rate": _l("Tasa del impuesto local"),
    "taxes": _l("Impuestos"),
    "local_taxes": _l("Impuesto local"),
    "taxability": _l("Objeto de impuesto"),
    "sku": _l("SKU"),
    "product": _l("Producto"),
}
DOCUMENT_LABELS = {
    "customer": _l("Cliente"),
    "customer.id": _l("Cliente guardado"),
    "customer.tax_id": _l("RFC"),
    "customer.legal_name": _l("Nombre o razón social"),
    "customer.tax_system": _l("Régimen fiscal"),
    "customer.address.zip": _l("Código postal fiscal"),
    "customer.address": _l("Código postal fiscal"),
    "customer.email": _l("Correo"),
    "use": _l("Uso del CFDI"),
    "payment_form": _l("Forma de pago"),
    "payment_method": _l("Método de pago"),
    "currency": _l("Moneda"),
    "exchange": _l("Tipo de cambio"),
    "series": _l("Serie"),
    "related_documents": _l("Documentos relacionados"),
    "items": _l("Conceptos"),
    "type": _l("Tipo de comprobante"),
    "date": _l("Fecha"),
}
LINE_PATH = re.compile(r"^items\[(\d+)\](?:\.product)?(?:\.([a-z_]+))?(?:\[(\d+)\])?")


def _line_field(rest: str | None, tax_index: str | None, taxes: list[str]) -> str | None:
    """Which form field a line's sub-path names (``taxes[1]`` is the line's second tax)."""
    if rest == "taxes" and tax_index is not None and int(tax_index) < len(taxes):
        return taxes[int(tax_index)]
    return rest


def line_tax_fields(line: dict[str, str]) -> list[str]:
    """The form fields of a line's taxes, in the order ``_taxes`` writes them."""
    fields = ["iva"] if line.get("iva", "16") != "none" else []
    return fields + [key for key in TAX_FIELDS[1:] if line.get(key)]


def field_label(path: str | None, lines: list[dict[str, str]]) -> str | None:
    """The form's words for an API path: "Concepto 2 · Precio unitario", "Uso del CFDI"."""
    if not path:
        return None
    match = LINE_PATH.match(path)
    if match is None:
        label = DOCUMENT_LABELS.get(path) or DOCUMENT_LABELS.get(path.split("[")[0].split(".")[0])
        return str(label) if label else None
    index = int(match.group(1))
    taxes = line_tax_fields(lines[index]) if index < len(lines) else []
    name = LINE_LABELS.get(_line_field(match.group(2), match.group(3), taxes) or "")
    line = _("Concepto %(n)s", n=index + 1)
    return f"{line} · {name}" if name else line


_QUOTED_PATH = re.compile(r"«([a-z_]+(?:\[\d+\])?(?:\.[a-z_]+(?:\[\d+\])?)*)»")


def readable_message(
    message: str, path: str | None, label: str | None, lines: list[dict[str, str]] | None = None
) -> str:
    """The message with the API's paths (``«items[0].product.price»``, ``«use»``) replaced by
    the form's labels, so that no raw field name reaches the user."""
    if path and label:
        message = message.replace(f"«{path}»", f"«{label}»")
    return _QUOTED_PATH.sub(
        lambda m: f"«{field_label(m.group(1), lines or []) or m.group(1)}»", message
    )


def readable_problems(problems: list[Problem], lines: list[dict[str, str]]) -> list[Problem]:
    """The problems with their messages in the form's words (paths kept for the fields)."""
    return [
        Problem(
            readable_message(p.message, p.path, field_label(p.path, lines), lines),
            p.code,
            p.path,
            p.source,
        )
        for p in problems
    ]
