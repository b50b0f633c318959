"""Language choice: the switch of this session, then the signed-in person's saved language,
then Accept-Language, then es."""

from __future__ import annotations

from flask import current_app, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_login.config import COOKIE_NAME


def select_locale() -> str:
    """Flask-Babel's locale selector."""
    languages = current_app.config["LANGUAGES"]
    for chosen in (session.get("lang"), _saved_language()):
        if chosen in languages:
            return chosen
    return request.accept_languages.best_match(languages) or languages[0]


def _saved_language() -> str | None:
    """The signed-in person's language. A visitor with neither a login in the session nor a
    remember-me cookie (every customer on a self-invoice page) is never looked up."""
    remember = current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME)
    if "_user_id" not in session and remember not in request.cookies:
        return None
    return getattr(current_user, "language", None)


def language() -> str:
    """The language of the current request ("es" outside one): a bare code, as LANGUAGES
    has them (``Locale.language``, not ``str(locale)``, which rebuilds the identifier)."""
    locale = get_locale()
    return locale.language if locale is not None else "es"
