"""Applications: drafts, documents, submission, determinations, flags, decisions, notices, enrollment.

Each function takes the caller's session and flushes; the request or job commits once. Every
change of status is an `ApplicationEvent` and an audit record in the same transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from flask import current_app
from flask_babel import force_locale, gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from accounts.models import Account, AccountLink
from core import audit, clock
from core.audit import current_actor
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.outbox import queue_message
from documents import service as documents
from documents.models import Document
from eligibility import explain
from eligibility import service as programs_service
from eligibility.applications import rules
from eligibility.recertification.rules import add_months
from eligibility.applications.models import (CURRENT_ENROLLMENT, OPEN_STATUSES, Application, ApplicationDocument,
                                             ApplicationEvent, ApplicationProgram, DenialReason, Enrollment, Flag,
                                             Notice)
from eligibility.models import Program

INFO_DUE_DAYS = 45
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
APPEAL_DAYS = 30


# --- reading -----------------------------------------------------------------------------------

def get_for(session: Session, user, application_id: int) -> Application:
    """The application as this person may see it: its applicant and staff; others get 'not found'."""
    application = session.get(Application, application_id)
    if application is None or (not user.is_staff and application.applicant_id != user.id):
        raise NotFound(_("No such application."))
    return application


def stale_message() -> str:
    """What a stale form and a lost race both say (409)."""
    return _("Someone else changed this application first. Reload it to see their change.")


def lock(session: Session, application: Application) -> Application:
    """Take the application's row for this transaction and read it again as committed.

    Every state change starts here, so two staff acting at once are serialised: the second waits
    for the first to commit, then sees its change (a newer version, a decided program, a claim)
    and gets a 409 instead of a lost update. SQLite's BEGIN IMMEDIATE serialises writers anyway.
    """
    session.refresh(application, with_for_update=True)
    return application


def get_for_change(session: Session, user, application_id: int, version: int | None = None) -> Application:
    """`get_for`, locked for a change (see `lock`); with `version`, a newer application is a 409."""
    application = lock(session, get_for(session, user, application_id))
    _check_version(application, version)
    return application


def applications_of(session: Session, user_id: int, *, page: int = 1, per_page: int | None = None) -> list[Application]:
    """A customer's applications, newest first, with their programs; `per_page` rows of page `page`
    (and one more, so the caller knows there is a next page) when given."""
    query = (select(Application).where(Application.applicant_id == user_id)
             .options(selectinload(Application.programs).joinedload(ApplicationProgram.program))
             .order_by(Application.created_at.desc(), Application.id.desc()))
    if per_page is not None:
        query = query.offset((max(1, page) - 1) * per_page).limit(per_page + 1)
    return list(session.scalars(query))


def account_of(session: Session, application: Application) -> Account:
    return session.get(Account, application.account_id)


def _event(session: Session, application: Application, action: str, to_status: str, *, from_status: str | None,
           program: str | None = None, note: str | None = None) -> None:
    actor = current_actor()
    session.add(ApplicationEvent(application_id=application.id, occurred_at=clock.now(), actor_id=actor.user_id,
                                 actor_label=actor.label, action=action, from_status=from_status,
                                 to_status=to_status, program_code=program, note=note))
    audit.record(session, f"application.{action}", obj=application, reason=note,
                 details={"from": from_status, "to": to_status, "program": program})


def _move(session: Session, application: Application, to_status: str, action: str, *, program: str | None = None,
          note: str | None = None) -> None:
    before = application.status
    application.status = to_status
    application.updated_at = clock.now()
    _event(session, application, action, to_status, from_status=before, program=program, note=note)


# --- the draft ---------------------------------------------------------------------------------

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
          categorical: list[str]) -> Application:
    account = session.scalar(select(Account).where(Account.number == (account_number or "").strip()))
    if account is None:
        raise Invalid(_("No such account."), fields={"account_number": [_("No such account.")]})
    if not user.is_staff and applicant.id != user.id:
        raise Forbidden()
    check_account(session, applicant, account)
    now = clock.now()
    application = Application(account_id=account.id, applicant_id=applicant.id, started_by_id=user.id,
                              assisted=user.is_staff, status="draft", household=household,
                              categorical=sorted(set(categorical)), language=applicant.language or "en",
                              created_at=now, updated_at=now)
    application.programs = [ApplicationProgram(program_id=p.id, status="pending")
                            for p in _programs(session, program_codes, clock.today(), account, not user.is_staff)]
    session.add(application)
    session.flush()
    _event(session, application, "started", "draft", from_status=None,
           note=_("Started by staff for the customer") if user.is_staff else None)
    return application


def open_draft(session: Session, applicant_id: int, account_number: str) -> Application | None:
    """The applicant's newest draft for the account, which "Start an application" resumes (a renewal
    draft is its own: it stays with its enrollment)."""
    return session.scalar(select(Application).join(Account, Account.id == Application.account_id)
                          .where(Application.applicant_id == applicant_id, Application.status == "draft",
                                 Application.purpose == "new", Account.number == (account_number or "").strip())
                          .order_by(Application.created_at.desc(), Application.id.desc()).limit(1))


def resume(session: Session, application: Application, *, program_codes: list[str], household: dict | None,
           categorical: list[str] | None) -> Application:
    """Add the newly chosen programs to an open draft; a household carried from the screener fills
    only a draft that has nobody yet, so nothing typed before is lost."""
    lock(session, application)
    chosen = list(dict.fromkeys([ap.program.code for ap in application.programs] +
                                [c.strip().upper() for c in program_codes]))
    empty = not (application.household or {}).get("members")
    update(session, application, program_codes=chosen or None,
           household=household if household and household.get("members") and empty else None,
           categorical=categorical if categorical and empty and not application.categorical else None)
    audit.record(session, "application.resumed", obj=application, details={"programs": chosen})
    return application


def _editable(application: Application) -> None:
    if application.status not in ("draft", "needs_info"):
        raise Conflict(_("This application was submitted and can no longer be changed."))


def update(session: Session, application: Application, *, household: dict | None = None,
           categorical: list[str] | None = None, program_codes: list[str] | None = None) -> Application:
    _editable(application)
    if household is not None:
        application.household = household
    if categorical is not None:
        application.categorical = sorted(set(categorical))
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


def attach(session: Session, user, application: Application, *, data: bytes, filename: str | None,
           requirement: str = "income", answers_request: bool = True) -> tuple[ApplicationDocument, bool]:
    """Add a file to the application (several per requirement: page 1 and page 2 are two files).

    While information is asked for, a customer's file answers the request at once unless
    `answers_request` is false: the page sends several files and then `finish_response`.
    """
    if application.status not in ("draft", "needs_info", "submitted", "in_review"):
        raise Conflict(_("Documents can no longer be added to this application."))
    applicant = _user(session, application.applicant_id)
    result = documents.upload(session, owner=applicant, uploaded_by=user, data=data, filename=filename)
    link = session.scalar(select(ApplicationDocument).where(ApplicationDocument.application_id == application.id,
                                                            ApplicationDocument.document_id == result.document.id))
    if link is None:
        link = ApplicationDocument(application_id=application.id, document_id=result.document.id,
                                   requirement=requirement, added_at=clock.now(), added_by_id=user.id)
        session.add(link)
        session.flush()
    if application.status == "needs_info" and not user.is_staff:
        note = _("The customer uploaded %(file)s.", file=result.document.original_filename)
        if answers_request:
            application.customer_responded = True
            _move(session, application, "in_review", "customer_responded", note=note)
        else:  # the CSR sees each file arrive; the request stays open until the customer is done
            _event(session, application, "document_received", application.status, from_status=application.status,
                   note=note)
            _touch(application)
    return link, result.duplicate


def sent_since_request(session: Session, application: Application) -> list[ApplicationDocument]:
    """The files added since information was last asked for, oldest first."""
    asked_at = session.scalar(select(func.max(ApplicationEvent.occurred_at)).where(
        ApplicationEvent.application_id == application.id, ApplicationEvent.to_status == "needs_info",
        or_(ApplicationEvent.from_status.is_(None), ApplicationEvent.from_status != "needs_info")))
    if asked_at is None:
        asked_at = application.submitted_at or application.created_at
    return [a for a in application.attachments if a.added_at > asked_at]


def finish_response(session: Session, user, application: Application) -> None:
    """The customer says they have sent everything asked for: the application goes back to the CSR."""
    if application.status != "needs_info":
        raise Conflict(_("We are not waiting for anything from you on this application."))
    sent = sent_since_request(session, application)
    if not sent:
        message = _("Upload at least one file before you tell us you are done.")
        raise Invalid(message, fields={"file": [message]})
    application.customer_responded = True
    _move(session, application, "in_review", "customer_responded",
          note=_("The customer has sent everything: %(files)s.",
                 files=", ".join(a.document.original_filename for a in sent)))


def mark_seen_in_person(session: Session, staff, application: Application, document_id: int) -> None:
    link = session.scalar(select(ApplicationDocument).where(ApplicationDocument.application_id == application.id,
                                                            ApplicationDocument.document_id == document_id))
    if link is None:
        raise NotFound(_("No such document."))
    link.document.seen_in_person = True
    audit.record(session, "document.seen_in_person", obj=link.document, details={"application": application.id})


def _user(session: Session, user_id: int):
    from auth.models import User

    return session.get(User, user_id)


# --- submission and evaluation -----------------------------------------------------------------

def missing_documents(application: Application) -> list[str]:
    """The requirements (`income`, `categorical`) with no file yet; see rules.missing_documents."""
    return rules.missing_documents(application.categorical, [a.requirement for a in application.attachments])


def checked_signature(signature: str | None) -> str:
    signature = " ".join((signature or "").split())
    if len(signature) < 3:
        message = _("Type your full name to sign.")
        raise Invalid(message, fields={"signature": [message]})
    return signature


def submit(session: Session, user, application: Application, signature: str,
           sent_without: list[str] | None = None) -> Application:
    """Sign and send. `sent_without`: the requirements the customer confirmed sending without."""
    if application.status != "draft":
        raise Conflict(_("This application was already submitted."))
    signature = checked_signature(signature)
    if not application.household.get("members"):
        raise Invalid(_("Add the people in your household first."))
    application.signature = signature
    application.submitted_at = clock.now()
    application.submitted_on = clock.today()
    session.flush()
    application.number = f"A{application.submitted_on.year}-{application.id:07d}"
    note = _("Signed by %(name)s", name=signature)
    if sent_without:
        words = {"income": _("proof of income"), "categorical": _("proof of benefits received")}
        note += "; " + _("sent without: %(missing)s (the customer was told and confirmed)",
                         missing=", ".join(words.get(code, code) for code in sent_without))
    _move(session, application, "submitted", "submitted", note=note)
    evaluate(session, application)
    send_notice(session, application, "receipt")
    return application


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
    if application.purpose != "new":  # renewing or proving the enrollment it is about
        enrolled = set()
    open_elsewhere = set(session.scalars(
        select(Program.code).join(ApplicationProgram, ApplicationProgram.program_id == Program.id)
        .join(Application, Application.id == ApplicationProgram.application_id)
        .where(Application.account_id == application.account_id, Application.id != application.id,
               Application.status.in_(tuple(s for s in OPEN_STATUSES if s != "draft")),
               Program.code.in_(program_codes))))
    tolerance = Decimal(str(current_app.config.get("INCOME_MISMATCH_TOLERANCE", "0.10")))
    notes = rules.flags(household=application.household, categorical=application.categorical, documents=docs,
                        submitted_on=on, tolerance=tolerance, used_elsewhere=_used_elsewhere(session, application, docs),
                        enrolled_in=sorted(enrolled), open_elsewhere=sorted(open_elsewhere))
    application.flags = [Flag(code=n.code, program_code=n.program, message=n.message, details=dict(n.details),
                              raised_at=clock.now()) for n in notes]
    documented, _used = rules.documented_income(docs)
    declared_household = rules.household_from(application.household)
    catalog = programs_service.catalog(session)
    for ap in application.programs:
        basis = ap.income_basis if documented is not None else "declared"
        household = (rules.household_with_income(declared_household, documented) if basis == "documented"
                     else declared_household)
        try:
            result = catalog.determine(ap.program.code, household, application.categorical, on, zip_code=account.zip)
        except Exception as exc:  # noqa: BLE001 - no rules that day: recorded, the CSR decides
            ap.determination = {"error": str(exc)}
            continue
        ap.determination = serialize(result, basis, documented, rules.declared_income(application.household))
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
    ap = _program_on(application, program_code)
    ap.income_basis, ap.income_basis_reason = basis, (reason or "").strip() or None
    audit.record(session, "application.income_basis", obj=application, reason=reason,
                 details={"program": program_code, "basis": basis})
    evaluate(session, application)


# --- decisions ---------------------------------------------------------------------------------

def _program_on(application: Application, code: str | None) -> ApplicationProgram:
    if code is None:
        if len(application.programs) == 1:
            return application.programs[0]
        raise Invalid(_("Say which program the decision is for."), fields={"program": [_("Choose a program.")]})
    for ap in application.programs:
        if ap.program.code == code.strip().upper():
            return ap
    raise Invalid(_("This application does not ask for %(program)s.", program=code),
                  fields={"program": [_("Choose a program on this application.")]})


def _check_version(application: Application, version: int | None) -> None:
    """A change made from a form or reply of an older version is refused; without a version, none is checked."""
    if version is not None and version != application.version:
        raise Conflict(stale_message())


def denial_reasons(session: Session, active_only: bool = True) -> list[DenialReason]:
    query = select(DenialReason).order_by(DenialReason.id)
    if active_only:
        query = query.where(DenialReason.active.is_(True))
    return list(session.scalars(query))


def claim(session: Session, staff, application: Application, version: int | None = None) -> None:
    _check_version(application, version)
    if application.assigned_to_id not in (None, staff.id):
        raise Conflict(_("Another CSR has this application. Ask them, or a manager, to release it."))
    application.assigned_to_id, application.assigned_at = staff.id, clock.now()
    if application.status == "submitted":
        _move(session, application, "in_review", "claimed")
    else:
        audit.record(session, "application.claimed", obj=application)
    application.updated_at = clock.now()


def _may_take_claim(staff, application: Application) -> None:
    """Another CSR's claim is theirs: only they or a manager release or reassign it."""
    if application.assigned_to_id not in (None, staff.id) and staff.role not in ("manager", "admin"):
        raise Forbidden(_("Another CSR has this application. Ask them, or a manager, to release it."))


