"""Date arithmetic every area uses: months later, periods that include their last day."""
from __future__ import annotations

import calendar
from datetime import date, timedelta


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it is shorter (Jan 31 + 1 -> Feb 28)."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def period_of(start: date, months: int) -> tuple[date, date]:
    """A period `months` long from `start`, the last day included (a certification period)."""
    return start, add_months(start, months) - timedelta(days=1)
