"""Renewing an enrollment, the outcome of a verification, opting out, enrolling from an agency's file.

Each function takes the caller's session and flushes; the request or command commits once.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import Account, AccountLink
from core import audit, clock
from core.errors import Conflict, NotFound
from core.tabular import FileRefused, read_rows
from core.web import external_url
from applications import service as applications
from applications.models import Application
from eligibility import service as programs_service
from eligibility.assistance import kind as assistance_kind, service as assistance
from eligibility.assistance.models import RENEWAL_PENDING, ApplicationProgram, AssistanceApplication
from eligibility.enrollments import letters, service as enrollments
from eligibility.enrollments.models import CURRENT_ENROLLMENT, Enrollment
from eligibility.models import Program
from eligibility.recertification import rules
from eligibility.rules import CATEGORICAL_PROGRAMS


def register_purposes() -> None:
    """What approving a renewal, and deciding a verification, do to their enrollment (the assistance
    kind asks; it never imports this package)."""
    assistance_kind.on_approval["recertification"] = recertify
    assistance_kind.on_decision["verification"] = verification_decided


# --- renewing -----------------------------------------------------------------------------------

def get_enrollment_for(session: Session, user, enrollment_id: int) -> Enrollment:
    """The enrollment as this person may see it: a customer linked to its account, or staff."""
    enrollment = session.get(Enrollment, enrollment_id)
    if enrollment is None:
        raise NotFound(_("No such enrollment."))
    if not user.is_staff and not session.scalar(select(AccountLink.id).where(
            AccountLink.account_id == enrollment.account_id, AccountLink.user_id == user.id)):
        raise NotFound(_("No such enrollment."))
    return enrollment


def start_recertification(session: Session, user, enrollment: Enrollment) -> Application:
    """A renewal application filled in from the last one; the customer confirms or changes each fact.

    Documents are not carried over: the renewal needs proof of income as it is now. A renewal
    already started is returned rather than a second one made.
    """
    if enrollment.status not in CURRENT_ENROLLMENT:
        raise Conflict(_("This enrollment has ended. Apply again instead."))
    existing = session.scalar(select(Application).join(
        AssistanceApplication, AssistanceApplication.application_id == Application.id).where(
        AssistanceApplication.enrollment_id == enrollment.id, AssistanceApplication.purpose == "recertification",
        Application.status.in_(("draft",) + RENEWAL_PENDING)).order_by(Application.id.desc()))
    if existing is not None:
        return existing
    previous = session.get(Application, enrollment.application_id) if enrollment.application_id else None
    if user.is_staff:
        applicant = applications.applicant_of(session, previous) if previous else None
        if applicant is None:
            raise Conflict(_("Nobody has a login for this account yet: start an assisted application instead."))
    else:
        applicant = user
    household = copy.deepcopy(previous.assistance.household) if previous else {"members": []}
    categorical = (list(previous.assistance.categorical) if previous
                   else ([enrollment.categorical] if enrollment.categorical else []))
    application = assistance.start(session, user=user, applicant=applicant,
                                   account_number=session.get(Account, enrollment.account_id).number,
                                   program_codes=[enrollment.program.code], household=household,
                                   categorical=categorical, purpose="recertification", enrollment_id=enrollment.id)
    audit.record(session, "enrollment.recertification_started", obj=enrollment,
                 details={"application": application.id, "prefilled_from": previous.id if previous else None})
    session.flush()
    return application


def recertify(session: Session, application: Application, ap: ApplicationProgram, enrollment: Enrollment) -> Enrollment:
    """Approve a renewal: in time, the new period runs on from the old expiry; late, it starts today."""
    months, version, kind = enrollments.certification_months(session, application, ap)
    before, old_to = enrollment.status, enrollment.certified_to
    start, end, in_time = rules.recertified_period(old_to, clock.today(), months)
    enrollment.certified_from, enrollment.certified_to = start, end
    enrollment.status, enrollment.grace_ends_on = "active", None
    enrollment.application_id, enrollment.household_type = application.id, kind
    enrollment.rule_version = (ap.determination or {}).get("rule_version") or version.id
    if in_time:
        why = _("Recertified on application %(number)s before the expiry of %(old)s: certified from %(start)s to "
                "%(end)s", number=application.number, old=old_to.isoformat(), start=start.isoformat(),
                end=end.isoformat())
    else:
        why = _("Recertified late on application %(number)s (certification ended %(old)s): a new period from "
                "%(start)s to %(end)s", number=application.number, old=old_to.isoformat(), start=start.isoformat(),
                end=end.isoformat())
    enrollments.record(session, enrollment, "active", why, from_status=before)
    audit.record(session, "enrollment.recertified" if in_time else "enrollment.recertified_late", obj=enrollment,
                 details={"application": application.id, "in_time": in_time, "previous_expiry": old_to.isoformat(),
                          "from": start.isoformat(), "to": end.isoformat()})
    session.flush()
    return enrollment


def verification_decided(session: Session, application: Application, ap: ApplicationProgram, *, passed: bool) -> None:
    """The proof a verification asked for: the enrollment stays, or is removed with appeal rights."""
    enrollment = session.get(Enrollment, application.assistance.enrollment_id)
    if enrollment is None or enrollment.status not in CURRENT_ENROLLMENT:
        return
    if passed:
        audit.record(session, "enrollment.verified", obj=enrollment, details={"application": application.id})
        letters.send(session, enrollment, "verification_passed", expires_on=enrollment.certified_to)
        return
    reason = _("Post-enrollment verification: the proof of income shows the household is not eligible.")
    if ap.note:
        reason += " " + ap.note
    enrollments.end(session, enrollment, "removed", reason, reason_code="verification_failed", message=ap.message)


# --- opting out of an automatic enrollment ------------------------------------------------------

def _opt_out_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="enrollment-opt-out")


def opt_out_token(enrollment: Enrollment) -> str:
    return _opt_out_serializer().dumps({"e": enrollment.id, "a": enrollment.account_id})


def enrollment_for_opt_out(session: Session, token: str) -> Enrollment:
    """The link in the letter is the customer's proof: it names one enrollment and is signed."""
    try:
        data = _opt_out_serializer().loads(token)
    except BadSignature:
        raise NotFound(_("This opt-out link is not valid.")) from None
    enrollment = session.get(Enrollment, data.get("e"))
    if enrollment is None or enrollment.account_id != data.get("a"):
        raise NotFound(_("This opt-out link is not valid."))
    return enrollment


