"""The wording of every letter, registered per notice kind by the area that sends it.

A wording is a function `(language, **context) -> (subject, body)`; `render` calls it inside
`force_locale(language)`, so every `_()` in it and every date it formats are in the letter's
language (the customer's), never the language of the staff member or job that sends it.
Wordings take plain values from their context and never query the database.
"""
from __future__ import annotations

from typing import Callable

from flask_babel import force_locale

Wording = Callable[..., tuple[str, str]]
_WORDINGS: dict[str, Wording] = {}


def register(kind: str, wording: Wording) -> Wording:
    """Register (or replace) the wording of a notice kind; kinds are at most 40 characters."""
    if len(kind) > 40:
        raise ValueError(f"notice kind too long: {kind}")
    _WORDINGS[kind] = wording
    return wording


def wording(kind: str):
    """A decorator: `@wording("receipt")` registers the function below it."""
    def decorate(function: Wording) -> Wording:
        return register(kind, function)
    return decorate


def kinds() -> list[str]:
    return sorted(_WORDINGS)


def render(kind: str, language: str, **context) -> tuple[str, str]:
    if kind not in _WORDINGS:
        raise ValueError(f"no wording registered for notice kind {kind!r}")
    with force_locale(language):
        return _WORDINGS[kind](language, **context)
