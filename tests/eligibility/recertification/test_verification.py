"""Post-enrollment verification: the monthly draw, the request, no answer, proof that passes or fails."""
from __future__ import annotations

import io
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from applications.models import Application
from eligibility.assistance.models import AssistanceApplication
from eligibility.enrollments.models import Enrollment
from notices.models import Notice
from eligibility.models import Program
from eligibility.recertification import rules
from eligibility.recertification.models import VerificationDraw
from tests.applications.helpers import make_world, transcript
from tests.conftest import csrf_token, login
from tests.factories import api_headers, link, make_account, make_enrollment, make_user
from tests.eligibility.recertification.test_cycle import recert

ON = "2026-12-01"


@pytest.fixture
def world(app, db_session, clock):
    world = make_world(app, db_session, clock)
    clock.freeze(datetime(2026, 12, 1, 15, tzinfo=timezone.utc))
    world.customer_headers = api_headers(app, world.customer)  # signed in on the day
    world.csr_headers = api_headers(app, world.csr)
    return world


def enrollees(db_session, count: int) -> list[Enrollment]:
    owner = make_user(db_session, "customer")
    out = []
    for _ in range(count):
        account = make_account(db_session)
        link(db_session, owner, account)
        out.append(make_enrollment(db_session, account=account, applicant=owner, certified_from=date(2026, 6, 1)))
    return out


def test_the_draw_is_seeded_recorded_reproducible_and_near_the_rate(world, app, db_session):
    population = enrollees(db_session, 600)
    report = recert(app, ON, "--seed", "audit-2026-12")
    draw = db_session.scalar(select(VerificationDraw).join(Program, Program.id == VerificationDraw.program_id)
                             .where(Program.code == "CARE"))
    assert (draw.month, draw.seed, draw.rate_percent, draw.population) == ("2026-12", "audit-2026-12", "5", 600)
    expected = rules.select_for_verification("audit-2026-12", [e.id for e in population], "5")
    asked = set(db_session.scalars(select(AssistanceApplication.enrollment_id).where(AssistanceApplication.purpose == "verification")))
    assert asked == set(expected) and report["verification_selected"] == draw.selected == len(expected)
    assert abs(len(expected) / 600 * 100 - 5) < 3      # within a few points of the configured 5%
    assert recert(app, ON)["verification_selected"] == 0          # once a month, however often it runs
    assert recert(app, "2026-12-02")["verification_selected"] == 0
    request = db_session.scalar(select(Application).join(AssistanceApplication).where(AssistanceApplication.purpose == "verification"))
    assert (request.status, request.info_due_on) == ("needs_info", date(2027, 1, 15))
    letter = db_session.scalar(select(Notice).where(Notice.application_id == request.id))
    assert letter.kind == "verification_request" and "January 15, 2027" in letter.body
    assert f"/applications/{request.id}" in letter.body


def _chosen(world, app, db_session) -> tuple[Enrollment, Application]:
    """The world's own customer chosen for verification (a draw at 100% makes sure of it)."""
    enrollment = make_enrollment(db_session, account=world.account, applicant=world.customer,
                                 certified_from=date(2026, 6, 1))
    from eligibility.models import ProgramVersion

    version = db_session.scalar(select(ProgramVersion).join(ProgramVersion.program)
                                .where(ProgramVersion.label == "2026-27"))
    rules_ = dict(version.rules, verification_rate="100")
    version.program.versions.append(ProgramVersion(program_id=version.program_id, number=len(version.program.versions) + 1,
                                  label="2026-27 audit", effective_from=date(2026, 12, 1),
                                  effective_to=version.effective_to, rules=rules_, source="test", note="",
                                  created_at=version.created_at, created_by_label="test"))
    db_session.flush()
    assert recert(app, ON)["verification_selected"] == 1
    request = db_session.scalar(select(Application).join(AssistanceApplication).where(AssistanceApplication.enrollment_id == enrollment.id,
                                                          AssistanceApplication.purpose == "verification"))
    return enrollment, request


def test_no_answer_by_the_due_date_removes_the_enrollment_with_appeal_rights(world, app, db_session):
    enrollment, request = _chosen(world, app, db_session)
    assert recert(app, "2027-01-15")["verification_removed"] == 0          # the due date itself
    assert recert(app, "2027-01-16")["verification_removed"] == 1
    assert recert(app, "2027-01-17")["verification_removed"] == 0
    db_session.refresh(enrollment)
    db_session.refresh(request)
    assert (enrollment.status, enrollment.ended_on, request.status) == ("removed", date(2027, 1, 16), "closed")
    letter = db_session.scalars(select(Notice).where(Notice.enrollment_id == enrollment.id)
                                .order_by(Notice.id)).all()[-1]
    assert letter.kind == "enrollment_ended" and "appeal" in letter.body and "proof of income" in letter.body
    closed = app.test_cli_runner().invoke(args=["applications", "close-overdue"])
    assert '"closed": 0' in closed.output     # the daily command, not close-overdue, handles verification


def test_proof_that_passes_keeps_the_enrollment_and_proof_that_fails_removes_it(world, app, db_session):
    enrollment, request = _chosen(world, app, db_session)
    assert world.upload(request.id, transcript(agi_cents=3_000_000)).status_code == 201
    db_session.refresh(request)
    assert request.status == "in_review" and request.customer_responded
    approved = world.decide(request.id, decision="approve", program="CARE")
    assert approved.status_code == 200, approved.json
    db_session.refresh(enrollment)
    assert enrollment.status == "active" and enrollment.certified_to == date(2028, 5, 31)
    kinds = [n.kind for n in db_session.scalars(select(Notice).where(Notice.enrollment_id == enrollment.id))]
    assert kinds[-1] == "verification_passed"
    assert recert(app, "2027-01-16")["verification_removed"] == 0


def test_proof_showing_ineligibility_removes_the_enrollment(world, app, db_session):
    enrollment, request = _chosen(world, app, db_session)
    assert world.upload(request.id, transcript(agi_cents=15_000_000)).status_code == 201
    reason = world.get(request.id).json  # the determination on the proof
    assert reason["determinations"][0]["eligible"] is False
    denied = world.decide(request.id, decision="deny", program="CARE", reason="over_income")
    assert denied.status_code == 200, denied.json
    db_session.refresh(enrollment)
    assert enrollment.status == "removed"
    letter = db_session.scalars(select(Notice).where(Notice.enrollment_id == enrollment.id)
                                .order_by(Notice.id)).all()[-1]
    assert letter.kind == "enrollment_ended" and "appeal" in letter.body and "not eligible" in letter.body


def test_proof_sent_on_the_page_without_saying_done_goes_to_a_csr_not_to_removal(world, app, db_session, clock):
    enrollment, request = _chosen(world, app, db_session)
    page = app.test_client()
    login(page, world.customer.email)
    clock.advance(timedelta(minutes=10))
    token = csrf_token(page, f"/applications/{request.id}")
    sent = page.post(f"/applications/{request.id}/documents",
                     data={"csrf_token": token, "requirement": "income", "action": "upload",
                           "file": (io.BytesIO(transcript(agi_cents=3_000_000)), "stubs.pdf")},
                     content_type="multipart/form-data")
    assert sent.status_code == 302
    db_session.refresh(request)
    assert request.status == "needs_info"  # the customer may send more
    assert recert(app, "2027-01-16")["verification_removed"] == 0
    db_session.refresh(request)
    db_session.refresh(enrollment)
    assert request.status == "in_review" and request.customer_responded and enrollment.status == "active"
