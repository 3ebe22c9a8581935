"""One input layer: what a request may carry before any view or service sees it.

- Route converters: `<int:...>` takes ASCII digits up to 2**63-1 (the largest id a BIGINT holds)
  and `<...>`/`<string:...>` text without control characters, at most 512 characters; anything
  else matches no route, so it is a 404 like any unknown page.
- Text that no database can store (a NUL character, a lone UTF-16 surrogate from JSON) and JSON
  numbers beyond 64 bits or not finite are refused for the whole request, with the field named:
  400 for text that cannot be stored, 422 for a number out of range.
- `whole_number()` reads a query or form value as a whole number in a range, ASCII digits only
  (`"²".isdigit()` is true, `int("²")` fails), refusing anything else with the field named.
"""
from __future__ import annotations

import math
import re
from typing import Any, Iterator

from flask import Flask, request
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter, UnicodeConverter

from core.errors import AssistError, Invalid

MAX_ID = 2**63 - 1
MAX_DAYS = 36_500  # a day count in a filter: a hundred years at most
MAX_PATH_TEXT = 512
MAX_JSON_DEPTH = 64
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_DIGITS = re.compile(r"[0-9]{1,19}")


class IdConverter(IntegerConverter):
    """`<int:name>`: 0 to 2**63-1 in ASCII digits; beyond that there is no such page."""

    regex = r"[0-9]{1,19}"

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ID,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class TextConverter(UnicodeConverter):
    """`<name>`: one path segment without control characters, at most 512 characters."""

    def __init__(self, map, minlength: int = 1, maxlength: int | None = MAX_PATH_TEXT,
                 length: int | None = None) -> None:
        super().__init__(map, minlength=minlength, maxlength=maxlength, length=length)
        self.regex = self.regex.replace("[^/]", "[^/\\x00-\\x1f\\x7f]")


class UnstorableText(AssistError):
    """A field holds a character no database stores; the request is refused as a whole."""

    status = 400
    code = "bad_request"


def _field_label(name: Any) -> str:
    return _UNSTORABLE.sub("\ufffd", str(name))[:100]


def whole_number(name: str, value: str | None, *, minimum: int = 0, maximum: int = MAX_ID,
                 default: int | None = None) -> int | None:
    """`value` (from a query string or a form) as a whole number from minimum to maximum.

    Missing or empty gives `default`; anything else that is not ASCII digits in range is a 422
    naming the field.
    """
    if value is None or value.strip() == "":
        return default
    text = value.strip()
    if not _DIGITS.fullmatch(text) or not minimum <= int(text) <= maximum:
        message = _("Give a whole number from %(low)s to %(high)s.", low=minimum, high=maximum)
        raise Invalid(_("%(field)s: %(message)s", field=name, message=message), fields={name: [message]})
    return int(text)


def _walk_json(value: Any, path: str, depth: int = 0) -> Iterator[tuple[str, str]]:
    """(field, problem) for each value of a JSON body that could not be stored."""
    if depth > MAX_JSON_DEPTH:
        yield path or "_schema", "depth"
        return
    if isinstance(value, str):
        if _UNSTORABLE.search(value):
            yield path or "_schema", "text"
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if abs(value) > MAX_ID:
            yield path or "_schema", "number"
    elif isinstance(value, float):
        if not math.isfinite(value):
            yield path or "_schema", "number"
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{_field_label(key)}" if path else _field_label(key)
            if isinstance(key, str) and _UNSTORABLE.search(key):
                yield name, "text"
            yield from _walk_json(item, name, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk_json(item, f"{path}.{index}" if path else str(index), depth + 1)


def _text_problems() -> dict[str, str]:
    problems: dict[str, str] = {}
    sources = [request.args]
    if request.method not in ("GET", "HEAD", "OPTIONS") and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        sources.append(request.form)
        for name, upload in request.files.items(multi=True):
            if _UNSTORABLE.search(name) or _UNSTORABLE.search(upload.filename or ""):
                problems.setdefault(_field_label(name), "text")
    for source in sources:
        for name, value in source.items(multi=True):
            if _UNSTORABLE.search(name) or _UNSTORABLE.search(value):
                problems.setdefault(_field_label(name), "text")
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str) and _UNSTORABLE.search(value):
            problems.setdefault(name, "text")
    if request.method not in ("GET", "HEAD", "OPTIONS") and request.is_json:
        try:
            payload = request.get_json(silent=True)
        except RecursionError:
            payload, problems["_schema"] = None, "depth"
        for name, problem in _walk_json(payload, ""):
            problems.setdefault(name, problem)
    return problems


def _refuse_bad_input() -> None:
    problems = _text_problems()
    if not problems:
        return
    messages = {
        "text": _("This contains a character that cannot be stored (a NUL character or a broken "
                  "character). Remove it and send again."),
        "number": _("This number is too large."),
        "depth": _("This is nested too deeply."),
    }
    fields = {name: [messages[problem]] for name, problem in problems.items()}
    names = ", ".join(sorted(fields))
    if all(problem == "number" for problem in problems.values()):
        raise Invalid(_("Some fields are not valid: %(names)s.", names=names), fields=fields)
    raise UnstorableText(_("Some fields contain characters that cannot be stored: %(names)s.", names=names),
                         fields=fields)


def init_converters(app: Flask) -> None:
    """Install the route converters; call it before any blueprint adds its routes."""
    app.url_map.converters["int"] = IdConverter
    app.url_map.converters["default"] = TextConverter
    app.url_map.converters["string"] = TextConverter


def init_inputs(app: Flask) -> None:
    """Check every request's text; call it after the sign-in package, so access is decided first."""
    app.before_request(_refuse_bad_input)
