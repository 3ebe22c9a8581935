"""Money is integer cents. Dollars arrive as decimal strings ("84.17") and leave formatted."""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

_DOLLARS = re.compile(r"^\s*(-)?\$?\s*(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?\s*$")


class MoneyError(ValueError):
    """Text that is not an amount of dollars and cents."""


def parse_dollars(text: str | int | Decimal, *, allow_negative: bool = True) -> int:
    """'1,234.5' -> 123450. Floats are refused: they cannot hold cents exactly."""
    if isinstance(text, bool) or isinstance(text, float):
        raise MoneyError("amounts must be written as text, like 84.17")
    if isinstance(text, int):
        cents = text * 100
    elif isinstance(text, Decimal):
        if text != text.quantize(Decimal("0.01")):
            raise MoneyError("amounts have at most two decimal places")
        cents = int(text * 100)
    else:
        match = _DOLLARS.match(str(text))
        if not match:
            raise MoneyError(f"{text!r} is not an amount in dollars, like 84.17")
        sign, whole, frac = match.groups()
        cents = int(whole.replace(",", "")) * 100 + int((frac or "0").ljust(2, "0"))
        if sign:
            cents = -cents
    if cents < 0 and not allow_negative:
        raise MoneyError("the amount cannot be negative")
    return cents


def to_decimal(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def format_dollars(cents: int, *, always_cents: bool = True) -> str:
    """12345 -> '$123.45'; with always_cents=False, 6120000 -> '$61,200'."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    if not always_cents and frac == 0:
        return f"{sign}${whole:,}"
    return f"{sign}${whole:,}.{frac:02d}"


def percent_text(value: Decimal | str | int) -> str:
    """A percentage as data keeps it: plain digits, no exponent, no trailing zeros ('2E+1' -> '20').

    Stored rules hold percentages as Decimal text; `Decimal('20').normalize()` is '2E+1', which
    is exact but not how anyone writes it, so every percentage shown or written goes through here."""
    if isinstance(value, (bool, float)):
        raise MoneyError("percentages must be written as text, like 17.5")
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise MoneyError(f"{value!r} is not a percentage") from exc
    if not number.is_finite():
        raise MoneyError(f"{value!r} is not a percentage")
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def format_percent(value: Decimal | str | int, language: str = "en") -> str:
    """How people write a percentage: '20%', '17.5%'; in Spanish the decimal comma, '17,5%'."""
    text = percent_text(value)
    if str(language or "en").lower().startswith("es"):
        text = text.replace(".", ",")
    return f"{text}%"


def percent_of(cents: int, percent: Decimal | str) -> int:
    """A percentage of an amount, rounded half up to the cent (35% of $10.01 is $3.50)."""
    try:
        pct = Decimal(percent)
    except InvalidOperation as exc:
        raise MoneyError(f"{percent!r} is not a percentage") from exc
    return int((Decimal(cents) * pct / 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
