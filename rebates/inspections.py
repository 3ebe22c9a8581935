"""Inspections: requested by the rebate lifecycle, booked into published slots, recorded on site.

The lifecycle (reservation and claim, built next) calls `required_inspections`, `request_inspection`,
`approval_blocked` and `overdue_fixes`; everything else is the inspection's own course. Every
change is audited in the caller's transaction; services flush, never commit. A stale `version`
is a 409, and a slot's last place goes to one customer only (a guarded UPDATE, checked on
PostgreSQL with two connections).
"""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Mapping

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from applications.models import ApplicationDocument
from auth.models import User
from core.access import INSPECTOR
from core import audit, clock, outbox
from core.errors import Conflict, Invalid, NotFound
from rebates import inspection_rules
from documents import service as documents
from rebates.inspection_models import (KINDS, MAX_RESCHEDULES, RESULTS, STAGES, Inspection, InspectionPhoto,
                                       InspectionSlot)

OPEN = ("requested", "scheduled")
FIX_DAYS = 30
# The application row as this package needs it, by table: the lifecycle's model is moving.
_applications = sa.table("applications", sa.column("id"), sa.column("applicant_id"), sa.column("language"))


def required_inspections(measure_definition: Mapping, quantity: int, amount, rng: random.Random | None = None):
    """Which kinds are needed and why (the rule, or the random draw); pure, seedable for tests."""
    return inspection_rules.required_inspections(measure_definition, quantity, amount, rng)


def _check(expected_version: int | None, inspection: Inspection) -> None:
    if expected_version is not None and expected_version != inspection.version:
        raise Conflict(_("Someone changed this inspection first. Reload it and try again."))


def request_inspection(session: Session, application_id: int, stage: str, kind: str, reason: str,
                       follows: Inspection | None = None) -> Inspection:
    problems = {}
    if stage not in STAGES:
        problems["stage"] = [_("Choose one of: %(choices)s.", choices=", ".join(STAGES))]
    if kind not in KINDS:
        problems["kind"] = [_("Choose one of: %(choices)s.", choices=", ".join(KINDS))]
    if not reason or len(reason) > 80:
        problems["reason"] = [_("Say why the inspection is needed.")]
    if problems:
        raise Invalid(_("Check the inspection request."), fields=problems)
    if session.execute(select(_applications.c.id).where(_applications.c.id == application_id)).first() is None:
        raise Invalid(_("No such application."), fields={"application_id": [_("No such application.")]})
    now = clock.now()
    inspection = Inspection(application_id=application_id, stage=stage, kind=kind, reason=reason, status="requested",
                            call_requested=False, reschedules=0, findings="", created_at=now, updated_at=now,
                            follows_id=follows.id if follows else None)
    session.add(inspection)
    session.flush()
    audit.record(session, "inspection.requested", obj=inspection,
                 details={"application_id": application_id, "stage": stage, "kind": kind, "reason": reason})
    return inspection


def get(session: Session, inspection_id: int, customer_id: int | None = None,
        inspector_id: int | None = None) -> Inspection:
    """One inspection; a customer sees only those of their own applications, an inspector only those
    given to them (else 404)."""
    inspection = session.get(Inspection, inspection_id)
    if inspection is None or (customer_id is not None and _applicant(session, inspection) != customer_id) \
            or (inspector_id is not None and inspection.inspector_id != inspector_id):
        raise NotFound(_("No such inspection."))
    return inspection


def inspectors(session: Session) -> list[User]:
    """The active users with the inspector role, to give an inspection to."""
    return list(session.scalars(select(User).where(User.role == INSPECTOR, User.active.is_(True))
                                .order_by(User.full_name, User.email)))


def application_documents(session: Session, inspection: Inspection) -> list:
    """The documents of the inspected application: those attached to it and the photos of its inspections."""
    from documents.models import Document

    attached = select(ApplicationDocument.document_id).where(
        ApplicationDocument.application_id == inspection.application_id)
    photos = (select(InspectionPhoto.document_id).join(Inspection, Inspection.id == InspectionPhoto.inspection_id)
              .where(Inspection.application_id == inspection.application_id))
    return list(session.scalars(select(Document).where(sa.or_(Document.id.in_(attached), Document.id.in_(photos)))
                                .order_by(Document.id)))


def application_document(session: Session, inspection: Inspection, document_id: int):
    """One of the inspected application's documents (else 404): all an inspector may open."""
    for document in application_documents(session, inspection):
        if document.id == document_id:
            return document
    raise NotFound(_("No such document."))


def _applicant(session: Session, inspection: Inspection) -> int | None:
    return session.scalar(select(_applications.c.applicant_id).where(_applications.c.id == inspection.application_id))


