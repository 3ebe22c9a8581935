"""Inspections: booking slots (never overbooked), moving twice at most, results, the approval block,
fixes past their due date, and the reminder sent once."""
from __future__ import annotations

import threading
from datetime import date, datetime, time, timezone

import pytest
from sqlalchemy import func, select

from core.errors import Conflict, Invalid, NotFound
from core.outbox import OutboxMessage
from rebates import inspections
from rebates.inspection_models import Inspection, InspectionSlot
from tests.conftest import test_config
from tests.factories import link, make_account, make_user

TODAY = datetime(2026, 12, 1, 18, tzinfo=timezone.utc)  # 10:00 in the utility's time zone


def make_application(session, applicant=None):
    from applications.models import Application

    from core import clock

    applicant = applicant or make_user(session, "customer")
    account = make_account(session)
    link(session, applicant, account)
    now = clock.now()
    application = Application(account_id=account.id, applicant_id=applicant.id, started_by_id=applicant.id,
                              kind="rebate", status="draft", language=applicant.language, created_at=now, updated_at=now)
    session.add(application)
    session.flush()
    return application


@pytest.fixture
def today(clock):
    clock.freeze(TODAY)
    return date(2026, 12, 1)


def _slot(session, day=date(2026, 12, 3), capacity=1, zip_code="94501"):
    return inspections.add_slot(session, day, time(9), time(11), capacity, zip_code)


def _booked(session, slot, application=None):
    application = application or make_application(session)
    inspection = inspections.request_inspection(session, application.id, "claim", "post", "always")
    inspections.schedule(session, inspection, slot_id=slot.id)
    return inspection


def test_a_booking_takes_a_place_sends_a_confirmation_and_audits(db_session, today):
    slot = _slot(db_session, capacity=2)
    inspection = _booked(db_session, slot)
    assert inspection.status == "scheduled" and slot.booked == 1
    assert inspection.window_starts.astimezone(timezone.utc).hour == 17
    assert db_session.scalar(select(OutboxMessage.subject).where(OutboxMessage.kind == "inspection.confirmation")) \
        == "Your inspection is booked"
    assert slot in inspections.open_slots(db_session)


def test_a_full_slot_is_refused_and_is_no_longer_offered(db_session, today):
    slot = _slot(db_session)
    _booked(db_session, slot)
    assert slot not in inspections.open_slots(db_session)
    with pytest.raises(Conflict, match="just taken"):
        _booked(db_session, slot)


def test_a_customer_may_move_twice_and_the_third_is_refused(db_session, today):
    slots = [_slot(db_session, date(2026, 12, d)) for d in (3, 4, 5, 6)]
    inspection = _booked(db_session, slots[0])
    inspections.schedule(db_session, inspection, slot_id=slots[1].id)
    inspections.schedule(db_session, inspection, slot_id=slots[2].id)
    assert inspection.reschedules == 2
    db_session.refresh(slots[0])
    assert slots[0].booked == 0  # the old place is given back
    with pytest.raises(Invalid, match="moved twice") as caught:
        inspections.schedule(db_session, inspection, slot_id=slots[3].id)
    assert "slot_id" in caught.value.fields
    db_session.refresh(slots[3])
    assert slots[3].booked == 0 and inspection.slot_id == slots[2].id


def test_a_call_request_and_bad_input_name_the_field(db_session, today):
    inspection = inspections.request_inspection(db_session, make_application(db_session).id, "claim", "pre", "always")
    with pytest.raises(Invalid) as caught:
        inspections.schedule(db_session, inspection)
    assert "slot_id" in caught.value.fields
    inspections.schedule(db_session, inspection, call=True)
    assert inspection.call_requested and inspection.status == "requested"
    with pytest.raises(Invalid) as caught:
        inspections.request_inspection(db_session, inspection.application_id, "later", "pre", "x")
    assert "stage" in caught.value.fields


def test_a_stale_version_is_a_conflict(db_session, today):
    inspection = _booked(db_session, _slot(db_session))
    with pytest.raises(Conflict):
        inspections.complete(db_session, inspection, result="pass", expected_version=inspection.version - 1)


def test_a_pass_lifts_the_approval_block(db_session, today):
    application = make_application(db_session)
    assert inspections.approval_blocked(db_session, application.id) is None
    inspection = _booked(db_session, _slot(db_session), application)
    assert inspections.approval_blocked(db_session, application.id) == "The post-inspection has not passed yet."
    inspections.complete(db_session, inspection, result="pass", measured_area="1250", findings="Turf removed.")
    assert inspection.measured_area == 1250 and inspection.fix_due_on is None
    assert inspections.approval_blocked(db_session, application.id) is None