def opt_out(session: Session, enrollment: Enrollment) -> None:
    if enrollment.status not in CURRENT_ENROLLMENT:
        raise Conflict(_("This enrollment has already ended."))
    enrollment.opted_out_at = clock.now()
    enrollments.end(session, enrollment, "ended", _("The customer opted out of the automatic enrollment."),
                    reason_code="opted_out")


# --- enrolling from a partner agency's file -----------------------------------------------------

AUTO_COLUMNS = ("account_number", "program", "categorical_program", "agency_reference")


@dataclass
class AutoReport:
    rows: int = 0
    enrolled: int = 0
    already_enrolled: int = 0
    opted_out: int = 0
    enrolled_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"rows": self.rows, "enrolled": self.enrolled, "already_enrolled": self.already_enrolled,
                "opted_out": self.opted_out}


# A partner agency's file with bad lines is refused whole, every bad line named (core.tabular).
AutoFileError = FileRefused


def enroll_from_file(session: Session, path: Path, agency: str | None = None, on: date | None = None) -> AutoReport:
    """Enroll the accounts a partner agency lists, all or nothing: a bad line stops the whole file.

    Accounts already enrolled are left as they are, and a household that opted out of this
    program is not enrolled again by a later file.
    """
    on = on or clock.today()
    catalog = programs_service.catalog(session)
    programs = {p.code: p for p in session.scalars(select(Program))}
    errors: list[str] = []
    rows: list[tuple[int, dict]] = []
    with read_rows(Path(path)) as (header, lines):
        missing = [c for c in AUTO_COLUMNS if c not in header]
        if missing:
            raise AutoFileError([f"line 1, {c}: column is missing from the header" for c in missing])
        rows = list(lines)
    accounts = {a.number: a for a in session.scalars(select(Account).where(
        Account.number.in_({r.get("account_number", "").strip() for _line, r in rows})))}
    seen: set[tuple[str, str]] = set()
    plan = []
    for line, row in rows:
        number, code = row.get("account_number", "").strip(), row.get("program", "").strip().upper()
        categorical = row.get("categorical_program", "").strip().upper()
        reference = row.get("agency_reference", "").strip()
        account, program = accounts.get(number), programs.get(code)
        version = catalog.version_on(code, on) if program else None
        if account is None:
            errors.append(f"line {line}, account_number: no account {number!r}")
        elif account.status != "active":
            errors.append(f"line {line}, account_number: account {number} is closed")
        if program is None or not program.enabled or version is None:
            errors.append(f"line {line}, program: {code!r} is not open on {on.isoformat()}")
        if categorical not in CATEGORICAL_PROGRAMS:
            errors.append(f"line {line}, categorical_program: {categorical!r} is not one of "
                          f"{', '.join(CATEGORICAL_PROGRAMS)}")
        elif version is not None and categorical not in version.categorical:
            errors.append(f"line {line}, categorical_program: {code} does not enroll through {categorical}")
        if not reference or len(reference) > 80:
            errors.append(f"line {line}, agency_reference: give the agency's reference (up to 80 characters)")
        if (number, code) in seen:
            errors.append(f"line {line}: account {number} and {code} appear twice in the file")
        seen.add((number, code))
        plan.append((account, program, version, categorical, reference))
    if errors:
        raise AutoFileError(errors)
    report = AutoReport(rows=len(plan))
    for account, program, version, categorical, reference in plan:
        history = list(session.scalars(select(Enrollment).where(Enrollment.account_id == account.id,
                                                                Enrollment.program_id == program.id)))
        if any(e.status in CURRENT_ENROLLMENT for e in history):
            report.already_enrolled += 1
            continue
        if any(e.opted_out_at is not None for e in history):
            report.opted_out += 1
            continue
        months = version.recertification_months.get("auto_enrolled") or version.recertification_months["standard"]
        start, end = rules.period_of(on, months)
        enrollment = Enrollment(account_id=account.id, program_id=program.id, application_id=None, status="active",
                                certified_from=start, certified_to=end, enrolled_from=start,
                                household_type="auto_enrolled", rule_version=version.id, source="auto",
                                categorical=categorical, agency_reference=reference, created_at=clock.now())
        session.add(enrollment)
        session.flush()
        enrollments.record(session, enrollment, "active",
                           _("Enrolled automatically: %(agency)s reports %(categorical)s (reference %(reference)s)",
                             agency=agency or _("a partner agency"), categorical=categorical, reference=reference))
        audit.record(session, "enrollment.auto_enrolled", obj=enrollment,
                     details={"program": program.code, "source": "auto", "categorical": categorical,
                              "agency_reference": reference, "from": start.isoformat(), "to": end.isoformat()})
        # The letter says "A partner agency" in its own language when the file names none.
        letters.send(session, enrollment, "auto_enrolled", agency=agency or "",
                     categorical=categorical, start=start, end=end,
                     link=external_url("recertification.opt_out", token=opt_out_token(enrollment)))
        report.enrolled += 1
        report.enrolled_ids.append(enrollment.id)
    session.flush()
    return report
