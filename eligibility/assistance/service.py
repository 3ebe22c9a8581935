"""The assistance kind of application: its draft (account, programs, household), the documents read for
income, the preliminary determination and flags, and a renewal's previous household.

The shared lifecycle (submit, claim, decide, appeal, letters) is `applications.service`; what a
decision does for assistance is `eligibility.assistance.kind`. Each function takes the caller's
session and flushes; the request or job commits once.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.models import Account, AccountLink
from applications.models import OPEN_STATUSES, Application, ApplicationDocument, Flag
from applications.service import account_of, check_editable, line_on, lock, record_event
from core import audit, clock
from core.errors import Forbidden, Invalid, NotFound, Conflict
from documents.models import Document
from eligibility import explain
from eligibility import service as programs_service
from eligibility.assistance import rules
from eligibility.assistance.models import AssistanceApplication, ApplicationProgram
from eligibility.enrollments.models import CURRENT_ENROLLMENT, Enrollment
from eligibility.models import Program


def check_account(session: Session, applicant, account: Account) -> None:
    """Only the customer of record of an active, individually metered account may apply for it."""
    linked = session.scalar(select(func.count()).select_from(AccountLink).where(
        AccountLink.user_id == applicant.id, AccountLink.account_id == account.id))
    if not linked:
        raise Invalid(_("Link this account to the login first: only the customer of record may apply."),
                      fields={"account_number": [_("This account is not linked to the applicant's login.")]})
    if account.status != "active":
        raise Invalid(_("This account is closed. Apply with the account for your current home."),
                      fields={"account_number": [_("This account is closed.")]})
    if account.meter_type == "master":
        message = _("Your building has one meter for every home, so the discount cannot go on your own bill. "
                    "Ask your landlord to apply for the building, or ask us about help for tenants.")
        raise Invalid(message, fields={"account_number": [message]})


def _programs(session: Session, codes: list[str], on: date, account: Account, public: bool) -> list[Program]:
    """The chosen programs, each open on the day and offered at the account's ZIP code (a customer
    never gets the demo's example program outside the demo)."""
    if not codes:
        raise Invalid(_("Choose at least one program."), fields={"programs": [_("Choose at least one program.")]})
    offered = {p.code: p for p in programs_service.offered(session, on, account.zip, public=public)}
    known = {p.code for p in programs_service.list_programs(session)}
    chosen = []
    for code in dict.fromkeys(c.strip().upper() for c in codes):
        program = offered.get(code)
        if program is None:
            if code in known and programs_service.is_open(session, code, on, public=public):
                message = _("%(program)s is not offered at this account's address (ZIP code %(zip)s).",
                            program=code, zip=account.zip)
            else:
                message = _("%(program)s is not open for applications.", program=code)
            raise Invalid(message, fields={"programs": [message]})
        chosen.append(program)
    return chosen


def start(session: Session, *, user, applicant, account_number: str, program_codes: list[str], household: dict,
          categorical: list[str], purpose: str = "new", enrollment_id: int | None = None) -> Application:
    """A draft for the account: the applicant's, started by them or by staff for them."""
    account = session.scalar(select(Account).where(Account.number == (account_number or "").strip()))
    if account is None:
        raise Invalid(_("No such account."), fields={"account_number": [_("No such account.")]})
    if not user.is_staff and applicant.id != user.id:
        raise Forbidden()
    check_account(session, applicant, account)
    now = clock.now()
    application = Application(account_id=account.id, applicant_id=applicant.id, started_by_id=user.id,
                              assisted=user.is_staff, kind="assistance", status="draft",
                              language=applicant.language or "en", created_at=now, updated_at=now)
    application.assistance = AssistanceApplication(household=household, categorical=sorted(set(categorical)),
                                                   purpose=purpose, enrollment_id=enrollment_id)
    application.programs = [ApplicationProgram(program_id=p.id, status="pending")
                            for p in _programs(session, program_codes, clock.today(), account, not user.is_staff)]
    session.add(application)
    session.flush()
    record_event(session, application, "started", "draft", from_status=None,
                 note=_("Started by staff for the customer") if user.is_staff else None)
    return application


