"""Language choice: the switch of this session, then the signed-in person's saved language,
then Accept-Language, then es."""

from __future__ import annotations

from flask import current_app, request, session
from flask_babel import get_locale
from flask_login import current_user


def select_locale() -> str:
    """Flask-Babel's locale selector."""
    languages = current_app.config["LANGUAGES"]
    for chosen in (session.get("lang"), getattr(current_user, "language", None)):
        if chosen in languages:
            return chosen
    return request.accept_languages.best_match(languages) or languages[0]


def language() -> str:
    """The language of the current request ("es" outside one)."""
    return str(get_locale() or "es")
