"""Form helpers shared by every blueprint."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import Length

from portal.errors import PortalError


def attach_errors(form: FlaskForm, error: PortalError, default_field: str | None = None) -> None:
    """Show a domain error's problems beside the fields they name (or at the top of the form)."""
    for problem in error.problems:
        name = (problem.path or default_field or "").split(".")[-1]
        field = form._fields.get(name) if name else None
        if field is not None:
            message = _named(problem.message, problem.path or name, name, str(field.label.text))
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(problem.message)


def _named(message: str, path: str, name: str, label: str) -> str:
    """The message with the API path or field name it quotes ("El campo tax_id…") put as the
    form names the field ("El campo «RFC»…")."""
    for quoted in (path, name):
        pattern = rf"«?(?<![\w.\[]){re.escape(quoted)}(?![\w\[]|\.\w)»?"
        if re.search(pattern, message):
            return re.sub(pattern, f"«{label}»", message)
    return message


def max_length(limit: int) -> Length:
    """A length limit with its message in the user's language."""
    return Length(max=limit, message=_l("Escribe como máximo %(max)d caracteres.", max=limit))


def strip(value: str | None) -> str | None:
    """WTForms filter: surrounding spaces never matter."""
    return value.strip() if isinstance(value, str) else value
