"""Organizations (``/v2/organizations``), managed with the account's user key."""

from __future__ import annotations

from typing import Annotated

from pydantic import AliasChoices, BeforeValidator, Field

from portal.cfdi import types as cfdi
from portal.schemas import ApiModel
from portal.schemas.common import AddressIn, Answer, JsonObject, Moment
from portal.schemas.fields import SERIES_MAX, Choice, Folio, Integer, Text, read_series
from portal.schemas.public_links import Scope

PERIODICITIES = tuple(cfdi.PERIODICITIES)  # day, week, fortnight, month, two_months
Periodicity = Annotated[str | None, Field(json_schema_extra={"enum": list(PERIODICITIES)})]


class OrganizationIn(ApiModel):
    """Una organización nueva."""

    name: Text(required=True, max_len=100)


class LegalIn(ApiModel):
    """Datos fiscales del emisor."""

    name: str | None = None
    legal_name: str | None = None
    tax_system: str | None = None
    address: AddressIn | None = None
    website: str | None = None
    support_email: str | None = None
    phone: str | None = None


class CustomizationIn(ApiModel):
    """Color, folios siguientes, campos opcionales del PDF y series predeterminadas."""

    color: str | None = None
    next_folio_number: int | None = None
    next_folio_number_test: int | None = None
    pdf_extra: dict[str, bool] | None = None
    default_series: dict[str, str] | None = None


class ReceiptSettingsIn(ApiModel):
    """Periodicidad de los recibos, ventana de autofactura y folios siguientes."""

    periodicity: Choice(PERIODICITIES) = None
    duration_days: Integer(0, 366) = None
    next_folio_number: Folio = None
    next_folio_number_test: Folio = None


class SelfInvoiceIn(ApiModel):
    """Usos de CFDI ofrecidos en la autofactura y su correo de soporte."""

    allowed_cfdi_uses: list[str] | None = None
    support_email: str | None = None


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
