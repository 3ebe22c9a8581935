"""The rebate kind's own letters: in line for funds, taken off the line, and paid.

The words come from the kind's `letter_context` (the place in line, how and when it was paid),
worked out before the letter is rendered, so the wording reads no database.
"""
from __future__ import annotations

from flask_babel import format_date, gettext as _, lazy_gettext as _l

from notices.wording import wording


def _number(application) -> str:
    return application.number or f"#{application.id}"


def _letter(application, account: str, subject: str, body: str) -> tuple[str, str]:
    greeting = _("Application %(number)s for account %(account)s.", number=_number(application), account=account)
    return subject, f"{greeting}\n\n{body.strip()}"


@wording("waitlisted", _l("On the waiting list for funds"))
def waitlisted(language, *, application, account, line, context, **_context):
    name = context.get("name") or line.code
    subject = _("Your rebate application %(number)s is on the waiting list", number=_number(application))
    body = _("This year's funds for %(program)s are fully reserved right now, so your application for %(amount)s "
             "is on the waiting list, number %(place)s in line. Applications are taken in the order they were sent "
             "as funds come free. We will write to you when yours moves to review; you do not need to do anything.",
             program=name, amount=context.get("quote", ""), place=context.get("position") or "?")
    return _letter(application, account, subject, body)


@wording("waitlist_offer", _l("Taken off the waiting list"))
def waitlist_offer(language, *, application, account, line, context, **_context):
    name = context.get("name") or line.code
    subject = _("Funds are now reserved for your rebate application %(number)s", number=_number(application))
    body = _("Good news: funds for %(program)s came free, and %(amount)s is now reserved for your application. "
             "It goes to review now; we will write to you with the decision.",
             program=name, amount=context.get("quote", ""))
    return _letter(application, account, subject, body)


@wording("rebate_paid", _l("Rebate paid"))
def rebate_paid(language, *, application, account, line, context, **_context):
    paid = context.get("paid") or {}
    subject = _("Your rebate for application %(number)s was paid", number=_number(application))
    when = format_date(paid["paid_on"], "long") if paid.get("paid_on") else ""
    if paid.get("method") == "check":
        body = _("We issued your rebate of %(amount)s as check number %(check)s on %(date)s. It is on its way to the "
                 "address you gave.", amount=paid.get("amount", ""), check=paid.get("reference") or "", date=when)
    else:
        body = _("Your rebate of %(amount)s was credited to your bill on %(date)s. You will see it on your next bill.",
                 amount=paid.get("amount", ""), date=when)
    return _letter(application, account, subject, body)
