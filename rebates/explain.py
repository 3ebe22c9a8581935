"""A quote's explanation: sentences a CSR can read to the customer, rendered from an item's trace.

Kept apart from the calculation (rules.py decides, this formats money and dates), and free of
Flask: it uses Babel's catalogues directly, like `eligibility.explain`, so the command line, the
benchmark and the tests render without an app. Steps that say nothing to a customer render as
nothing.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Mapping

from babel.dates import format_date
from babel.support import NullTranslations, Translations

from core.money import format_dollars, format_percent

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
LANGUAGES = ("en", "es")


@lru_cache(maxsize=4)
def translations(language: str) -> NullTranslations:
    if language == "en":
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS), [language])


def language_of(locale) -> str:
    text = str(locale or "en").replace("-", "_").split("_")[0].lower()
    return text if text in LANGUAGES else "en"


def money(cents) -> str:
    """Trace amounts are exact Decimal cents; shown rounded half up, as the item's total is."""
    return format_dollars(int(Decimal(cents).quantize(Decimal(1), rounding=ROUND_HALF_UP)))


def number(value, language: str) -> str:
    text = format(Decimal(value).normalize(), "f") if isinstance(value, Decimal) else str(value)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",") if language == "es" else text


def N_(text: str) -> str:
    """Marks a message for the catalogue; translated where it is shown."""
    return text


# What a customer is asked for, by the attribute's code in the definitions; a code that is not
# here is shown as written, with its underscores made spaces.
ATTRIBUTES = {
    "gpf": N_("Gallons per flush of the new toilet"),
    "replaced_gpf": N_("Gallons per flush of the toilet it replaced"),
    "map_grams": N_("MaP flush rating (grams)"),
    "capacity_gallons": N_("Capacity in gallons"),
    "imef": N_("Integrated modified energy factor (IMEF)"),
    "iwf": N_("Integrated water factor (IWF)"),
    "area_sq_ft": N_("Area in square feet"),
    "uef": N_("Uniform energy factor (UEF)"),
}


def attribute_label(code: str, language: str = "en") -> str:
    if code in ATTRIBUTES:
        return translations(language_of(language)).gettext(ATTRIBUTES[code])
    return code.replace("_", " ")


def _scope(gettext: Callable, scope: str) -> str:
    return {"premise": gettext("this home"), "account": gettext("this account"),
            "customer": gettext("this customer")}[scope]


def _window(gettext: Callable, ngettext: Callable, values: Mapping) -> str:
    if values.get("years"):
        return ngettext("in %(num)s year", "in %(num)s years", values["years"]) % {"num": values["years"]}
    if values.get("fiscal_year"):
        return gettext("in a fiscal year")
    return gettext("ever")


