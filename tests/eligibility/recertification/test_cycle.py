"""`recert run` through whole certification cycles: reminders on their days, catch-up, grace, expiry, renewal."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from core.outbox import OutboxMessage
from applications.models import Application
from eligibility.assistance.models import AssistanceApplication
from eligibility.enrollments.models import Enrollment
from notices.models import Notice
from tests.applications.helpers import make_world, transcript
from tests.conftest import ROOT
from tests.factories import api_headers, make_enrollment, make_user


@pytest.fixture
def world(app, db_session, clock, tmp_path):
    extend_care(app, tmp_path)
    return make_world(app, db_session, clock)


def extend_care(app, tmp_path) -> None:
    """CARE's rules as shipped end in May 2027: a utility loads each new program year; here, one to 2031.

    This year draws nobody for verification: the draw is random, and a chosen enrollee would be
    removed part-way through the cycle these tests follow (test_verification.py covers the draw).
    """
    raw = json.loads((ROOT / "eligibility/data/programs.json").read_text())
    care = next(p for p in raw["programs"] if p["code"] == "CARE")
    later = dict(care["versions"][-1], label="2027-31", effective_from="2027-06-01", effective_to="2031-05-31",
                 verification_rate="0")
    care["versions"].append(later)
    path = tmp_path / "care.json"
    path.write_text(json.dumps({"programs": [care]}))
    result = app.test_cli_runner().invoke(args=["programs", "load", str(path)])
    assert result.exit_code == 0, result.output


def recert(app, on: str, *extra) -> dict:
    result = app.test_cli_runner().invoke(args=["recert", "run", "--on", on, "--json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.output.strip().splitlines()[-1])


def letters(db_session, enrollment) -> list[str]:
    return [n.kind for n in db_session.scalars(select(Notice).where(Notice.enrollment_id == enrollment.id)
                                               .order_by(Notice.id))]


def enrolled(world, db_session, **kwargs) -> Enrollment:
    # CARE from 2026-11-23: certified to 2028-11-22 (24 months)
    return make_enrollment(db_session, account=world.account, applicant=world.customer,
                           certified_from=date(2026, 11, 23), **kwargs)


def test_reminders_on_their_days_then_grace_then_expiry(world, app, db_session):
    enrollment = enrolled(world, db_session)
    assert recert(app, "2028-08-23")["reminders_sent"] == 0          # 91 days before
    first = recert(app, "2028-08-24")                                # 90 days before
    assert first == {"on": "2028-08-24", "reminders_sent": 1, "grace_started": 0, "expired": 0,
                     "verification_selected": 0, "verification_removed": 0, "errors": []}
    assert recert(app, "2028-08-24")["reminders_sent"] == 0          # a second run that day sends nothing
    db_session.refresh(enrollment)
    assert enrollment.status == "recertification_due"
    for day, expected in (("2028-09-22", 0), ("2028-09-23", 1), ("2028-10-23", 1), ("2028-11-14", 0),
                          ("2028-11-15", 1), ("2028-11-22", 0)):
        assert recert(app, day)["reminders_sent"] == expected, day
    grace = recert(app, "2028-11-23")
    assert grace["grace_started"] == 1 and grace["reminders_sent"] == 0
    db_session.refresh(enrollment)
    assert (enrollment.status, enrollment.grace_ends_on) == ("in_grace", date(2028, 12, 22))
    assert recert(app, "2028-12-22")["expired"] == 0                  # the last day of grace
    assert recert(app, "2028-12-23")["expired"] == 1
    assert recert(app, "2028-12-24") == {"on": "2028-12-24", "reminders_sent": 0, "grace_started": 0, "expired": 0,
                                         "verification_selected": 0, "verification_removed": 0, "errors": []}
    db_session.refresh(enrollment)
    assert (enrollment.status, enrollment.ended_on) == ("expired", date(2028, 12, 23))
    assert letters(db_session, enrollment) == ["recert_reminder"] * 4 + ["grace_started", "enrollment_expired"]
    assert [h.to_status for h in enrollment.history] == ["recertification_due", "in_grace", "expired"]
    reminders = db_session.scalars(select(Notice).where(Notice.enrollment_id == enrollment.id,
                                                        Notice.kind == "recert_reminder").order_by(Notice.id)).all()
    assert "in 90 days" in reminders[0].body and "November 22, 2028" in reminders[0].body
    assert f"/programs/{enrollment.id}/recertify" in reminders[0].body
    mail = db_session.get(OutboxMessage, reminders[-1].outbox_message_id)
    assert mail.to_address == world.customer.email and "in 7 days" in mail.body_text


def test_missed_days_are_caught_up_with_one_letter_and_the_status_the_date_calls_for(world, app, db_session):
    soon = enrolled(world, db_session)
    other_account_owner = make_user(db_session, "customer", language="es")
    from tests.factories import link, make_account

    account = make_account(db_session)
    link(db_session, other_account_owner, account)
    lapsed = make_enrollment(db_session, account=account, applicant=other_account_owner,
                             certified_from=date(2026, 9, 1))                # certified to 2028-08-31
    report = recert(app, "2028-11-10")  # the job never ran before
    assert (report["reminders_sent"], report["grace_started"], report["expired"]) == (1, 0, 1)
    assert letters(db_session, soon) == ["recert_reminder"]
    step = db_session.scalar(select(Notice).where(Notice.enrollment_id == soon.id))
    assert "in 12 days" in step.body                                     # the 30-day letter, not three letters
    db_session.refresh(lapsed)
    assert lapsed.status == "expired" and lapsed.ended_on == date(2028, 10, 1)
    assert letters(db_session, lapsed) == ["enrollment_expired"]        # straight to expiry, no grace letter
    spanish = db_session.scalar(select(Notice).where(Notice.enrollment_id == lapsed.id))
    assert spanish.language == "es" and "venció" in spanish.subject
    assert recert(app, "2028-11-12")["reminders_sent"] == 0            # the 30-day letter stands until the 7-day


def renew(world, db_session, enrollment) -> dict:
    from tests.conftest import login, post_form

    client = world.app.test_client()
    login(client, world.customer.email)
    page = f"/programs/{enrollment.id}/recertify"
    assert client.get(page).status_code == 200
    started = post_form(client, page, token_from=page)
    assert started.status_code == 302 and "/household" in started.location
    application = db_session.scalar(select(Application).join(AssistanceApplication).where(AssistanceApplication.enrollment_id == enrollment.id,
                                                              AssistanceApplication.purpose == "recertification"))
    assert application.assistance.household["members"][0]["name"] == "Rosa Diaz"   # filled in from last time
    assert application.attachments == []                                 # old documents are not reused
    headers = api_headers(world.app, world.customer)  # sign in again: it is two years later
    assert world.upload(application.id, transcript(agi_cents=3_000_000), headers=headers).status_code == 201
    submitted = world.app.test_client().post(f"/api/v1/applications/{application.id}/submit", headers=headers,
                                             json={"signature": "Rosa Diaz", "confirmed_members": [0]})
    assert submitted.status_code == 200, submitted.json
    return submitted.json


def test_a_renewal_approved_in_time_extends_from_the_old_expiry(world, app, db_session, clock):
    enrollment = enrolled(world, db_session)
    clock.freeze(datetime(2028, 9, 1, 18, tzinfo=timezone.utc))
    recert(app, "2028-09-01")
    body = renew(world, db_session, enrollment)
    assert "already_enrolled" not in world.flags(body["id"], api_headers(world.app, world.csr))  # years later
    assert recert(app, "2028-09-23")["reminders_sent"] == 0     # a renewal is in: no more reminders
    clock.freeze(datetime(2028, 9, 25, 18, tzinfo=timezone.utc))
    decided = world.decide(body["id"], decision="approve", program="CARE",
                           headers=api_headers(world.app, world.csr))
    assert decided.status_code == 200, decided.json
    db_session.refresh(enrollment)
    assert (enrollment.status, enrollment.certified_from, enrollment.certified_to) == (
        "active", date(2028, 11, 23), date(2030, 11, 22))
    assert enrollment.enrolled_from == date(2026, 11, 23) and enrollment.application_id == body["id"]
    assert "before the expiry of 2028-11-22" in enrollment.history[-1].reason
    assert recert(app, "2028-11-23")["grace_started"] == 0
    assert recert(app, "2030-08-24")["reminders_sent"] == 1      # the new period has reminders of its own


def test_a_renewal_approved_late_starts_a_new_period(world, app, db_session, clock):
    enrollment = enrolled(world, db_session)
    recert(app, "2028-11-23")
    clock.freeze(datetime(2028, 11, 28, 18, tzinfo=timezone.utc))
    body = renew(world, db_session, enrollment)
    assert recert(app, "2028-12-23")["expired"] == 0              # waiting for staff: the benefit goes on
    clock.freeze(datetime(2028, 12, 26, 18, tzinfo=timezone.utc))
    assert world.decide(body["id"], decision="approve", program="CARE",
                           headers=api_headers(world.app, world.csr)).status_code == 200
    db_session.refresh(enrollment)
    assert (enrollment.status, enrollment.certified_from, enrollment.certified_to) == (
        "active", date(2028, 12, 26), date(2030, 12, 25))
    assert enrollment.grace_ends_on is None and "late" in enrollment.history[-1].reason


def test_a_second_program_with_other_reminder_days_uses_its_own(world, app, db_session, tmp_path):
    from eligibility.definitions import read_file

    definitions = read_file("eligibility/data/programs.json")
    ezsave = next(p for p in definitions["programs"] if p["code"] == "EZSAVE")
    assert ezsave["versions"][-1]["rules"]["reminder_days"] == [90, 60, 30, 7]  # the defaults when a file says none
    enrollment = make_enrollment(db_session, account=world.account, applicant=world.customer, program="SEATTLE-UDP",
                                 certified_from=date(2026, 11, 23), months=36)   # to 2029-11-22
    assert recert(app, "2029-08-24")["reminders_sent"] == 1
    assert letters(db_session, enrollment) == ["recert_reminder"]
