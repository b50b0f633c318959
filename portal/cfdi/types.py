"""Input types of the fiscal engine: dataclasses shaped like Facturapi's invoice input.

Amounts are ``Decimal``. ``Product.taxes`` keeps Facturapi's meaning: ``None`` (omitted) is
IVA 16 % transferred, an empty list is "no taxes" (exempt / not object of tax).

Each dataclass is also the one definition of its part of the API's invoice body: its fields
carry the reading rules of ``portal.cfdi.reading``, pydantic validates a Facturapi-shaped dict
into them (``InvoiceInput.from_dict``, which names the path of the first bad field), and the
API's JSON Schema is generated from them (``portal.schemas.invoices``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)

from portal.cfdi.errors import INVALID_INPUT, invalid
from portal.cfdi.reading import (
    THREE_LETTERS,
    Amount,
    Codes,
    Filled,
    Flag,
    Listed,
    Moment,
    OneOrMany,
    OrId,
    Reader,
    Required,
    Strings,
    Text,
    moment,
    number,
    read,
    refusal,
    refused_at,
    required,
    text,
)

if TYPE_CHECKING:
    from portal.cfdi.carta_porte import CartaPorte
    from portal.cfdi.comercio_exterior import ForeignTrade
    from portal.cfdi.payroll import Payroll

TAX_CODES = {"ISR": "001", "IVA": "002", "IEPS": "003"}
FACTORS = ("Tasa", "Cuota", "Exento")
# Facturapi's periodicity names and SAT's c_Periodicidad codes.
PERIODICITIES = {"day": "01", "week": "02", "fortnight": "03", "month": "04", "two_months": "05"}
IVA_RATE = Decimal("0.16")


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

    zip: Text() = None
    country: Text("MEX", upper=True) = "MEX"
    street: Text() = None
    exterior: Text() = None
    interior: Text() = None
    neighborhood: Text() = None
    city: Text() = None
    municipality: Text() = None
    state: Text() = None


@dataclass
class Customer:
    """The receiver. A foreign customer (country not MEX) keeps its own tax id in ``tax_id``."""

    legal_name: Text(required=True)
    tax_id: Text(required=True, upper=True)
    tax_system: Text() = None
    address: Annotated[Address, BeforeValidator(lambda v: {} if v is None else v)] = field(
        default_factory=Address
    )
    email: Text() = None

    @property
    def is_foreign(self) -> bool:
        """True when the customer resides outside Mexico (receiver RFC XEXX010101000)."""
        return (self.address.country or "MEX").upper() != "MEX"


def _tax_type(value: Any) -> str:
    kind = (text(value) or "IVA").upper()
    if kind not in TAX_CODES:
        raise refusal(INVALID_INPUT, f"El impuesto «{kind}» no es válido; usa IVA, IEPS o ISR.")
    return kind


def _factor(value: Any) -> str:
    factor = text(value) or "Tasa"
    if factor not in FACTORS:
        raise refusal(INVALID_INPUT, "El factor debe ser Tasa, Cuota o Exento.")
    return factor


@dataclass
class Tax:
    """One federal tax of a product: IVA/IEPS/ISR, ``rate`` is the rate or the per-unit quota."""

    type: Annotated[str, BeforeValidator(_tax_type)] = "IVA"
    rate: Amount(IVA_RATE) = IVA_RATE
    withholding: Flag(False) = False
    factor: Annotated[str, BeforeValidator(_factor)] = "Tasa"
    ieps_mode: Text() = None

    @property
    def code(self) -> str:
        """SAT's c_Impuesto code (001 ISR, 002 IVA, 003 IEPS)."""
        return TAX_CODES[self.type]


def _tax_rate(value: Any, handler: ValidatorFunctionWrapHandler) -> Tax:
    """A tax without a rate: IVA's is 16 %, an exempt one has none, any other must say it."""
    tax = handler(value)
    if isinstance(value, Mapping) and value.get("rate") is None and tax.type != "IVA":
        if tax.factor != "Exento":
            raise refused_at(("rate",), value)
        tax.rate = Decimal(0)
    return tax


ReadTax = Annotated[Tax, WrapValidator(_tax_rate)]


@dataclass
class LocalTax:
    """A state or municipal tax (complemento ImpuestosLocales)."""

    type: Text(required=True)
    rate: Amount(required=True)
    withholding: Flag(False) = False


