"""Enrollments: made on approval, their history, the customer's and the account's list, and ending
them (by staff, or when an account closes). Recertification uses these; nothing here uses it."""
from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from accounts.models import Account, AccountClosure
from applications.models import Application
from core import audit, clock
from core.audit import current_actor
from core.dates import add_months
from core.errors import Conflict, Invalid
from eligibility import service as programs_service
from eligibility.assistance.models import ApplicationProgram, AssistanceApplication
from eligibility.enrollments import letters
from eligibility.enrollments.models import CURRENT_ENROLLMENT, Enrollment, EnrollmentEvent

END_STATUSES = ("ended", "removed")


def record(session: Session, enrollment: Enrollment, to_status: str, reason: str | None,
           from_status: str | None = None) -> None:
    actor = current_actor()
    session.add(EnrollmentEvent(enrollment_id=enrollment.id, occurred_at=clock.now(), actor_id=actor.user_id,
                                actor_label=actor.label, from_status=from_status, to_status=to_status, reason=reason))
    audit.record(session, f"enrollment.{to_status}", obj=enrollment, reason=reason,
                 details={"from": from_status, "to": to_status})


# What the enrollment pages show of each one, loaded for all of them at once rather than per row.
ENROLLMENT_LOAD = (joinedload(Enrollment.program), selectinload(Enrollment.history), selectinload(Enrollment.notices))


def for_account(session: Session, account: Account) -> list[Enrollment]:
    return for_accounts(session, [account])[account.id]


def for_accounts(session: Session, accounts) -> dict[int, list[Enrollment]]:
    """Each account's enrollments, newest first, in a number of queries that does not grow with them."""
    found: dict[int, list[Enrollment]] = {a.id: [] for a in accounts}
    if found:
        for enrollment in session.scalars(select(Enrollment).where(Enrollment.account_id.in_(list(found)))
                                          .options(*ENROLLMENT_LOAD)
                                          .order_by(Enrollment.certified_from.desc(), Enrollment.id.desc())):
            found[enrollment.account_id].append(enrollment)
    return found


def verifications_waiting(session: Session, rows: list[Enrollment]) -> dict[int, Application]:
    """Enrollments whose verification waits for the customer's proof, with the request to answer."""
    ids = [e.id for e in rows]
    if not ids:
        return {}
    return {a.assistance.enrollment_id: a for a in session.scalars(
        select(Application).join(AssistanceApplication, AssistanceApplication.application_id == Application.id)
        .where(AssistanceApplication.enrollment_id.in_(ids), AssistanceApplication.purpose == "verification",
               Application.status == "needs_info"))}


def end(session: Session, enrollment: Enrollment, status: str, reason: str, *, reason_code: str | None = None,
        message: str | None = None) -> None:
    """End a current enrollment: `ended` (moved, account closed, customer's request) or `removed` (for cause).

    `reason` goes to the history; the letter says `reason_code` (one of `notices.END_REASONS`) in its own
    language when there is one, else the staff's `reason`, and then the customer-facing `message`."""
    if status not in END_STATUSES:
        raise Invalid(_("An enrollment ends as ended or removed."), fields={"status": [_("Choose ended or removed.")]})
    if not (reason or "").strip():
        raise Invalid(_("Say why the enrollment ends."), fields={"end_reason": [_("Say why the enrollment ends.")]})
    if enrollment.status not in CURRENT_ENROLLMENT:
        raise Conflict(_("This enrollment has already ended."))
    before = enrollment.status
    enrollment.status, enrollment.end_reason = status, reason.strip()
    enrollment.ended_at, enrollment.ended_on = clock.now(), clock.today()
    record(session, enrollment, status, reason.strip(), from_status=before)
    extra = {"reason_code": reason_code} if reason_code else {}
    if (message or "").strip():
        extra["message"] = message.strip()
    letters.send(session, enrollment, "enrollment_ended", ended_on=enrollment.ended_on, reason=enrollment.end_reason,
                 status=status, **extra)
    session.flush()


def end_for_closed_accounts(session: Session) -> int:
    """Accounts an import closed: their enrollments end, with a notice; the closure is then handled."""
    closures = list(session.scalars(select(AccountClosure).where(AccountClosure.handled_at.is_(None))))
    ended = 0
    for closure in closures:
        for enrollment in session.scalars(select(Enrollment).where(Enrollment.account_id == closure.account_id,
                                                                   Enrollment.status.in_(CURRENT_ENROLLMENT))):
            end(session, enrollment, "ended", _("The account was closed."), reason_code="account_closed")
            ended += 1
        closure.handled_at = clock.now()
    session.flush()
    return ended


def on_accounts_imported(_app, session: Session, **_kwargs) -> None:
    end_for_closed_accounts(session)


# --- made on approval ---------------------------------------------------------------------

def household_type(application: Application, ap: ApplicationProgram) -> str:
    if (ap.determination or {}).get("categorical"):
        return "auto_enrolled"
    members = application.assistance.household.get("members", [])
    if members and all(m["age"] >= 65 for m in members):
        return "senior_only"
    return "standard"


def certification_months(session: Session, application: Application, ap: ApplicationProgram) -> tuple[int, object, str]:
    """How long a period the program gives this household, under the rules of the application's day."""
    catalog = programs_service.catalog(session)
    version = catalog.version_on(ap.program.code, application.submitted_on or clock.today()) or \
        catalog.version_on(ap.program.code, clock.today())
    kind = household_type(application, ap)
    months = version.recertification_months.get(kind) or version.recertification_months.get("standard") or 24
    return months, version, kind


def enroll(session: Session, application: Application, ap: ApplicationProgram) -> Enrollment:
    existing = session.scalar(select(Enrollment).where(Enrollment.account_id == application.account_id,
                                                       Enrollment.program_id == ap.program_id,
                                                       Enrollment.status.in_(CURRENT_ENROLLMENT)))
    if existing is not None:
        raise Conflict(_("This account is already enrolled in %(program)s until %(date)s.", program=ap.program.code,
                         date=existing.certified_to.isoformat()))
    start_on = clock.today()
    months, version, kind = certification_months(session, application, ap)
    enrollment = Enrollment(account_id=application.account_id, program_id=ap.program_id, application_id=application.id,
                            status="active", certified_from=start_on, enrolled_from=start_on,
                            certified_to=add_months(start_on, months) - timedelta(days=1), household_type=kind,
                            rule_version=(ap.determination or {}).get("rule_version") or version.id,
                            created_at=clock.now())
    session.add(enrollment)
    session.flush()
    record(session, enrollment, "active", _("Approved on application %(number)s", number=application.number))
    audit.record(session, "enrollment.created", obj=enrollment,
                 details={"program": ap.program.code, "from": enrollment.certified_from.isoformat(),
                          "to": enrollment.certified_to.isoformat()})
    return enrollment
