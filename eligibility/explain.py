"""Explanations a CSR can read to the customer, rendered from a determination's sentences.

Kept apart from the determination: deciding does not format money or dates, and the same
decision reads in English or Spanish. Uses Babel's catalogues directly, so the command line and
the tests render without Flask.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping

from babel.dates import format_date
from babel.support import NullTranslations, Translations

from core.language import LANGUAGES, language_of
from core.money import format_dollars

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
__all__ = ("LANGUAGES", "language_of")


def N_(message: str) -> str:
    """Marks a message for extraction; translated where it is shown."""
    return message


ENROLLMENTS = {
    "SNAP": N_("SNAP (CalFresh)"),
    "MEDICAID": N_("Medicaid (Medi-Cal)"),
    "SSI": N_("Supplemental Security Income (SSI)"),
    "LIHEAP": N_("LIHEAP"),
    "WIC": N_("WIC"),
    "TANF": N_("TANF (CalWORKs)"),
    "NSLP": N_("the National School Lunch Program"),
    "HEAD_START": N_("Head Start"),
    "TRIBAL": N_("a tribal assistance program"),
}


@lru_cache(maxsize=4)
def translations(language: str) -> NullTranslations:
    if language == "en":
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS), [language])


def money(cents: int) -> str:
    return format_dollars(cents, always_cents=False)


def sentence(code: str, values: Mapping, language: str = "en", names: Mapping[str, str] | None = None) -> str:
    """One sentence; `names` gives programs' names in the language for the codes a sentence mentions."""
    t = translations(language)
    gettext, ngettext = t.gettext, t.ngettext
    when = values.get("from")
    if code == "income":
        n, amount = values["size"], money(values["income_cents"])
        if values.get("members") == "adults":
            if values["period"] == "monthly":
                text = ngettext("The adults in your household of %(num)s have an income of %(amount)s a month.",
                                "The adults in your household of %(num)s have an income of %(amount)s a month.", n)
            else:
                text = ngettext("The adults in your household of %(num)s earn %(amount)s a year.",
                                "The adults in your household of %(num)s earn %(amount)s a year.", n)
        elif values["period"] == "monthly":
            text = ngettext("Your household of %(num)s has an income of %(amount)s a month.",
                            "Your household of %(num)s has an income of %(amount)s a month.", n)
        else:
            text = ngettext("Your household of %(num)s earns %(amount)s a year.",
                            "Your household of %(num)s earns %(amount)s a year.", n)
        return text % {"num": n, "amount": amount}
    if code == "limit":
        n = values["size"]
        params = {"num": n, "amount": money(values["limit_cents"]),
                  "date": format_date(when, "long", locale=language)}
        if values["period"] == "monthly":
            text = ngettext("The monthly limit for %(num)s person from %(date)s is %(amount)s.",
                            "The monthly limit for %(num)s people from %(date)s is %(amount)s.", n)
        else:
            text = ngettext("The limit for %(num)s person from %(date)s is %(amount)s.",
                            "The limit for %(num)s people from %(date)s is %(amount)s.", n)
        return text % params
    if code == "counted_as":
        return gettext("This program counts a household of %(size)s as %(counted)s.") % values
    if code == "over":
        return gettext("That is %(amount)s over the limit.") % {"amount": money(values["over_cents"])}
    if code == "below_floor":
        return gettext("This program is for households above the %(program)s limit of %(amount)s; "
                       "you may qualify for %(program)s instead.") % {
            "program": (names or {}).get(values["program"], values["program"]), "amount": money(values["limit_cents"])}
    if code == "too_small":
        return gettext("This program is for households of %(min)s or more people.") % values
    if code == "outside_area":
        return gettext("ZIP code %(zip)s is outside the area this program serves.") % values
    if code == "categorical":
        name = gettext(ENROLLMENTS.get(values["enrollment"], values["enrollment"]))
        return gettext("Your household is enrolled in %(enrollment)s, which qualifies it without an income test."
                       ) % {"enrollment": name}
    if code == "tier":
        return gettext("That places your household in tier %(tier)s.") % values
    if code == "qualify":
        return gettext("You qualify.")
    if code == "not_qualify":
        return gettext("You do not qualify.")
    if code == "no_members":
        return gettext("Add at least one person to the household.")
    raise ValueError(f"no wording for explanation sentence {code!r}")


def render(explanation: Iterable[tuple[str, Mapping]], locale="en", names: Mapping[str, str] | None = None) -> str:
    language = language_of(locale)
    return " ".join(sentence(code, values, language, names) for code, values in explanation)
