"""Credits on bills: percentages and fixed amounts, prorated by days, to the cent, capped at the charges."""
from __future__ import annotations

from datetime import date

from eligibility.benefits import Segment, credit_cents, segments

CARE = {"kind": "percent_of_charges", "percent": {"electric": "35", "gas": "20"}}
CARE_LOWER = {"kind": "percent_of_charges", "percent": {"electric": "30"}}
EZSAVE = {"kind": "monthly_credit", "amount_cents": 817}


def _versions(switch: date):
    return lambda day: ("v1", CARE) if day < switch else ("v2", CARE_LOWER)


def test_a_whole_period_gets_the_percentage_of_its_charges():
    parts = segments(date(2026, 4, 1), date(2026, 4, 30), date(2025, 1, 1), date(2027, 1, 1), lambda d: ("v1", CARE))
    assert credit_cents(bill_start=date(2026, 4, 1), bill_end=date(2026, 4, 30), service="electric",
                        charges_cents=10_001, parts=parts) == 3_500  # 35% of $100.01 = $35.0035


def test_an_enrollment_starting_mid_period_is_prorated_by_days():
    parts = segments(date(2026, 4, 1), date(2026, 4, 30), date(2026, 4, 21), date(2028, 4, 20), lambda d: ("v1", CARE))
    assert [(p.start, p.end) for p in parts] == [(date(2026, 4, 21), date(2026, 4, 30))]
    # 10 of 30 days: 35% x $90.00 x 10/30 = $10.50
    assert credit_cents(bill_start=date(2026, 4, 1), bill_end=date(2026, 4, 30), service="electric",
                        charges_cents=9_000, parts=parts) == 1_050


def test_a_rule_change_inside_the_period_splits_it():
    parts = segments(date(2026, 5, 17), date(2026, 6, 15), date(2025, 1, 1), date(2028, 1, 1),
                     _versions(date(2026, 6, 1)))
    assert [(p.version, p.days) for p in parts] == [("v1", 15), ("v2", 15)]
    # $120.00: 35% x 15/30 = $21.00, 30% x 15/30 = $18.00
    assert credit_cents(bill_start=date(2026, 5, 17), bill_end=date(2026, 6, 15), service="electric",
                        charges_cents=12_000, parts=parts) == 3_900


def test_a_fixed_monthly_credit_is_prorated_and_never_more_than_the_charges():
    whole = [Segment(date(2026, 4, 1), date(2026, 4, 30), EZSAVE, "v1")]
    assert credit_cents(bill_start=date(2026, 4, 1), bill_end=date(2026, 4, 30), service="electric",
                        charges_cents=5_000, parts=whole) == 817
    assert credit_cents(bill_start=date(2026, 4, 1), bill_end=date(2026, 4, 30), service="electric",
                        charges_cents=500, parts=whole) == 500
    half = [Segment(date(2026, 4, 16), date(2026, 4, 30), EZSAVE, "v1")]
    assert credit_cents(bill_start=date(2026, 4, 1), bill_end=date(2026, 4, 30), service="electric",
                        charges_cents=5_000, parts=half) == 409  # $8.17 x 15/30 = $4.085


def test_services_the_program_does_not_cover_get_nothing():
    whole = [Segment(date(2026, 4, 1), date(2026, 4, 30), CARE, "v1")]
    assert credit_cents(bill_start=date(2026, 4, 1), bill_end=date(2026, 4, 30), service="water",
                        charges_cents=5_000, parts=whole) == 0
    assert credit_cents(bill_start=date(2026, 4, 1), bill_end=date(2026, 4, 30), service="electric",
                        charges_cents=-2_000, parts=whole) == 0
