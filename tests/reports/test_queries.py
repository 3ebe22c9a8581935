"""The figures the reports are built from, on a known world."""
from __future__ import annotations

from datetime import date

import pytest

from reports import queries
from tests.reports.seed import FROM, TO, seed


@pytest.fixture
def world(db_session):
    return seed(db_session)


def _by_code(figures):
    return {row.program: row for row in figures.summary}


def test_summary_counts_enrollments_decisions_and_credits(db_session, world):
    programs = queries.programs(db_session, ["CARE", "FERA"])
    figures = queries.figures(db_session, programs, queries.Period(FROM, TO))
    care, fera = _by_code(figures)["CARE"], _by_code(figures)["FERA"]
    assert (care.enrolled_start, care.new, care.ended, care.enrolled_end) == (3, 3, 2, 4)
    assert (care.new_online, care.new_assisted, care.new_auto) == (2, 1, 0)
    assert (care.ended_expired, care.removed, care.net_change) == (1, 1, 1)
    assert (care.received, care.approved, care.denied, care.pending) == (8, 1, 3, 1)
    assert care.median_days_to_decision == 6.5
    assert (care.benefits_cents, care.reversals_cents) == (3250, -500)
    # FERA's approval came on July 2: after the period, so pending at its end.
    assert (fera.enrolled_start, fera.new, fera.enrolled_end) == (0, 1, 1)
    assert (fera.received, fera.approved, fera.pending, fera.benefits_cents) == (2, 0, 1, 700)


def test_monthly_rows_add_up_to_the_summary(db_session, world):
    programs = queries.programs(db_session, ["CARE"])
    figures = queries.figures(db_session, programs, queries.Period(FROM, TO))
    months = [m for m in figures.monthly if m.program == "CARE"]
    assert [m.month for m in months] == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
    assert months[0].beginning == 3 and months[-1].ending == 4
    assert [m.ending for m in months] == [3, 4, 5, 5, 4, 4]
    assert sum(m.approved for m in months) == 1 and sum(m.denied for m in months) == 3
    assert months[1].explanation() == "largest cause: new (online), 1"


def test_test_records_are_in_no_figure(db_session, world):
    programs = queries.programs(db_session, ["CARE"])
    period = queries.Period(FROM, TO)
    rows = list(queries.application_rows(db_session, [p.id for p in programs], period, secret="s", identified=True))
    assert all(r.account != "T00000TEST" for r in rows)
    assert ("test_reason" not in {r.reason for r in rows})
    assert sum(d.count for d in queries.denial_rows(db_session, programs, period)) == 3


def test_business_dates_decide_the_period(db_session, world):
    """A decision at 05:00 UTC on March 1 is February 28 in Los Angeles: February counts it, March does not."""
    from datetime import datetime, timezone

    from tests.reports.seed import _application

    application = _application(db_session, world.accounts[7], world.customer, "CARE", date(2026, 2, 20), "approved",
                               date(2026, 2, 28))
    application.programs[0].decided_at = datetime(2026, 3, 1, 5, 0, tzinfo=timezone.utc)
    db_session.flush()
    programs = queries.programs(db_session, ["CARE"])
    feb = queries.figures(db_session, programs, queries.Period(date(2026, 2, 28), date(2026, 2, 28)))
    march = queries.figures(db_session, programs, queries.Period(date(2026, 3, 1), date(2026, 3, 1)))
    assert (feb.summary[0].approved, march.summary[0].approved) == (1, 0)
    assert [m.approved for m in feb.monthly] == [1]


def test_application_rows_are_opaque_unless_identified(db_session, world):
    programs = queries.programs(db_session, ["CARE"])
    period = queries.Period(FROM, TO)
    rows = list(queries.application_rows(db_session, [p.id for p in programs], period, secret="s"))
    assert len(rows) == queries.count_application_rows(db_session, [p.id for p in programs], period) == 8
    assert all(r.account is None and r.reference.startswith("R-") for r in rows)
    again = list(queries.application_rows(db_session, [p.id for p in programs], period, secret="s"))
    assert [r.reference for r in rows] == [r.reference for r in again]
    assert [r.submitted_on for r in rows] == sorted(r.submitted_on for r in rows)