@dataclass
class Product:
    """The product or service of one line."""

    description: Text(required=True)
    product_key: Text(required=True)
    price: Amount(required=True)
    tax_included: Flag(True) = True
    taxability: Text() = None
    taxes: list[ReadTax] | None = None
    local_taxes: Listed(LocalTax) = field(default_factory=list)
    unit_key: Text("H87") = "H87"
    unit_name: Text() = None  # None: the name SAT's c_ClaveUnidad gives ``unit_key``
    sku: Text() = None


@dataclass
class Part:
    """A component of a line (cfdi:Parte)."""

    description: Text(required=True)
    product_key: Text(required=True)
    quantity: Amount(Decimal(1)) = Decimal(1)
    sku: Text() = None
    unit_price: Amount() = None
    unit_name: Text() = None
    customs_keys: Strings = field(default_factory=list)


@dataclass
class ThirdParty:
    """The taxpayer on whose behalf the line is billed (cfdi:ACuentaTerceros)."""

    legal_name: Text(required=True)
    tax_id: Text(required=True, upper=True)
    tax_system: Text(required=True)
    zip: Text(required=True)


@dataclass
class Item:
    """One invoice line. ``discount`` is the line's total discount, on the same basis as price."""

    product: Annotated[Product, Required, OrId()]
    quantity: Amount(Decimal(1)) = Decimal(1)
    discount: Amount(Decimal(0)) = Decimal(0)
    parts: OneOrMany(Part) = field(default_factory=list)
    customs_keys: Strings = field(default_factory=list)
    property_tax_account: Text() = None
    third_party: ThirdParty | None = None


@dataclass
class RelatedDocuments:
    """A CfdiRelacionados node: one relationship (c_TipoRelacion) and its UUIDs."""

    relationship: Text(required=True)
    documents: Strings = field(default_factory=list)


def _year(value: Any) -> int:
    if not isinstance(required(value), int | str) or not str(value).isdigit():
        raise refusal(INVALID_INPUT, "El año debe ser un número entero.")
    return int(value)


@dataclass
class GlobalInfo:
    """InformacionGlobal of a global invoice; periodicity as Facturapi name or SAT code."""

    periodicity: Text(required=True)
    months: Text(required=True)
    year: Annotated[int, BeforeValidator(_year)]

    @property
    def periodicity_code(self) -> str:
        """SAT's c_Periodicidad code."""
        return PERIODICITIES.get(self.periodicity, self.periodicity)


@dataclass
class PaidTax:
    """One tax of a paid invoice, its concepts' bases summed by (impuesto, factor, rate)."""

    code: Text(required=True)
    factor: Text(required=True)
    rate: Amount()
    base: Amount(required=True)
    withholding: Flag(False) = False


@dataclass
class PaidInvoice:
    """What a payment needs from the invoice it pays: its total, currency and own taxes."""

    total: Amount(required=True)
    currency: Text(required=True)
    taxability: Text(required=True)
    taxes: Listed(Filled(PaidTax, rate=None)) = field(default_factory=list)

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


def _installment(value: Any) -> int:
    found = number(value)
    return 1 if found is None else int(found)


@dataclass
class PaymentDocument:
    """A PPD invoice paid (in part) by a payment: Pagos 2.0 DoctoRelacionado.

    ``exchange`` is EquivalenciaDR (units of the document's currency worth one unit of the
    payment's); ``None`` when not given. ``paid_invoice``: the invoice's own taxes, when the
    portal issued it; its ImpuestosDR are then those taxes pro rata (unless ``taxes`` is sent).
    """

    uuid: Text(required=True, upper=True)
    amount: Amount(required=True)
    last_balance: Amount(required=True)
    installment: Annotated[int, BeforeValidator(_installment)] = 1
    currency: Text("MXN", upper=True) = "MXN"
    exchange: Amount() = None
    taxes: list[ReadTax] | None = None
    series: Text() = None
    folio_number: Text() = None
    paid_invoice: PaidInvoice | None = None


@dataclass
class Payment:
    """One payment received (Pagos 2.0 Pago)."""

    payment_form: Text(required=True)
    related_documents: Listed(PaymentDocument) = field(default_factory=list)
    date: Moment = None
    currency: Text("MXN", upper=True) = "MXN"
    exchange: Amount(Decimal(1)) = Decimal(1)
    numero_operacion: Text() = None


@dataclass
class Namespace:
    """An extra XML namespace declared for an addenda or custom complement."""

    prefix: Text(required=True)
    uri: Text(required=True)
    schema_location: Text() = None


@dataclass
class Complement:
    """One ``complements`` entry: its type and its data (a payment's list, a complement's
    object, a custom complement's XML)."""

    type: Text() = None
    data: Any = None


