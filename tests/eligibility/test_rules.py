"""The determination's rules: counting, bands, tiers, categorical paths, service areas, explanations."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings, strategies as st

from eligibility import explain
from eligibility.rules import (BELOW_INCOME_FLOOR, HOUSEHOLD_TOO_SMALL, OUTSIDE_SERVICE_AREA, OVER_INCOME_LIMIT,
                               Household, IncomeSource, Member, RuleError, counted_income)
from tests.eligibility.helpers import household, shipped_catalog

JUNE_2025 = date(2025, 6, 1)
SEATTLE_DAY = date(2026, 3, 1)


@pytest.mark.parametrize("frequency, amount_cents, annual_cents", [
    ("weekly", 100_001, 5_200_052), ("biweekly", 100_001, 2_600_026), ("semimonthly", 100_001, 2_400_024),
    ("monthly", 100_001, 1_200_012), ("annual", 100_001, 100_001),
])
def test_pay_periods_are_annualized_exactly_in_cents(frequency, amount_cents, annual_cents):
    assert IncomeSource("wages", amount_cents, frequency).annual_cents == annual_cents


def test_income_from_every_member_and_source_adds_up():
    home = Household((Member(40, (IncomeSource("wages", 120_000, "biweekly"), IncomeSource("child_support", 30_000, "monthly"))),
                      Member(67, (IncomeSource("social_security", 145_050, "monthly"),)),
                      Member(16, (IncomeSource("wages", 20_000, "weekly"),))))
    assert counted_income(home) == 120_000 * 26 + 30_000 * 12 + 145_050 * 12 + 20_000 * 52
    assert counted_income(home, "adults") == 120_000 * 26 + 30_000 * 12 + 145_050 * 12


def test_money_is_never_a_float():
    with pytest.raises(RuleError):
        IncomeSource("wages", 1200.5, "monthly")  # type: ignore[arg-type]
    with pytest.raises(RuleError):
        IncomeSource("lottery", 100, "monthly")


def test_care_counts_a_household_of_one_as_two():
    result = shipped_catalog().determine("CARE", household(1, 4_230_000), (), JUNE_2025)
    assert result.eligible and result.limit_cents == 4_230_000 and result.counted_size == 2
    assert ("counted_as", {"size": 1, "counted": 2}) in result.explanation


def test_fera_is_for_households_above_the_care_limit_up_to_250_percent():
    catalog = shipped_catalog()
    care_limit, fera_limit = 5_330_000, 6_662_500  # 3 people, 2025-26
    at_care = catalog.determine("FERA", household(3, care_limit), (), JUNE_2025)
    assert not at_care.eligible and at_care.reasons == (BELOW_INCOME_FLOOR,)
    assert catalog.determine("CARE", household(3, care_limit), (), JUNE_2025).eligible
    assert catalog.determine("FERA", household(3, care_limit + 1), (), JUNE_2025).eligible
    assert catalog.determine("FERA", household(3, fera_limit), (), JUNE_2025).eligible
    assert not catalog.determine("FERA", household(3, fera_limit + 1), (), JUNE_2025).eligible


def test_fera_needs_three_people():
    result = shipped_catalog().determine("FERA", household(2, 5_000_000), (), JUNE_2025)
    assert not result.eligible and HOUSEHOLD_TOO_SMALL in result.reasons


@pytest.mark.parametrize("income_cents, tier", [
    (0, "1"), (798_000, "1"), (798_001, "2"), (1_596_000, "2"), (1_596_001, "3"), (3_192_000, "3"), (3_192_001, None),
])
def test_tiers_are_bands_of_the_guideline(income_cents, tier):
    # EXAMPLE-TIERED: 0-50%, 51-100%, 101-200% of the 2026 guideline ($15,960 for one person).
    result = shipped_catalog().determine("EXAMPLE-TIERED", household(1, income_cents), (), date(2026, 2, 1))
    assert result.tier == tier
    assert result.eligible is (tier is not None)


def test_seattle_counts_only_adults_income():
    child_earns = Household((Member(40, (IncomeSource("wages", 5_000_000, "annual"),)),
                             Member(17, (IncomeSource("wages", 9_000_000, "annual"),))))
    result = shipped_catalog().determine("SEATTLE-UDP", child_earns, (), SEATTLE_DAY, zip_code="98118")
    assert result.eligible and result.income_cents == 5_000_000
    care = shipped_catalog().determine("CARE", child_earns, (), SEATTLE_DAY)
    assert care.income_cents == 14_000_000 and not care.eligible


def test_where_a_program_has_two_tests_both_must_pass():
    from eligibility.rules import IncomeTest, RuleVersion, determine

    version = RuleVersion(id="TWO.v1", program="TWO", effective_from=date(2026, 1, 1), effective_to=None,
                          tests=(IncomeTest("annual", (6_000_000,), 0), IncomeTest("monthly", (400_000,), 0)))
    passes_both = determine(version, household(1, 400_000, "monthly"), (), date(2026, 2, 1))
    fails_monthly = determine(version, household(1, 400_001, "monthly"), (), date(2026, 2, 1))
    assert passes_both.eligible
    assert not fails_monthly.eligible and fails_monthly.period == "monthly"
    assert fails_monthly.limit_cents == 400_000 and fails_monthly.income_cents == 400_001


@pytest.mark.parametrize("zip_code, inside", [("98118", True), ("98118-1234", True), ("98001", False), ("90012", False)])
def test_seattle_serves_only_its_zip_codes(zip_code, inside):
    result = shipped_catalog().determine("SEATTLE-UDP", household(2, 1_000_000), (), SEATTLE_DAY, zip_code=zip_code)
    assert result.eligible is inside
    assert (OUTSIDE_SERVICE_AREA in result.reasons) is (not inside)


def test_categorical_enrollment_qualifies_without_an_income_test():
    catalog = shipped_catalog()
    rich = household(2, 50_000_000)
    assert not catalog.determine("CARE", rich, (), JUNE_2025).eligible
    snap = catalog.determine("CARE", rich, ("SNAP",), JUNE_2025)
    assert snap.eligible and snap.categorical == "SNAP"
    assert not catalog.determine("FERA", household(3, 50_000_000), ("SNAP",), JUNE_2025).eligible


def test_ssi_income_counts_as_ssi_enrollment():
    home = Household((Member(70, (IncomeSource("ssi", 9_000_000, "annual"),)),))
    result = shipped_catalog().determine("SEATTLE-UDP", home, (), SEATTLE_DAY, zip_code="98101")
    assert result.eligible and result.categorical == "SSI"


def test_categorical_does_not_reach_outside_the_service_area():
    result = shipped_catalog().determine("SEATTLE-UDP", household(2, 0), ("SNAP",), SEATTLE_DAY, zip_code="90012")
    assert not result.eligible and result.reasons == (OUTSIDE_SERVICE_AREA,)


def test_the_explanation_reads_word_for_word_in_english():
    result = shipped_catalog().determine("CARE", household(4, 6_120_000), (), date(2025, 9, 15))
    assert explain.render(result.explanation, "en") == (
        "Your household of 4 earns $61,200 a year. The limit for 4 people from June 1, 2025 is $64,300. "
        "You qualify.")


def test_the_explanation_reads_word_for_word_in_spanish():
    result = shipped_catalog().determine("CARE", household(4, 6_120_000), (), date(2025, 9, 15))
    assert explain.render(result.explanation, "es") == (
        "Su hogar de 4 personas gana $61,200 al año. El límite para 4 personas a partir del 1 de junio de 2025 "
        "es de $64,300. Usted califica.")


def test_a_refusal_says_by_how_much_in_the_period_of_the_limit():
    result = shipped_catalog().determine("LIHEAP-CA", household(1, 333_167, "monthly"), (), date(2026, 1, 5))
    assert explain.render(result.explanation, "en") == (
        "Your household of 1 has an income of $3,331.67 a month. The monthly limit for 1 person from "
        "October 1, 2025 is $3,331.66. That is $0.01 over the limit. You do not qualify.")
    assert result.reasons == (OVER_INCOME_LIMIT,)


def test_an_empty_household_is_a_reason_not_a_crash():
    result = shipped_catalog().determine("CARE", Household(()), (), JUNE_2025)
    assert not result.eligible and result.reasons == ("no_household_members",)


def test_a_program_without_rules_on_the_day_is_an_error():
    with pytest.raises(RuleError):
        shipped_catalog().determine("SEATTLE-UDP", household(1), (), date(2025, 6, 1))


# --- properties ---------------------------------------------------------------------------------

PROGRAM_DAYS = [("CARE", JUNE_2025), ("CARE", date(2026, 8, 1)), ("FERA", date(2024, 9, 1)),
                ("EZSAVE", date(2025, 7, 1)), ("LIHEAP-CA", date(2026, 2, 1)), ("SEATTLE-UDP", SEATTLE_DAY),
                ("EXAMPLE-TIERED", date(2026, 2, 1))]
FREQS = st.sampled_from(["weekly", "biweekly", "semimonthly", "monthly", "annual"])


@settings(max_examples=300, deadline=None)
@given(program_day=st.sampled_from(PROGRAM_DAYS), size=st.integers(1, 14), income=st.integers(0, 30_000_000),
       more=st.integers(1, 30_000_000), frequency=FREQS)
def test_more_income_never_makes_an_ineligible_household_eligible(program_day, size, income, more, frequency):
    program, day = program_day
    catalog = shipped_catalog()
    if program != "FERA":  # FERA's band has a floor: more income can lift a household into it
        before = catalog.determine(program, household(size, income, frequency), (), day, zip_code="98101")
        after = catalog.determine(program, household(size, income + more, frequency), (), day, zip_code="98101")
        assert not (not before.eligible and after.eligible)
    else:
        above = catalog.determine(program, household(size, income, frequency), (), day)
        if OVER_INCOME_LIMIT in above.reasons:
            assert not catalog.determine(program, household(size, income + more, frequency), (), day).eligible


@settings(max_examples=200, deadline=None)
@given(program_day=st.sampled_from(PROGRAM_DAYS), size=st.integers(1, 40))
def test_a_larger_household_never_lowers_the_limit(program_day, size):
    program, day = program_day
    catalog = shipped_catalog()
    smaller = catalog.determine(program, household(size), (), day, zip_code="98101")
    larger = catalog.determine(program, household(size + 1), (), day, zip_code="98101")
    assert larger.limit_cents >= smaller.limit_cents


@settings(max_examples=200, deadline=None)
@given(program_day=st.sampled_from(PROGRAM_DAYS), size=st.integers(1, 12), income=st.integers(0, 30_000_000),
       categorical=st.sets(st.sampled_from(["SNAP", "SSI", "MEDICAID", "WIC"])))
def test_an_enrollment_never_takes_eligibility_away(program_day, size, income, categorical):
    program, day = program_day
    catalog = shipped_catalog()
    plain = catalog.determine(program, household(size, income), (), day, zip_code="98101")
    enrolled = catalog.determine(program, household(size, income), tuple(categorical), day, zip_code="98101")
    assert not (plain.eligible and not enrolled.eligible)
    for language in ("en", "es"):
        assert explain.render(enrolled.explanation, language)