def test_the_median_from_a_histogram_is_the_median():
    import statistics

    from hypothesis import given, strategies as st

    @given(st.lists(st.integers(min_value=0, max_value=400), min_size=1, max_size=60))
    def check(values):
        histogram: dict[int, int] = {}
        for v in values:
            histogram[v] = histogram.get(v, 0) + 1
        assert queries._median(histogram) == statistics.median(values)

    check()


def test_months_follow_the_utilitys_clock_across_daylight_saving(db_session, world):
    """Decisions at 06:30 UTC on April 1 (March 31, 23:30 in Los Angeles, PDT) and 08:30 UTC on December 1
    (December 1 at 00:30, PST) fall in March and December."""
    from datetime import datetime, timezone

    from tests.reports.seed import _application

    for decided in (datetime(2026, 4, 1, 6, 30, tzinfo=timezone.utc), datetime(2026, 12, 1, 8, 30, tzinfo=timezone.utc)):
        application = _application(db_session, world.accounts[7], world.customer, "FERA", date(2026, 3, 1),
                                   "approved", date(2026, 3, 1))
        application.programs[0].decided_at = decided
    db_session.flush()
    programs = queries.programs(db_session, ["FERA"])
    year = queries.figures(db_session, programs, queries.Period(date(2026, 1, 1), date(2026, 12, 31)))
    approved = {m.month: m.approved for m in year.monthly if m.approved}
    assert approved == {"2026-03": 1, "2026-07": 1, "2026-12": 1}
    assert year.summary[0].median_days_to_decision == 30.0  # 30 (Mar 31), 3 (Jul 2 - Jun 29), 275 (Dec 1)


def test_recertification_counts_come_from_the_enrollments_history(db_session, world, clock):
    from datetime import datetime, timezone

    from core import audit
    from eligibility.enrollments.models import Enrollment
    from sqlalchemy import select

    enrollments = db_session.scalars(select(Enrollment).where(Enrollment.account_id.in_(
        [a.id for a in world.accounts[:6]])).order_by(Enrollment.id)).all()
    clock.freeze(datetime(2026, 3, 10, 18, 0, tzinfo=timezone.utc))
    for enrollment, action in zip(enrollments, ("enrollment.recertified", "enrollment.recertified",
                                                "enrollment.recertified_late", "enrollment.expired",
                                                "enrollment.verification_requested", "enrollment.verified")):
        audit.record(db_session, action, obj=enrollment)
    test_enrollment = db_session.scalar(select(Enrollment).where(Enrollment.account_id == world.test_account.id))
    audit.record(db_session, "enrollment.expired", obj=test_enrollment)  # a test record: not counted
    clock.freeze(datetime(2026, 7, 10, 18, 0, tzinfo=timezone.utc))
    audit.record(db_session, "enrollment.recertified", obj=enrollments[0])  # after the period
    db_session.flush()
    row = queries.recertification_rows(db_session, queries.programs(db_session, ["CARE"]), queries.Period(FROM, TO))[0]
    assert (row.due, row.in_time, row.late, row.dropped) == (4, 2, 1, 1)
    assert (row.selected, row.selected_application, row.verified) == (1, 1, 1)
    assert row.rate(row.in_time, row.due) == 0.5


def test_the_dashboard_counts_renewals_due_and_applications_waiting(db_session, world):
    from datetime import timedelta

    from eligibility.enrollments.models import Enrollment
    from sqlalchemy import select

    today = date(2026, 6, 30)
    enrollments = db_session.scalars(select(Enrollment).where(Enrollment.account_id.in_(
        [a.id for a in world.accounts[3:6]])).order_by(Enrollment.id)).all()
    for enrollment, days in zip(enrollments, (10, 45, 80)):
        enrollment.certified_to = today + timedelta(days=days)
    db_session.flush()
    rows, months = queries.dashboard(db_session, queries.programs(db_session, ["CARE"]), today)
    care = rows[0]
    assert care.due == {30: 1, 60: 2, 90: 3}
    assert (care.pending, care.oldest_days, care.ages) == (1, 5, {"0-7": 1, "8-30": 0, "31+": 0})
    assert (care.enrolled, care.new_year, care.ended_year, care.new_month, care.ended_month) == (4, 3, 2, 0, 0)
    assert [m.ending for m in months] == [3, 4, 5, 5, 4, 4]