# A payroll's use is always CN01 and a transfer's S01 (SAT); other types default to G01.
DEFAULT_USES = {"N": "CN01", "T": "S01"}
COMPLEMENT_TYPES = ("pago", "custom", "comercio_exterior", "nomina", "carta_porte")


def _date_or_now(value: Any) -> datetime | None:
    return None if value == "now" else moment(value)


class InvoiceBody(BaseModel):
    """The fields of Facturapi's invoice body the engine reads, in the order it reads them."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    customer: Annotated[Customer, Required, OrId()]
    items: Listed(Item) = []
    payment_form: Annotated[Text(), Codes("payment_form")] = None
    payment_method: Annotated[Text("PUE"), Codes("payment_method")] = "PUE"
    use: Annotated[Text(), Codes("use")] = None
    type: Text("I") = "I"
    currency: Annotated[Text("MXN", upper=True), THREE_LETTERS] = "MXN"
    exchange: Amount(Decimal(1)) = Decimal(1)
    conditions: Text() = None
    related_documents: Listed(RelatedDocuments) = []
    export: Text("01") = "01"
    date: Annotated[datetime | None, BeforeValidator(_date_or_now)] = Field(
        None, description="ISO 8601 o `now` (al timbrar)."
    )
    series: Text() = None
    folio_number: Text() = None
    global_: GlobalInfo | None = Field(None, alias="global")
    address: Address | None = None
    pdf_custom_section: Text() = None
    addenda: Text() = None
    namespaces: Listed(Namespace) = []
    complements: Listed(Complement) = Field(
        [],
        description='Complementos: {"type": "pago", "data": [...]} o {"type": '
        '"comercio_exterior", "data": {...}} (Comercio Exterior 2.0, obligatorio con '
        "export 02; ver docs/comercio-exterior.md).",
    )
    payments: Listed(Payment) = []

    def paid(self) -> list[Payment]:
        """The payments sent as ``complements: [{"type": "pago", "data": [...]}]``, then those
        of ``payments``."""
        found: list[Payment] = []
        for index, complement in enumerate(self.complements):
            if complement.type == "pago":
                found += read(PAYMENTS, complement.data, f"complements[{index}].data")
        return found + self.payments


PAYMENTS: TypeAdapter[list[Payment]] = TypeAdapter(Listed(Payment))
BODY: TypeAdapter[InvoiceBody] = TypeAdapter(InvoiceBody)


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
        """Read a Facturapi-shaped dict; the first bad field is refused by its path
        (``items[0].product.price``)."""
        from portal.cfdi import carta_porte, comercio_exterior, payroll

        body = read(BODY, data)
        whole = Reader(data, "")
        return cls(
            customer=body.customer,
            items=body.items,
            payment_form=body.payment_form,
            payment_method=body.payment_method,
            use=body.use or DEFAULT_USES.get(body.type, "G01"),
            type=body.type,
            currency=body.currency,
            exchange=body.exchange,
            conditions=body.conditions,
            related_documents=body.related_documents,
            export=body.export,
            date=body.date,
            series=body.series,
            folio_number=body.folio_number,
            global_info=body.global_,
            address=body.address,
            pdf_custom_section=body.pdf_custom_section,
            addenda=body.addenda,
            namespaces=body.namespaces,
            payments=body.paid(),
            foreign_trade=comercio_exterior.from_complements(whole),
            custom_complements=_custom_complements(body.complements),
            payroll=payroll.from_complements(whole),
            carta_porte=carta_porte.from_complements(whole),
        )


def _custom_complements(complements: list[Complement]) -> list[str]:
    """The XML of ``complements: [{type: "custom", data: "<xml…>"}]``; any other type that the
    engine does not build is refused, never echoed while missing from the stamped XML."""
    found = []
    for index, complement in enumerate(complements):
        path = f"complements[{index}]"
        if complement.type is None:
            raise invalid(f"El campo «{path}.type» es obligatorio.", INVALID_INPUT, f"{path}.type")
        if complement.type not in COMPLEMENT_TYPES:
            message = (
                f"El tipo de complemento «{complement.type}» no está soportado; usa pago, "
                "comercio_exterior, nomina, carta_porte o custom."
            )
            raise invalid(message, INVALID_INPUT, f"{path}.type")
        if complement.type == "custom":
            data = complement.data
            if not isinstance(data, str) or not data.strip():
                message = "El complemento custom debe llevar en «data» el XML del nodo."
                raise invalid(message, INVALID_INPUT, f"{path}.data")
            found.append(read(XML_TEXT, data, f"{path}.data"))
    return found


XML_TEXT: TypeAdapter[str] = TypeAdapter(Text(required=True))


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
