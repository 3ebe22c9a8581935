"""Errors a service raises for the caller to see, each with its HTTP status and API code."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

# What a refusal says when the code raising it gave no message of its own.
DEFAULT_MESSAGES = {
    400: _l("The request could not be used. Check what was sent and try again."),
    403: _l("You are not allowed to do this."),
    404: _l("We could not find that."),
    409: _l("Someone else changed this first. Reload the page and try again."),
    422: _l("Some fields are missing or not valid."),
}


class AssistError(Exception):
    """An expected failure with a message fit to show the person who caused it."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str | None = None, *, fields: dict[str, list[str]] | None = None) -> None:
        # Without a message, the status's own words (in the reader's language), so `raise
        # Forbidden()` is a 403 like any other, never a 500.
        if message is None:
            message = str(DEFAULT_MESSAGES.get(self.status, DEFAULT_MESSAGES[400]))
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class NotFound(AssistError):
    status = 404
    code = "not_found"


class Forbidden(AssistError):
    status = 403
    code = "forbidden"


class Conflict(AssistError):
    """Someone else changed the thing first (a stale version, a second decision)."""

    status = 409
    code = "conflict"


class Invalid(AssistError):
    """Well-formed input that breaks a rule; `fields` names what to fix."""

    status = 422
    code = "invalid"
