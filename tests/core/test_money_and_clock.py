"""Money in cents, dollars as text, and the one clock."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from core.clock import Clock
from core.money import MoneyError, format_dollars, parse_dollars, percent_of


@pytest.mark.parametrize("text, cents", [
    ("84.17", 8417), ("84.1", 8410), ("84", 8400), ("$1,234.56", 123456), ("-14,320.00", -1432000),
    ("0.00", 0), (" 7.05 ", 705), (Decimal("3.10"), 310), (12, 1200),
])
def test_dollars_become_exact_cents(text, cents):
    assert parse_dollars(text) == cents


@pytest.mark.parametrize("text", ["84.171", "eighty", "1,23.00", "", "1e3", 84.17, True, "--5"])
def test_what_is_not_an_amount_is_refused(text):
    with pytest.raises(MoneyError):
        parse_dollars(text)


def test_negative_amounts_can_be_refused():
    with pytest.raises(MoneyError, match="negative"):
        parse_dollars("-1.00", allow_negative=False)


@given(st.integers(min_value=-10**12, max_value=10**12))
def test_formatting_and_parsing_round_trip(cents):
    assert parse_dollars(format_dollars(cents)) == cents


def test_formatting():
    assert format_dollars(6120000, always_cents=False) == "$61,200"
    assert format_dollars(6120050, always_cents=False) == "$61,200.50"
    assert format_dollars(-705) == "-$7.05"


def test_percentages_round_half_up_to_the_cent():
    assert percent_of(1001, "35") == 350  # 350.35
    assert percent_of(1003, "35") == 351  # 351.05 -> 351
    assert percent_of(10000, Decimal("18")) == 1800


def test_a_frozen_clock_gives_business_dates_in_the_utility_time_zone():
    clock = Clock("America/Los_Angeles")
    clock.freeze(datetime(2026, 1, 1, 7, 30, tzinfo=timezone.utc))  # 23:30 on Dec 31 in Los Angeles
    assert clock.today() == date(2025, 12, 31)
    clock.advance(timedelta(hours=1))
    assert clock.today() == date(2026, 1, 1)
    assert clock.now().tzinfo == timezone.utc


def test_timestamps_are_stored_in_utc_and_come_back_aware(db_session):
    from core import audit
    from core.audit import AuditRecord

    los_angeles_noon = datetime(2026, 6, 1, 12, 0, tzinfo=Clock("America/Los_Angeles").tz)
    entry = audit.record(db_session, "test.time", object_type="x")
    entry.occurred_at = los_angeles_noon
    db_session.flush()
    db_session.expire_all()
    loaded = db_session.get(AuditRecord, entry.id)
    assert loaded.occurred_at == datetime(2026, 6, 1, 19, 0, tzinfo=timezone.utc)
    assert loaded.occurred_at.tzinfo == timezone.utc


def test_naive_timestamps_are_refused(db_session):
    from core import audit

    entry = audit.record(db_session, "test.time", object_type="x")
    entry.occurred_at = datetime(2026, 6, 1, 12, 0)
    with pytest.raises(Exception, match="timezone-aware"):
        db_session.flush()
    db_session.rollback()


@pytest.mark.parametrize("value, english, spanish", [
    ("2E+1", "20%", "20%"), ("2E+2", "200%", "200%"), (Decimal("20"), "20%", "20%"), ("17.50", "17.5%", "17,5%"),
    ("0.5", "0.5%", "0,5%"), (35, "35%", "35%"), ("0", "0%", "0%"), ("0.00", "0%", "0%"), ("1E+3", "1000%", "1000%"),
])
def test_percentages_are_written_as_people_write_them(value, english, spanish):
    from core.money import format_percent

    assert format_percent(value) == english and format_percent(value, "es") == spanish


@pytest.mark.parametrize("value", ["twenty", "", "NaN", "Infinity", 20.0, True])
def test_what_is_not_a_percentage_is_refused(value):
    from core.money import percent_text

    with pytest.raises(MoneyError):
        percent_text(value)


@given(st.decimals(min_value=0, max_value=1000, places=4, allow_nan=False, allow_infinity=False))
def test_a_percentage_keeps_its_value_and_never_an_exponent(number):
    from core.money import percent_text

    text = percent_text(number.normalize())
    assert "E" not in text.upper() and Decimal(text) == number