def test_a_fail_asks_for_a_fix_a_second_inspection_closes_it_and_an_overdue_one_is_listed(db_session, today):
    application = make_application(db_session)
    failed = _booked(db_session, _slot(db_session), application)
    with pytest.raises(Invalid) as caught:
        inspections.complete(db_session, failed, result="fail", measured_area="-3")
    assert set(caught.value.fields) == {"findings", "measured_area"}
    inspections.complete(db_session, failed, result="fail", findings="Drip line missing.")
    assert failed.fix_due_on == date(2026, 12, 31)
    assert "not fixed" in inspections.approval_blocked(db_session, application.id)
    assert inspections.overdue_fixes(db_session, date(2026, 12, 31)) == []
    overdue = inspections.overdue_fixes(db_session, date(2027, 1, 1))
    assert [i.id for i, _ in overdue] == [failed.id] and "not fixed by 2026-12-31" in overdue[0][1]

    again = inspections.request_fix_check(db_session, failed)
    inspections.schedule(db_session, again, slot_id=_slot(db_session, date(2026, 12, 10)).id)
    inspections.complete(db_session, again, result="pass")
    assert inspections.approval_blocked(db_session, application.id) is None
    assert inspections.overdue_fixes(db_session, date(2027, 1, 1)) == []


def test_a_no_show_keeps_the_block(db_session, today):
    application = make_application(db_session)
    inspection = _booked(db_session, _slot(db_session), application)
    inspections.complete(db_session, inspection, result=None, no_show=True)
    assert inspection.status == "no_show"
    assert inspections.approval_blocked(db_session, application.id) is not None


def test_another_customer_does_not_see_the_inspection(db_session, today):
    application = make_application(db_session)
    inspection = inspections.request_inspection(db_session, application.id, "reservation", "pre", "always")
    assert inspections.get(db_session, inspection.id, customer_id=application.applicant_id) is inspection
    other = make_user(db_session, "customer")
    with pytest.raises(NotFound):
        inspections.get(db_session, inspection.id, customer_id=other.id)
    assert inspections.for_customer(db_session, other.id) == []


def test_the_reminder_goes_the_day_before_in_the_customers_language_once(db_session, today):
    spanish = make_user(db_session, "customer")
    spanish.language = "es"
    inspector = make_user(db_session, "inspector")
    inspector.full_name = "Ana Ruiz"
    inspection = _booked(db_session, _slot(db_session, date(2026, 12, 2)), make_application(db_session, spanish))
    inspections.assign(db_session, inspection, inspector.id)
    assert inspections.send_reminders(db_session, date(2026, 11, 30)) == 0
    assert inspections.send_reminders(db_session) == 1
    assert inspections.send_reminders(db_session) == 0
    reminder = db_session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "inspection.reminder"))
    assert reminder.language == "es" and "Ana Ruiz" in reminder.body_text and "1-800-555-0100" in reminder.body_text
    assert reminder.subject == "Recordatorio: su inspección es mañana"


def test_the_day_list_is_by_date_and_zip(db_session, today):
    here = _booked(db_session, _slot(db_session, zip_code="94501"))
    _booked(db_session, _slot(db_session, zip_code="94502"))
    rows = inspections.day_list(db_session, date(2026, 12, 3), "94501")
    assert [i.id for i, _ in rows] == [here.id]


def test_two_customers_taking_the_last_place_at_once_never_overbook(fresh_database_url):
    """Two connections (two threads) book the last place; exactly one wins, on PostgreSQL too."""
    from app import create_app
    from core.database import db

    app = create_app(test_config(fresh_database_url))
    app.extensions["assist.clock"].freeze(TODAY)
    with app.app_context():
        session = db.session()
        slot = _slot(session)
        ids = [inspections.request_inspection(session, make_application(session).id, "claim", "post", "always").id
                for _ in range(2)]
        slot_id = slot.id
        session.commit()
    barrier = threading.Barrier(2)
    outcomes = []

    def book(inspection_id):
        with app.app_context():
            session = db.session()
            barrier.wait(30)  # both start together; SQLite then queues the second writer
            try:
                inspection = session.get(Inspection, inspection_id)
                inspections.schedule(session, inspection, slot_id=slot_id)
                session.commit()
                outcomes.append("booked")
            except Conflict:
                session.rollback()
                outcomes.append("full")
            except Exception as exc:  # SQLite: the second writer is told the database is busy
                session.rollback()
                outcomes.append(type(exc).__name__)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=book, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    with app.app_context():
        session = db.session()
        booked = session.scalar(select(InspectionSlot.booked).where(InspectionSlot.id == slot_id))
        scheduled = session.scalar(select(func.count()).select_from(Inspection).where(Inspection.status == "scheduled"))
        db.session.remove()
    db.engine(app).dispose()
    assert outcomes.count("booked") == 1 and booked == 1 and scheduled == 1, outcomes


def test_a_photo_taken_on_site_is_an_encrypted_document_of_the_customer(db_session, today):
    import io

    from PIL import Image

    from documents.models import Document

    application = make_application(db_session)
    inspection = _booked(db_session, _slot(db_session), application)
    out = io.BytesIO()
    Image.new("RGB", (20, 20), (10, 120, 10)).save(out, "PNG")
    photo = inspections.add_photo(db_session, inspection, make_user(db_session, "csr"), out.getvalue(), "yard.png")
    document = db_session.get(Document, photo.document_id)
    assert document.owner_id == application.applicant_id and document.kind == "png"
    assert inspections.photos_of(db_session, inspection) == [photo]
    with pytest.raises(Invalid):
        inspections.add_photo(db_session, inspection, make_user(db_session, "csr"), b"not a photo", "x.png")