def for_customer(session: Session, customer_id: int) -> list[Inspection]:
    mine = select(_applications.c.id).where(_applications.c.applicant_id == customer_id)
    return list(session.scalars(select(Inspection).where(Inspection.application_id.in_(mine)).order_by(Inspection.id)))


# --- slots -------------------------------------------------------------------------------------

def add_slot(session: Session, day: date, starts: time, ends: time, capacity: int,
             zip_code: str | None = None) -> InspectionSlot:
    problems = {}
    if ends <= starts:
        problems["ends"] = [_("The window must end after it starts.")]
    if capacity < 1:
        problems["capacity"] = [_("Give at least one place.")]
    if day < clock.today():
        problems["day"] = [_("Choose today or a later day.")]
    if problems:
        raise Invalid(_("Check the time slot."), fields=problems)
    slot = InspectionSlot(day=day, starts=starts, ends=ends, capacity=capacity, booked=0, zip_code=zip_code or None,
                          created_at=clock.now())
    session.add(slot)
    session.flush()
    audit.record(session, "inspection_slot.added", obj=slot,
                 details={"day": day.isoformat(), "window": f"{starts:%H:%M}-{ends:%H:%M}", "capacity": capacity})
    return slot


def open_slots(session: Session, on_or_after: date | None = None) -> list[InspectionSlot]:
    start = on_or_after or clock.today() + timedelta(days=1)
    return list(session.scalars(select(InspectionSlot).where(InspectionSlot.day >= start,
                                                             InspectionSlot.booked < InspectionSlot.capacity)
                                .order_by(InspectionSlot.day, InspectionSlot.starts, InspectionSlot.id)))


def _take_place(session: Session, slot_id: int) -> InspectionSlot:
    """One place in the slot, or a 409 when it is full: the UPDATE's own guard decides, so two
    bookings of the last place at once leave exactly one of them booked."""
    slot = session.get(InspectionSlot, slot_id)
    if slot is None or slot.day <= clock.today():
        raise Invalid(_("Choose one of the open times."), fields={"slot_id": [_("Choose one of the open times.")]})
    taken = session.execute(update(InspectionSlot).where(InspectionSlot.id == slot_id,
                                                         InspectionSlot.booked < InspectionSlot.capacity)
                            .values(booked=InspectionSlot.booked + 1).execution_options(synchronize_session=False))
    if taken.rowcount != 1:
        raise Conflict(_("That time was just taken. Choose another one."))
    session.refresh(slot)
    return slot


def _give_back(session: Session, slot_id: int) -> None:
    session.execute(update(InspectionSlot).where(InspectionSlot.id == slot_id, InspectionSlot.booked > 0)
                    .values(booked=InspectionSlot.booked - 1).execution_options(synchronize_session=False))


def schedule(session: Session, inspection: Inspection, *, slot_id: int | None = None, call: bool = False,
             expected_version: int | None = None) -> Inspection:
    """Book a slot (or ask for a call). A booked inspection may be moved twice; the third is refused."""
    _check(expected_version, inspection)
    if inspection.status not in OPEN:
        raise Conflict(_("This inspection is %(status)s and can no longer be scheduled.", status=inspection.status))
    if not call and slot_id is None:
        raise Invalid(_("Choose a time or ask us to call you."), fields={"slot_id": [_("Choose a time or ask us to call you.")]})
    moving = inspection.slot_id is not None
    if moving and inspection.reschedules >= MAX_RESCHEDULES:
        message = _("This inspection has been moved twice already. Call us to change it again.")
        raise Invalid(message, fields={"slot_id": [message]})
    previous = inspection.slot_id
    if call:
        inspection.call_requested = True
        details = {"call_requested": True}
    else:
        if slot_id == previous:
            raise Invalid(_("That is the time you have."), fields={"slot_id": [_("That is the time you have.")]})
        slot = _take_place(session, slot_id)
        if previous is not None:
            _give_back(session, previous)
            inspection.reschedules += 1
        inspection.slot_id = slot.id
        inspection.status = "scheduled"
        inspection.call_requested = False
        inspection.window_starts = datetime.combine(slot.day, slot.starts, clock.clock().tz)
        inspection.window_ends = datetime.combine(slot.day, slot.ends, clock.clock().tz)
        inspection.reminded_on = None
        details = {"slot_id": slot.id, "previous_slot_id": previous, "reschedules": inspection.reschedules}
    inspection.updated_at = clock.now()
    session.flush()
    audit.record(session, "inspection.rescheduled" if moving and not call else "inspection.scheduled",
                 obj=inspection, details=details)
    if not call:
        _tell(session, inspection, "confirmation")
    return inspection


def assign(session: Session, inspection: Inspection, inspector_id: int, expected_version: int | None = None) -> None:
    _check(expected_version, inspection)
    inspector = session.get(User, inspector_id)
    if inspector is None or inspector.role != INSPECTOR or not inspector.active:
        message = _("Choose one of the inspectors.")
        raise Invalid(message, fields={"inspector_id": [message]})
    inspection.inspector_id = inspector_id
    inspection.updated_at = clock.now()
    session.flush()
    audit.record(session, "inspection.assigned", obj=inspection, details={"inspector_id": inspector_id})


