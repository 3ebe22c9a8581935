"""The calendar and the draw as pure functions: reminders, catch-up, grace, renewal periods, selection."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from eligibility.recertification import rules

EXPIRY = date(2028, 11, 22)
DAYS = (90, 60, 30, 7)


@pytest.mark.parametrize("on, sent, expected", [
    (date(2028, 8, 23), [], None),          # 91 days before: too early
    (date(2028, 8, 24), [], 90),            # exactly 90 days before
    (date(2028, 8, 25), [90], None),        # the 90-day letter went out
    (date(2028, 9, 23), [90], 60),
    (date(2028, 11, 15), [90, 60], 7),      # the 30-day run was missed: only the latest goes out
    (date(2028, 11, 10), [], 30),           # never ran before: one letter, the latest due
    (date(2028, 11, 22), [90, 60, 30], 7),  # the expiry day itself still gets the last reminder
    (date(2028, 11, 22), [7], None),
    (date(2028, 11, 23), [], None),         # past expiry: grace, not reminders
])
def test_the_latest_reminder_come_due(on, sent, expected):
    assert rules.reminder_due(EXPIRY, on, DAYS, sent) == expected


def test_grace_and_expiry_by_date():
    assert rules.stage_on(EXPIRY, 30, date(2028, 11, 22)) == rules.CURRENT
    assert rules.stage_on(EXPIRY, 30, date(2028, 11, 23)) == rules.GRACE
    assert rules.grace_end(EXPIRY, 30) == date(2028, 12, 22)
    assert rules.stage_on(EXPIRY, 30, date(2028, 12, 22)) == rules.GRACE
    assert rules.stage_on(EXPIRY, 30, date(2028, 12, 23)) == rules.EXPIRED
    assert rules.stage_on(EXPIRY, 0, date(2028, 11, 23)) == rules.EXPIRED


def test_renewal_in_time_runs_on_from_the_old_expiry_and_late_starts_anew():
    assert rules.recertified_period(EXPIRY, date(2028, 9, 10), 24) == (date(2028, 11, 23), date(2030, 11, 22), True)
    assert rules.recertified_period(EXPIRY, EXPIRY, 24) == (date(2028, 11, 23), date(2030, 11, 22), True)
    assert rules.recertified_period(EXPIRY, date(2028, 12, 1), 24) == (date(2028, 12, 1), date(2030, 11, 30), False)
    assert rules.period_of(date(2026, 1, 31), 1) == (date(2026, 1, 31), date(2026, 2, 27))


def test_the_draw_is_reproducible_from_its_seed_and_independent_of_order():
    ids = list(range(1, 20_001))
    first = rules.select_for_verification("seed-2026-12", ids, "5")
    assert first == rules.select_for_verification("seed-2026-12", ids, "5")
    assert sorted(rules.select_for_verification("seed-2026-12", list(reversed(ids)), "5")) == first
    assert set(rules.select_for_verification("seed-2026-12", ids[:5000], "5")) == {i for i in first if i <= 5000}
    assert first != rules.select_for_verification("another seed", ids, "5")


@pytest.mark.parametrize("rate", ["1", "5", "12.5", "50"])
def test_over_many_enrollees_the_share_chosen_is_close_to_the_rate(rate):
    ids = range(1, 100_001)
    share = len(rules.select_for_verification("monthly", ids, rate)) / 100_000 * 100
    assert abs(share - float(rate)) < 0.5  # percentage points, over 100,000 enrollees


def test_a_small_program_may_have_nobody_chosen_and_the_bounds_are_exact():
    assert rules.select_for_verification("s", range(1, 11), "0") == []
    assert rules.select_for_verification("s", range(1, 11), "100") == list(range(1, 11))
    counts = [len(rules.select_for_verification(f"month-{m}", range(1, 21), "5")) for m in range(60)]
    assert 0 in counts and max(counts) >= 1  # twenty enrollees at 5%: some months nobody
    assert rules.selection_threshold(Decimal("50")) == 1 << 63


@given(st.dates(date(2025, 1, 1), date(2035, 1, 1)), st.integers(0, 200),
       st.lists(st.sampled_from(DAYS), unique=True))
def test_a_reminder_is_never_earlier_than_one_already_sent(expiry, before, sent):
    on = date.fromordinal(expiry.toordinal() - before)
    due = rules.reminder_due(expiry, on, DAYS, sent)
    if due is not None:
        assert due >= (expiry - on).days
        assert all(due < s for s in sent)