def sentence(code: str, values: Mapping, language: str = "en", measure_name: str = "", unit: str = "each") -> str:
    """One sentence of an item's trace in the language ('' for the steps that need none)."""
    t = translations(language)
    gettext, ngettext = t.gettext, t.ngettext
    when = values.get("date")
    if code == "no_rule":
        return gettext("There is no rebate for %(measure)s on %(date)s.") % {
            "measure": measure_name, "date": format_date(when, "long", locale=language)}
    if code == "version":
        if values["dated_by"] == "installed_on":
            text = gettext("Installed on %(date)s, it falls under the rules of %(version)s.")
        else:
            text = gettext("Bought on %(date)s, it falls under the rules of %(version)s.")
        return text % {"date": format_date(when, "long", locale=language),
                       "version": values["label"] or values["version"]}
    if code == "late_days":
        return gettext("The application came %(days)s days after that date; the program allows %(allowed)s.") % values
    if code == "late_by":
        return gettext("Applications were due by %(date)s.") % {
            "date": format_date(values["apply_by"], "long", locale=language)}
    if code == "condition":
        name = attribute_label(values["attribute"], language)
        if values["value"] is None:
            return gettext("This rebate needs %(attribute)s, which was not given.") % {"attribute": name}
        if values["min"] is not None and values["value"] < values["min"]:
            return gettext("This rebate needs %(attribute)s of at least %(min)s; it is %(value)s.") % {
                "attribute": name, "min": number(values["min"], language),
                "value": number(values["value"], language)}
        return gettext("This rebate needs %(attribute)s of at most %(max)s; it is %(value)s.") % {
            "attribute": name, "max": number(values["max"], language),
            "value": number(values["value"], language)}
    if code == "not_listed":
        if not values.get("model"):
            return gettext("This rebate needs the model number, to check it on the %(list)s list of qualified "
                           "products.") % values
        return gettext("Model %(model)s is not on the %(list)s list of qualified products.") % values
    if code == "listed":
        return ""
    if code == "below_min":
        return gettext("This rebate needs at least %(min)s; %(quantity)s were bought.") % values
    if code == "over_max":
        return gettext("At most %(max)s are counted.") % values
    if code in ("units_used", "units_left"):
        params = {"max": values["max"], "used": values["used"], "scope": _scope(gettext, values["scope"]),
                  "window": _window(gettext, ngettext, values), "left": values.get("left", 0)}
        if code == "units_used":
            return gettext("The limit is %(max)s for %(scope)s %(window)s, and %(used)s were already counted.") % params
        return gettext("The limit is %(max)s for %(scope)s %(window)s; %(used)s were already counted, "
                       "so %(left)s are counted now.") % params
    if code == "enhanced":
        return gettext("Because the account is enrolled in %(programs)s, the higher amount applies.") % {
            "programs": ", ".join(values["programs"])}
    if code in ("per_unit", "by_attribute"):
        params = {"num": number(values["quantity"], language), "measure": measure_name,
                  "rate": money(values["rate_cents"]), "amount": money(values["amount_cents"])}
        if unit == "sq_ft":
            return gettext("%(num)s sq ft of %(measure)s at %(rate)s a square foot would be %(amount)s.") % params
        if unit == "gallon":
            return gettext("%(num)s gallons of %(measure)s at %(rate)s a gallon would be %(amount)s.") % params
        return ngettext("%(num)s %(measure)s at %(rate)s each would be %(amount)s.",
                        "%(num)s × %(measure)s at %(rate)s each would be %(amount)s.", values["quantity"]) % params
    if code == "per_ordinal":
        return gettext("%(num)s × %(measure)s, counting from number %(first)s at this home, would be %(amount)s.") % {
            "num": values["quantity"], "measure": measure_name, "first": values["first"],
            "amount": money(values["amount_cents"])}
    if code == "band":
        return ""
    if code == "banded":
        return gettext("%(num)s of %(measure)s at the program's rates would be %(amount)s.") % {
            "num": number(values["quantity"], language), "measure": measure_name,
            "amount": money(values["amount_cents"])}
    if code == "no_band":
        return gettext("No amount is set for %(attribute)s of %(value)s.") % {
            "attribute": attribute_label(values["attribute"], language),
            "value": number(values["value"], language) if values["value"] is not None else "?"}
    if code == "percent_of_cost":
        return gettext("%(percent)s of the cost of %(cost)s would be %(amount)s.") % {
            "percent": format_percent(values["percent"], language), "cost": money(values["cost_cents"]),
            "amount": money(values["amount_cents"])}
    if code == "cost":
        return ""
    if code == "capped_at_cost":
        if values.get("before_tax"):
            text = gettext("You paid %(amount)s before tax, so the rebate is %(amount)s.")
        else:
            text = gettext("You paid %(amount)s, so the rebate is %(amount)s.")
        return text % {"amount": money(values["amount_cents"])}
    if code == "capped_at_percent":
        return gettext("The rebate is at most %(percent)s of what you paid (%(amount)s).") % {
            "percent": format_percent(values["percent"], language), "amount": money(values["amount_cents"])}
    if code == "capped_at_max":
        return gettext("The most this rebate pays for one item is %(amount)s.") % {
            "amount": money(values["amount_cents"])}
    if code in ("amount_used", "amount_left"):
        params = {"max": money(values["max_cents"]), "used": money(values["used_cents"]),
                  "scope": _scope(gettext, values["scope"]), "window": _window(gettext, ngettext, values),
                  "left": money(values.get("left_cents", 0))}
        if code == "amount_used":
            return gettext("The limit is %(max)s for %(scope)s %(window)s, and %(used)s was already paid.") % params
        return gettext("The limit is %(max)s for %(scope)s %(window)s; %(used)s was already paid, "
                       "so at most %(left)s now.") % params
    if code == "reserved":
        return gettext("The reservation holds %(amount)s, so the rebate is at most that.") % {
            "amount": money(values["amount_cents"])}
    if code == "total":
        return gettext("The rebate is %(amount)s.") % {"amount": money(values["amount_cents"])}
    if code == "none":
        return gettext("This item earns no rebate.")
    raise ValueError(f"no wording for rebate sentence {code!r}")


# The steps that stop an item (each carries its reason).
STOPS = frozenset({"no_rule", "late_days", "late_by", "condition", "not_listed", "below_min", "units_used",
                   "no_band", "amount_used"})


def render(trace: Iterable[tuple[str, Mapping]], locale="en", measure_name: str = "", unit: str = "each") -> str:
    """The item's sentences; the closing "The rebate is ..." is left out when the sentence before
    it already said the same amount ("You paid $89.00 before tax, so the rebate is $89.00.")."""
    language = language_of(locale)
    out = []
    previous: tuple = ("", {})
    trace = list(trace)
    if any(code == "none" for code, _values in trace):
        # Stopped: the customer hears every reason and that it pays nothing, not what the later
        # steps (still in the trace for the reviewer) would have made of it.
        stop = next((i for i, (code, _values) in enumerate(trace) if code in STOPS), None)
        if stop is not None:
            trace = trace[:stop] + [step for step in trace[stop:] if step[0] in STOPS or step[0] == "none"]
    for code, values in trace:
        if code == "total" and previous[0] == "capped_at_cost" \
                and money(previous[1]["amount_cents"]) == money(values["amount_cents"]):
            continue
        text = sentence(code, values, language, measure_name, unit)
        if text:
            out.append(text)
            previous = (code, values)
    return " ".join(out)
