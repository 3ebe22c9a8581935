"""The frame of every printed letter: the utility's letterhead, greeting and closing, in the letter's language.

The utility's details are settings (`UTILITY_*`, with demo values); the words around them are
translated in the letter's own language, never the page's, so a Spanish letter read by an
English-speaking CSR still prints in Spanish.
"""
from __future__ import annotations

from flask import current_app
from flask_babel import force_locale, format_date, gettext as _

from core.config import DEMO_UTILITY


def letter_frame(language: str, name: str = "", sent=None) -> dict:
    config = current_app.config
    language = language if language in config.get("LANGUAGES", ("en", "es")) else "en"
    with force_locale(language):
        hours = (config.get("UTILITY_HOURS_ES") if language == "es" else None) or config.get("UTILITY_HOURS") or \
            _("Monday to Friday, 8 a.m. to 5 p.m.")
        return {
            "date": format_date(sent, "long") if sent is not None else "",
            "name": config.get("UTILITY_NAME") or DEMO_UTILITY["UTILITY_NAME"],
            "address": (config.get("UTILITY_ADDRESS") or DEMO_UTILITY["UTILITY_ADDRESS"]).replace("|", "\n")
            .splitlines(),
            "phone": _("Phone: %(phone)s", phone=config.get("UTILITY_PHONE") or DEMO_UTILITY["UTILITY_PHONE"]),
            "hours": _("Hours: %(hours)s", hours=hours),
            "web": config.get("UTILITY_WEB") or config.get("BASE_URL") or "",
            "greeting": _("Dear %(name)s,", name=name) if name else _("Dear customer,"),
            "closing": _("Sincerely,"),
            "signature": _("Customer Service"),
        }