def open_draft(session: Session, applicant_id: int, account_number: str) -> Application | None:
    """The applicant's newest draft for the account, which "Start an application" resumes (a renewal
    draft is its own: it stays with its enrollment)."""
    return session.scalar(select(Application).join(Account, Account.id == Application.account_id)
                          .join(AssistanceApplication, AssistanceApplication.application_id == Application.id)
                          .where(Application.applicant_id == applicant_id, Application.status == "draft",
                                 AssistanceApplication.purpose == "new",
                                 Account.number == (account_number or "").strip())
                          .order_by(Application.created_at.desc(), Application.id.desc()).limit(1))


def resume(session: Session, application: Application, *, program_codes: list[str], household: dict | None,
           categorical: list[str] | None) -> Application:
    """Add the newly chosen programs to an open draft; a household carried from the screener fills
    only a draft that has nobody yet, so nothing typed before is lost."""
    lock(session, application)
    chosen = list(dict.fromkeys([ap.program.code for ap in application.programs] +
                                [c.strip().upper() for c in program_codes]))
    empty = not (application.assistance.household or {}).get("members")
    update(session, application, program_codes=chosen or None,
           household=household if household and household.get("members") and empty else None,
           categorical=categorical if categorical and empty and not application.assistance.categorical else None)
    audit.record(session, "application.resumed", obj=application, details={"programs": chosen})
    return application


def update(session: Session, application: Application, *, household: dict | None = None,
           categorical: list[str] | None = None, program_codes: list[str] | None = None) -> Application:
    check_editable(application)
    if household is not None:
        application.assistance.household = household
    if categorical is not None:
        application.assistance.categorical = sorted(set(categorical))
    if program_codes is not None:
        if application.status != "draft":
            raise Conflict(_("Programs can change only before the application is submitted."))
        chosen = {p.id for p in _programs(session, program_codes, clock.today(), account_of(session, application),
                                          not application.assisted)}
        application.programs = [ap for ap in application.programs if ap.program_id in chosen] + [
            ApplicationProgram(program_id=pid, status="pending") for pid in sorted(chosen)
            if pid not in {ap.program_id for ap in application.programs}]
    application.updated_at = clock.now()
    session.flush()
    return application


def missing_documents(application: Application) -> list[str]:
    """The requirements (`income`, `categorical`) with no file yet; see rules.missing_documents."""
    return rules.missing_documents(application.assistance.categorical, [a.requirement for a in application.attachments])


def parsed_documents(session: Session, application: Application) -> list[rules.ParsedDocument]:
    rows = session.execute(select(ApplicationDocument, Document).join(Document, Document.id == ApplicationDocument.document_id)
                           .where(ApplicationDocument.application_id == application.id)
                           .order_by(ApplicationDocument.id)).all()
    return [rules.ParsedDocument(document_id=d.id, requirement=link.requirement,
                                 status="parsed" if READ_BY_PERSON in (d.corrections or {}) else d.status,
                                 result=corrected_result(d), sha256=d.sha256) for link, d in rows]


# The key in `Document.corrections` that holds what a person read from a document the parser could
# not read (a photo or a scan): its type, tax year and figures, with the reason.
READ_BY_PERSON = "read_by_person"
# The figures a person records from a document; the ones the income comparison uses.
READING_FIGURES = ("adjusted_gross_income", "wages", "unemployment_compensation", "social_security_benefits",
                   "pensions", "other_income")
READABLE_TYPES = ("tax_return_transcript", "account_transcript", "record_of_account", "wage_and_income_transcript",
                  "verification_of_nonfiling")


