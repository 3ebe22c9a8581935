"""`credits post`: each bill of an enrolled account becomes one credit, prorated, once, reversed on cancel."""
from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from accounts.models import Bill, ImportRun, LedgerEntry
from core import clock as core_clock
from core.audit import AuditRecord
from eligibility.enrollments.models import Enrollment
from tests.applications.helpers import make_world


@pytest.fixture
def world(app, db_session, clock):
    world = make_world(app, db_session, clock)
    body = world.submitted()
    world.decide(body["id"], decision="approve")  # CARE from 2026-11-23: 35% of electric charges
    return world


def _bill(db_session, account, bill_id, start, end, cents, service="electric", cancels=None):
    run = db_session.scalar(select(ImportRun).limit(1))
    if run is None:
        run = ImportRun(kind="bills", filename="t", sha256="0" * 64, started_at=core_clock.now(), actor_label="t",
                        rows=0, created=0, updated=0, unchanged=0)
        db_session.add(run)
        db_session.flush()
    bill = Bill(bill_id=bill_id, account_id=account.id, period_start=start, period_end=end, service=service,
                charges_cents=cents, cancels_bill_id=cancels, import_run_id=run.id)
    db_session.add(bill)
    db_session.flush()
    return bill


def _post(app, *args):
    result = app.test_cli_runner().invoke(args=["credits", "post", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _credits(db_session, account):
    return [(e.kind, e.amount_cents, e.source_id) for e in db_session.scalars(
        select(LedgerEntry).where(LedgerEntry.account_id == account.id).order_by(LedgerEntry.id))]


def test_bills_become_prorated_credits_once(world, app, db_session):
    account = world.account
    _bill(db_session, account, "B-NOV", date(2026, 11, 4), date(2026, 12, 3), 12_000)  # enrolled from Nov 23
    _bill(db_session, account, "B-DEC", date(2026, 12, 4), date(2027, 1, 3), 9_001)
    _bill(db_session, account, "W-DEC", date(2026, 12, 4), date(2027, 1, 3), 5_000, service="water")
    first = _post(app)
    assert first["credits"] == 2
    # Nov: 11 of 30 days x 35% x $120.00 = $15.40; Dec: 35% x $90.01 = $31.5035 -> $31.50
    assert _credits(db_session, account) == [("discount", 1_540, "B-NOV"), ("discount", 3_150, "B-DEC")]
    again = _post(app)
    assert again["credits"] == 0 and again["unchanged"] == 2
    assert len(_credits(db_session, account)) == 2
    # each credit has its own audit record (who, why, what), written once, by the first run
    entries = {e.id: e for e in db_session.scalars(select(LedgerEntry).where(LedgerEntry.account_id == account.id))}
    records = db_session.scalars(select(AuditRecord).where(AuditRecord.action == "credit.posted.discount")
                                 .order_by(AuditRecord.object_id)).all()
    assert sorted(int(r.object_id) for r in records) == sorted(entries)
    for record in records:
        entry = entries[int(record.object_id)]
        assert (record.object_type, record.actor_label, record.reason) == (
            "ledger_entries", "cli: credits post", f"CARE benefit on bill {entry.source_id}")
        assert record.details == {"account_id": account.id, "amount_cents": entry.amount_cents,
                                  "key": f"benefit:CARE:{entry.source_id}"}
        assert record.occurred_at == entry.created_at


def test_a_cancelled_bill_is_reversed_and_the_rebill_credited(world, app, db_session):
    account = world.account
    _bill(db_session, account, "B-1", date(2026, 12, 4), date(2027, 1, 3), 10_000)
    _post(app)
    _bill(db_session, account, "B-1R", date(2026, 12, 4), date(2027, 1, 3), 8_000, cancels="B-1")
    report = _post(app, "--period", "2026-12")
    assert report["reversed"] == 1 and report["credits"] == 1
    assert sorted((kind, cents) for kind, cents, _source in _credits(db_session, account)) == [
        ("discount", 2_800), ("discount", 3_500), ("reversal", -3_500)]
    assert _post(app)["reversed"] == 0  # once


def test_a_closed_account_gets_no_new_credit_and_an_ended_enrollment_stops_the_credit(world, app, db_session):
    account = world.account
    enrollment = db_session.scalar(select(Enrollment).where(Enrollment.account_id == account.id))
    enrollment.status, enrollment.ended_on = "ended", date(2026, 12, 19)  # last day with the benefit: Dec 18
    _bill(db_session, account, "B-E", date(2026, 12, 4), date(2027, 1, 2), 9_000)  # 30 days, 15 enrolled
    assert _post(app)["credits"] == 1
    assert _credits(db_session, account) == [("discount", 1_575, "B-E")]  # 35% x $90 x 15/30
    account.status = "closed"
    _bill(db_session, account, "B-F", date(2027, 1, 3), date(2027, 2, 2), 9_000)
    assert _post(app)["credits"] == 0


def test_a_back_dated_removal_reverses_the_excess_once(world, app, db_session):
    account = world.account
    _bill(db_session, account, "B-X", date(2026, 12, 4), date(2027, 1, 2), 9_000)  # 30 days
    _post(app)
    assert _credits(db_session, account) == [("discount", 3_150, "B-X")]
    enrollment = db_session.scalar(select(Enrollment).where(Enrollment.account_id == account.id))
    enrollment.status, enrollment.ended_on = "removed", date(2026, 12, 14)  # benefit through Dec 13: 10 days
    report = _post(app)
    assert report["reversed"] == 1 and report["credits"] == 0
    assert sum(cents for _kind, cents, _source in _credits(db_session, account)) == 1_050  # 35% x $90 x 10/30
    assert _post(app)["reversed"] == 0


@pytest.mark.parametrize("tier, credit", [("1", 4000), ("3", 1000)])
def test_a_tiered_program_credits_the_tier_its_determination_set(app, db_session, clock, tier, credit):
    """The tier is read from the determination of the application that certified the enrollment."""
    from datetime import datetime, timezone

    from eligibility import definitions
    from eligibility import service as programs_service
    from eligibility.assistance.models import ApplicationProgram
    from tests.factories import make_account, make_enrollment, make_user

    clock.freeze(datetime(2026, 3, 1, 18, 0, tzinfo=timezone.utc))
    programs_service.load_definitions(db_session, definitions.example())
    customer, account = make_user(db_session, "customer"), make_account(db_session, services="water")
    enrollment = make_enrollment(db_session, account=account, applicant=customer, program="EXAMPLE-TIERED",
                                 certified_from=date(2026, 2, 1))
    decided = db_session.scalar(select(ApplicationProgram).where(
        ApplicationProgram.application_id == enrollment.application_id))
    decided.determination = {"eligible": True, "tier": tier}
    _bill(db_session, account, "W-1", date(2026, 2, 1), date(2026, 2, 28), 9_000, service="water")
    assert _post(app)["credits"] == 1
    assert _credits(db_session, account) == [("discount", credit, "W-1")]
    assert _post(app)["credits"] == 0
