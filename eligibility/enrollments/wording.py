"""The wording of the letters about an enrollment (reminders, grace, expiry, verification, ending,
auto-enrollment), registered with `notices.wording`; and the benefit in words, which approval
letters use too."""
from __future__ import annotations

from datetime import date
from functools import partial

from flask_babel import format_date, gettext as _, lazy_gettext as _l

from applications.letters import APPEAL_DAYS
from core import clock
from core.money import format_dollars, format_percent
from eligibility.explain import ENROLLMENTS, N_
from notices.wording import register


def version_on(program, day: date):
    """The stored version in effect on the day (of those covering it the newest wins, as in the rules);
    the earliest when the day comes before them all."""
    versions = sorted(program.versions, key=lambda v: v.number)
    covering = [v for v in versions if v.effective_from <= day and (v.effective_to is None or day <= v.effective_to)]
    if covering:
        return covering[-1]
    return versions[0] if versions else None


def benefit_text(program, on: date | None = None, tier: str | None = None, language: str = "en") -> str:
    """The benefit in words, as the rule version in effect on `on` (the enrollment's start) gives it."""
    version = version_on(program, on or clock.today())
    rules = version.rules if version else {}
    benefit = rules.get("benefit", {})
    if benefit.get("kind") == "per_tier" and tier:
        benefit = next((t.get("benefit", {}) for t in rules.get("limit", {}).get("tiers", []) if t.get("code") == tier),
                       benefit)
    if benefit.get("kind") == "percent_of_charges":
        return ", ".join(_("%(percent)s off %(service)s charges", percent=format_percent(p, language),
                           service=_(SERVICE_WORDS.get(s, s)))
                         for s, p in benefit.get("percent", {}).items())
    if benefit.get("kind") == "monthly_credit":
        return _("a credit of %(amount)s a month", amount=format_dollars(benefit["amount_cents"]))
    if benefit.get("kind") == "one_time_grant":
        return _("a one-time payment toward your energy bills")
    return _("a discount by income tier")


# The services' names in a letter's sentence ("20% off gas charges"), marked for translation.
SERVICE_WORDS = {"electric": N_("electric"), "gas": N_("gas"), "water": N_("water"), "wastewater": N_("wastewater"),
                 "refuse": N_("refuse")}




# Why an enrollment ended, as the letter says it: written by the daily job or chosen by the code that
# ends it, and put in the letter's language when the letter is rendered (never the CSR's or English).
END_REASONS = {
    "no_renewal": N_("No renewal was received by the end of the grace period."),
    "verification_missing": N_("No proof of income was received for post-enrollment verification."),
    "verification_failed": N_("Post-enrollment verification: the proof of income shows the household is not "
                              "eligible."),
    "account_closed": N_("The account was closed."),
    "opted_out": N_("You opted out of the automatic enrollment."),
}

ENROLLMENT_KINDS = ("enrollment_ended", "recert_reminder", "grace_started", "enrollment_expired",
                    "verification_request", "verification_passed", "auto_enrolled")


def render_enrollment(kind: str, language: str, *, program, account: str, link: str = "", **values) -> tuple[str, str]:
    """A letter about an enrollment (reminders, grace, expiry, verification, ending, auto-enrollment).

    `values` hold what the kind needs: dates as `date`, `days`, `reason`, `status`, `agency`,
    `categorical`. Called inside `force_locale(language)`.
    """
    name = program.name(language)

    def day(key: str) -> str:
        return format_date(values[key], "long")

    greeting = _("Account %(account)s.", account=account)
    if kind == "recert_reminder":
        subject = _("Time to renew %(program)s", program=name)
        body = _("Your enrollment in %(program)s ends on %(date)s, in %(days)s days. To keep receiving %(benefit)s, "
                 "renew before then:\n%(link)s\n\nYour answers from last time are filled in: check each one, change "
                 "what is different, and send new proof of income (documents from last time are not reused).",
                 program=name, date=day("expires_on"), days=values["days"],
                 benefit=benefit_text(program, values.get("expires_on"), values.get("tier"), language), link=link)
    elif kind == "grace_started":
        subject = _("Your %(program)s enrollment has reached its end date", program=name)
        body = _("Your enrollment in %(program)s reached its end date on %(date)s. We will keep giving you the benefit "
                 "until %(grace)s while you renew:\n%(link)s\n\nIf we do not receive your renewal by then, the "
                 "benefit stops.", program=name, date=day("expires_on"), grace=day("grace_ends_on"), link=link)
    elif kind == "enrollment_expired":
        subject = _("Your enrollment in %(program)s has expired", program=name)
        body = _("We did not receive a renewal, so your enrollment in %(program)s expired and the benefit stopped after "
                 "%(date)s. You can apply again at any time:\n%(link)s", program=name, date=day("grace_ends_on"),
                 link=link)
    elif kind == "verification_request":
        subject = _("Please send proof of income for %(program)s", program=name)
        body = _("Each month we check a few enrollments in %(program)s, chosen at random, and yours was chosen. This "
                 "does not mean anything is wrong. Please send proof of your household's income (an IRS tax "
                 "transcript, or pay stubs and benefit letters) by %(date)s:\n%(link)s\n\nIf we do not receive "
                 "it by then, your enrollment will end.", program=name, date=day("due_on"), link=link)
    elif kind == "verification_passed":
        subject = _("Thank you: your %(program)s enrollment is confirmed", program=name)
        body = _("We checked your proof of income. You stay enrolled in %(program)s until %(date)s.", program=name,
                 date=day("expires_on"))
    elif kind == "auto_enrolled":
        subject = _("You are enrolled in %(program)s", program=name)
        body = _("%(agency)s told us that your household takes part in %(categorical)s, so we enrolled you in "
                 "%(program)s from %(start)s to %(end)s. You will receive %(benefit)s. You do not need to do "
                 "anything.\n\nIf you do not want this, you can opt out here:\n%(link)s",
                 agency=values.get("agency") or _("A partner agency"),
                 categorical=_(ENROLLMENTS.get(values["categorical"], values["categorical"])), program=name, start=day("start"), end=day("end"),
                 benefit=benefit_text(program, values.get("start"), values.get("tier"), language), link=link)
    elif kind == "enrollment_ended":
        subject = _("Your enrollment in %(program)s has ended", program=name)
        code = values.get("reason_code")
        reason = _(END_REASONS[code]) if code in END_REASONS else values.get("reason", "")
        body = _("Your enrollment in %(program)s ended on %(date)s. Reason: %(reason)s", program=name,
                 date=day("ended_on"), reason=reason)
        if values.get("message"):
            body += "\n\n" + values["message"]
        if values.get("status") == "removed":
            body += "\n\n" + _("If you disagree, you can appeal within %(days)s days: contact customer service.",
                                days=APPEAL_DAYS)
        else:
            body += "\n\n" + _("If you still need help with your bill, you can apply again at any time.")
    else:
        raise ValueError(kind)
    return subject, f"{greeting}\n\n{body.strip()}"


# What staff pages call each letter (the print runs count them by kind).
ENROLLMENT_LABELS = {"enrollment_ended": _l("Enrollment ended"), "recert_reminder": _l("Renewal reminder"),
                     "grace_started": _l("Grace period started"), "enrollment_expired": _l("Enrollment expired"),
                     "verification_request": _l("Proof of income requested"),
                     "verification_passed": _l("Verification passed"), "auto_enrolled": _l("Automatic enrollment")}

for _kind in ENROLLMENT_KINDS:
    register(_kind, partial(render_enrollment, _kind), ENROLLMENT_LABELS[_kind])