def corrected_result(document: Document) -> dict:
    """The parse result with what staff read or corrected applied (the stored result is left as read)."""
    result = dict(document.parse_result or {})
    corrections = dict(document.corrections or {})
    reading = corrections.pop(READ_BY_PERSON, None)
    if reading or corrections:
        amounts = dict(result.get("amounts_cents") or {})
        if reading:
            result.update(document_type=reading["document_type"], tax_year=reading["tax_year"],
                          read_by_person={"by": reading["by"], "at": reading["at"], "reason": reading["reason"]})
            amounts.update(reading["amounts_cents"])
        for name, correction in corrections.items():
            amounts[name] = correction["amount_cents"]
        result["amounts_cents"] = amounts
    return result


def _attached(session: Session, application: Application, document_id: int) -> ApplicationDocument:
    link = session.scalar(select(ApplicationDocument).where(ApplicationDocument.application_id == application.id,
                                                            ApplicationDocument.document_id == document_id))
    if link is None:
        raise NotFound(_("No such document."))
    return link


def record_reading(session: Session, staff, application: Application, document_id: int, *, document_type: str,
                   tax_year: int | None, amounts_cents: dict[str, int], reason: str) -> None:
    """A CSR records what they read from a photo or scan, so the income comparison uses it."""
    link = _attached(session, application, document_id)
    reason = " ".join((reason or "").split())
    errors: dict[str, list[str]] = {}
    if document_type not in READABLE_TYPES:
        errors["document_type"] = [_("Choose what the document is.")]
    if tax_year is None or not 2000 <= tax_year <= clock.today().year:
        errors["tax_year"] = [_("Enter the tax year the document is for, like %(year)s.", year=clock.today().year - 1)]
    unknown = set(amounts_cents) - set(READING_FIGURES)
    if unknown:
        errors["document_type"] = [_("Unknown figure.")]
    if document_type in rules.TRANSCRIPTS_WITH_AGI and "adjusted_gross_income" not in amounts_cents:
        errors["adjusted_gross_income"] = [_("Enter the adjusted gross income the document shows.")]
    if document_type == "wage_and_income_transcript" and not amounts_cents:
        errors["wages"] = [_("Enter at least one income figure the document shows.")]
    if not reason:
        errors["reading_reason"] = [_("Say why the figures are entered by hand, for example “photo of a transcript”.")]
    if errors:
        raise Invalid(_("What you read is not complete."), fields=errors)
    document = link.document
    corrections = dict(document.corrections or {})
    corrections[READ_BY_PERSON] = {"document_type": document_type, "tax_year": tax_year,
                                   "amounts_cents": dict(amounts_cents), "reason": reason, "by": staff.email,
                                   "at": clock.now().isoformat()}
    document.corrections = corrections
    audit.record(session, "document.read_by_person", obj=document, reason=reason,
                 details={"application": application.id, "document_type": document_type, "tax_year": tax_year,
                          "amounts_cents": dict(amounts_cents)})
    evaluate(session, application)


def correct_figure(session: Session, staff, application: Application, document_id: int, field: str,
                   amount_cents: int, reason: str) -> None:
    """A CSR corrects a parsed figure; the reason and the original stay beside it."""
    from documents.transcripts import AMOUNT_FIELDS

    link = _attached(session, application, document_id)
    if not (reason or "").strip():
        message = _("Say why the figure is corrected.")
        raise Invalid(message, fields={"correction_reason": [message]})
    if field not in AMOUNT_FIELDS:
        raise Invalid(_("Unknown figure."), fields={"field": [_("Unknown figure.")]})
    document = link.document
    original = ((document.parse_result or {}).get("amounts_cents") or {}).get(field)
    corrections = dict(document.corrections or {})
    corrections[field] = {"amount_cents": amount_cents, "original_cents": original, "reason": reason.strip(),
                          "by": staff.email, "at": clock.now().isoformat()}
    document.corrections = corrections
    audit.record(session, "document.figure_corrected", obj=document, reason=reason.strip(),
                 details={"field": field, "from": original, "to": amount_cents, "application": application.id})
    evaluate(session, application)


