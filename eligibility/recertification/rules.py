"""The recertification calendar and the verification draw, as plain functions of plain data.

No Flask, no database: the daily job loads rows, asks these functions what each one is due,
and writes the answers.
"""
from __future__ import annotations

import hashlib
from datetime import date, timedelta
from decimal import Decimal
from typing import Iterable

from core.dates import add_months, period_of

DEFAULT_REMINDER_DAYS = (90, 60, 30, 7)
DEFAULT_GRACE_DAYS = 30
DEFAULT_VERIFICATION_DAYS = 45

CURRENT, GRACE, EXPIRED = "current", "grace", "expired"
__all__ = ("add_months", "period_of")  # the certification period is date arithmetic (core.dates)


def reminder_due(expires_on: date, on: date, reminder_days: Iterable[int], sent: Iterable[int] = ()) -> int | None:
    """The reminder to send on `on`, or None.

    Only the latest reminder that has come due is sent, so a job that missed days catches up
    with one letter, not a pile of them; nothing is sent once a later (or the same) reminder
    went out for this expiry, nor after the expiry day.
    """
    days_left = (expires_on - on).days
    if days_left < 0:
        return None
    come_due = [d for d in reminder_days if d >= days_left]
    if not come_due:
        return None
    latest = min(come_due)
    already = list(sent)
    if already and min(already) <= latest:
        return None
    return latest


def stage_on(expires_on: date, grace_days: int, on: date) -> str:
    """Where a certification that nobody renewed stands on a day: current, in grace, or expired."""
    if on <= expires_on:
        return CURRENT
    if on <= grace_end(expires_on, grace_days):
        return GRACE
    return EXPIRED


def grace_end(expires_on: date, grace_days: int) -> date:
    """The last day the benefit continues without a recertification."""
    return expires_on + timedelta(days=grace_days)


def recertified_period(expires_on: date, decided_on: date, months: int) -> tuple[date, date, bool]:
    """The new certification period and whether the recertification was in time.

    Approved by the expiry day, the new period runs on from the old expiry, so nobody loses
    days by recertifying early; approved later, a new period starts on the approval day.
    """
    if decided_on <= expires_on:
        start, end = period_of(expires_on + timedelta(days=1), months)
        return start, end, True
    start, end = period_of(decided_on, months)
    return start, end, False


_SPAN = 1 << 64


def selection_threshold(rate_percent: Decimal | str) -> int:
    """A rate in percent as a bound on 64-bit draws: draw < bound has exactly that probability."""
    rate = Decimal(str(rate_percent))
    if rate <= 0:
        return 0
    if rate >= 100:
        return _SPAN
    return int(rate * _SPAN / 100)


def draw_value(seed: str, enrollment_id: int) -> int:
    """A uniform 64-bit number for one enrollee under a seed: the same seed gives the same draw."""
    digest = hashlib.sha256(f"{seed}:{enrollment_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def select_for_verification(seed: str, enrollment_ids: Iterable[int], rate_percent: Decimal | str) -> list[int]:
    """Each enrollee is chosen independently with the configured probability.

    The draw depends only on the seed and the enrollment, never on the order or size of the
    population, so anyone holding the recorded seed can repeat it; a small program may have
    nobody chosen in a month.
    """
    threshold = selection_threshold(rate_percent)
    return [i for i in enrollment_ids if draw_value(seed, i) < threshold]


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"