def assign(session: Session, staff, application: Application, to_user, version: int | None = None) -> None:
    _check_version(application, version)
    _may_take_claim(staff, application)
    if not to_user.is_staff:
        raise Invalid(_("Applications can be assigned to staff only."))
    before = application.assigned_to_id
    application.assigned_to_id, application.assigned_at = to_user.id, clock.now()
    application.updated_at = clock.now()
    audit.record(session, "application.assigned", obj=application, details={"from": before, "to": to_user.id})


def release(session: Session, staff, application: Application, version: int | None = None) -> None:
    _check_version(application, version)
    _may_take_claim(staff, application)
    before = application.assigned_to_id
    application.assigned_to_id = application.assigned_at = None
    application.updated_at = clock.now()
    audit.record(session, "application.released", obj=application, details={"from": before})


def decide(session: Session, staff, application: Application, *, decision: str, program_code: str | None = None,
           reason: str | None = None, note: str | None = None, version: int | None = None,
           checklist: list[str] | None = None, due_on: date | None = None,
           message: str | None = None) -> Application:
    """Approve, deny or ask for information, as one change with its event, audit record and notice.

    `note` is the staff's internal note (history and audit only); `message` is what the letter tells
    the customer. On a denial `reason` is the denial reason's code; on an approval optional text that
    joins the internal note."""
    _check_version(application, version)
    if application.status not in ("submitted", "in_review"):
        raise Conflict(_("This application is %(status)s; it cannot be decided now.", status=application.status))
    if application.assigned_to_id not in (None, staff.id):
        raise Conflict(_("Another CSR has this application. Ask them, or a manager, to release it."))
    if application.status == "submitted" or application.assigned_to_id is None:
        claim(session, staff, application)
    note = (note or "").strip() or None
    message = (message or "").strip() or None
    if decision == "request_info":
        items = [c.strip() for c in (checklist or ([reason] if reason else [])) if c and c.strip()]
        if not items:
            raise Invalid(_("List what the customer must send."), fields={"checklist": [_("List what the customer must send.")]})
        application.info_checklist = items
        application.info_due_on = due_on or clock.today() + timedelta(days=INFO_DUE_DAYS)
        application.customer_responded = False
        _move(session, application, "needs_info", "information_requested", note=note or "; ".join(items))
        send_notice(session, application, "info_request")
    elif decision in ("approve", "deny"):
        ap = _program_on(application, program_code)
        if ap.status != "pending":
            raise Conflict(_("%(program)s was already decided on this application.", program=ap.program.code))
        if decision == "approve" and (reason or "").strip():
            note = "; ".join(part for part in ((reason or "").strip(), note) if part)
        ap.decided_at, ap.decided_by_id, ap.note, ap.message = clock.now(), staff.id, note, message
        if decision == "approve":
            ap.status, ap.reason_code = "approved", None
            grant(session, application, ap)
        else:
            codes = {r.code for r in denial_reasons(session)}
            if reason not in codes:
                raise Invalid(_("Choose a reason for the denial."), fields={"reason": [_("Choose a reason for the denial.")]})
            ap.status, ap.reason_code = "denied", reason
        _move(session, application, _status_after_decisions(application, open_appeals(session, application)),
              "approved" if decision == "approve" else "denied", program=ap.program.code, note=note)
        if application.purpose == "verification":
            from eligibility.recertification import service as recertification

            recertification.verification_decided(session, application, ap, passed=decision == "approve")
        else:
            send_notice(session, application, "approval" if decision == "approve" else "denial", program=ap)
    else:
        raise Invalid(_("The decision is approve, deny or request_info."), fields={"decision": [_("Unknown decision.")]})
    try:
        session.flush()
    except StaleDataError as exc:
        raise Conflict(stale_message()) from exc
    return application


