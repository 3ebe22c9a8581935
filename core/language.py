"""The page's language: what every view passes to its template and services (`en` or `es`)."""
from __future__ import annotations

LANGUAGES = ("en", "es")


def language_of(locale) -> str:
    """A locale (`es_MX`, `en-US`, None) as one of the languages Assist speaks; English otherwise."""
    text = str(locale or "en").replace("-", "_").split("_")[0].lower()
    return text if text in LANGUAGES else "en"


def language() -> str:
    """The language of the page being served (the one Flask-Babel chose for this request)."""
    from flask_babel import get_locale

    return language_of(get_locale())
