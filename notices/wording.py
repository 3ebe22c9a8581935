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
_LABELS: dict[str, object] = {}


def register(kind: str, wording: Wording, label=None) -> Wording:
    """Register (or replace) the wording of a notice kind (at most 40 characters) and what staff
    pages call it (a lazy string, "Renewal reminder")."""
    if len(kind) > 40:
        raise ValueError(f"notice kind too long: {kind}")
    _WORDINGS[kind] = wording
    if label is not None:
        _LABELS[kind] = label
    return wording


def wording(kind: str, label=None):
    """A decorator: `@wording("receipt", _l("Application received"))` registers the function below it."""
    def decorate(function: Wording) -> Wording:
        return register(kind, function, label)
    return decorate


def kinds() -> list[str]:
    return sorted(_WORDINGS)


def labels() -> dict[str, object]:
    """Each registered kind's label, by kind."""
    return dict(_LABELS)


def render(kind: str, language: str, **context) -> tuple[str, str]:
    if kind not in _WORDINGS:
        raise ValueError(f"no wording registered for notice kind {kind!r}")
    with force_locale(language):
        return _WORDINGS[kind](language, **context)