def _status_after_decisions(application: Application, appeals_open: list[str] | tuple = ()) -> str:
    """Programs still to decide come first; then an appeal still open keeps the application appealed."""
    statuses = [ap.status for ap in application.programs]
    if "pending" in statuses:
        return "in_review"
    if appeals_open:
        return "appealed"
    if "approved" in statuses:
        return "approved"
    if "denied" in statuses:
        return "denied"
    return "withdrawn"


def household_type(application: Application, ap: ApplicationProgram) -> str:
    if (ap.determination or {}).get("categorical"):
        return "auto_enrolled"
    members = application.household.get("members", [])
    if members and all(m["age"] >= 65 for m in members):
        return "senior_only"
    return "standard"


def grant(session: Session, application: Application, ap: ApplicationProgram) -> Enrollment | None:
    """What approving a program means for the application's purpose: enroll, renew, or confirm."""
    from eligibility.recertification import service as recertification

    current = session.get(Enrollment, application.enrollment_id) if application.enrollment_id else None
    if current is None or current.status not in CURRENT_ENROLLMENT:
        return enroll(session, application, ap)  # new, or the enrollment ended meanwhile: a fresh one
    if application.purpose == "recertification":
        return recertification.recertify(session, application, ap, current)
    return None  # verification: the enrollment stands as it is


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
    from eligibility.applications.enrollments import record

    record(session, enrollment, "active", _("Approved on application %(number)s", number=application.number))
    audit.record(session, "enrollment.created", obj=enrollment,
                 details={"program": ap.program.code, "from": enrollment.certified_from.isoformat(),
                          "to": enrollment.certified_to.isoformat()})
    return enrollment


