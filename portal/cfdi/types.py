"""Input types of the fiscal engine: plain dataclasses shaped like Facturapi's invoice input.

Amounts are ``Decimal``. ``Product.taxes`` keeps Facturapi's meaning: ``None`` (omitted) is
IVA 16 % transferred, an empty list is "no taxes" (exempt / not object of tax).
``InvoiceInput.from_dict`` reads a Facturapi-shaped dict and reports the path of a bad field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, TypeVar

from portal.cfdi.errors import INVALID_INPUT, invalid

if TYPE_CHECKING:
    from portal.cfdi.carta_porte import CartaPorte
    from portal.cfdi.comercio_exterior import ForeignTrade
    from portal.cfdi.payroll import Payroll

# What XML 1.0 cannot carry (control characters, lone surrogates, U+FFFE/U+FFFF): refused as
# input, since a stamped document, and every text that may end up in one, must serialize.
NOT_XML_CHARACTER = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

T = TypeVar("T")

TAX_CODES = {"ISR": "001", "IVA": "002", "IEPS": "003"}
FACTORS = ("Tasa", "Cuota", "Exento")
# Facturapi's periodicity names and SAT's c_Periodicidad codes.
PERIODICITIES = {"day": "01", "week": "02", "fortnight": "03", "month": "04", "two_months": "05"}


@dataclass
class Issuer:
    """The organization issuing the document (taken from its CSD and legal data)."""

    rfc: str
    legal_name: str
    tax_system: str
    zip: str
    street: str | None = None  # Comercio Exterior's Emisor:Domicilio needs it


@dataclass
class Address:
    """Customer or place-of-issue address; only ``zip`` and ``country`` reach the CFDI."""

    zip: str | None = None
    country: str = "MEX"
    street: str | None = None
    exterior: str | None = None
    interior: str | None = None
    neighborhood: str | None = None
    city: str | None = None
    municipality: str | None = None
    state: str | None = None


@dataclass
class Customer:
    """The receiver. A foreign customer (country not MEX) keeps its own tax id in ``tax_id``."""

    legal_name: str
    tax_id: str
    tax_system: str | None = None
    address: Address = field(default_factory=Address)
    email: str | None = None

    @property
    def is_foreign(self) -> bool:
        """True when the customer resides outside Mexico (receiver RFC XEXX010101000)."""
        return (self.address.country or "MEX").upper() != "MEX"


@dataclass
class Tax:
    """One federal tax of a product: IVA/IEPS/ISR, ``rate`` is the rate or the per-unit quota."""

    type: str = "IVA"
    rate: Decimal = Decimal("0.16")
    withholding: bool = False
    factor: str = "Tasa"
    ieps_mode: str | None = None

    @property
    def code(self) -> str:
        """SAT's c_Impuesto code (001 ISR, 002 IVA, 003 IEPS)."""
        return TAX_CODES[self.type]


@dataclass
class LocalTax:
    """A state or municipal tax (complemento ImpuestosLocales)."""

    type: str
    rate: Decimal
    withholding: bool = False


@dataclass
class Product:
    """The product or service of one line."""

    description: str
    product_key: str
    price: Decimal
    tax_included: bool = True
    taxability: str | None = None
    taxes: list[Tax] | None = None
    local_taxes: list[LocalTax] = field(default_factory=list)
    unit_key: str = "H87"
    unit_name: str | None = None  # None: the name SAT's c_ClaveUnidad gives ``unit_key``
    sku: str | None = None


@dataclass
class Part:
    """A component of a line (cfdi:Parte)."""

    description: str
    product_key: str
    quantity: Decimal = Decimal(1)
    sku: str | None = None
    unit_price: Decimal | None = None
    unit_name: str | None = None
    customs_keys: list[str] = field(default_factory=list)


@dataclass
class ThirdParty:
    """The taxpayer on whose behalf the line is billed (cfdi:ACuentaTerceros)."""

    legal_name: str
    tax_id: str
    tax_system: str
    zip: str


