"""Forms of the support console."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import Email, InputRequired

from portal.forms import max_length, strip


class StaffLoginForm(FlaskForm):
    """Staff sign-in, first factor."""

    email = EmailField(
        _l("Correo electrónico"),
        [
            InputRequired(_l("Escribe tu correo.")),
            max_length(254),
            Email(_l("Ese correo no es válido.")),
        ],
        filters=[strip],
    )
    password = PasswordField(
        _l("Contraseña"), [InputRequired(_l("Escribe tu contraseña.")), max_length(128)]
    )


class CodeForm(FlaskForm):
    """A code from the authenticator app (or a recovery code)."""

    code = StringField(
        _l("Código"), [InputRequired(_l("Escribe el código.")), max_length(20)], filters=[strip]
    )


class SearchForm(FlaskForm):
    """Search accounts and organizations (GET, no CSRF needed)."""

    class Meta:
        csrf = False

    q = StringField(_l("Buscar"), [max_length(200)], filters=[strip])


class ReasonForm(FlaskForm):
    """A written reason (suspensions)."""

    reason = TextAreaField(
        _l("Motivo"), [InputRequired(_l("Escribe el motivo.")), max_length(500)], filters=[strip]
    )


class ImpersonateForm(ReasonForm):
    """Act as a reseller, optionally straight into one of its organizations."""

    organization = SelectField(_l("Entrar a"), choices=[], validate_choice=False)


class ConfirmForm(FlaskForm):
    """A button that only needs the CSRF token."""
