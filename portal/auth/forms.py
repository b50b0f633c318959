"""Forms of the sign-in pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import Email, EqualTo, InputRequired

from portal.forms import max_length, strip

EMAIL = [
    InputRequired(_l("Escribe tu correo.")),
    max_length(254),
    Email(_l("Ese correo no es válido.")),
]
NEW_PASSWORD = [InputRequired(_l("Escribe una contraseña.")), max_length(128)]


class SignupForm(FlaskForm):
    """Create a reseller account."""

    name = StringField(
        _l("Nombre"), [InputRequired(_l("Escribe tu nombre.")), max_length(120)], filters=[strip]
    )
    email = EmailField(_l("Correo electrónico"), EMAIL, filters=[strip])
    password = PasswordField(_l("Contraseña"), NEW_PASSWORD)
    confirm = PasswordField(
        _l("Repite la contraseña"), [EqualTo("password", _l("Las contraseñas no coinciden."))]
    )


class LoginForm(FlaskForm):
    """Sign in."""

    email = EmailField(_l("Correo electrónico"), EMAIL, filters=[strip])
    password = PasswordField(
        _l("Contraseña"), [InputRequired(_l("Escribe tu contraseña.")), max_length(128)]
    )
    remember = BooleanField(_l("Recordarme en este equipo"))


class ForgotForm(FlaskForm):
    """Ask for a password-reset link."""

    email = EmailField(_l("Correo electrónico"), EMAIL, filters=[strip])


class ResetForm(FlaskForm):
    """Choose a new password from a reset link."""

    password = PasswordField(_l("Nueva contraseña"), NEW_PASSWORD)
    confirm = PasswordField(
        _l("Repite la contraseña"), [EqualTo("password", _l("Las contraseñas no coinciden."))]
    )
