"""The lifecycle every kind of application shares: reading, files, submission, the queue, claims,
information requests, decisions, appeals, withdrawal, closing, letters and history.

What differs by kind (what is decided, what a decision does, what letters say of it) is asked of
the kind registry (`applications.kinds`); this module never imports the areas that register them.
Each function takes the caller's session and flushes; the request or job commits once. Every
change of status is an `ApplicationEvent` and an audit record in the same transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from flask import current_app
from flask_babel import force_locale, gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from accounts.models import Account
from applications import kinds
from applications import letters as _letters  # noqa: F401 - registers the applications' letters
from applications.letters import APPEAL_DAYS
from applications.models import (OPEN_STATUSES, WAITING_CONDITION, WAITING_FOR_STAFF, Appeal, Application,
                                 ApplicationDocument, ApplicationEvent, DenialReason, Flag)
from core import audit, clock
from core.audit import current_actor
from core.errors import Conflict, Forbidden, Invalid, NotFound
from documents import service as documents
from documents.models import Document
from notices import service as notices
from notices.models import Notice

INFO_DUE_DAYS = 45
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
__all__ = ("APPEAL_DAYS",)


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
    check_version(application, version)
    return application


def applications_of(session: Session, user_id: int, *, page: int = 1, per_page: int | None = None,
                    load=None) -> list[Application]:
    """A customer's applications, newest first, with what lists show of each kind (their programs);
    `per_page` rows of page `page` (and one more, so the caller knows there is a next page) when given."""
    load = load if load is not None else [option for kind in kinds.all_kinds() for option in kind.list_load()]
    query = (select(Application).where(Application.applicant_id == user_id).options(*load)
             .order_by(Application.created_at.desc(), Application.id.desc()))
    if per_page is not None:
        query = query.offset((max(1, page) - 1) * per_page).limit(per_page + 1)
    return list(session.scalars(query))


def account_of(session: Session, application: Application) -> Account:
    return session.get(Account, application.account_id)


def record_event(session: Session, application: Application, action: str, to_status: str, *, from_status: str | None,
           program: str | None = None, note: str | None = None) -> None:
    actor = current_actor()
    session.add(ApplicationEvent(application_id=application.id, occurred_at=clock.now(), actor_id=actor.user_id,
                                 actor_label=actor.label, action=action, from_status=from_status,
                                 to_status=to_status, program_code=program, note=note))
    audit.record(session, f"application.{action}", obj=application, reason=note,
                 details={"from": from_status, "to": to_status, "program": program})


def move(session: Session, application: Application, to_status: str, action: str, *, program: str | None = None,
          note: str | None = None) -> None:
    before = application.status
    application.status = to_status
    application.updated_at = clock.now()
    record_event(session, application, action, to_status, from_status=before, program=program, note=note)


# --- the draft ---------------------------------------------------------------------------------

def check_editable(application: Application) -> None:
    if application.status not in ("draft", "needs_info"):
        raise Conflict(_("This application was submitted and can no longer be changed."))


def attach(session: Session, user, application: Application, *, data: bytes, filename: str | None,
           requirement: str = "income", answers_request: bool = True) -> tuple[ApplicationDocument, bool]:
    """Add a file to the application (several per requirement: page 1 and page 2 are two files).

    While information is asked for, a customer's file answers the request at once unless
    `answers_request` is false: the page sends several files and then `finish_response`.
    """
    if application.status not in ("draft", "needs_info", "submitted", "in_review"):
        raise Conflict(_("Documents can no longer be added to this application."))
    if requirement not in kinds.of(application).requirements:
        raise Invalid(_("Unknown requirement."), fields={"requirement": [_("Unknown requirement.")]})
    applicant = applicant_of(session, application)
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
            move(session, application, "in_review", "customer_responded", note=note)
        else:  # the CSR sees each file arrive; the request stays open until the customer is done
            record_event(session, application, "document_received", application.status, from_status=application.status,
                   note=note)
            touch(application)
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
    move(session, application, "in_review", "customer_responded",
          note=_("The customer has sent everything: %(files)s.",
                 files=", ".join(a.document.original_filename for a in sent)))


def mark_seen_in_person(session: Session, staff, application: Application, document_id: int) -> None:
    link = session.scalar(select(ApplicationDocument).where(ApplicationDocument.application_id == application.id,
                                                            ApplicationDocument.document_id == document_id))
    if link is None:
        raise NotFound(_("No such document."))
    link.document.seen_in_person = True
    audit.record(session, "document.seen_in_person", obj=link.document, details={"application": application.id})


def applicant_of(session: Session, application: Application):
    """The customer the application is for (its letters go to them)."""
    from auth.models import User

    return session.get(User, application.applicant_id)


# --- submission and evaluation -----------------------------------------------------------------

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
    kind = kinds.of(application)
    kind.check_submit(application)
    application.signature = signature
    application.submitted_at = clock.now()
    application.submitted_on = clock.today()
    session.flush()
    application.number = f"A{application.submitted_on.year}-{application.id:07d}"
    note = _("Signed by %(name)s", name=signature)
    if sent_without:
        words = kind.requirement_words()
        note += "; " + _("sent without: %(missing)s (the customer was told and confirmed)",
                         missing=", ".join(words.get(code, code) for code in sent_without))
    move(session, application, "submitted", "submitted", note=note)
    send_notice(session, application, "receipt")
    kind.evaluate(session, application)  # may put a rebate in line for funds, with its own letter
    return application


# --- decisions ---------------------------------------------------------------------------------

def lines(application: Application) -> list:
    """What is decided on the application, one line each (the programs of an assistance application)."""
    return kinds.of(application).lines(application)


def line_on(application: Application, code: str | None):
    """The line a decision or an appeal is about; with one line, `code` may be left out."""
    found = lines(application)
    if code is None:
        if len(found) == 1:
            return found[0]
        raise Invalid(_("Say which program the decision is for."), fields={"program": [_("Choose a program.")]})
    for line in found:
        if line.code == code.strip().upper():
            return line
    raise Invalid(_("This application does not ask for %(program)s.", program=code),
                  fields={"program": [_("Choose a program on this application.")]})


def check_version(application: Application, version: int | None) -> None:
    """A change made from a form or reply of an older version is refused; without a version, none is checked."""
    if version is not None and version != application.version:
        raise Conflict(stale_message())


def denial_reasons(session: Session, active_only: bool = True, kind: str = "assistance") -> list[DenialReason]:
    """The denial reasons of a kind of application, as managers keep them."""
    query = select(DenialReason).where(DenialReason.kind == kind).order_by(DenialReason.id)
    if active_only:
        query = query.where(DenialReason.active.is_(True))
    return list(session.scalars(query))


def add_denial_reason(session: Session, *, code: str, labels: dict[str, str], kind: str = "assistance") -> DenialReason:
    """A new reason CSRs may choose when they deny, in both languages; the same rule for page and API."""
    code = (code or "").strip().lower()
    labels = {language: (labels.get(language) or "").strip() for language in ("en", "es")}
    errors: dict[str, list[str]] = {}
    if not code.replace("_", "").isalnum() or len(code) > 40:
        errors["code"] = [_("Use letters, digits and underscores, up to 40.")]
    for language in ("en", "es"):
        if not labels[language]:
            errors[f"label_{language}"] = [_("Give the reason in both languages.")]
    if not errors and session.scalar(select(DenialReason).where(DenialReason.kind == kind, DenialReason.code == code)):
        errors["code"] = [_("This code is already used.")]
    if errors:
        raise Invalid(next(iter(errors.values()))[0], fields=errors)
    reason = DenialReason(kind=kind, code=code, labels=labels, active=True)
    session.add(reason)
    session.flush()
    audit.record(session, "denial_reason.added", obj=reason, details={"labels": labels})
    return reason


def switch_denial_reason(session: Session, reason_id: int) -> DenialReason | None:
    """Offer a reason again, or stop offering it (letters already sent keep their words)."""
    reason = session.get(DenialReason, reason_id)
    if reason is not None:
        reason.active = not reason.active
        audit.record(session, "denial_reason.switched", obj=reason, details={"active": reason.active})
    return reason


def claim(session: Session, staff, application: Application, version: int | None = None) -> None:
    check_version(application, version)
    if application.assigned_to_id not in (None, staff.id):
        raise Conflict(_("Another CSR has this application. Ask them, or a manager, to release it."))
    application.assigned_to_id, application.assigned_at = staff.id, clock.now()
    if application.status == "submitted":
        move(session, application, "in_review", "claimed")
    else:
        audit.record(session, "application.claimed", obj=application)
    application.updated_at = clock.now()


def _may_take_claim(staff, application: Application) -> None:
    """Another CSR's claim is theirs: only they or a manager release or reassign it."""
    if application.assigned_to_id not in (None, staff.id) and staff.role not in ("manager", "admin"):
        raise Forbidden(_("Another CSR has this application. Ask them, or a manager, to release it."))


