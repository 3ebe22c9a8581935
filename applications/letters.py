"""The letters every application sends, registered with `notices.wording`.

What a letter says about the decided line (the program's name, the benefit, the enrollment's
dates, the rules' explanation) comes from the kind's `letter_context`, worked out before the
letter is rendered, so the wording reads no database and is the same for every kind.
"""
from __future__ import annotations

from flask_babel import format_date, gettext as _, lazy_gettext as _l

from notices.wording import wording

# How long a denied customer has to appeal; the letters say it.
APPEAL_DAYS = 30


def _greeting(application, account: str) -> str:
    number = application.number or f"#{application.id}"
    return _("Application %(number)s for account %(account)s.", number=number, account=account)


def _letter(application, account: str, subject: str, body: str) -> tuple[str, str]:
    return subject, f"{_greeting(application, account)}\n\n{body.strip()}"


def _number(application) -> str:
    return application.number or f"#{application.id}"


@wording("receipt", _l("Application received"))
def receipt(language, *, application, account, **_context):
    subject = _("We received your application %(number)s", number=_number(application))
    body = _("Thank you. We received your application on %(date)s. We will review it and write to you. "
             "You can see where it stands at any time in your account.",
             date=format_date(application.submitted_on, "long"))
    return _letter(application, account, subject, body)


@wording("info_request", _l("Information requested"))
def info_request(language, *, application, account, **_context):
    subject = _("We need more information for application %(number)s", number=_number(application))
    items = "\n".join(f"- {item}" for item in application.info_checklist or [])
    body = _("To finish reviewing your application, please send us:\n%(items)s\n\nUpload them from your "
             "application page by %(date)s. If we do not hear from you by then, we will close the application.",
             items=items, date=format_date(application.info_due_on, "long"))
    return _letter(application, account, subject, body)


@wording("approval", _l("Approval"))
def approval(language, *, application, account, line, context, **_context):
    enrollment_text = ""
    if context.get("period"):
        start, end = context["period"]
        enrollment_text = _("Your enrollment runs from %(start)s to %(end)s. We will write to you before it ends.",
                            start=format_date(start, "long"), end=format_date(end, "long"))
    name = context.get("name") or line.code
    subject = _("You are approved for %(program)s", program=name)
    body = _("Good news: you are approved for %(program)s. You will receive %(benefit)s.",
             program=name, benefit=context.get("benefit", "")) + " " + enrollment_text
    if context.get("explanation"):  # how the amount was worked out (a rebate's items)
        body = body.strip() + "\n\n" + context["explanation"]
    if line.message:
        body = body.strip() + "\n\n" + line.message
    return _letter(application, account, subject, body)


@wording("denial", _l("Denial"))
def denial(language, *, application, account, line, context, reason_labels, appeal_days=APPEAL_DAYS, **_context):
    labels = reason_labels.get(line.reason_code)
    label = (labels.get(language) or labels.get("en")) if labels else line.reason_code
    name = context.get("name") or line.code
    subject = _("Your application for %(program)s was not approved", program=name)
    body = _("We could not approve your application for %(program)s. Reason: %(reason)s.", program=name, reason=label)
    if context.get("explanation"):
        body += "\n\n" + context["explanation"]
    if line.message:
        body += "\n\n" + line.message
    body += "\n\n" + _("If you disagree, you can appeal within %(days)s days from your application page.",
                       days=appeal_days)
    return _letter(application, account, subject, body)


@wording("appeal_outcome", _l("Appeal outcome"))
def appeal_outcome(language, *, application, account, line, context, appeal_note=None, **_context):
    subject = _("The decision on your appeal, application %(number)s", number=_number(application))
    name = context.get("name") or line.code
    body = _("A manager has reviewed your appeal for %(program)s.", program=name) + " " + (
        _("The denial was overturned and you are approved.") if line.status == "approved"
        else _("The denial was upheld."))
    if appeal_note:  # the form's "Explanation for the customer"
        body += "\n\n" + appeal_note
    return _letter(application, account, subject, body)


@wording("withdrawal", _l("Withdrawal"))
def withdrawal(language, *, application, account, **_context):
    subject = _("Your application %(number)s was withdrawn", number=_number(application))
    body = _("As you asked, we withdrew your application. You can apply again at any time.")
    return _letter(application, account, subject, body)


@wording("closure", _l("Application closed"))
def closure(language, *, application, account, **_context):
    subject = _("Your application %(number)s was closed", number=_number(application))
    body = _("We closed your application because we did not receive the information we asked for. You can ask "
             "us to reopen it, or apply again.")
    return _letter(application, account, subject, body)
