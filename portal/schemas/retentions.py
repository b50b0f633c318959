"""Shapes of /v2/retentions (Facturapi's retention: CFDI de Retenciones e información de pagos
2.0). Amounts arrive as JSON numbers or strings and are kept as ``Decimal``."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from portal.schemas import ApiModel
from portal.schemas.common import Addressees, ListQuery, TextQuery
from portal.statuses import RetentionStatus

Amount = Annotated[Decimal, Field(ge=0, le=Decimal("999999999999999999.999999"))]
TAXES = {"ISR": "001", "IVA": "002", "IEPS": "003", "001": "001", "002": "002", "003": "003"}


def _two_digits(value: Any, low: int, high: int, field: str) -> str:
    """``26``, ``"26"`` or ``"1"`` → ``"26"``/``"01"``; out of range → a coded error."""
    text = str(value).strip()
    if not text.isdigit() or not low <= int(text) <= high:
        raise PydanticCustomError(
            "invalid_enum",
            "El valor de {path} debe ser una clave del catálogo del SAT "
            f"({low:02d} a {high:02d}) para {field}.",
        )
    return f"{int(text):02d}"


class RetentionAddress(ApiModel):
    zip: str | None = Field(default=None, max_length=5)
    country: str = Field(default="MEX", max_length=3)
    street: str | None = None
    exterior: str | None = None
    interior: str | None = None
    neighborhood: str | None = None
    city: str | None = None
    municipality: str | None = None
    state: str | None = None

    @field_validator("zip", "exterior", "interior", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value


class RetentionCustomer(ApiModel):
    legal_name: str = Field(min_length=1, max_length=300)
    tax_id: str = Field(min_length=1, max_length=40)
    tax_system: str | None = Field(default=None, max_length=3)
    email: str | None = Field(default=None, max_length=254)
    address: RetentionAddress = Field(default_factory=RetentionAddress)


class Period(ApiModel):
    mes_ini: int = Field(ge=1, le=12)
    mes_fin: int = Field(ge=1, le=12)
    ejerc: int = Field(ge=2019, le=2100)


class WithheldTax(ApiModel):
    base_ret: Amount | None = None
    impuesto: str | None = None
    monto_ret: Amount
    tipo_pago_ret: str

    @field_validator("impuesto")
    @classmethod
    def _tax(cls, value: str | None) -> str | None:
        if value is not None and value.upper() not in TAXES:
            raise PydanticCustomError(
                "invalid_enum",
                "El valor no es válido para {path}. Valores permitidos: ISR, IVA, IEPS.",
            )
        return TAXES[value.upper()] if value is not None else None

    @field_validator("tipo_pago_ret", mode="before")
    @classmethod
    def _payment_type(cls, value: Any) -> str:
        return _two_digits(value, 1, 4, "TipoPagoRet")


class Totals(ApiModel):
    monto_tot_operacion: Amount
    monto_tot_grav: Amount
    monto_tot_exent: Amount
    monto_tot_ret: Amount
    imp_retenidos: list[WithheldTax] = Field(default_factory=list, max_length=100)


class RetentionNamespace(ApiModel):
    prefix: str = Field(min_length=1, max_length=50)
    uri: str = Field(min_length=1, max_length=500)
    schema_location: str | None = Field(default=None, max_length=500)


class RetentionCreate(ApiModel):
    """``POST /v2/retentions``."""

    # An inline customer is checked as ``RetentionCustomer`` (with paths such as
    # ``customer.legal_name``) once it is known not to be an id.
    customer: dict[str, Any] | str
    cve_retenc: str
    fecha_exp: datetime | None = None
    desc_retenc: str | None = Field(default=None, max_length=100)
    folio_int: str | None = Field(default=None, max_length=20, pattern=r"^[0-9a-zA-Z]*$")
    periodo: Period
    totales: Totals
    external_id: str | None = Field(default=None, max_length=255)
    idempotency_key: str | None = Field(default=None, max_length=64)
    complements: list[str] = Field(default_factory=list, max_length=10)
    namespaces: list[RetentionNamespace] = Field(default_factory=list, max_length=10)
    pdf_custom_section: str | None = Field(default=None, max_length=20000)
    addenda: str | None = Field(default=None, max_length=100000)

    @field_validator("cve_retenc", mode="before")
    @classmethod
    def _key(cls, value: Any) -> str:
        return _two_digits(value, 1, 28, "CveRetenc")


class RetentionCancel(ApiModel):
    """``DELETE /v2/retentions/{id}`` query: SAT's motive (02 unless given) and substitution."""

    motive: Literal["01", "02", "03", "04"] = "02"
    substitution: str | None = Field(default=None, max_length=36)


class RetentionEmail(ApiModel):
    """A qué correo(s) enviar la retención: uno o una lista de hasta 10 (por omisión, al del
    cliente)."""

    email: Addressees("la retención") = Field(default_factory=list)


class RetentionFilters(TextQuery):
    """Filtros de la lista de retenciones (sin fechas ni paginación)."""

    customer: str | None = Field(None, description="Id del cliente.")
    external_id: str | None = Field(None, description="Identificador externo.")


class RetentionListQuery(RetentionFilters, ListQuery):
    """``GET /v2/retentions`` query: the filters, text, dates and pages."""


class RetentionStamp(ApiModel):
    signature: str
    date: str
    sat_cert_number: str
    sat_signature: str


class RetentionAnswer(ApiModel):
    """A retention as the API answers it."""

    id: str
    created_at: str
    livemode: bool
    status: RetentionStatus
    type: Literal["Retención"] = "Retención"
    uuid: str | None = None
    verification_url: str | None = None
    stamp: RetentionStamp | None = None
    customer: dict[str, Any]
    cve_retenc: str
    fecha_exp: str | None = None
    desc_retenc: str | None = None
    folio_int: str | None = None
    periodo: dict[str, Any]
    totales: dict[str, Any]
    external_id: str | None = None
    idempotency_key: str | None = None
    complements: list[str] = Field(default_factory=list)
    namespaces: list[dict[str, Any]] = Field(default_factory=list)
    pdf_custom_section: str | None = None
    addenda: str | None = None
    cancellation: dict[str, Any] | None = None
