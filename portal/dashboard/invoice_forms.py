"""Forms of an invoice's page: register a payment, issue a credit note, cancel with SAT.

The forms read and render the fields; the services check every fiscal rule and their errors are
shown beside the fields they name (``portal.forms.attach_errors``).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, SelectField, StringField
from wtforms.validators import InputRequired, NumberRange, Optional

from portal.cfdi import catalogs
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
    amount = DecimalField(_l("Importe con IVA"), AMOUNT, places=2)
    payment_form = SelectField(_l("Forma de pago"), choices=[], default="15")
    product_key = StringField(
        _l("Clave de producto o servicio"), [max_length(8)], filters=[strip],
        default=CREDIT_NOTE_KEY,
    )  # fmt: skip

    def __init__(self, *args: object, lang: str = "es", **kwargs: object) -> None:
        super().__init__(*args, prefix="credit", **kwargs)
        self.payment_form.choices = _payment_forms(lang)


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