def withdraw(session: Session, user, application: Application, reason: str | None = None) -> None:
    """On the customer's request: every program still open on it is withdrawn."""
    if application.status not in OPEN_STATUSES:
        raise Conflict(_("This application is already finished."))
    for ap in application.programs:
        if ap.status == "pending":
            ap.status = "withdrawn"
    _move(session, application, "withdrawn", "withdrawn", note=(reason or "").strip() or None)
    if application.status != "draft":
        send_notice(session, application, "withdrawal")


def hand_over_what_came(session: Session, application: Application) -> bool:
    """Past the due date, files came but the customer never said they were done: a CSR reads what
    came instead of the application being closed (or the enrollment removed). False if nothing came."""
    sent = sent_since_request(session, application)
    if not sent:
        return False
    application.customer_responded = True
    _move(session, application, "in_review", "customer_responded",
          note=_("Due date %(date)s passed; the customer sent %(files)s.", date=application.info_due_on.isoformat(),
                 files=", ".join(a.document.original_filename for a in sent)))
    return True


def close_overdue(session: Session, today: date | None = None) -> int:
    """Applications past their information due date are closed, with a notice.

    Verification requests are not closed here: `recert run` removes the enrollment instead.
    """
    today = today or clock.today()
    overdue = list(session.scalars(select(Application).where(Application.status == "needs_info",
                                                             Application.purpose != "verification",
                                                             Application.info_due_on < today)))
    closed = 0
    for application in overdue:
        if hand_over_what_came(session, application):
            continue
        _move(session, application, "closed", "closed", note=_("No answer by %(date)s", date=application.info_due_on.isoformat()))
        send_notice(session, application, "closure")
        closed += 1
    session.flush()
    return closed


