"""Forms of the self-invoice pages (CSRF on every one; the tax rules live in services)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField
from wtforms.validators import DataRequired

from portal.forms import max_length, strip


class KeyForm(FlaskForm):
    """The receipt's key, as printed on the ticket."""

    key = StringField(_l("Clave del recibo"), filters=[strip],
                      validators=[DataRequired(_l("Escribe la clave de tu recibo.")),
                                  max_length(16)])  # fmt: skip


class TaxDataForm(FlaskForm):
    """The receiver of the invoice (checked with SAT's rules by the service)."""

    tax_id = StringField(_l("RFC"), filters=[strip])
    legal_name = StringField(_l("Nombre o razón social"), filters=[strip])
    tax_system = SelectField(_l("Régimen fiscal"), validate_choice=False)
    zip = StringField(_l("Código postal de tu domicilio fiscal"), filters=[strip])
    country = StringField(_l("País de residencia fiscal"), filters=[strip], default="MEX")
    use = SelectField(_l("Uso del CFDI"), validate_choice=False)
    email = EmailField(_l("Correo para recibir la factura"), filters=[strip])


class RfcForm(FlaskForm):
    """The RFC a receipt was invoiced to, to download its invoice again."""

    tax_id = StringField(
        _l("RFC"), filters=[strip], validators=[DataRequired(_l("Escribe tu RFC.")), max_length(13)]
    )