def assign(session: Session, staff, application: Application, to_user, version: int | None = None) -> None:
    check_version(application, version)
    _may_take_claim(staff, application)
    if not to_user.is_staff:
        raise Invalid(_("Applications can be assigned to staff only."))
    before = application.assigned_to_id
    application.assigned_to_id, application.assigned_at = to_user.id, clock.now()
    application.updated_at = clock.now()
    audit.record(session, "application.assigned", obj=application, details={"from": before, "to": to_user.id})


def release(session: Session, staff, application: Application, version: int | None = None) -> None:
    check_version(application, version)
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
    check_version(application, version)
    # A rebate waiting in line for funds can be denied (a duplicate, say) but not approved: it holds no money.
    if application.status not in ("submitted", "in_review") and not (
            decision == "deny" and application.status == "waitlisted"):
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
        move(session, application, "needs_info", "information_requested", note=note or "; ".join(items))
        send_notice(session, application, "info_request")
    elif decision in ("approve", "deny"):
        ap = line_on(application, program_code)
        if ap.status != "pending":
            raise Conflict(_("%(program)s was already decided on this application.", program=ap.code))
        if decision == "approve" and (reason or "").strip():
            note = "; ".join(part for part in ((reason or "").strip(), note) if part)
        ap.decided_at, ap.decided_by_id, ap.note, ap.message = clock.now(), staff.id, note, message
        if decision == "approve":
            ap.status, ap.reason_code = "approved", None
            kinds.of(application).grant(session, application, ap)
        else:
            codes = {r.code for r in denial_reasons(session, kind=application.kind)}
            if reason not in codes:
                raise Invalid(_("Choose a reason for the denial."), fields={"reason": [_("Choose a reason for the denial.")]})
            ap.status, ap.reason_code = "denied", reason
        move(session, application, _status_after_decisions(application, open_appeals(session, application)),
              "approved" if decision == "approve" else "denied", program=ap.code, note=note)
        if not kinds.of(application).decided(session, application, ap, decision == "approve"):
            send_notice(session, application, "approval" if decision == "approve" else "denial", program=ap)
    else:
        raise Invalid(_("The decision is approve, deny or request_info."), fields={"decision": [_("Unknown decision.")]})
    try:
        session.flush()
    except StaleDataError as exc:
        raise Conflict(stale_message()) from exc
    return application