def reopen(session: Session, staff, application: Application, reason: str) -> None:
    if application.status != "closed":
        raise Conflict(_("Only a closed application can be reopened."))
    if not (reason or "").strip():
        raise Invalid(_("Say why the application is reopened."), fields={"reason": [_("Say why the application is reopened.")]})
    _move(session, application, "in_review", "reopened", note=reason.strip())


# --- notices -----------------------------------------------------------------------------------

def send_notice(session: Session, application: Application, kind: str,
                program: ApplicationProgram | None = None) -> Notice:
    from eligibility.applications import notices

    applicant = _user(session, application.applicant_id)
    language = applicant.language or application.language
    with force_locale(language):
        subject, body = notices.render(kind, application, program, language,
                                       account=account_of(session, application),
                                       reasons={r.code: r for r in denial_reasons(session, active_only=False)})
    # A customer without an email login (a phone or paper application) gets the letter by post.
    message = None if applicant.letters_by_post else queue_message(
        session, to=applicant.email, subject=subject, body=body, kind=f"application.{kind}", language=language,
        user_id=applicant.id)
    notice = Notice(application_id=application.id, enrollment_id=application.enrollment_id, kind=kind,
                    language=language, subject=subject, body=body, created_at=clock.now(),
                    outbox_message_id=message.id if message else None,
                    delivery="post" if message is None else "email")
    session.add(notice)
    session.flush()
    return notice


