"""Every shipped program and year against its published numbers, to the cent, sizes 1 to 10.

The expected figures are written out from the published tables (GUIDE.md section 2), not
computed by the code under test.
"""
from __future__ import annotations

from datetime import date

import pytest

from eligibility.rules import OVER_INCOME_LIMIT
from tests.eligibility.helpers import household, shipped_catalog

D = 100  # cents in a dollar

CARE = {  # 200% of the year's guideline, 1 counted as 2
    date(2024, 6, 1): [40880, 40880, 51640, 62400, 73160, 83920, 94680, 105440, 116200, 126960],
    date(2025, 6, 1): [42300, 42300, 53300, 64300, 75300, 86300, 97300, 108300, 119300, 130300],
    date(2026, 6, 1): [43280, 43280, 54640, 66000, 77360, 88720, 100080, 111440, 122800, 134160],
}
FERA = {  # 250%, households of 3 or more
    date(2024, 6, 1): [64550, 78000, 91450, 104900, 118350, 131800, 145250, 158700],
    date(2025, 6, 1): [66625, 80375, 94125, 107875, 121625, 135375, 149125, 162875],
    date(2026, 6, 1): [68300, 82500, 96700, 110900, 125100, 139300, 153500, 167700],
}
EZSAVE = {date(2024, 7, 1): CARE[date(2024, 6, 1)], date(2025, 7, 1): CARE[date(2025, 6, 1)],
          date(2026, 7, 1): CARE[date(2026, 6, 1)]}
LIHEAP_CA_MONTHLY_CENTS = [333166, 435683, 538200, 640716, 743235, 845750, 864972, 884194, 903415, 922625]
SEATTLE_ANNUAL = [51228, 66984, 82740, 98508, 114264, 130032, 132984, 135936, 138900, 141852]
SEATTLE_MONTHLY = [4269, 5582, 6895, 8209, 9522, 10836, 11082, 11328, 11575, 11821]


def _cases():
    for program, table in (("CARE", CARE), ("EZSAVE", EZSAVE)):
        for day, limits in table.items():
            for size, dollars in enumerate(limits, start=1):
                yield pytest.param(program, day, size, dollars * D, "annual", id=f"{program}-{day.year}-{size}")
    for day, limits in FERA.items():
        for size, dollars in enumerate(limits, start=3):
            yield pytest.param("FERA", day, size, dollars * D, "annual", id=f"FERA-{day.year}-{size}")
    for size, cents in enumerate(LIHEAP_CA_MONTHLY_CENTS, start=1):
        yield pytest.param("LIHEAP-CA", date(2025, 10, 1), size, cents, "monthly", id=f"LIHEAP-CA-{size}")
    for size, dollars in enumerate(SEATTLE_ANNUAL, start=1):
        yield pytest.param("SEATTLE-UDP", date(2026, 1, 1), size, dollars * D, "annual", id=f"SEATTLE-annual-{size}")
    for size, dollars in enumerate(SEATTLE_MONTHLY, start=1):
        yield pytest.param("SEATTLE-UDP", date(2026, 1, 1), size, dollars * D, "monthly", id=f"SEATTLE-monthly-{size}")


@pytest.mark.parametrize("program, day, size, limit_cents, period", list(_cases()))
def test_at_the_limit_qualifies_one_cent_over_does_not(program, day, size, limit_cents, period):
    catalog = shipped_catalog()
    home = "98118" if program == "SEATTLE-UDP" else "90012"  # inside each program's service area
    at = catalog.determine(program, household(size, limit_cents, period), (), day, zip_code=home)
    above = catalog.determine(program, household(size, limit_cents + 1, period), (), day, zip_code=home)
    below = catalog.determine(program, household(size, limit_cents - 1, period), (), day, zip_code=home)
    assert at.eligible and below.eligible, at.reasons
    assert not above.eligible and OVER_INCOME_LIMIT in above.reasons
    if period == "annual" or program == "LIHEAP-CA":
        assert at.limit_cents == limit_cents and at.margin_cents == 0 and above.margin_cents == -1


def test_sizes_past_the_table_add_the_published_amount_per_person():
    catalog = shipped_catalog()
    assert catalog.determine("LIHEAP-CA", household(11, 0), (), date(2026, 3, 1)).limit_cents == 922625 + 19221
    assert catalog.determine("SEATTLE-UDP", household(12, 0), (), date(2026, 3, 1)).limit_cents == (141852 + 2 * 2964) * D
    assert catalog.determine("CARE", household(12, 0), (), date(2025, 6, 1)).limit_cents == (130300 + 2 * 11000) * D


@pytest.mark.parametrize("program, last_day_before, first_day, before_cents, after_cents", [
    ("CARE", date(2025, 5, 31), date(2025, 6, 1), 62400 * D, 64300 * D),
    ("CARE", date(2026, 5, 31), date(2026, 6, 1), 64300 * D, 66000 * D),
    ("EZSAVE", date(2025, 6, 30), date(2025, 7, 1), 62400 * D, 64300 * D),
    ("EZSAVE", date(2026, 6, 30), date(2026, 7, 1), 64300 * D, 66000 * D),
    ("FERA", date(2025, 5, 31), date(2025, 6, 1), 78000 * D, 80375 * D),
])
def test_the_limit_switches_on_the_published_date(program, last_day_before, first_day, before_cents, after_cents):
    catalog = shipped_catalog()
    before = catalog.determine(program, household(4, 0), (), last_day_before)
    after = catalog.determine(program, household(4, 0), (), first_day)
    assert (before.limit_cents, after.limit_cents) == (before_cents, after_cents)
    assert before.rule_version != after.rule_version


def test_programs_are_open_only_on_their_dates():
    catalog = shipped_catalog(with_example=False)
    assert catalog.open_programs(date(2024, 5, 31)) == []
    assert set(catalog.open_programs(date(2025, 12, 1))) == {"CARE", "FERA", "EZSAVE", "LIHEAP-CA"}
    assert set(catalog.open_programs(date(2026, 3, 1))) == {"CARE", "FERA", "EZSAVE", "LIHEAP-CA", "SEATTLE-UDP"}
    assert set(catalog.open_programs(date(2026, 10, 1))) == {"CARE", "FERA", "EZSAVE", "SEATTLE-UDP"}
    assert set(catalog.open_programs(date(2027, 1, 1))) == {"CARE", "FERA", "EZSAVE"}