def _status_after_decisions(application: Application, appeals_open: list[str] | tuple = ()) -> str:
    """Lines still to decide come first; then an appeal still open keeps the application appealed."""
    statuses = [line.status for line in lines(application)]
    if "pending" in statuses:
        return "in_review"
    if appeals_open:
        return "appealed"
    if "approved" in statuses:
        return "approved"
    if "denied" in statuses:
        return "denied"
    return "withdrawn"


def withdraw(session: Session, user, application: Application, reason: str | None = None) -> None:
    """On the customer's request: every line still open on it is withdrawn."""
    if application.status not in OPEN_STATUSES:
        raise Conflict(_("This application is already finished."))
    for ap in lines(application):
        if ap.status == "pending":
            ap.status = "withdrawn"
    move(session, application, "withdrawn", "withdrawn", note=(reason or "").strip() or None)
    kinds.of(application).withdrawn(session, application)
    if application.status != "draft":
        send_notice(session, application, "withdrawal")


def hand_over_what_came(session: Session, application: Application) -> bool:
    """Past the due date, files came but the customer never said they were done: a CSR reads what
    came instead of the application being closed (or the enrollment removed). False if nothing came."""
    sent = sent_since_request(session, application)
    if not sent:
        return False
    application.customer_responded = True
    move(session, application, "in_review", "customer_responded",
          note=_("Due date %(date)s passed; the customer sent %(files)s.", date=application.info_due_on.isoformat(),
                 files=", ".join(a.document.original_filename for a in sent)))
    return True


