"""Forms of an organization's settings; the services check the values, the forms render them."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, InputRequired, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.cfdi import catalogs, rules
from portal.forms import max_length, strip
from portal.schemas.common import ADDRESS_FIELDS

ADDRESS_KEYS = ("zip", *ADDRESS_FIELDS)


class CreateOrganizationForm(FlaskForm):
    """Open a new organization."""

    name = StringField(
        _l("Nombre comercial"),
        [DataRequired(_l("Escribe el nombre.")), max_length(100)],
        filters=[strip],
    )


class LegalForm(FlaskForm):
    """Legal data; the RFC comes from the certificate."""

    name = StringField(_l("Nombre comercial"), [max_length(100)], filters=[strip])
    legal_name = StringField(
        _l("Razón social (sin régimen societario)"), [max_length(300)], filters=[strip]
    )
    tax_system = SelectField(_l("Régimen fiscal"), choices=[])
    zip = StringField(_l("Código postal fiscal"), [max_length(5)], filters=[strip])
    street = StringField(_l("Calle"), [max_length(100)], filters=[strip])
    exterior = StringField(_l("Número exterior"), [max_length(55)], filters=[strip])
    interior = StringField(_l("Número interior"), [max_length(55)], filters=[strip])
    neighborhood = StringField(_l("Colonia"), [max_length(100)], filters=[strip])
    city = StringField(_l("Ciudad"), [max_length(100)], filters=[strip])
    municipality = StringField(_l("Municipio o alcaldía"), [max_length(100)], filters=[strip])
    state = StringField(_l("Estado"), [max_length(100)], filters=[strip])
    website = StringField(_l("Sitio web"), [max_length(200)], filters=[strip])
    support_email = EmailField(_l("Correo de atención"), [max_length(254)], filters=[strip])
    phone = StringField(_l("Teléfono"), [max_length(40)], filters=[strip])

    def __init__(self, *args: object, lang: str = "es", **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.tax_system.choices = [("", _l("Elige un régimen"))] + [
            (code, f"{code} · {label}") for code, label in catalogs.options("tax_system", lang)
        ]

    def as_payload(self) -> dict[str, object]:
        """The shape the organizations service (and the API) takes."""
        address = {key: getattr(self, key).data for key in ADDRESS_KEYS}
        return {
            "name": self.name.data,
            "legal_name": self.legal_name.data,
            "tax_system": self.tax_system.data,
            "address": address,
            "website": self.website.data,
            "support_email": self.support_email.data,
            "phone": self.phone.data,
        }


class CertificateForm(FlaskForm):
    """The CSD files and the key's password."""

    cer = FileField(_l("Certificado (archivo .cer)"))
    key = FileField(_l("Llave privada (archivo .key)"))
    password = PasswordField(
        _l("Contraseña de la llave privada"),
        [InputRequired(_l("Escribe la contraseña de la llave privada.")), max_length(200)],
    )


class LogoForm(FlaskForm):
    """Upload the logo."""

    file = FileField(_l("Logo (JPG o PNG, máximo 500 KB)"))


class BrandingForm(FlaskForm):
    """Colour and the optional fields of the PDF (next folios live on the series page)."""

    color = StringField(_l("Color de la marca"), [max_length(7)], filters=[strip])
    codes = BooleanField(_l("Mostrar claves del SAT junto a las descripciones"))
    product_key = BooleanField(_l("Mostrar la clave de producto"))
    round_unit_price = BooleanField(_l("Redondear el precio unitario a 2 decimales"))
    tax_breakdown = BooleanField(_l("Desglosar impuestos por concepto"))
    ieps_breakdown = BooleanField(_l("Desglosar el IEPS"))

    PDF_EXTRA = ("codes", "product_key", "round_unit_price", "tax_breakdown", "ieps_breakdown")

    def as_payload(self) -> dict[str, object]:
        """The shape the organizations service takes."""
        return {
            "color": self.color.data,
            "pdf_extra": {key: getattr(self, key).data for key in self.PDF_EXTRA},
        }


class MultiCheckboxField(SelectMultipleField):
    """Several checkboxes for one list value."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ReceiptSettingsForm(FlaskForm):
    """Receipts and the self-invoice page."""

    periodicity = SelectField(
        _l("Periodicidad de la factura global"),
        choices=[
            ("day", _l("Diaria")),
            ("week", _l("Semanal")),
            ("fortnight", _l("Quincenal")),
            ("month", _l("Mensual")),
            ("two_months", _l("Bimestral")),
        ],
    )
    duration_days = IntegerField(
        _l("Días para autofacturar (0 = hasta el fin del periodo)"), [Optional()]
    )
    allowed_cfdi_uses = MultiCheckboxField(
        _l("Usos de CFDI que ofrece la página de autofactura"), choices=[]
    )
    support_email = EmailField(
        _l("Correo de soporte que ven tus clientes"), [max_length(254)], filters=[strip]
    )

    def __init__(self, *args: object, lang: str = "es", **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.allowed_cfdi_uses.choices = [  # the page issues type I: no CN01, no CP01
            (code, f"{code} · {label}") for code, label, _ in rules.type_use_options("I", lang)
        ]


class DomainForm(FlaskForm):
    """The self-invoice domain."""

    domain = StringField(_l("Dominio de autofactura"), [max_length(50)], filters=[strip])


class SeriesForm(FlaskForm):
    """Create or edit a folio series."""

    series = StringField(_l("Serie"), [max_length(25)], filters=[strip])
    next_folio_test = IntegerField(_l("Siguiente folio (pruebas)"), [Optional()])
    next_folio = IntegerField(_l("Siguiente folio (producción)"), [Optional()])
    default_for = MultiCheckboxField(
        _l("Usarla como serie predeterminada de"),
        choices=[
            ("I", _l("Facturas de ingreso")),
            ("E", _l("Notas de crédito (egreso)")),
            ("P", _l("Complementos de pago")),
        ],
    )


class NextFoliosForm(FlaskForm):
    """The next folios of documents without a series, or of receipts."""

    next_folio_test = IntegerField(_l("Siguiente folio (pruebas)"), [Optional()])
    next_folio = IntegerField(_l("Siguiente folio (producción)"), [Optional()])


class ConfirmNameForm(FlaskForm):
    """Type the organization's name to confirm a destructive action."""

    confirm_name = StringField(
        _l("Escribe el nombre de la organización para confirmar"),
        [DataRequired(_l("Escribe el nombre."))],
        filters=[strip],
    )
