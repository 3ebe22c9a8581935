"""Budgets: set and raise, the append-only ledger and its sums, holds, commits, releases, the waitlist."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from core.audit import Actor, AuditRecord, acting_as
from core.errors import Conflict, Invalid
from rebates import budgets, rules
from rebates.models import RebateBudgetChange
from tests.rebates.helpers import make_application, make_program

JULY = date(2026, 8, 1)   # FY2027 for a program whose year starts 07-01


@pytest.fixture
def program(app, db_session):
    acting_as(Actor(label="test: manager", user_id=None, role="manager"))
    return make_program(db_session)


def line(db_session, program, year=2027):
    return next(b for b in budgets.overview(db_session) if b["program"] == program.code and b["fiscal_year"] == year)


@pytest.mark.parametrize("day, starts, year", [
    (date(2026, 6, 30), (7, 1), 2026), (date(2026, 7, 1), (7, 1), 2027), (date(2027, 6, 30), (7, 1), 2027),
    (date(2026, 1, 1), (1, 1), 2026), (date(2026, 12, 31), (1, 1), 2026),
    (date(2026, 9, 30), (10, 1), 2026), (date(2026, 10, 1), (10, 1), 2027),
])
def test_the_fiscal_year_is_named_by_the_year_it_ends(day, starts, year):
    assert rules.fiscal_year(day, starts) == year
    first, last = rules.fiscal_year_span(year, starts)
    assert first <= day <= last
    assert rules.fiscal_year(first, starts) == rules.fiscal_year(last, starts) == year
    assert rules.fiscal_year(first - timedelta(days=1), starts) == year - 1
    assert rules.fiscal_year(last + timedelta(days=1), starts) == year + 1


def test_offers_take_the_line_in_order_while_they_fit():
    assert rules.offers(500, [(1, 200), (2, 300), (3, 1)]) == [1, 2]
    assert rules.offers(250, [(1, 300), (2, 100)]) == []      # the second never jumps the first
    assert rules.offers(0, []) == []


def test_a_budget_is_set_then_raised_never_lowered(db_session, program):
    budgets.set_budget(db_session, program, 2027, 100_000, "board approval")
    budget, _change = budgets.set_budget(db_session, program, 2027, 150_000, "mid-year top-up")
    assert budget.amount_cents == 150_000
    with pytest.raises(Invalid) as refused:
        budgets.set_budget(db_session, program, 2027, 120_000, "oops")
    assert "only be raised" in refused.value.message and "$1,500.00" in refused.value.message
    assert budget.amount_cents == 150_000
    kept = db_session.query(RebateBudgetChange).filter_by(budget_id=budget.id).order_by(RebateBudgetChange.id).all()
    assert [(c.old_cents, c.new_cents, c.reason) for c in kept] == [(0, 100_000, "board approval"),
                                                                   (100_000, 150_000, "mid-year top-up")]
    assert all(c.changed_by_label == "test: manager" for c in kept)
    actions = [a for (a,) in db_session.query(AuditRecord.action).filter(AuditRecord.object_type == "rebate_budgets",
                                                                         AuditRecord.object_id == str(budget.id))]
    assert actions == ["rebate_budget.set", "rebate_budget.raised"]


def test_the_same_figure_again_changes_nothing(db_session, program):
    budgets.set_budget(db_session, program, 2027, 100_000)
    _budget, change = budgets.set_budget(db_session, program, 2027, 100_000)
    assert change is None


def test_hold_commit_for_less_and_pay_are_sums_of_the_ledger(db_session, program):
    budgets.set_budget(db_session, program, 2027, 100_000)
    first, second = make_application(db_session), make_application(db_session)
    assert budgets.hold(db_session, first.id, program, JULY, 30_000).status == "held"
    assert budgets.hold(db_session, second.id, program, JULY, 20_000).status == "held"
    figures = line(db_session, program)
    assert (figures["held_cents"], figures["available_cents"]) == (50_000, 50_000)
    budgets.commit(db_session, first.id, 25_000)            # approved for less: 5,000 goes back
    budgets.release(db_session, second.id, "denied")
    figures = line(db_session, program)
    assert (figures["held_cents"], figures["committed_cents"], figures["paid_cents"], figures["available_cents"]) \
        == (0, 25_000, 0, 75_000)
    budgets.pay(db_session, first.id, 25_000)
    figures = line(db_session, program)
    assert (figures["committed_cents"], figures["paid_cents"], figures["available_cents"]) == (0, 25_000, 75_000)


def test_refusals(db_session, program):
    budgets.set_budget(db_session, program, 2027, 100_000)
    application = make_application(db_session)
    budgets.hold(db_session, application.id, program, JULY, 10_000)
    with pytest.raises(Conflict):
        budgets.hold(db_session, application.id, program, JULY, 10_000)    # a second hold
    with pytest.raises(Invalid):
        budgets.commit(db_session, application.id, 10_001)                 # more than held
    with pytest.raises(Conflict):
        budgets.pay(db_session, application.id, 1)                         # nothing committed yet
    budgets.commit(db_session, application.id, 10_000)
    with pytest.raises(Conflict):
        budgets.pay(db_session, application.id, 10_001)
    with pytest.raises(Invalid):
        budgets.set_budget(db_session, program, 2027, 0)


def test_the_hold_goes_on_the_fiscal_year_of_the_submission(db_session, program):
    budgets.set_budget(db_session, program, 2026, 10_000)
    budgets.set_budget(db_session, program, 2027, 10_000)
    june, july = make_application(db_session), make_application(db_session)
    assert budgets.hold(db_session, june.id, program, date(2026, 6, 30), 10_000).fiscal_year == 2026
    assert budgets.hold(db_session, july.id, program, date(2026, 7, 1), 10_000).fiscal_year == 2027
    assert line(db_session, program, 2026)["available_cents"] == line(db_session, program, 2027)["available_cents"] == 0


def test_the_waitlist_in_order_of_submission_and_offers_while_they_fit(db_session, program):
    budgets.set_budget(db_session, program, 2027, 10_000)
    start = datetime(2026, 8, 1, 16, tzinfo=timezone.utc)
    holder = make_application(db_session)
    assert budgets.hold(db_session, holder.id, program, JULY, 9_000).status == "held"
    late, early, same_a = (make_application(db_session) for _ in range(3))
    same_b = make_application(db_session)
    # submitted out of id order: the line follows submission time, then id
    assert budgets.hold(db_session, late.id, program, JULY, 4_500, start + timedelta(hours=2)).position == 1
    assert budgets.hold(db_session, early.id, program, JULY, 4_000, start).position == 1
    assert budgets.position(db_session, late.id) == 2
    budgets.hold(db_session, same_b.id, program, JULY, 500, start + timedelta(hours=1))
    budgets.hold(db_session, same_a.id, program, JULY, 500, start + timedelta(hours=1))
    order = [e.application_id for e in budgets.waiting(db_session, line(db_session, program)["budget"].id)]
    assert order == [early.id, same_b.id, same_a.id, late.id]
    # 1,000 free: a small one that would fit still waits behind the first (no jumping the line)
    small = make_application(db_session)
    assert budgets.hold(db_session, small.id, program, JULY, 900, start + timedelta(hours=3)).status == "waitlisted"

    seen = []
    change = budgets.release(db_session, holder.id, "withdrawn", on_offer=seen.append)   # 10,000 free: 9,500 taken, 900 does not fit in 500
    assert [o.application_id for o in change.offers] == [early.id, same_b.id, same_a.id, late.id]
    assert seen == change.offers
    assert budgets.position(db_session, early.id) is None
    assert budgets.position(db_session, small.id) == 1
    figures = line(db_session, program)
    assert (figures["held_cents"], figures["available_cents"], figures["waitlisted"]) == (9_500, 500, 1)


def test_a_raise_offers_the_money_and_leaving_the_line_lets_the_next_in(db_session, program):
    budgets.set_budget(db_session, program, 2027, 1_000)
    big, small = make_application(db_session), make_application(db_session)
    assert budgets.hold(db_session, big.id, program, JULY, 5_000).position == 1
    assert budgets.hold(db_session, small.id, program, JULY, 800).position == 2
    assert budgets.release(db_session, big.id, "withdrawn while waiting").offers[0].application_id == small.id
    _b, change = budgets.set_budget(db_session, program, 2027, 20_000, "grant")
    assert change.offers == []
    again = make_application(db_session)
    assert budgets.hold(db_session, again.id, program, JULY, 5_000).status == "held"
    assert line(db_session, program)["available_cents"] == 20_000 - 800 - 5_000


def test_with_no_budget_for_the_year_the_application_waits(db_session, program):
    application = make_application(db_session)
    result = budgets.hold(db_session, application.id, program, JULY, 1_000)
    assert (result.status, result.position) == ("waitlisted", 1)
    budget, change = budgets.set_budget(db_session, program, 2027, 1_000, "first budget")
    assert [o.application_id for o in change.offers] == [application.id]
    assert line(db_session, program)["available_cents"] == 0


def test_the_budget_ledger_is_append_only(db_session, program):
    budgets.set_budget(db_session, program, 2027, 1_000)
    application = make_application(db_session)
    budgets.hold(db_session, application.id, program, JULY, 500)
    db_session.flush()
    for statement in ("UPDATE rebate_budget_entries SET amount_cents = 1",
                      "DELETE FROM rebate_budget_entries", "UPDATE rebate_budget_changes SET new_cents = 1"):
        savepoint = db_session.begin_nested()
        with pytest.raises(Exception, match="append-only"):
            db_session.execute(text(statement))
        savepoint.rollback()


def test_amounts_are_checked_by_the_database(db_session, program):
    budgets.set_budget(db_session, program, 2027, 1_000)
    application = make_application(db_session)
    budgets.hold(db_session, application.id, program, JULY, 500)
    budget_id = line(db_session, program)["budget"].id
    savepoint = db_session.begin_nested()
    with pytest.raises(Exception):
        db_session.execute(text("INSERT INTO rebate_budget_entries (budget_id, application_id, kind, amount_cents, "
                                "reason, created_at, created_by_label) VALUES (:b, :a, 'hold', -5, '', "
                                "CURRENT_TIMESTAMP, 'x')"), {"b": budget_id, "a": application.id})
    savepoint.rollback()


def test_migration_0022_goes_down_and_up_again(fresh_owner_database_url):
    from alembic import command
    from sqlalchemy import inspect

    from app import create_app
    from core.cli import alembic_config
    from core.database import db
    from tests.conftest import test_config

    app = create_app(test_config(fresh_owner_database_url))
    cfg = alembic_config(app)
    command.downgrade(cfg, "0021")
    with db.engine(app).connect() as conn:
        assert "rebate_budgets" not in inspect(conn).get_table_names()
    command.upgrade(cfg, "head")
    with db.engine(app).connect() as conn:
        assert {"rebate_budgets", "rebate_budget_entries", "rebate_waitlist", "rebate_payments",
                "rebate_payment_batches", "rebate_w9s"} <= set(inspect(conn).get_table_names())
    db.engine(app).dispose()


def test_every_change_is_audited_with_who_and_why(db_session, program):
    budgets.set_budget(db_session, program, 2027, 1_000, "board")
    first, second = make_application(db_session), make_application(db_session)
    budgets.hold(db_session, first.id, program, JULY, 800)
    budgets.hold(db_session, second.id, program, JULY, 500)          # waits
    budgets.commit(db_session, first.id, 600)                         # 200 back: not enough yet
    budgets.pay(db_session, first.id, 600)
    budgets.release(db_session, second.id, "withdrawn")
    db_session.flush()
    rows = db_session.query(AuditRecord).filter(AuditRecord.action.startswith("rebate_budget.")).order_by(
        AuditRecord.id).all()
    assert [(r.action, r.object_id, r.reason) for r in rows if r.object_type == "applications"] == [
        ("rebate_budget.hold", str(first.id), "submitted"),
        ("rebate_budget.waitlisted", str(second.id), None),
        ("rebate_budget.commit", str(first.id), "approved"),
        ("rebate_budget.release", str(first.id), "approved for less"),
        ("rebate_budget.payment", str(first.id), "paid"),
        ("rebate_budget.left_waitlist", str(second.id), "withdrawn"),
    ]
    assert {r.actor_label for r in rows} == {"test: manager"}


def test_registered_offer_handlers_hear_of_every_offer(app, db_session, program):
    heard = []
    budgets.register_offer_handler(app, heard.append)
    try:
        application = make_application(db_session)
        budgets.hold(db_session, application.id, program, JULY, 700)
        budgets.set_budget(db_session, program, 2027, 700, "grant")      # from the page or the command alike
    finally:
        app.extensions[budgets.OFFER_HANDLERS].remove(heard.append)
    assert heard == [budgets.Offer(application.id, 700, program.code, 2027)]