def close_overdue(session: Session, today: date | None = None) -> int:
    """Applications past their information due date are closed, with a notice.

    A kind keeps some open (a verification request: `recert run` removes the enrollment instead).
    """
    today = today or clock.today()
    query = select(Application).where(Application.status == "needs_info", Application.info_due_on < today)
    for kind in kinds.all_kinds():
        kept = kind.kept_open_when_overdue()
        if kept is not None:
            query = query.where(Application.id.not_in(kept))
    overdue = list(session.scalars(query.order_by(Application.id)))
    closed = 0
    for application in overdue:
        if hand_over_what_came(session, application):
            continue
        move(session, application, "closed", "closed", note=_("No answer by %(date)s", date=application.info_due_on.isoformat()))
        kinds.of(application).closed(session, application)
        send_notice(session, application, "closure")
        closed += 1
    session.flush()
    return closed


def reopen(session: Session, staff, application: Application, reason: str) -> None:
    if application.status != "closed":
        raise Conflict(_("Only a closed application can be reopened."))
    if not (reason or "").strip():
        raise Invalid(_("Say why the application is reopened."), fields={"reason": [_("Say why the application is reopened.")]})
    move(session, application, "in_review", "reopened", note=reason.strip())


# --- notices -----------------------------------------------------------------------------------

def send_notice(session: Session, application: Application, kind: str, program=None) -> Notice:
    """The application's letter of `kind` (about the decided line `program`), in the applicant's language.

    A customer without an email login (a phone or paper application) gets the letter by post."""
    applicant = applicant_of(session, application)
    language = applicant.language or application.language
    context = {}
    if program is not None:
        with force_locale(language):  # what the kind says of the line, in the letter's language too
            context = kinds.of(application).letter_context(session, application, program, language)
    appeal = None
    if kind == "appeal_outcome" and program is not None:
        appeal = session.scalar(select(Appeal).where(Appeal.application_id == application.id,
                                                     Appeal.program_code == program.code,
                                                     Appeal.decided_at.is_not(None)).order_by(Appeal.id.desc()).limit(1))
    reasons = {r.code: r.labels for r in denial_reasons(session, active_only=False, kind=application.kind)}
    notice = notices.send(session, kind, account_id=application.account_id, recipient=notices.recipient_of(applicant),
                          language=language, application_id=application.id,
                          enrollment_id=kinds.of(application).enrollment_of(application),
                          outbox_kind=f"application.{kind}", application=application,
                          account=account_of(session, application).number, line=program, context=context,
                          reason_labels=reasons, appeal_note=appeal.note if appeal is not None else None)
    session.expire(application, ["notices"])
    return notice


@dataclass
class QueuePage:
    items: list[Application]
    next: str | None


# --- appeals -----------------------------------------------------------------------------------

def appeal(session: Session, user, application: Application, program_code: str | None, reason: str):
    """A denied customer appeals one program's decision within the window."""
    ap = line_on(application, program_code)
    if ap.status != "denied":
        raise Conflict(_("Only a denied program can be appealed."))
    if not appeal_window_open(ap):
        days = int(current_app.config.get("APPEAL_DAYS", APPEAL_DAYS))
        raise Conflict(_("The %(days)s days to appeal have passed.", days=days))
    if not (reason or "").strip():
        raise Invalid(_("Say why you disagree."), fields={"reason": [_("Say why you disagree.")]})
    if session.scalar(select(Appeal).where(Appeal.application_id == application.id,
                                           Appeal.program_code == ap.code)):
        raise Conflict(_("This decision was already appealed."))
    row = Appeal(application_id=application.id, program_code=ap.code, filed_at=clock.now(),
                 reason=reason.strip())
    session.add(row)
    session.flush()
    # Appealing one program leaves the others as decided (an approval stays approved and enrolled).
    move(session, application, _status_after_decisions(application, open_appeals(session, application)),
          "appealed", program=ap.code, note=reason.strip())
    return row


