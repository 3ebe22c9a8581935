"""What staff read: the recertification worklist and the month-by-month view of reminders and outcomes."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import String, and_, cast, exists, func, select
from sqlalchemy.orm import Session

from accounts.models import Account
from core.audit import AuditRecord
from applications.models import Application
from eligibility.enrollments.models import Enrollment
from eligibility.models import Program
from eligibility.assistance.models import RENEWAL_PENDING, AssistanceApplication
from eligibility.recertification.models import EnrollmentStep

PAGE = 50


@dataclass
class WorkItem:
    enrollment_id: int
    account_number: str
    customer_name: str
    program: str
    status: str
    expires_on: date
    grace_ends_on: date | None
    reminders: int
    renewal: str | None          # the status of a renewal the customer has started
    application_id: int | None   # the renewal or the verification request to open
    due_on: date | None = None   # verification: proof due


def _renewal_sent():
    return exists().where(and_(AssistanceApplication.enrollment_id == Enrollment.id,
                               AssistanceApplication.purpose == "recertification",
                               Application.id == AssistanceApplication.application_id,
                               Application.status.in_(RENEWAL_PENDING)))


def _query(view: str, today: date):
    base = (select(Enrollment.id, Account.number, Account.customer_name, Program.code, Enrollment.status,
                   Enrollment.certified_to, Enrollment.grace_ends_on)
            .join(Account, Account.id == Enrollment.account_id).join(Program, Program.id == Enrollment.program_id))
    if view.startswith("due"):
        days = int(view[3:])
        return base.where(Enrollment.status.in_(("active", "recertification_due")),
                          Enrollment.certified_to >= today,
                          Enrollment.certified_to <= today + timedelta(days=days)).order_by(
            Enrollment.certified_to, Enrollment.id)
    if view == "grace":
        return base.where(Enrollment.status == "in_grace").order_by(Enrollment.grace_ends_on, Enrollment.id)
    if view == "nonresponders":  # reminded, and no renewal sent yet
        return base.where(Enrollment.status.in_(("recertification_due", "in_grace")), ~_renewal_sent()).order_by(
            Enrollment.certified_to, Enrollment.id)
    raise ValueError(view)


def worklist(session: Session, view: str, today: date, page: int = 1) -> tuple[list[WorkItem], bool]:
    if view == "verification":
        rows = session.execute(
            select(Enrollment.id, Account.number, Account.customer_name, Program.code, Enrollment.status,
                   Enrollment.certified_to, Enrollment.grace_ends_on, Application.id, Application.status,
                   Application.info_due_on)
            .join(AssistanceApplication, AssistanceApplication.enrollment_id == Enrollment.id)
            .join(Application, Application.id == AssistanceApplication.application_id)
            .join(Account, Account.id == Enrollment.account_id).join(Program, Program.id == Enrollment.program_id)
            .where(AssistanceApplication.purpose == "verification",
                   Application.status.in_(("needs_info", "submitted", "in_review")))
            .order_by(Application.info_due_on, Application.id).offset((page - 1) * PAGE).limit(PAGE + 1)).all()
        items = [WorkItem(r[0], r[1], r[2], r[3], r[4], r[5], r[6], 0, r[8], r[7], r[9]) for r in rows[:PAGE]]
        return items, len(rows) > PAGE
    rows = session.execute(_query(view, today).offset((page - 1) * PAGE).limit(PAGE + 1)).all()
    ids = [r[0] for r in rows[:PAGE]]
    reminders = dict(session.execute(select(EnrollmentStep.enrollment_id, func.count()).where(
        EnrollmentStep.enrollment_id.in_(ids), EnrollmentStep.kind == "reminder")
        .group_by(EnrollmentStep.enrollment_id)).all()) if ids else {}
    renewals = {eid: (aid, status) for eid, aid, status in session.execute(
        select(AssistanceApplication.enrollment_id, Application.id, Application.status)
        .join(AssistanceApplication, AssistanceApplication.application_id == Application.id).where(
            AssistanceApplication.enrollment_id.in_(ids), AssistanceApplication.purpose == "recertification")
        .order_by(Application.id))} if ids else {}
    items = [WorkItem(r[0], r[1], r[2], r[3], r[4], r[5], r[6], reminders.get(r[0], 0),
                      renewals.get(r[0], (None, None))[1], renewals.get(r[0], (None, None))[0]) for r in rows[:PAGE]]
    return items, len(rows) > PAGE


def worklist_counts(session: Session, today: date) -> dict[str, int]:
    counts = {}
    for view in ("due30", "due60", "due90", "grace", "nonresponders"):
        counts[view] = session.scalar(select(func.count()).select_from(_query(view, today).order_by(None).subquery()))
    counts["verification"] = session.scalar(select(func.count()).select_from(Application).join(
        AssistanceApplication, AssistanceApplication.application_id == Application.id).where(
        AssistanceApplication.purpose == "verification",
        Application.status.in_(("needs_info", "submitted", "in_review"))))
    return counts


# The month view: each figure is a count of audit records (one per change, written in the same
# transaction), so what the view shows is what happened, whoever or whatever did it.
OUTCOMES = (("reminders", "enrollment.reminder_sent"), ("grace_started", "enrollment.in_grace"),
            ("recertified", "enrollment.recertified"), ("recertified_late", "enrollment.recertified_late"),
            ("expired", "enrollment.expired"), ("verification_requested", "enrollment.verification_requested"),
            ("verified", "enrollment.verified"), ("removed", "enrollment.removed"), ("ended", "enrollment.ended"),
            ("auto_enrolled", "enrollment.auto_enrolled"))


def _month(column, dialect: str):
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM")
    return func.strftime("%Y-%m", column)


def by_month(session: Session, year: int) -> list[dict]:
    """Per month of `year`: reminders sent (and by days before expiry) and what became of enrollments."""
    dialect = session.get_bind().dialect.name
    start = datetime(year, 1, 1, tzinfo=timezone.utc)
    end = datetime(year + 1, 1, 1, tzinfo=timezone.utc)
    months = {f"{year:04d}-{m:02d}": {"month": f"{year:04d}-{m:02d}", "by_days": {}, **{k: 0 for k, _ in OUTCOMES}}
              for m in range(1, 13)}
    month = _month(AuditRecord.occurred_at, dialect)
    actions = {action: key for key, action in OUTCOMES}
    query = (select(month, AuditRecord.action, func.count()).where(
        AuditRecord.occurred_at >= start, AuditRecord.occurred_at < end, AuditRecord.action.in_(list(actions)),
        AuditRecord.object_type == "enrollments"))
    for when, action, count in session.execute(query.group_by(month, AuditRecord.action)):
        if when in months:
            months[when][actions[action]] += count
    step_month = func.substr(cast(EnrollmentStep.taken_on, String), 1, 7)
    for when, days, count in session.execute(
            select(step_month, EnrollmentStep.days_before, func.count()).where(
                EnrollmentStep.kind == "reminder", EnrollmentStep.taken_on >= date(year, 1, 1),
                EnrollmentStep.taken_on < date(year + 1, 1, 1)).group_by(step_month, EnrollmentStep.days_before)):
        if when in months:
            months[when]["by_days"][days] = count
    return list(months.values())
