"""Errors a service raises for the caller to see, each with its HTTP status and API code."""
from __future__ import annotations


class AssistError(Exception):
    """An expected failure with a message fit to show the person who caused it."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None) -> None:
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