@dataclass
class QueuePage:
    items: list[Application]
    next: str | None


# --- appeals -----------------------------------------------------------------------------------

def appeal(session: Session, user, application: Application, program_code: str | None, reason: str):
    """A denied customer appeals one program's decision within the window."""
    from eligibility.applications.models import Appeal

    ap = _program_on(application, program_code)
    if ap.status != "denied":
        raise Conflict(_("Only a denied program can be appealed."))
    if not appeal_window_open(ap):
        days = int(current_app.config.get("APPEAL_DAYS", APPEAL_DAYS))
        raise Conflict(_("The %(days)s days to appeal have passed.", days=days))
    if not (reason or "").strip():
        raise Invalid(_("Say why you disagree."), fields={"reason": [_("Say why you disagree.")]})
    if session.scalar(select(Appeal).where(Appeal.application_id == application.id,
                                           Appeal.program_code == ap.program.code)):
        raise Conflict(_("This decision was already appealed."))
    row = Appeal(application_id=application.id, program_code=ap.program.code, filed_at=clock.now(),
                 reason=reason.strip())
    session.add(row)
    session.flush()
    # Appealing one program leaves the others as decided (an approval stays approved and enrolled).
    _move(session, application, _status_after_decisions(application, open_appeals(session, application)),
          "appealed", program=ap.program.code, note=reason.strip())
    return row


def appeals_of(session: Session, application: Application) -> dict:
    """The application's appeals by program code."""
    from eligibility.applications.models import Appeal

    return {a.program_code: a for a in session.scalars(select(Appeal).where(Appeal.application_id == application.id))}


def open_appeals(session: Session, application: Application) -> list[str]:
    """The program codes whose appeal a manager has not decided yet."""
    return [code for code, a in appeals_of(session, application).items() if a.decided_at is None]


def appeal_window_open(ap: ApplicationProgram) -> bool:
    """A denied program can be appealed within APPEAL_DAYS of its decision."""
    days = int(current_app.config.get("APPEAL_DAYS", APPEAL_DAYS))
    return ap.status == "denied" and not (ap.decided_at and clock.now() - ap.decided_at > timedelta(days=days))