def _used_elsewhere(session: Session, application: Application, docs: list[rules.ParsedDocument]) -> dict[int, str]:
    """Documents whose file or tracking number is also on another application."""
    out: dict[int, str] = {}
    for doc in docs:
        tracking = (doc.result or {}).get("tracking_number")
        others = session.execute(
            select(Application.number, Application.id, Document.parse_result, Document.sha256)
            .join(ApplicationDocument, ApplicationDocument.application_id == Application.id)
            .join(Document, Document.id == ApplicationDocument.document_id)
            .where(Application.id != application.id, Application.status != "draft",
                   Document.sha256 == doc.sha256 if not tracking else True)).all()
        for number, other_id, result, sha in others:
            if sha == doc.sha256 or (tracking and (result or {}).get("tracking_number") == tracking):
                out[doc.document_id] = number or f"#{other_id}"
                break
    return out


def evaluate(session: Session, application: Application) -> None:
    """The preliminary determination per program, and the flags, from what is on file now."""
    on = application.submitted_on or clock.today()
    docs = parsed_documents(session, application)
    account = account_of(session, application)
    program_codes = [ap.program.code for ap in application.programs]
    enrolled = set(session.scalars(select(Program.code).join(Enrollment, Enrollment.program_id == Program.id)
                                   .where(Enrollment.account_id == application.account_id,
                                          Enrollment.status.in_(CURRENT_ENROLLMENT), Program.code.in_(program_codes))))
    if application.assistance.purpose != "new":  # renewing or proving the enrollment it is about
        enrolled = set()
    open_elsewhere = set(session.scalars(
        select(Program.code).join(ApplicationProgram, ApplicationProgram.program_id == Program.id)
        .join(Application, Application.id == ApplicationProgram.application_id)
        .where(Application.account_id == application.account_id, Application.id != application.id,
               Application.status.in_(tuple(s for s in OPEN_STATUSES if s != "draft")),
               Program.code.in_(program_codes))))
    tolerance = Decimal(str(current_app.config.get("INCOME_MISMATCH_TOLERANCE", "0.10")))
    notes = rules.flags(household=application.assistance.household, categorical=application.assistance.categorical, documents=docs,
                        submitted_on=on, tolerance=tolerance, used_elsewhere=_used_elsewhere(session, application, docs),
                        enrolled_in=sorted(enrolled), open_elsewhere=sorted(open_elsewhere))
    application.flags = [Flag(code=n.code, program_code=n.program, message=n.message, details=dict(n.details),
                              raised_at=clock.now()) for n in notes]
    documented, _used = rules.documented_income(docs)
    declared_household = rules.household_from(application.assistance.household)
    catalog = programs_service.catalog(session)
    for ap in application.programs:
        basis = ap.income_basis if documented is not None else "declared"
        household = (rules.household_with_income(declared_household, documented) if basis == "documented"
                     else declared_household)
        try:
            result = catalog.determine(ap.program.code, household, application.assistance.categorical, on, zip_code=account.zip)
        except Exception as exc:  # noqa: BLE001 - no rules that day: recorded, the CSR decides
            ap.determination = {"error": str(exc)}
            continue
        ap.determination = serialize(result, basis, documented, rules.declared_income(application.assistance.household))
    session.flush()


def serialize(result, basis: str, documented: int | None, declared: int) -> dict:
    out = result.as_dict()
    out["income_basis"] = basis
    out["documented_income_cents"] = documented
    out["declared_income_cents"] = declared
    out["explanation"] = [[code, {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()}]
                          for code, values in result.explanation]
    return out


