"""Organizations (``/v2/organizations``), managed with the account's user key."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    AliasChoices,
    BeforeValidator,
    Field,
    ValidationInfo,
    WrapValidator,
    create_model,
)

from portal.cfdi import catalogs, rules
from portal.cfdi import types as cfdi
from portal.cfdi.reading import Codes, refusal
from portal.schemas import ApiModel
from portal.schemas.common import ZIP, AddressLines, Answer, JsonObject, Moment
from portal.schemas.fields import (
    SERIES_MAX,
    Boolean,
    Choice,
    Email,
    Folio,
    Integer,
    Items,
    Phone,
    Text,
    read_choice,
    read_object,
    read_series,
    read_text,
)
from portal.schemas.public_links import Scope

PERIODICITIES = tuple(cfdi.PERIODICITIES)  # day, week, fortnight, month, two_months


class OrganizationIn(ApiModel):
    """Una organización nueva."""

    name: Text(required=True, max_len=100)


TAX_SYSTEMS = [code for code, _label in catalogs.options("tax_system")]
CFDI_USES = frozenset(code for code, _label in catalogs.options("use"))
WEBSITE_PATTERN = r"(https?://)?[^\s/$.?#][^\s]*"
COLOR_PATTERN = r"#?[0-9A-Fa-f]{6}"
DOCUMENT_TYPES = ("I", "E", "P", "N", "T")  # a default series per CFDI type
# Facturapi's optional PDF fields and their defaults.
PDF_EXTRA_DEFAULTS = {
    "codes": True,
    "product_key": True,
    "round_unit_price": False,
    "tax_breakdown": True,
    "ieps_breakdown": True,
}


def _zip(value: Any) -> str:
    """The issuer's postal code: 5 digits that c_CodigoPostal has."""
    code = read_text(
        value, True, pattern=r"\d{5}", message="El código postal debe tener 5 dígitos."
    )
    if not catalogs.zip_exists(code):
        raise refusal("zip_not_found", f"El código postal {code} no existe en el catálogo del SAT.")
    return code  # type: ignore[return-value]


def _regime(value: Any, info: ValidationInfo) -> str | None:
    """A c_RegimenFiscal code that fits the organization's RFC (``tax_id`` in the context)."""
    label = "el catálogo c_RegimenFiscal del SAT"
    tax_system = read_choice(value, TAX_SYSTEMS, required=True, label=label)
    tax_id = (info.context or {}).get("tax_id")
    if tax_id and tax_system and tax_system not in rules.regimes_for(tax_id):
        kind = "persona moral" if len(tax_id) == 12 else "persona física"
        raise refusal(
            "tax_system_not_for_person_type",
            f"El régimen {tax_system} no corresponde a una {kind} (RFC {tax_id}).",
        )
    return tax_system


class IssuerAddressIn(AddressLines):
    """El domicilio fiscal del emisor (el código postal es obligatorio)."""

    zip: Annotated[str, BeforeValidator(_zip), ZIP]

    def stored(self) -> dict[str, str]:
        """The address as the organization keeps it (only the fields with a value)."""
        return {key: value for key, value in self.model_dump().items() if value}


class LegalIn(ApiModel):
    """Datos fiscales del emisor (se reemplazan completos)."""

    name: Text(required=True, max_len=100)
    legal_name: Text(required=True, max_len=300)
    tax_system: Annotated[
        str, WrapValidator(lambda v, _h, info: _regime(v, info)), Codes("tax_system")
    ]
    address: Annotated[IssuerAddressIn, BeforeValidator(lambda value: read_object(value, True))]
    website: Text(
        max_len=200, pattern=WEBSITE_PATTERN, message="El sitio web no es una dirección válida."
    ) = None
    support_email: Email() = None
    phone: Phone() = None


PdfSwitches = create_model(
    "PdfSwitches",
    __base__=ApiModel,
    __doc__="Campos opcionales del PDF (true o false); los omitidos no cambian.",
    **{key: (Boolean, None) for key in PDF_EXTRA_DEFAULTS},  # type: ignore[call-overload]
)


def _series_name(value: Any, info: ValidationInfo) -> str | None:
    """The name of one of the organization's series (``series`` in the context)."""
    name = read_text(value, max_len=SERIES_MAX)
    if name and name not in (info.context or {}).get("series", ()):
        raise refusal("series_not_found", f"La serie «{name}» no existe. Créala primero.")
    return name


DefaultSeriesIn = create_model(
    "DefaultSeriesIn",
    __base__=ApiModel,
    __doc__="La serie predeterminada de cada tipo de CFDI (debe existir).",
    **{
        kind: (
            Annotated[str | None, WrapValidator(lambda v, _h, info: _series_name(v, info))],
            None,
        )
        for kind in DOCUMENT_TYPES
    },  # type: ignore[call-overload]
)


