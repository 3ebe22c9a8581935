"""One clock for the whole service, so tests can set the time.

Timestamps are UTC; business dates (a rule's effective date, a certification's expiry) are
dates in the utility's time zone (`ASSIST_TIMEZONE`).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context


class Clock:
    """System time unless frozen; a frozen clock can be moved forward by tests."""

    def __init__(self, tz: str = "America/Los_Angeles") -> None:
        self.tz = ZoneInfo(tz)
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        return self._frozen if self._frozen is not None else datetime.now(timezone.utc)

    def today(self) -> date:
        """Today's business date in the utility's time zone."""
        return self.now().astimezone(self.tz).date()

    def freeze(self, at: datetime) -> None:
        if at.tzinfo is None:
            at = at.replace(tzinfo=self.tz)
        self._frozen = at.astimezone(timezone.utc)

    def advance(self, delta: timedelta) -> None:
        self.freeze(self.now() + delta)

    def unfreeze(self) -> None:
        self._frozen = None


_default = Clock()


def clock() -> Clock:
    if has_app_context():
        return current_app.extensions.get("assist.clock", _default)
    return _default


def now() -> datetime:
    """The current instant, timezone-aware in UTC."""
    return clock().now()


def today() -> date:
    """Today in the utility's time zone."""
    return clock().today()


def local_date(instant: datetime) -> date:
    """The utility's calendar date of a UTC instant (e.g. an application's submission)."""
    return instant.astimezone(clock().tz).date()
