"""The wording of the letters an application sends, in the customer's language.

Called inside `force_locale(language)`; the same text is kept on the application, shown in the
portal, printable as a letter, and sent through the outbox.
"""
from __future__ import annotations

from flask_babel import format_date, gettext as _

from core.money import format_dollars


def _benefit(program) -> str:
    rules = program.versions[-1].rules if program.versions else {}
    benefit = rules.get("benefit", {})
    if benefit.get("kind") == "percent_of_charges":
        return ", ".join(_("%(percent)s%% off %(service)s charges", percent=p, service=_(s))
                         for s, p in benefit.get("percent", {}).items())
    if benefit.get("kind") == "monthly_credit":
        return _("a credit of %(amount)s a month", amount=format_dollars(benefit["amount_cents"]))
    if benefit.get("kind") == "one_time_grant":
        return _("a one-time payment toward your energy bills")
    return _("a discount by income tier")


def render(kind: str, application, program, language: str, *, account, reasons, enrollment=None) -> tuple[str, str]:
    from eligibility.applications.service import APPEAL_DAYS, explanation

    number = application.number or f"#{application.id}"
    greeting = _("Application %(number)s for account %(account)s.", number=number, account=account.number)
    if kind == "receipt":
        subject = _("We received your application %(number)s", number=number)
        body = _("Thank you. We received your application on %(date)s. We will review it and write to you. "
                 "You can see where it stands at any time in your account.",
                 date=format_date(application.submitted_on, "long"))
    elif kind == "info_request":
        subject = _("We need more information for application %(number)s", number=number)
        items = "\n".join(f"- {item}" for item in application.info_checklist or [])
        body = _("To finish reviewing your application, please send us:\n%(items)s\n\nUpload them from your "
                 "application page by %(date)s. If we do not hear from you by then, we will close the application.",
                 items=items, date=format_date(application.info_due_on, "long"))
    elif kind == "approval":
        enrollment_text = ""
        from eligibility.applications.models import Enrollment
        from sqlalchemy import select
        from core.database import db

        enrollment = db.session.scalar(select(Enrollment).where(Enrollment.application_id == application.id,
                                                                Enrollment.program_id == program.program_id))
        if enrollment is not None:
            enrollment_text = _("Your enrollment runs from %(start)s to %(end)s. We will write to you before it ends.",
                                start=format_date(enrollment.certified_from, "long"),
                                end=format_date(enrollment.certified_to, "long"))
        subject = _("You are approved for %(program)s", program=program.program.name(language))
        body = _("Good news: you are approved for %(program)s. You will receive %(benefit)s.",
                 program=program.program.name(language), benefit=_benefit(program.program)) + " " + enrollment_text
    elif kind == "denial":
        reason = reasons.get(program.reason_code)
        label = (reason.labels.get(language) or reason.labels.get("en")) if reason else program.reason_code
        subject = _("Your application for %(program)s was not approved", program=program.program.name(language))
        body = _("We could not approve your application for %(program)s. Reason: %(reason)s.",
                 program=program.program.name(language), reason=label)
        why = explanation(program.determination, language)
        if why:
            body += "\n\n" + why
        if program.note:
            body += "\n\n" + program.note
        body += "\n\n" + _("If you disagree, you can appeal within %(days)s days from your application page.",
                           days=APPEAL_DAYS)
    elif kind == "appeal_outcome":
        subject = _("The decision on your appeal, application %(number)s", number=number)
        body = _("A manager has reviewed your appeal for %(program)s.", program=program.program.name(language)) + " " + (
            _("The denial was overturned and you are approved.") if program.status == "approved"
            else _("The denial was upheld."))
    elif kind == "withdrawal":
        subject = _("Your application %(number)s was withdrawn", number=number)
        body = _("As you asked, we withdrew your application. You can apply again at any time.")
    elif kind == "enrollment_ended":
        name = enrollment.program.name(language)
        subject = _("Your enrollment in %(program)s has ended", program=name)
        body = _("Your enrollment in %(program)s ended on %(date)s. Reason: %(reason)s", program=name,
                 date=format_date(enrollment.ended_on, "long"), reason=enrollment.end_reason)
        if enrollment.status == "removed":
            body += "\n\n" + _("If you disagree, you can appeal within %(days)s days: contact customer service.",
                                days=APPEAL_DAYS)
        else:
            body += "\n\n" + _("If you still need help with your bill, you can apply again at any time.")
    elif kind == "closure":
        subject = _("Your application %(number)s was closed", number=number)
        body = _("We closed your application because we did not receive the information we asked for. You can ask "
                 "us to reopen it, or apply again.")
    else:
        raise ValueError(kind)
    return subject, f"{greeting}\n\n{body.strip()}"