def appeals_of(session: Session, application: Application) -> dict:
    """The application's appeals by program code."""
    return {a.program_code: a for a in session.scalars(select(Appeal).where(Appeal.application_id == application.id))}


def open_appeals(session: Session, application: Application) -> list[str]:
    """The program codes whose appeal a manager has not decided yet."""
    return [code for code, a in appeals_of(session, application).items() if a.decided_at is None]


def appeal_window_open(ap) -> bool:
    """A denied program can be appealed within APPEAL_DAYS of its decision."""
    days = int(current_app.config.get("APPEAL_DAYS", APPEAL_DAYS))
    return ap.status == "denied" and not (ap.decided_at and clock.now() - ap.decided_at > timedelta(days=days))


def decide_appeal(session: Session, manager, application: Application, program_code: str | None, outcome: str,
                  note: str, version: int | None = None) -> None:
    check_version(application, version)
    if manager.role not in ("manager", "admin"):
        raise Forbidden(_("A manager decides appeals."))
    ap = line_on(application, program_code)
    row = session.scalar(select(Appeal).where(Appeal.application_id == application.id,
                                              Appeal.program_code == ap.code, Appeal.decided_at.is_(None)))
    if row is None or application.status != "appealed":
        raise Conflict(_("There is no open appeal for %(program)s.", program=ap.code))
    if outcome not in ("upheld", "overturned"):
        raise Invalid(_("The outcome is upheld or overturned."))
    if not (note or "").strip():
        raise Invalid(_("Explain the outcome."), fields={"note": [_("Explain the outcome.")]})
    row.outcome, row.note, row.decided_at, row.decided_by_id = outcome, note.strip(), clock.now(), manager.id
    if outcome == "overturned":
        ap.status, ap.decided_at, ap.decided_by_id = "approved", clock.now(), manager.id
        kinds.of(application).grant(session, application, ap)
    session.flush()
    move(session, application, _status_after_decisions(application, open_appeals(session, application)),
          f"appeal_{outcome}", program=ap.code, note=note.strip())
    send_notice(session, application, "appeal_outcome", program=ap)


# --- the queue ---------------------------------------------------------------------------------

def queue(session: Session, staff, *, kind: str | None = None, program: str | None = None, status: str | None = None,
          flag: str | None = None, older_than_days: int | None = None, mine: bool = False, after: str | None = None,
          limit: int = 50, load=None) -> QueuePage:
    """Applications waiting for staff, oldest first; keyset paging makes page 100 as quick as page 1.

    `kind` narrows to one kind of application; `program` is a filter each kind answers in its own
    way (the programs on an assistance application). `load`: loader options for what the caller
    shows of each row (by default what each kind lists, and the flags), so a page of 50 costs a
    fixed number of queries."""
    from sqlalchemy import and_, exists, text, tuple_

    if status in WAITING_FOR_STAFF + ("needs_info", "waitlisted"):  # waitlisted: in line for rebate funds
        query = select(Application).where(Application.status == status)
    else:  # written as in the partial index ix_applications_waiting, so both engines use it
        query = select(Application).where(text(WAITING_CONDITION))
    chosen = [kinds.get(kind)] if kind else kinds.all_kinds()
    if kind:
        query = query.where(Application.kind == kind)
    if program:
        conditions = [k.queue_filters["program"](session, program) for k in chosen if "program" in k.queue_filters]
        query = query.where(or_(*conditions) if conditions else False)
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
        *(option for k in chosen for option in k.list_load()), selectinload(Application.flags))))
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
        kinds.of(application).evaluate(session, application)
        audit.record(session, "application.reevaluated", obj=application, details={"document": document.id})


def add_note(session: Session, staff, application: Application, text: str) -> None:
    """A CSR's note on the application; it joins the history."""
    text = (text or "").strip()
    if not text:
        raise Invalid(_("Write the note first."), fields={"note_text": [_("Write the note first.")]})
    record_event(session, application, "note", application.status, from_status=application.status, note=text[:4000])
    touch(application)


def touch(application: Application) -> None:
    """The application changed: a new version, even when the clock reads as before."""
    from sqlalchemy.orm.attributes import flag_modified

    application.updated_at = clock.now()
    flag_modified(application, "updated_at")