def explanation(determination: dict | None, language: str, names: dict[str, str] | None = None) -> str:
    """The determination in words; `names` are programs' names by code (customers never read a code)."""
    if not determination or "explanation" not in determination:
        return ""
    sentences = [(code, {k: (date.fromisoformat(v) if k == "from" and isinstance(v, str) else v)
                         for k, v in values.items()}) for code, values in determination["explanation"]]
    return explain.render(sentences, language, names)


def program_names(session: Session, language: str) -> dict[str, str]:
    """Every program's name in the language, by code."""
    return {p.code: p.name(language) for p in session.scalars(select(Program))}


def choose_income_basis(session: Session, application: Application, program_code: str, basis: str,
                        reason: str) -> None:
    """The CSR uses the declared income instead of the documented one (or back), with a reason."""
    if basis not in ("documented", "declared"):
        raise Invalid(_("Choose documented or declared income."))
    if basis == "declared" and not (reason or "").strip():
        raise Invalid(_("Say why the declared income is used."), fields={"reason": [_("Say why the declared income is used.")]})
    ap = line_on(application, program_code)
    ap.income_basis, ap.income_basis_reason = basis, (reason or "").strip() or None
    audit.record(session, "application.income_basis", obj=application, reason=reason,
                 details={"program": program_code, "basis": basis})
    evaluate(session, application)



def _as_confirmed(member: dict, i: int) -> tuple:
    """What a renewal compares of a person: a fact changed here needs no confirmation."""
    incomes = [((x.get("kind") or "wages"), int(x["amount_cents"]), (x.get("frequency") or "monthly"))
               for x in member.get("incomes") or [] if x.get("amount_cents")]
    return (" ".join(str(member.get("name") or "").split()), str(member.get("age", "")),
            member.get("relationship") or ("self" if i == 0 else "other"), member.get("ssn_last4") or "", incomes)


def unconfirmed_people(session: Session, application: Application, members: list[dict],
                       confirmed) -> dict[int, str]:
    """A renewal: each person from last time is either changed or confirmed as still right.

    `members` are the people now, in the rows of last time (a blank row: `{}`); `confirmed` the
    indexes the customer confirmed. The answer: index -> what to tell the customer. The page asks it
    at the household step, the API when the renewal is submitted; both say the same.
    """
    confirmed = set(confirmed or ())
    problems = {}
    for i, before in enumerate(previous_household(session, application)):
        now = members[i] if i < len(members) else {}
        if i not in confirmed and _as_confirmed(before, i) == _as_confirmed(now, i):
            problems[i] = _("Confirm that what we have for %(name)s is still right, or change it.",
                            name=before.get("name") or i + 1)
    return problems


def record_confirmation(application: Application, confirmed) -> None:
    """Keep which people from last time the customer confirmed (the household step, or the API's
    `confirmed_members`), so sending checks what was recorded, whichever way the customer came."""
    detail = application.assistance
    if detail is None or detail.purpose != "recertification":
        return
    detail.confirmed_members = sorted({int(i) for i in (confirmed or ())} | set(detail.confirmed_members or ()))


def check_renewal_confirmed(session: Session, application: Application, confirmed=None,
                            field: str = "confirmed_members") -> None:
    """Refuse to send a renewal while a person from last time is neither changed nor confirmed."""
    if application.kind != "assistance" or application.assistance is None:
        return
    record_confirmation(application, confirmed)
    problems = unconfirmed_people(session, application, list(application.assistance.household.get("members", [])),
                                  application.assistance.confirmed_members)
    if problems:
        messages = list(problems.values())
        raise Invalid(messages[0], fields={field: messages})


def previous_household(session: Session, application: Application) -> list[dict]:
    """The members as the last application gave them: what a renewal asks the customer to confirm."""
    detail = application.assistance
    if detail.purpose != "recertification" or not detail.enrollment_id:
        return []
    enrollment = session.get(Enrollment, detail.enrollment_id)
    previous = session.get(Application, enrollment.application_id) if enrollment.application_id else None
    if previous is None or previous.id == application.id:
        return []
    return list(previous.assistance.household.get("members", []))
