"""What every page and API response gets: request ids, language, security headers, error pages."""
from __future__ import annotations

import logging
import re
import uuid
from urllib.parse import urlsplit

from flask import Flask, current_app, g, has_request_context, render_template, request
from flask_babel import Babel, gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed

from core.api import error_response
from core.config import DEVELOPMENT_BASE_URL
from core.i18n import current_language, format_day, format_instant, init_i18n
from core.letters import letter_frame
from core.money import format_dollars, format_percent
from core.nav import init_nav
from core.errors import AssistError

log = logging.getLogger(__name__)


def external_url(endpoint: str, **values) -> str:
    """A full link for a letter or an email, in a request or in a command: always from BASE_URL.

    Never from the request: its Host header (and X-Forwarded-Host/-Prefix) is whatever the caller
    sent, and a reset link must not point at an attacker's server.
    """
    base = urlsplit(current_app.config.get("BASE_URL") or DEVELOPMENT_BASE_URL)
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    current_app.inject_url_defaults(endpoint, values)
    return adapter.build(endpoint, values, force_external=True)


LANGUAGE_COOKIE = "assist_lang"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "img-src 'self' data:",
    "style-src 'self'",
    "script-src 'self'",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def select_language() -> str:
    """The person's saved choice, then the language cookie, then the browser's preference."""
    languages = ("en", "es")
    if not has_request_context():
        return g.get("user_language") or "en"
    chosen = g.get("user_language")
    if chosen in languages:
        return chosen
    cookie = request.cookies.get(LANGUAGE_COOKIE)
    if cookie in languages:
        return cookie
    return request.accept_languages.best_match(languages) or "en"


def _format_instant(value) -> str:
    """A UTC timestamp shown in the utility's time zone, in the reader's language."""
    if value is None:
        return ""
    return format_instant(value, "medium")


def _format_day(value) -> str:
    if value is None:
        return ""
    return format_day(value, "long")


def is_api_request() -> bool:
    return request.path.startswith("/api/")


# Messages shown on error pages, looked up lazily so they are translated per request.
def _error_text(code: int) -> tuple[str, str]:
    texts = {
        400: (_("Something in the request was not right"),
              _("The page could not use what was sent. Go back, check the form and try again.")),
        401: (_("Please sign in"), _("You need to sign in to see this page.")),
        403: (_("You do not have access to this page"),
              _("Your account is not allowed to see this page. If you think it should be, contact "
                "customer service.")),
        404: (_("Page not found"),
              _("We could not find that page. Check the address, or start again from the home page.")),
        405: (_("That action is not allowed here"), _("Go back and use the buttons on the page.")),
        409: (_("Someone else changed this first"),
              _("Reload the page to see the latest version, then try again.")),
        413: (_("The file is too large"),
              _("The file you sent is larger than we accept. Send a smaller file or fewer pages.")),
        429: (_("Too many tries"), _("Please wait a little and try again.")),
        500: (_("Something went wrong on our side"),
              _("We could not finish this. Nothing you entered was lost; please try again in a few "
                "minutes.")),
    }
    return texts.get(code, texts[500] if code >= 500 else texts[400])


def render_error(code: int, detail: str | None = None, retry_after: str | None = None):
    if is_api_request():
        api_codes = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                     405: "method_not_allowed", 409: "conflict", 413: "too_large", 422: "invalid",
                     429: "rate_limited"}
        title, text = _error_text(code)
        response = error_response(code, api_codes.get(code, "server_error"), detail or text)
    else:
        title, text = _error_text(code)
        response = render_template("error.html", code=code, title=title, text=text, detail=detail)
        response = (response, code)
        from flask import make_response

        response = make_response(response)
    if retry_after:
        response.headers["Retry-After"] = retry_after
    return response


def init_web(app: Flask) -> None:
    from core.inputs import init_converters

    init_converters(app)  # before any blueprint adds a route
    init_i18n(app, Babel(app, locale_selector=select_language))
    app.jinja_env.globals["current_language"] = current_language
    app.jinja_env.filters["datetime"] = _format_instant
    app.jinja_env.filters["date"] = _format_day
    app.jinja_env.filters["money"] = format_dollars
    app.jinja_env.globals["letter_frame"] = letter_frame
    app.jinja_env.filters["percent"] = lambda value: format_percent(value, current_language())
    init_nav(app)

    @app.before_request
    def _request_id():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        headers["Referrer-Policy"] = "same-origin"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
        headers["X-Request-ID"] = g.get("request_id", "")
        if app.config.get("PRODUCTION"):
            headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
        if g.get("signed_in") and not request.path.startswith("/static/"):
            headers["Cache-Control"] = "no-store"
            headers["Pragma"] = "no-cache"
        if not request.path.startswith("/static/"):
            headers.add("Vary", "Cookie")
            headers["Content-Language"] = current_language()
        return response

    @app.errorhandler(AssistError)
    def _assist_error(exc: AssistError):
        if is_api_request():
            return error_response(exc.status, exc.code, exc.message, exc.fields)
        return render_error(exc.status, exc.message)

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError):
        if is_api_request():
            return error_response(400, "csrf", "The CSRF token is missing or not valid: send the "
                                               "X-CSRFToken header, or sign in with a bearer token.")
        return render_error(400, _("This form has expired. Go back, reload the page and send it again."))

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        code = exc.code or 500
        retry_after = None
        if code == 429:
            retry_after = exc.response.headers.get("Retry-After") if exc.response else None
            retry_after = retry_after or str(getattr(exc, "retry_after", None) or 60)
        detail = exc.description if exc.description != type(exc).description else None
        if code == 413:  # a request over the upload limit: say which limit, tie it to the file in the API
            from core.uploads import drain, refused_request_message

            drain()
            detail = refused_request_message()
            if is_api_request():
                return error_response(413, "too_large", detail, {"file": [detail]})
        response = render_error(code, detail, retry_after=retry_after)
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            response.headers["Allow"] = ", ".join(sorted(set(exc.valid_methods) | {"OPTIONS"}))
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return _http_error(exc)
        log.exception("unhandled error on %s %s (request %s)", request.method, request.path,
                      g.get("request_id"))
        if app.config.get("PROPAGATE_EXCEPTIONS"):
            raise exc
        return render_error(InternalServerError.code)