class CustomizationIn(ApiModel):
    """Color, folios siguientes, campos opcionales del PDF y series predeterminadas."""

    color: Text(
        pattern=COLOR_PATTERN, message="El color debe ser hexadecimal de 6 dígitos, como 1F6FEB."
    ) = None
    next_folio_number: Folio = None
    next_folio_number_test: Folio = None
    pdf_extra: Annotated[PdfSwitches | None, BeforeValidator(read_object)] = None  # type: ignore[valid-type]
    default_series: Annotated[DefaultSeriesIn | None, BeforeValidator(read_object)] = None  # type: ignore[valid-type]


class ReceiptSettingsIn(ApiModel):
    """Periodicidad de los recibos, ventana de autofactura y folios siguientes."""

    periodicity: Choice(PERIODICITIES) = None
    duration_days: Integer(0, 366) = None
    next_folio_number: Folio = None
    next_folio_number_test: Folio = None


def _cfdi_use(value: Any) -> str:
    if not isinstance(value, str) or value not in CFDI_USES:
        raise refusal("invalid_enum", f"El uso de CFDI «{value}» no existe.")
    return value


class SelfInvoiceIn(ApiModel):
    """Usos de CFDI ofrecidos en la autofactura y su correo de soporte."""

    allowed_cfdi_uses: Items(
        Annotated[
            str, BeforeValidator(_cfdi_use), Field(json_schema_extra={"enum": sorted(CFDI_USES)})
        ],
        max_items=40,
    ) = None
    support_email: Email() = None


class DomainIn(ApiModel):
    """Un dominio de autofactura."""

    domain: str | None = None


class DomainQuery(ApiModel):
    """El dominio a consultar."""

    domain: str | None = Field(None, description="Dominio.")


class SeriesUpdate(ApiModel):
    """Los folios siguientes de una serie."""

    next_folio: Folio = None
    next_folio_test: Folio = None


class SeriesIn(ApiModel):
    """Una serie de folios nueva."""

    series: Annotated[
        str,
        BeforeValidator(lambda value: read_series(value, True)),
        Field(json_schema_extra={"maxLength": SERIES_MAX}),
    ]
    next_folio: Folio = None
    next_folio_test: Folio = None


class PendingStep(Answer):
    """Un paso pendiente para emitir en producción."""

    type: str
    description: str


class Legal(Answer):
    """Datos fiscales del emisor."""

    name: str
    legal_name: str | None
    tax_id: str | None
    tax_system: str | None
    address: JsonObject
    website: str | None
    support_email: str | None
    phone: str | None


class Customization(Answer):
    """Personalización."""

    has_logo: bool
    color: str
    next_folio_number: int
    next_folio_number_test: int
    pdf_extra: JsonObject
    default_series: JsonObject


class Certificate(Answer):
    """El CSD (nunca la llave)."""

    has_certificates: bool
    updated_at: Moment | None
    expires_at: Moment | None
    serial_number: str | None


class ReceiptSettings(Answer):
    """Ajustes de recibos."""

    periodicity: str
    duration_days: int
    next_folio_number: int
    next_folio_number_test: int


class SelfInvoiceSettings(Answer):
    """Ajustes de autofactura."""

    allowed_cfdi_uses: list[str]
    support_email: str | None


class Organization(Answer):
    """Una organización (nunca un secreto)."""

    id: str
    created_at: Moment
    is_production_ready: bool
    pending_steps: list[PendingStep]
    domain: str | None
    timezone: str
    legal: Legal
    customization: Customization
    certificate: Certificate
    receipts: ReceiptSettings
    self_invoice: SelfInvoiceSettings


class DomainAvailability(Answer):
    """¿Está libre el dominio?"""

    available: bool
    message: str | None


class CertificateRemoved(Answer):
    """El CSD eliminado."""

    updated_at: Moment | None


class CertificateUpload(ApiModel):
    """El CSD: certificado, llave privada y su contraseña (``cerFile``/``keyFile``: los mismos
    archivos con los nombres del esquema de referencia)."""

    cer: bytes | None = None
    key: bytes | None = None
    cerFile: bytes | None = None
    keyFile: bytes | None = None
    password: str


class LogoUpload(ApiModel):
    """El logotipo (JPG o PNG de hasta 500 KB)."""

    file: bytes


class LiveKey(Answer):
    """Una llave de producción, por sus primeros 12 caracteres."""

    id: str
    first_12: str
    created_at: Moment
    scopes: Annotated[list[Scope], BeforeValidator(lambda given: given or [])]
    last_used_at: Moment | None


class Series(Answer):
    """Una serie de folios."""

    series: str = Field(validation_alias=AliasChoices("name", "series"))
    next_folio: int
    next_folio_test: int


class SeriesList(Answer):
    """Las series de folios."""

    data: list[Series]