def cancel(session: Session, inspection: Inspection, reason: str, expected_version: int | None = None) -> None:
    _check(expected_version, inspection)
    if inspection.status not in OPEN:
        raise Conflict(_("This inspection is %(status)s and can no longer be cancelled.", status=inspection.status))
    if inspection.slot_id is not None:
        _give_back(session, inspection.slot_id)
    inspection.status = "cancelled"
    inspection.updated_at = clock.now()
    session.flush()
    audit.record(session, "inspection.cancelled", obj=inspection, reason=reason)


def complete(session: Session, inspection: Inspection, *, result: str | None, findings: str = "",
             measured_area=None, fix_due_on: date | None = None, no_show: bool = False,
             expected_version: int | None = None) -> Inspection:
    """Record what the inspector found. A fail asks for a fix by a due date (30 days unless given);
    a pass of a re-inspection closes the failed one it follows."""
    _check(expected_version, inspection)
    if inspection.status != "scheduled":
        raise Conflict(_("Only a scheduled inspection can be recorded; this one is %(status)s.", status=inspection.status))
    now = clock.now()
    if no_show:
        inspection.status = "no_show"
        inspection.updated_at = now
        session.flush()
        audit.record(session, "inspection.no_show", obj=inspection)
        return inspection
    problems = {}
    if result not in RESULTS:
        problems["result"] = [_("Choose one of: %(choices)s.", choices=", ".join(RESULTS))]
    area = None
    if measured_area not in (None, ""):
        try:
            area = Decimal(str(measured_area))
            if not area.is_finite() or area < 0 or area > Decimal("9999999999"):
                raise InvalidOperation
            area = area.quantize(Decimal("0.01"))
        except InvalidOperation:
            problems["measured_area"] = [_("Give the area in square feet, like 1250.")]
    if len(findings or "") > 4000:
        problems["findings"] = [_("Keep the findings under 4000 characters.")]
    if result in ("fail", "remediation_required") and not (findings or "").strip():
        problems["findings"] = [_("Say what must be fixed.")]
    if fix_due_on is not None and fix_due_on <= clock.today():
        problems["fix_due_on"] = [_("Choose a due date after today.")]
    if problems:
        raise Invalid(_("Check the inspection result."), fields=problems)
    inspection.status = "completed"
    inspection.result = result
    inspection.findings = findings or ""
    inspection.measured_area = area
    if result != "pass":
        inspection.fix_due_on = fix_due_on or clock.today() + timedelta(days=FIX_DAYS)
    inspection.updated_at = now
    session.flush()
    audit.record(session, "inspection.completed", obj=inspection,
                 details={"result": result, "measured_area": None if area is None else str(area),
                          "fix_due_on": inspection.fix_due_on.isoformat() if inspection.fix_due_on else None})
    return inspection


def request_fix_check(session: Session, failed: Inspection) -> Inspection:
    """The second inspection that closes a failed one."""
    if failed.result not in ("fail", "remediation_required"):
        raise Conflict(_("Only a failed inspection needs a second one."))
    return request_inspection(session, failed.application_id, failed.stage, failed.kind,
                              f"re-inspection of #{failed.id}", follows=failed)


# --- what the lifecycle asks ---------------------------------------------------------------------

def _closed(session: Session, failed: Inspection) -> bool:
    return session.scalar(select(Inspection.id).where(Inspection.follows_id == failed.id,
                                                      Inspection.result == "pass").limit(1)) is not None


def approval_blocked(session: Session, application_id: int, stage: str = "claim") -> str | None:
    """Why the stage cannot be approved yet (a required inspection has not passed), or None."""
    rows = list(session.scalars(select(Inspection).where(Inspection.application_id == application_id,
                                                         Inspection.stage == stage,
                                                         Inspection.status != "cancelled",
                                                         Inspection.follows_id.is_(None))
                                .order_by(Inspection.id)))
    for inspection in rows:
        if inspection.result == "pass" or (inspection.result and _closed(session, inspection)):
            continue
        if inspection.result:
            return _("The %(kind)s-inspection found problems that are not fixed yet.", kind=inspection.kind)
        return _("The %(kind)s-inspection has not passed yet.", kind=inspection.kind)
    return None


def overdue_fixes(session: Session, on: date | None = None) -> list[tuple[Inspection, str]]:
    """Failed inspections past their fix date with no passed re-inspection: the lifecycle denies
    those claims with the reason given here."""
    day = on or clock.today()
    rows = session.scalars(select(Inspection).where(Inspection.result.in_(("fail", "remediation_required")),
                                                    Inspection.fix_due_on < day).order_by(Inspection.id))
    return [(i, f"inspection #{i.id} ({i.kind}) failed and was not fixed by {i.fix_due_on.isoformat()}")
            for i in rows if not _closed(session, i)]


