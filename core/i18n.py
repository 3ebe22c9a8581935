"""The request's translations, resolved once per request and language instead of once per string.

Flask-Babel stays the API (`gettext`, `lazy_gettext`, `force_locale`, `refresh`), but each of its
`gettext` calls finds the context through several `LocalProxy` lookups, asks for the locale and
turns it into a string to find the catalogue: a page of 100-200 strings (labels are lazy strings
rendered one by one) spent a tenth of its CPU there (issue 12, under load). Here the catalogue
found for a request is kept on Flask-Babel's own per-request namespace beside the locale it was
found for, and reused while that locale object is the current one: `force_locale` and `refresh()`
replace or remove the locale, so a letter in Spanish inside an English request, or a language
changed mid-request, still get their own catalogue.
"""
from __future__ import annotations

from functools import lru_cache

from babel import support
from flask import Flask
from jinja2 import pass_eval_context
from markupsafe import Markup
from flask.globals import _cv_app
from flask_babel import Domain, format_date, format_datetime, get_locale, get_timezone


def _context():
    """Flask-Babel's per-request namespace (what its `_get_current_context` returns), or None."""
    app_context = _cv_app.get(None)
    if app_context is None:
        return None
    return getattr(app_context.g, "_flask_babel", None)


class RequestDomain(Domain):
    """The app's message domain, its catalogue cached on the request for the current locale."""

    def get_translations(self):
        ctx = _context()
        if ctx is not None:
            cached = getattr(ctx, "assist_translations", None)
            if cached is not None and cached[0] is getattr(ctx, "babel_locale", None) and cached[1] is self:
                return cached[2]
        translations = super().get_translations()  # also sets the request's locale
        ctx = _context()
        if ctx is not None and getattr(ctx, "babel_locale", None) is not None:
            ctx.assist_translations = (ctx.babel_locale, self, translations)
        return translations


_NULL = support.NullTranslations()


def translations():
    """The current request's catalogue: what templates' `_()` use (one method call per string)."""
    ctx = _context()
    if ctx is not None:
        cached = getattr(ctx, "assist_translations", None)
        if (cached is not None and cached[0] is getattr(ctx, "babel_locale", None)
                and cached[1] is getattr(ctx, "babel_domain", cached[1])):
            return cached[2]
    from flask_babel import get_translations

    return get_translations() if _cv_app.get(None) is not None else _NULL


def current_locale():
    ctx = _context()
    locale = getattr(ctx, "babel_locale", None) if ctx is not None else None
    return locale if locale is not None else get_locale()


def current_language() -> str:
    return str(current_locale() or "en")


@lru_cache(maxsize=8192)
def _formatted(kind: str, value, style: str, locale, tzinfo) -> str:
    """Called only when `locale` and `tzinfo` are the request's: they are the cache's key."""
    return format_datetime(value, style) if kind == "datetime" else format_date(value, style)


def format_instant(value, style: str = "medium") -> str:
    """A UTC timestamp in the utility's time zone and the reader's language (a page's rows repeat them)."""
    ctx = _context()
    tzinfo = getattr(ctx, "babel_tzinfo", None) if ctx is not None else None
    return _formatted("datetime", value, style, current_locale(), tzinfo or get_timezone())


def format_day(value, style: str = "long") -> str:
    return _formatted("date", value, style, current_locale(), None)


@pass_eval_context
def _template_gettext(eval_ctx, string: str, **variables) -> str:
    """`{{ _("...") }}` as Jinja's "newstyle" gettext does it (escaped, always %-formatted), in one
    call instead of three nested `Context.call`s: templates have hundreds of these."""
    catalogue = translations()
    if not variables:  # most strings: the finished text is kept with the catalogue
        done = _finished(catalogue)
        key = (string, eval_ctx.autoescape)
        rv = done.get(key)
        if rv is None:
            rv = catalogue.ugettext(string)
            rv = done[key] = (Markup(rv) if eval_ctx.autoescape else rv) % variables
        return rv
    rv = catalogue.ugettext(string)
    if eval_ctx.autoescape:
        rv = Markup(rv)
    return rv % variables


def _finished(catalogue) -> dict:
    try:
        return catalogue.assist_finished
    except AttributeError:
        catalogue.assist_finished = {}
        return catalogue.assist_finished


@pass_eval_context
def _template_ngettext(eval_ctx, singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("num", num)
    rv = translations().ungettext(singular, plural, num)
    if eval_ctx.autoescape:
        rv = Markup(rv)
    return rv % variables


def init_i18n(app: Flask, babel) -> None:
    """Give Flask-Babel the caching domain and templates the direct catalogue look-up."""
    babel.domain_instance = RequestDomain(domain=app.extensions["babel"].default_domain)
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
    )
    app.jinja_env.globals.update(_=_template_gettext, gettext=_template_gettext, ngettext=_template_ngettext)
