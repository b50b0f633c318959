"""Forms of the account page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectChoice, SelectField
from wtforms.validators import Email, EqualTo, InputRequired

from portal.auth.forms import NEW_PASSWORD
from portal.forms import max_length, strip


class ChangePasswordForm(FlaskForm):
    """Change the password, knowing the current one."""

    current_password = PasswordField(
        _l("Contraseña actual"),
        [InputRequired(_l("Escribe tu contraseña actual.")), max_length(128)],
    )
    password = PasswordField(_l("Nueva contraseña"), NEW_PASSWORD)
    confirm = PasswordField(
        _l("Repite la nueva contraseña"), [EqualTo("password", _l("Las contraseñas no coinciden."))]
    )


class ChangeEmailForm(FlaskForm):
    """Change the sign-in email, confirming with the password."""

    email = EmailField(
        _l("Nuevo correo"),
        [
            InputRequired(_l("Escribe el nuevo correo.")),
            max_length(254),
            Email(_l("Ese correo no es válido.")),
        ],
        filters=[strip],
    )
    password = PasswordField(
        _l("Contraseña"), [InputRequired(_l("Escribe tu contraseña.")), max_length(128)]
    )


class ConfirmForm(FlaskForm):
    """A button that only needs the CSRF token (renew a key, and so on)."""


class LanguageForm(FlaskForm):
    """The interface language this person sees, on any device."""

    language = SelectField(
        _l("Idioma"),
        choices=[SelectChoice("es", "Español"), SelectChoice("en", "English")],
        validators=[InputRequired()],
    )