# --- messages ----------------------------------------------------------------------------------

def _tell(session: Session, inspection: Inspection, what: str) -> None:
    applicant_id = _applicant(session, inspection)
    user = session.get(User, applicant_id) if applicant_id else None
    if user is None:
        return
    inspector = session.get(User, inspection.inspector_id) if inspection.inspector_id else None
    phone = current_app.config.get("UTILITY_PHONE", "")
    with force_locale(user.language):
        window = (f"{inspection.window_starts.astimezone(clock.clock().tz):%Y-%m-%d %H:%M}-"
                  f"{inspection.window_ends.astimezone(clock.clock().tz):%H:%M}")
        who = (inspector.full_name if inspector is not None and inspector.full_name else _("an inspector"))
        if what == "confirmation":
            subject = _("Your inspection is booked")
            body = _("Your %(kind)s-inspection is booked for %(window)s. To change it, sign in or call us at "
                     "%(phone)s.", kind=inspection.kind, window=window, phone=phone)
        else:
            subject = _("Reminder: your inspection is tomorrow")
            body = _("Your %(kind)s-inspection is tomorrow, %(window)s, with %(inspector)s. To reach us, call "
                     "%(phone)s.", kind=inspection.kind, window=window, inspector=who, phone=phone)
    outbox.queue_message(session, to=user.email, subject=subject, body=body, kind=f"inspection.{what}",
                         language=user.language, user_id=user.id)


def send_reminders(session: Session, on: date | None = None) -> int:
    """Remind every customer whose inspection is tomorrow; once each (safe to run twice, at once
    too: the row is locked and its `reminded_on` set in the same transaction)."""
    day = on or clock.today()
    tomorrow = day + timedelta(days=1)
    query = (select(Inspection).join(InspectionSlot, InspectionSlot.id == Inspection.slot_id)
             .where(Inspection.status == "scheduled", InspectionSlot.day == tomorrow,
                    sa.or_(Inspection.reminded_on.is_(None), Inspection.reminded_on < day))
             .order_by(Inspection.id).with_for_update(of=Inspection, skip_locked=True))
    sent = 0
    for inspection in session.scalars(query):
        inspection.reminded_on = day
        session.flush()
        audit.record(session, "inspection.reminded", obj=inspection, details={"on": day.isoformat()})
        _tell(session, inspection, "reminder")
        sent += 1
    return sent


def day_list(session: Session, day: date, zip_code: str | None = None, inspector_id: int | None = None):
    """An inspector's stops for a day, by ZIP and window."""
    query = (select(Inspection, InspectionSlot).join(InspectionSlot, InspectionSlot.id == Inspection.slot_id)
             .where(InspectionSlot.day == day, Inspection.status.in_(("scheduled", "completed", "no_show"))))
    if zip_code:
        query = query.where(InspectionSlot.zip_code == zip_code)
    if inspector_id is not None:
        query = query.where(Inspection.inspector_id == inspector_id)
    return list(session.execute(query.order_by(InspectionSlot.zip_code, InspectionSlot.starts, Inspection.id)))


def for_application(session: Session, application_id: int) -> list[Inspection]:
    return list(session.scalars(select(Inspection).where(Inspection.application_id == application_id)
                                .order_by(Inspection.id)))


def add_photo(session: Session, inspection: Inspection, by: User, data: bytes, filename: str | None) -> InspectionPhoto:
    """A photo taken on site, stored through `documents` as the customer's (encrypted, views audited)."""
    owner = session.get(User, _applicant(session, inspection))
    document = documents.upload(session, owner=owner, uploaded_by=by, data=data, filename=filename).document
    photo = session.scalar(select(InspectionPhoto).where(InspectionPhoto.inspection_id == inspection.id,
                                                         InspectionPhoto.document_id == document.id))
    if photo is None:
        photo = InspectionPhoto(inspection_id=inspection.id, document_id=document.id, added_at=clock.now(),
                                added_by_id=by.id)
        session.add(photo)
        session.flush()
        audit.record(session, "inspection.photo_added", obj=inspection, details={"document_id": document.id})
    return photo


def photos_of(session: Session, inspection: Inspection) -> list[InspectionPhoto]:
    return list(session.scalars(select(InspectionPhoto).where(InspectionPhoto.inspection_id == inspection.id)
                                .order_by(InspectionPhoto.id)))


def moves_left(inspection: Inspection) -> int:
    """How many more times a booked inspection may be moved (a first booking is not a move)."""
    return inspection_rules.reschedules_left(inspection.reschedules, MAX_RESCHEDULES)
