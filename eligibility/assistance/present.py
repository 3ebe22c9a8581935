"""An application as a plain dict: the staff shape (what the API returns to staff and the review page
reads) and the customer's shape, which leaves out what is for staff only."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from accounts.models import Account
from applications import service as lifecycle
from eligibility.assistance import service
from applications.models import Application, ApplicationDocument
from eligibility.assistance.models import ApplicationProgram

# What `application_dict` reads, loaded for any number of applications in a fixed number of queries.
VIEW_LOAD = (selectinload(Application.assistance), selectinload(Application.programs).joinedload(ApplicationProgram.program),
             selectinload(Application.flags), selectinload(Application.notices),
             selectinload(Application.attachments).joinedload(ApplicationDocument.document))


def load_for_view(session: Session, applications) -> dict[int, Account]:
    """Load what the pages and the API show of these applications at once, not one row at a time (N+1).

    Returns their accounts by id: the session holds loaded rows weakly, so keep it while rendering."""
    applications = list(applications)
    if not applications:
        return {}
    list(session.scalars(select(Application).where(Application.id.in_([a.id for a in applications]))
                         .options(*VIEW_LOAD)))
    return {a.id: a for a in session.scalars(select(Account).where(
        Account.id.in_({a.account_id for a in applications})))}


def application_dicts(session: Session, applications, language: str = "en") -> list[dict]:
    """`application_dict` of each application, in a number of queries that does not grow with them."""
    applications = list(applications)
    accounts = load_for_view(session, applications)
    names = service.program_names(session, language) if applications else {}
    return [application_dict(session, a, language, account=accounts[a.account_id], names=names)
            for a in applications]


def application_dict(session: Session, application, language: str = "en", account: Account | None = None,
                     names: dict[str, str] | None = None) -> dict:
    from applications import kinds

    if application.kind != "assistance" and kinds.of(application).present is not None:
        # another kind's shape, with dates as dates for the schemas that list it (the queue)
        return {**kinds.of(application).present(session, application, language, True),
                "submitted_on": application.submitted_on, "info_due_on": application.info_due_on}
    account = account or lifecycle.account_of(session, application)
    names = names if names is not None else service.program_names(session, language)
    determinations = []
    for ap in application.programs:
        d = ap.determination or {}
        determinations.append({
            "program": ap.program.code, "status": ap.status, "eligible": d.get("eligible"), "tier": d.get("tier"),
            "limit_cents": d.get("limit_cents"), "income_cents": d.get("income_cents"), "period": d.get("period"),
            "income_basis": d.get("income_basis"), "rule_version": d.get("rule_version"),
            "reasons": d.get("reasons", []), "explanation": service.explanation(d, language, names)})
    return {
        "id": application.id, "number": application.number, "kind": application_kind(application),
        "status": application.status,
        "account_number": account.number, "programs": [ap.program.code for ap in application.programs],
        "household": application.assistance.household, "categorical": list(application.assistance.categorical),
        "determinations": determinations,
        "flags": [{"code": f.code, "program": f.program_code, "message": f.message} for f in application.flags],
        "notices": [{"kind": n.kind, "sent_at": n.created_at.isoformat(), "language": n.language,
                     "subject": n.subject} for n in application.notices],
        "documents": [{"id": a.document_id, "requirement": a.requirement, "status": a.document.status,
                       "filename": a.document.original_filename} for a in application.attachments],
        "submitted_on": application.submitted_on, "info_due_on": application.info_due_on,
        "info_checklist": application.info_checklist, "assigned_to": application.assigned_to_id,
        "version": application.version,
    }


def application_kind(application) -> str:
    """Which kind of application this is (`applications.kinds`): assistance; rebates come as a kind of their own."""
    return application.kind


# What a customer sees of an application: the documented shape without the CSR's flags (a flag can name
# another household's application), the assignment and any staff ids. Values are codes, as for staff.
CUSTOMER_FIELDS = ("id", "number", "kind", "status", "account_number", "programs", "household", "categorical",
                   "determinations", "notices", "documents", "submitted_on", "info_due_on", "info_checklist",
                   "version")
# The fields each kind adds to the customer's shape (a rebate: "program", "items", "quote_cents",
# "approved_cents", "hold_cents", "waitlist_position", "payment" in place of "programs"/"determinations").
CUSTOMER_KIND_FIELDS: dict[str, tuple[str, ...]] = {"assistance": ()}
CUSTOMER_DETERMINATION_FIELDS = ("program", "status", "eligible", "tier", "limit_cents", "income_cents", "period",
                                 "income_basis", "rule_version", "reasons", "explanation")
CUSTOMER_DOCUMENT_FIELDS = ("id", "requirement", "status", "filename")
CUSTOMER_NOTICE_FIELDS = ("kind", "sent_at", "language", "subject")


def customer_application_dict(session: Session, application, language: str = "en") -> dict:
    """The customer's view of their application: only the fields listed above, each entry cut to its own list."""
    full = application_dicts(session, [application], language)[0]
    fields = CUSTOMER_FIELDS + CUSTOMER_KIND_FIELDS.get(full["kind"], ())
    view = {name: full[name] for name in fields if name in full}
    view["determinations"] = [_only(d, CUSTOMER_DETERMINATION_FIELDS) for d in full["determinations"]]
    view["documents"] = [_only(d, CUSTOMER_DOCUMENT_FIELDS) for d in full["documents"]]
    view["notices"] = [_only(n, CUSTOMER_NOTICE_FIELDS) for n in full["notices"]]
    return view


def _only(row: dict, names: tuple[str, ...]) -> dict:
    return {name: row[name] for name in names if name in row}


def reply(application, status: int = 200):
    """The API's answer about an application: staff get the staff shape; the customer their own,
    without flags, assignment or staff ids."""
    from flask import jsonify
    from flask_login import current_user

    from core.database import db
    from core.language import language
    from eligibility.assistance.schemas import ApplicationOut, CustomerApplicationOut

    from applications import kinds

    if application.kind != "assistance" and kinds.of(application).present is not None:  # a rebate: its own shape
        return jsonify(kinds.of(application).present(db.session, application, language(), current_user.is_staff)), status
    if current_user.is_staff:
        return jsonify(ApplicationOut().dump(application_dict(db.session, application, language()))), status
    return jsonify(CustomerApplicationOut().dump(customer_application_dict(db.session, application, language()))), status
