"""The assistance kind, as the shared lifecycle sees it (`applications.kinds`).

What approving a program means depends on why the application exists: a first application
enrolls; a renewal or a verification answers for the enrollment it is about. Recertification
registers what those two do (`on_approval`, `on_decision`), so this package never imports it.
"""
from __future__ import annotations

from typing import Callable

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session, selectinload

from applications import kinds
from applications.models import Application
from core.errors import Invalid
from eligibility.assistance import service
from eligibility.assistance.models import REQUIREMENTS, ApplicationProgram, AssistanceApplication
from eligibility.enrollments import service as enrollments
from eligibility.enrollments.models import CURRENT_ENROLLMENT, Enrollment
from eligibility.enrollments.wording import benefit_text
from eligibility.models import Program

CODE = "assistance"
# By purpose: what approving a program does to the current enrollment the application is about
# (session, application, program line, enrollment) -> enrollment or None.
on_approval: dict[str, Callable] = {}
# By purpose: what a decision does instead of the approval or denial letter
# (session, application, program line, passed=bool).
on_decision: dict[str, Callable] = {}


def grant(session: Session, application: Application, ap: ApplicationProgram) -> Enrollment | None:
    """What approving a program means for the application's purpose: enroll, renew, or confirm."""
    detail = application.assistance
    current = session.get(Enrollment, detail.enrollment_id) if detail.enrollment_id else None
    if current is None or current.status not in CURRENT_ENROLLMENT:
        return enrollments.enroll(session, application, ap)  # new, or the enrollment ended meanwhile: a fresh one
    handler = on_approval.get(detail.purpose)
    return handler(session, application, ap, current) if handler else None


def decided(session: Session, application: Application, ap: ApplicationProgram, approved: bool) -> bool:
    handler = on_decision.get(application.assistance.purpose)
    if handler is None:
        return False
    handler(session, application, ap, passed=approved)
    return True


def letter_context(session: Session, application: Application, ap: ApplicationProgram, language: str) -> dict:
    """The program in words for its letters: its name, the benefit and period of the enrollment an
    approval made, and for a denial the rules' explanation where it agrees with the decision (a
    program the rules found eligible and staff denied would otherwise read "You qualify.")."""
    program = ap.program
    enrollment = session.scalar(select(Enrollment).where(Enrollment.application_id == application.id,
                                                         Enrollment.program_id == ap.program_id))
    determination = ap.determination or {}
    context = {"name": program.name(language),
               "benefit": benefit_text(program, enrollment.certified_from if enrollment else None,
                                       determination.get("tier"), language)}
    if enrollment is not None:
        context["period"] = (enrollment.certified_from, enrollment.certified_to)
    if ap.status == "denied" and not determination.get("eligible"):
        context["explanation"] = service.explanation(determination, language,
                                                     service.program_names(session, language))
    return context


def panel_context(session: Session, application: Application, language: str) -> dict:
    """What the review page's assistance panel shows: the household, income declared and documented
    side by side, the determinations, in the page's language."""
    from eligibility.labels import (CATEGORICAL_LABELS, FREQUENCY_LABELS, INCOME_KIND_LABELS, REQUIREMENT_LABELS,
                                    STAFF_RELATIONSHIP_LABELS)

    documented, used = service.rules.documented_income(service.parsed_documents(session, application))
    return {"documented": documented, "used": used,
            "declared": service.rules.declared_income(application.assistance.household),
            "relationship_labels": STAFF_RELATIONSHIP_LABELS, "frequency_labels": FREQUENCY_LABELS,
            "kind_labels": INCOME_KIND_LABELS, "categorical_labels": CATEGORICAL_LABELS,
            "requirement_labels": REQUIREMENT_LABELS,
            "program_names": {ap.program.code: ap.program.name(language) for ap in application.programs}}


def check_submit(application: Application) -> None:
    if not application.assistance.household.get("members"):
        raise Invalid(_("Add the people in your household first."))


def _program_filter(session: Session, code: str):
    program_id = select(Program.id).where(Program.code == code.strip().upper()).scalar_subquery()
    return and_(Application.kind == CODE, exists().where(and_(ApplicationProgram.application_id == Application.id,
                                                              ApplicationProgram.program_id == program_id)))


def register() -> kinds.Kind:
    return kinds.register(kinds.Kind(
        code=CODE, label=_l("Assistance"), lines=lambda application: application.programs,
        requirements=REQUIREMENTS,
        requirement_words=lambda: {"income": _("proof of income"), "categorical": _("proof of benefits received")},
        missing_documents=service.missing_documents, check_submit=check_submit, evaluate=service.evaluate,
        grant=grant, decided=decided, letter_context=letter_context,
        kept_open_when_overdue=lambda: select(AssistanceApplication.application_id).where(
            AssistanceApplication.purpose == "verification"),
        enrollment_of=lambda application: application.assistance.enrollment_id,
        list_load=lambda: (selectinload(Application.programs).joinedload(ApplicationProgram.program),),
        panel="review/_assistance_panel.html", panel_context=panel_context,
        queue_filters={"program": _program_filter}))


