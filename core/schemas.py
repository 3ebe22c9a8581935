"""Marshmallow conventions for the API: dollars in as decimal strings, cents out as integers."""
from __future__ import annotations

import re
from datetime import date

from marshmallow import RAISE, Schema, ValidationError, fields

from core.money import MoneyError, parse_dollars

# At most twelve digits of whole dollars: every amount fits a BIGINT of cents with room to add.
DOLLARS_PATTERN = r"^-?\d{1,12}(\.\d{1,2})?$"


def dollars_pattern(allow_negative: bool) -> str:
    return DOLLARS_PATTERN if allow_negative else DOLLARS_PATTERN.replace("^-?", "^")


class BaseSchema(Schema):
    class Meta:
        unknown = RAISE
        ordered = True


class Dollars(fields.Field):
    """A request amount: a decimal string of dollars ("84.17") loaded as integer cents.

    With `numbers=True` a JSON number with at most two decimals is taken too (read through its
    shortest text, so 84.17 stays 8417 cents); scripts written by people often send numbers.
    """

    default_error_messages = {"invalid": 'Give the amount as a string of dollars, like "84.17".'}

    def __init__(self, *, allow_negative: bool = False, numbers: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.allow_negative = allow_negative
        self.numbers = numbers

    def _deserialize(self, value, attr, data, **kwargs) -> int:
        if self.numbers and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = repr(value)
        if not isinstance(value, str) or not re.fullmatch(DOLLARS_PATTERN, value):
            raise self.make_error("invalid")
        try:
            return parse_dollars(value, allow_negative=self.allow_negative)
        except MoneyError as exc:
            raise ValidationError(str(exc)) from exc

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        sign = "-" if value < 0 else ""
        return f"{sign}{abs(value) // 100}.{abs(value) % 100:02d}"


class Cents(fields.Integer):
    """A response amount in integer cents; its field name ends in `_cents`."""

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)


class IsoDate(fields.Date):
    """A calendar date as YYYY-MM-DD."""

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        # Always four digits for the year: strftime writes the year 540 as "540".
        return None if value is None else value.isoformat()


def iso(d: date | None) -> str | None:
    return d.isoformat() if d else None