@dataclass
class Item:
    """One invoice line. ``discount`` is the line's total discount, on the same basis as price."""

    product: Product
    quantity: Decimal = Decimal(1)
    discount: Decimal = Decimal(0)
    parts: list[Part] = field(default_factory=list)
    customs_keys: list[str] = field(default_factory=list)
    property_tax_account: str | None = None
    third_party: ThirdParty | None = None


@dataclass
class RelatedDocuments:
    """A CfdiRelacionados node: one relationship (c_TipoRelacion) and its UUIDs."""

    relationship: str
    documents: list[str]


@dataclass
class GlobalInfo:
    """InformacionGlobal of a global invoice; periodicity as Facturapi name or SAT code."""

    periodicity: str
    months: str
    year: int

    @property
    def periodicity_code(self) -> str:
        """SAT's c_Periodicidad code."""
        return PERIODICITIES.get(self.periodicity, self.periodicity)


@dataclass
class PaidTax:
    """One tax of a paid invoice, its concepts' bases summed by (impuesto, factor, rate)."""

    code: str
    factor: str
    rate: Decimal | None
    base: Decimal
    withholding: bool = False


@dataclass
class PaidInvoice:
    """What a payment needs from the invoice it pays: its total, currency and own taxes."""

    total: Decimal
    currency: str
    taxability: str
    taxes: list[PaidTax] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (decimals as strings), read back by ``from_dict``."""
        return {
            "total": str(self.total),
            "currency": self.currency,
            "taxability": self.taxability,
            "taxes": [
                {
                    "code": t.code,
                    "factor": t.factor,
                    "rate": None if t.rate is None else str(t.rate),
                    "base": str(t.base),
                    "withholding": t.withholding,
                }
                for t in self.taxes
            ],
        }


@dataclass
class PaymentDocument:
    """A PPD invoice paid (in part) by a payment: Pagos 2.0 DoctoRelacionado.

    ``exchange`` is EquivalenciaDR (units of the document's currency worth one unit of the
    payment's); ``None`` when not given. ``paid_invoice``: the invoice's own taxes, when the
    portal issued it; its ImpuestosDR are then those taxes pro rata (unless ``taxes`` is sent).
    """

    uuid: str
    amount: Decimal
    last_balance: Decimal
    installment: int = 1
    currency: str = "MXN"
    exchange: Decimal | None = None
    taxes: list[Tax] | None = None
    series: str | None = None
    folio_number: str | int | None = None
    paid_invoice: PaidInvoice | None = None


@dataclass
class Payment:
    """One payment received (Pagos 2.0 Pago)."""

    payment_form: str
    related_documents: list[PaymentDocument]
    date: datetime | None = None
    currency: str = "MXN"
    exchange: Decimal = Decimal(1)
    numero_operacion: str | None = None


@dataclass
class Namespace:
    """An extra XML namespace declared for an addenda or custom complement."""

    prefix: str
    uri: str
    schema_location: str | None = None


@dataclass
class InvoiceInput:
    """Everything needed to build a CFDI 4.0 of type I, E or P (Facturapi's invoice body)."""

    customer: Customer
    items: list[Item] = field(default_factory=list)
    payment_form: str | None = None
    payment_method: str = "PUE"
    use: str = "G01"
    type: str = "I"
    currency: str = "MXN"
    exchange: Decimal = Decimal(1)
    conditions: str | None = None
    related_documents: list[RelatedDocuments] = field(default_factory=list)
    export: str = "01"
    date: datetime | None = None
    series: str | None = None
    folio_number: int | str | None = None
    global_info: GlobalInfo | None = None
    address: Address | None = None
    pdf_custom_section: str | None = None
    addenda: str | None = None
    namespaces: list[Namespace] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    foreign_trade: ForeignTrade | None = None
    custom_complements: list[str] = field(default_factory=list)
    payroll: Payroll | None = None
    carta_porte: CartaPorte | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> InvoiceInput:
        """Read a Facturapi-shaped dict; errors name the field path (``items[0].product.price``)."""
        return _invoice(_Reader(data, ""))


@dataclass
class RetentionTaxInput:
    """One withheld tax of a Retenciones 2.0 document (ImpRetenidos)."""

    amount: Decimal
    payment_type: str
    base: Decimal | None = None
    type: str | None = None


@dataclass
class RetentionInput:
    """A Retenciones e información de pagos 2.0 document."""

    customer: Customer
    retention_key: str
    period_start_month: int
    period_end_month: int
    period_year: int
    total_operation: Decimal
    total_taxed: Decimal
    total_exempt: Decimal
    total_withheld: Decimal
    withheld_taxes: list[RetentionTaxInput] = field(default_factory=list)
    description: str | None = None
    internal_folio: str | None = None
    date: datetime | None = None
    related_uuid: str | None = None
    related_relationship: str | None = None
    # XML nodes of SAT retention complements (``portal.cfdi.retention_complements``).
    complements: list[str] = field(default_factory=list)
    namespaces: list[Namespace] = field(default_factory=list)
    addenda: str | None = None


# ---------------------------------------------------------------- dict reading (from_dict)


class _Reader:
    """A mapping plus its path, so every conversion error can say where it happened."""

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, Mapping):
            raise invalid(f"Se esperaba un objeto en «{path or 'cuerpo'}».", INVALID_INPUT, path)
        self.data = data
        self.path = path

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def raw(self, key: str, default: Any = None) -> Any:
        value = self.data.get(key)
        return default if value is None else value

    def required(self, key: str) -> Any:
        if self.data.get(key) is None:
            raise invalid(f"El campo «{self.at(key)}» es obligatorio.", INVALID_INPUT, self.at(key))
        return self.data[key]

    def text(self, key: str, default: str | None = None, required: bool = False) -> str | None:
        value = self.required(key) if required else self.data.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise invalid(f"El campo «{self.at(key)}» debe ser texto.", INVALID_INPUT, self.at(key))
        if NOT_XML_CHARACTER.search(str(value)):
            message = f"El campo «{self.at(key)}» contiene caracteres de control no permitidos."
            raise invalid(message, INVALID_INPUT, self.at(key))
        return str(value)

    def decimal(self, key: str, default: Decimal | None = None, required: bool = False) -> Any:
        value = self.required(key) if required else self.data.get(key)
        return default if value is None else to_decimal(value, self.at(key))

    def boolean(self, key: str, default: bool) -> bool:
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise invalid(
                f"El campo «{self.at(key)}» debe ser booleano.", INVALID_INPUT, self.at(key)
            )
        return value

    def child(self, key: str) -> _Reader | None:
        value = self.data.get(key)
        return None if value is None else _Reader(value, self.at(key))

    def items(self, key: str, read: Callable[[_Reader], T]) -> list[T]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise invalid(
                f"El campo «{self.at(key)}» debe ser una lista.", INVALID_INPUT, self.at(key)
            )
        return [read(_Reader(v, f"{self.at(key)}[{i}]")) for i, v in enumerate(value)]

    def complement(
        self, kind: str, read: Callable[[_Reader], T], duplicate: str, code: str
    ) -> T | None:
        """The one ``complements`` entry of type ``kind`` read with ``read``; ``duplicate`` (with
        ``code``) refuses a second one, and an entry without ``data`` is refused."""
        found = None
        for c in self.items("complements", lambda complement: complement):
            if c.text("type") != kind:
                continue
            if found is not None:
                raise invalid(duplicate, code, c.path)
            data = c.child("data")
            if data is None:
                message = f"El campo «{c.at('data')}» es obligatorio."
                raise invalid(message, INVALID_INPUT, c.at("data"))
            found = read(data)
        return found

    def strings(self, key: str) -> list[str]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
            message = f"El campo «{self.at(key)}» debe ser una lista de textos."
            raise invalid(message, INVALID_INPUT, self.at(key))
        return [str(v) for v in value]


def to_decimal(value: Any, path: str | None = None) -> Decimal:
    """Exact Decimal from int/str/Decimal; a float goes through ``str`` so 0.1 stays 0.1."""
    if isinstance(value, bool):
        raise invalid(f"El campo «{path}» debe ser un número.", INVALID_INPUT, path)
    try:
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise invalid(f"El campo «{path}» debe ser un número.", INVALID_INPUT, path) from None
    if not number.is_finite():
        raise invalid(f"El campo «{path}» debe ser un número finito.", INVALID_INPUT, path)
    if not in_amount_range(number):
        raise invalid(f"El campo «{path}» está fuera de rango.", INVALID_INPUT, path)
    return number


# What an amount column holds (NUMERIC(18, 6)): below a trillion, and nothing finer than
# 1E-12 that could not round to its six places without surprise.
AMOUNT_LIMIT, AMOUNT_FINEST = Decimal(10) ** 12, -12


def in_amount_range(number: Decimal) -> bool:
    """Whether a number is one an amount, quantity, rate or exchange can hold."""
    return abs(number) < AMOUNT_LIMIT and (number == 0 or number.adjusted() >= AMOUNT_FINEST)


def to_datetime(value: Any, path: str) -> datetime:
    """A datetime from an ISO 8601 string (``Z`` accepted) or a date/datetime."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, 12)
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        message = f"El campo «{path}» debe ser una fecha ISO 8601."
        raise invalid(message, INVALID_INPUT, path) from None


def _address(r: _Reader) -> Address:
    return Address(
        zip=r.text("zip"),
        country=(r.text("country") or "MEX").upper(),
        street=r.text("street"),
        exterior=r.text("exterior"),
        interior=r.text("interior"),
        neighborhood=r.text("neighborhood"),
        city=r.text("city"),
        municipality=r.text("municipality"),
        state=r.text("state"),
    )


def _customer(r: _Reader) -> Customer:
    address = r.child("address")
    return Customer(
        legal_name=r.text("legal_name", required=True) or "",
        tax_id=(r.text("tax_id", required=True) or "").upper(),
        tax_system=r.text("tax_system"),
        address=_address(address) if address else Address(),
        email=r.text("email"),
    )


def _tax(r: _Reader) -> Tax:
    tax_type = (r.text("type") or "IVA").upper()
    if tax_type not in TAX_CODES:
        message = f"El impuesto «{tax_type}» no es válido; usa IVA, IEPS o ISR."
        raise invalid(message, INVALID_INPUT, r.at("type"))
    factor = r.text("factor") or "Tasa"
    if factor not in FACTORS:
        raise invalid("El factor debe ser Tasa, Cuota o Exento.", INVALID_INPUT, r.at("factor"))
    rate = r.decimal("rate", Decimal("0.16") if tax_type == "IVA" else None)
    if rate is None and factor != "Exento":
        rate = r.decimal("rate", required=True)
    return Tax(
        tax_type, rate or Decimal(0), r.boolean("withholding", False), factor, r.text("ieps_mode")
    )


def _local_tax(r: _Reader) -> LocalTax:
    return LocalTax(
        r.text("type", required=True) or "",
        r.decimal("rate", required=True),
        r.boolean("withholding", False),
    )


def _product(r: _Reader) -> Product:
    taxes = None if r.data.get("taxes") is None else r.items("taxes", _tax)
    return Product(
        description=r.text("description", required=True) or "",
        product_key=r.text("product_key", required=True) or "",
        price=r.decimal("price", required=True),
        tax_included=r.boolean("tax_included", True),
        taxability=r.text("taxability"),
        taxes=taxes,
        local_taxes=r.items("local_taxes", _local_tax),
        unit_key=r.text("unit_key") or "H87",
        unit_name=r.text("unit_name"),
        sku=r.text("sku"),
    )


def _part(r: _Reader) -> Part:
    return Part(
        description=r.text("description", required=True) or "",
        product_key=r.text("product_key", required=True) or "",
        quantity=r.decimal("quantity", Decimal(1)),
        sku=r.text("sku"),
        unit_price=r.decimal("unit_price"),
        unit_name=r.text("unit_name"),
        customs_keys=r.strings("customs_keys"),
    )


def _third_party(r: _Reader) -> ThirdParty:
    return ThirdParty(
        legal_name=r.text("legal_name", required=True) or "",
        tax_id=(r.text("tax_id", required=True) or "").upper(),
        tax_system=r.text("tax_system", required=True) or "",
        zip=r.text("zip", required=True) or "",
    )


def _item(r: _Reader) -> Item:
    product = r.child("product")
    if product is None:
        raise invalid(
            f"El campo «{r.at('product')}» es obligatorio.", INVALID_INPUT, r.at("product")
        )
    parts = r.raw("parts")
    third = r.child("third_party")
    return Item(
        product=_product(product),
        quantity=r.decimal("quantity", Decimal(1)),
        discount=r.decimal("discount", Decimal(0)),
        # The reference shows ``parts`` both as one object and as a list; accept both.
        parts=[_part(_Reader(parts, r.at("parts")))]
        if isinstance(parts, Mapping)
        else r.items("parts", _part),
        customs_keys=r.strings("customs_keys"),
        property_tax_account=r.text("property_tax_account"),
        third_party=_third_party(third) if third else None,
    )


def _related(r: _Reader) -> RelatedDocuments:
    return RelatedDocuments(r.text("relationship", required=True) or "", r.strings("documents"))


def _global(r: _Reader) -> GlobalInfo:
    year = r.required("year")
    if not isinstance(year, int | str) or not str(year).isdigit():
        raise invalid("El año debe ser un número entero.", INVALID_INPUT, r.at("year"))
    return GlobalInfo(
        r.text("periodicity", required=True) or "", r.text("months", required=True) or "", int(year)
    )


def _paid_tax(r: _Reader) -> PaidTax:
    return PaidTax(
        code=r.text("code", required=True) or "",
        factor=r.text("factor", required=True) or "",
        rate=r.decimal("rate"),
        base=r.decimal("base", required=True),
        withholding=r.boolean("withholding", False),
    )


def _paid_invoice(r: _Reader) -> PaidInvoice:
    return PaidInvoice(
        total=r.decimal("total", required=True),
        currency=r.text("currency", required=True) or "",
        taxability=r.text("taxability", required=True) or "",
        taxes=r.items("taxes", _paid_tax),
    )


def _payment_document(r: _Reader) -> PaymentDocument:
    taxes = None if r.data.get("taxes") is None else r.items("taxes", _tax)
    paid = r.child("paid_invoice")
    return PaymentDocument(
        uuid=(r.text("uuid", required=True) or "").upper(),
        amount=r.decimal("amount", required=True),
        last_balance=r.decimal("last_balance", required=True),
        installment=int(r.decimal("installment", Decimal(1))),
        currency=(r.text("currency") or "MXN").upper(),
        exchange=r.decimal("exchange"),
        taxes=taxes,
        series=r.text("series"),
        folio_number=r.text("folio_number"),
        paid_invoice=_paid_invoice(paid) if paid else None,
    )


def _payment(r: _Reader) -> Payment:
    return Payment(
        payment_form=r.text("payment_form", required=True) or "",
        related_documents=r.items("related_documents", _payment_document),
        date=to_datetime(r.raw("date"), r.at("date")) if r.has("date") else None,
        currency=(r.text("currency") or "MXN").upper(),
        exchange=r.decimal("exchange", Decimal(1)),
        numero_operacion=r.text("numero_operacion"),
    )


def _namespace(r: _Reader) -> Namespace:
    return Namespace(
        r.text("prefix", required=True) or "",
        r.text("uri", required=True) or "",
        r.text("schema_location"),
    )


def _payments_of(r: _Reader) -> list[Payment]:
    # Facturapi sends payments as complements: [{"type": "pago", "data": [...]}].
    payments: list[Payment] = []
    complements = r.raw("complements", [])
    if not isinstance(complements, list):
        message = f"El campo «{r.at('complements')}» debe ser una lista."
        raise invalid(message, INVALID_INPUT, r.at("complements"))
    for index, complement in enumerate(complements):
        c = _Reader(complement, f"{r.at('complements')}[{index}]")
        if c.text("type") == "pago":
            payments.extend(c.items("data", _payment))
    return payments + r.items("payments", _payment)


COMPLEMENT_TYPES = ("pago", "custom", "comercio_exterior", "nomina", "carta_porte")


def _custom_complements(r: _Reader) -> list[str]:
    """The XML of ``complements: [{type: "custom", data: "<xml…>"}]``; any other type that the
    engine does not build is refused, never echoed while missing from the stamped XML."""
    value = r.raw("complements", [])
    if not isinstance(value, list):
        raise invalid("El campo «complements» debe ser una lista.", INVALID_INPUT, "complements")
    found = []
    for index, complement in enumerate(value):
        c = _Reader(complement, f"{r.at('complements')}[{index}]")
        kind = c.text("type", required=True)
        if kind not in COMPLEMENT_TYPES:
            message = (
                f"El tipo de complemento «{kind}» no está soportado; usa pago, "
                "comercio_exterior, nomina, carta_porte o custom."
            )
            raise invalid(message, INVALID_INPUT, c.at("type"))
        if kind == "custom":
            data = c.raw("data")
            if not isinstance(data, str) or not data.strip():
                message = "El complemento custom debe llevar en «data» el XML del nodo."
                raise invalid(message, INVALID_INPUT, c.at("data"))
            found.append(c.text("data") or "")
    return found


def _invoice(r: _Reader) -> InvoiceInput:
    customer = r.child("customer")
    if customer is None:
        raise invalid("El campo «customer» es obligatorio.", INVALID_INPUT, "customer")
    global_info, address = r.child("global"), r.child("address")
    return InvoiceInput(
        customer=_customer(customer),
        items=r.items("items", _item),
        payment_form=r.text("payment_form"),
        payment_method=r.text("payment_method") or "PUE",
        use=r.text("use") or DEFAULT_USES.get(r.text("type") or "I", "G01"),
        type=r.text("type") or "I",
        currency=(r.text("currency") or "MXN").upper(),
        exchange=r.decimal("exchange", Decimal(1)),
        conditions=r.text("conditions"),
        related_documents=r.items("related_documents", _related),
        export=r.text("export") or "01",
        date=_date_or_now(r),
        series=r.text("series"),
        folio_number=r.text("folio_number"),
        global_info=_global(global_info) if global_info else None,
        address=_address(address) if address else None,
        pdf_custom_section=r.text("pdf_custom_section"),
        addenda=r.text("addenda"),
        namespaces=r.items("namespaces", _namespace),
        payments=_payments_of(r),
        foreign_trade=_foreign_trade_of(r),
        custom_complements=_custom_complements(r),
        payroll=_payroll_of(r),
        carta_porte=_carta_porte_of(r),
    )


# A payroll's use is always CN01 and a transfer's S01 (SAT); other types default to G01.
DEFAULT_USES = {"N": "CN01", "T": "S01"}


def _payroll_of(r: _Reader) -> Payroll | None:
    # complements: [{"type": "nomina", "data": {...}}] (Nómina 1.2).
    from portal.cfdi.payroll import from_complements

    return from_complements(r)


def _carta_porte_of(r: _Reader) -> CartaPorte | None:
    # complements: [{"type": "carta_porte", "data": {...}}] (Carta Porte 3.1).
    from portal.cfdi.carta_porte import from_complements

    return from_complements(r)


def _foreign_trade_of(r: _Reader) -> ForeignTrade | None:
    # complements: [{"type": "comercio_exterior", "data": {...}}] (Comercio Exterior 2.0).
    from portal.cfdi.comercio_exterior import from_complements

    return from_complements(r)


def _date_or_now(r: _Reader) -> datetime | None:
    value = r.raw("date")
    if value is None or value == "now":
        return None
    return to_datetime(value, r.at("date"))