def decide_appeal(session: Session, manager, application: Application, program_code: str | None, outcome: str,
                  note: str, version: int | None = None) -> None:
    from eligibility.applications.models import Appeal

    _check_version(application, version)
    if manager.role not in ("manager", "admin"):
        raise Forbidden(_("A manager decides appeals."))
    ap = _program_on(application, program_code)
    row = session.scalar(select(Appeal).where(Appeal.application_id == application.id,
                                              Appeal.program_code == ap.program.code, Appeal.decided_at.is_(None)))
    if row is None or application.status != "appealed":
        raise Conflict(_("There is no open appeal for %(program)s.", program=ap.program.code))
    if outcome not in ("upheld", "overturned"):
        raise Invalid(_("The outcome is upheld or overturned."))
    if not (note or "").strip():
        raise Invalid(_("Explain the outcome."), fields={"note": [_("Explain the outcome.")]})
    row.outcome, row.note, row.decided_at, row.decided_by_id = outcome, note.strip(), clock.now(), manager.id
    if outcome == "overturned":
        ap.status, ap.decided_at, ap.decided_by_id = "approved", clock.now(), manager.id
        grant(session, application, ap)
    session.flush()
    _move(session, application, _status_after_decisions(application, open_appeals(session, application)),
          f"appeal_{outcome}", program=ap.program.code, note=note.strip())
    send_notice(session, application, "appeal_outcome", program=ap)


# --- the queue ---------------------------------------------------------------------------------

def queue(session: Session, staff, *, program: str | None = None, status: str | None = None, flag: str | None = None,
          older_than_days: int | None = None, mine: bool = False, after: str | None = None,
          limit: int = 50, load=None) -> QueuePage:
    """Applications waiting for staff, oldest first; keyset paging makes page 100 as quick as page 1.

    `load`: loader options for what the caller shows of each row (by default their programs and
    flags), so a page of 50 costs a fixed number of queries."""
    from sqlalchemy import and_, exists, text, tuple_

    from eligibility.applications.models import WAITING_CONDITION, WAITING_FOR_STAFF

    if status in WAITING_FOR_STAFF + ("needs_info",):
        query = select(Application).where(Application.status == status)
    else:  # written as in the partial index ix_applications_waiting, so both engines use it
        query = select(Application).where(text(WAITING_CONDITION))
    if program:
        program_id = session.scalar(select(Program.id).where(Program.code == program.upper()))
        query = query.where(exists().where(and_(ApplicationProgram.application_id == Application.id,
                                                ApplicationProgram.program_id == program_id)))
    if flag:
        query = query.where(exists().where(and_(Flag.application_id == Application.id, Flag.code == flag)))
    if older_than_days:
        query = query.where(Application.submitted_at <= clock.now() - timedelta(days=older_than_days))
    if mine:
        query = query.where(Application.assigned_to_id == staff.id)
    if after:
        try:
            micros, id_text = after.split("-", 1)
            when, after_id = EPOCH + timedelta(microseconds=int(micros)), int(id_text)
        except (ValueError, OverflowError):
            raise Invalid(_("The page cursor is not valid.")) from None
        query = query.where(tuple_(Application.submitted_at, Application.id) > tuple_(when, after_id))
    # What the queue shows of each row comes in two more queries, not two per row.
    query = query.options(*(load if load is not None else (
        selectinload(Application.programs).joinedload(ApplicationProgram.program), selectinload(Application.flags))))
    rows = list(session.scalars(query.order_by(Application.submitted_at, Application.id).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = None
    if more and rows:
        last = rows[-1]
        cursor = f"{(last.submitted_at - EPOCH) // timedelta(microseconds=1)}-{last.id}"
    return QueuePage(rows, cursor)


def on_document_parsed(_app, session: Session, document: Document) -> None:
    """A worker finished reading a file after submission: the determination and flags catch up."""
    applications = session.scalars(
        select(Application).join(ApplicationDocument, ApplicationDocument.application_id == Application.id)
        .where(ApplicationDocument.document_id == document.id,
               Application.status.in_(("submitted", "in_review", "needs_info", "appealed"))))
    for application in applications:
        evaluate(session, application)
        audit.record(session, "application.reevaluated", obj=application, details={"document": document.id})


def add_note(session: Session, staff, application: Application, text: str) -> None:
    """A CSR's note on the application; it joins the history."""
    text = (text or "").strip()
    if not text:
        raise Invalid(_("Write the note first."), fields={"note_text": [_("Write the note first.")]})
    _event(session, application, "note", application.status, from_status=application.status, note=text[:4000])
    _touch(application)


def _touch(application: Application) -> None:
    """The application changed: a new version, even when the clock reads as before."""
    from sqlalchemy.orm.attributes import flag_modified

    application.updated_at = clock.now()
    flag_modified(application, "updated_at")
