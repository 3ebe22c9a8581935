"""The customer's application, one step a page, saved as a draft after every step; works without JavaScript.

Staff use the same steps for an assisted (phone or counter) application.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from accounts import service as accounts_service
from auth import service as auth_service
from core import clock
from core.access import STAFF, allow
from core.database import db
from core.errors import AssistError
from core.extensions import limiter
from core.inputs import whole_number
from documents.views import UPLOAD_LIMIT, _upload_key
from eligibility import service as programs_service
from eligibility.applications import service
from eligibility.applications.present import customer_application_dict
from eligibility.rules import CATEGORICAL_PROGRAMS
from eligibility.views import CATEGORICAL_LABELS, income_from_row, language

bp = Blueprint("applications", __name__)

STEPS = (("household", _l("Household")), ("enrollments", _l("Benefits you receive")),
         ("documents", _l("Documents")), ("review", _l("Review and sign")))
STATUS_LABELS = {"draft": _l("draft, not sent yet"), "submitted": _l("received"), "in_review": _l("being reviewed"),
                 "needs_info": _l("we need more information"), "approved": _l("approved"), "denied": _l("not approved"),
                 "appealed": _l("appeal being reviewed"), "withdrawn": _l("withdrawn"), "closed": _l("closed")}
RELATIONSHIPS = {"self": _l("Me"), "spouse": _l("Spouse or partner"), "child": _l("Child"), "parent": _l("Parent"),
                 "other": _l("Other")}
APPLICANTS = ("customer", *STAFF)
MAX_ROWS = 12
MY_APPLICATIONS_PAGE = 25  # "My applications", newest first


def _errors(exc: AssistError) -> dict[str, list[str]]:
    return exc.fields or {"_form": [exc.message]}


def _open_programs():
    today = clock.today()
    rows = programs_service.list_programs(db.session)
    catalog = programs_service.catalog(db.session, programs=rows)
    return [p for p in rows if p.enabled and catalog.version_on(p.code, today) is not None and not p.example] + \
        [p for p in rows if p.enabled and p.example and catalog.version_on(p.code, today) is not None]


def _page(template: str, application=None, status: int = 200, **context):
    context.setdefault("errors", {})
    context.setdefault("form", {})
    return render_template(f"applications/{template}", application=application, steps=STEPS,
                           statuses=STATUS_LABELS, language=language(), **context), status


@bp.get("/applications")
@allow("customer")
def mine():
    from core.views import page_number

    page = page_number()
    rows = service.applications_of(db.session, current_user.id, page=page, per_page=MY_APPLICATIONS_PAGE)
    return _page("mine.html", applications=rows[:MY_APPLICATIONS_PAGE], page=page,
                 has_next=len(rows) > MY_APPLICATIONS_PAGE)


# How a CSR took an application for a customer: the customer's own login, or none (phone, paper,
# walk-in), when the application makes a customer record whose letters go by post.
CHANNELS = {"login": _l("The customer has an email login"), "phone": _l("By phone, no email login"),
            "paper": _l("On a paper form, no email login"), "walk_in": _l("At the counter, no email login")}
NO_LOGIN_FIELDS = ("full_name", "customer_language", "postal_address", "proof")


@bp.route("/apply", methods=["GET", "POST"])
@allow(*APPLICANTS)
def start():
    """Step 0: the account and the programs. Staff also name the customer (assisted application),
    or, for a customer with no email login, make the customer record (name, address, language)."""
    from auth.models import User

    accounts = accounts_service.linked_accounts(db.session, current_user.id) if not current_user.is_staff else []
    form = {"account_number": request.values.get("account_number", ""), "programs": request.form.getlist("programs"),
            "applicant_email": request.values.get("applicant_email", ""),
            "channel": request.values.get("channel", "login"),
            **{name: request.form.get(name, "") for name in NO_LOGIN_FIELDS}}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        applicant = current_user
        try:
            if current_user.is_staff and form["channel"] != "login":
                applicant = _customer_without_login(form)
            elif current_user.is_staff:
                email = auth_service.valid_email(form["applicant_email"], field="applicant_email")
                applicant = db.session.scalar(select(User).where(User.email == email, User.role == "customer"))
                if applicant is None:
                    raise AssistError(_("No customer login has this email."),
                                      fields={"applicant_email": [_("No customer login has this email.")]})
            application = service.start(db.session, user=current_user, applicant=applicant,
                                        account_number=form["account_number"], program_codes=form["programs"],
                                        household={"members": []}, categorical=[])
            db.session.commit()
        except AssistError as exc:
            db.session.rollback()
            errors = _errors(exc)
        else:
            return redirect(url_for("applications.household", application_id=application.id))
    return _page("start.html", accounts=accounts, programs=_open_programs(), form=form, errors=errors,
                 channels=CHANNELS, status=422 if errors else 200)


def _customer_without_login(form: dict):
    """The customer record for a phone, paper or walk-in application, linked to the account the CSR
    checked they hold (the proof is the link's reason in the audit log)."""
    from accounts.models import Account
    from core.errors import Invalid

    if form["channel"] not in CHANNELS:
        raise Invalid(_("Choose how the customer applies."), fields={"channel": [_("Choose how the customer applies.")]})
    proof = " ".join(form["proof"].split())
    account = db.session.scalar(select(Account).where(Account.number == form["account_number"].strip()))
    problems: dict[str, list[str]] = {}
    if account is None:
        problems["account_number"] = [_("No such account.")]
    if not proof:
        problems["proof"] = [_("Say how the customer proved they hold the account.")]
    if not " ".join(form["full_name"].split()):
        problems["full_name"] = [_("Enter the customer's full name.")]
    if problems:
        raise Invalid(_("Some fields are missing or not valid."), fields=problems)
    customer = auth_service.create_customer_without_login(
        db.session, full_name=form["full_name"], language=form["customer_language"] or "en",
        postal_address=form["postal_address"])
    accounts_service.link_by_staff(db.session, current_user, customer, account, f"{form['channel']}: {proof}")
    return customer


def _load(application_id: int):
    """The application; a form sent to change it takes it locked (see service.lock)."""
    if request.method == "POST":
        return service.get_for_change(db.session, current_user, application_id)
    return service.get_for(db.session, current_user, application_id)


def _member_rows(application, rows: int | None = None) -> list[dict]:
    members = application.household.get("members", [])
    out = _rows_of(members)
    while len(out) < max(rows or 0, len(members) + 1, 3):
        out.append({"frequency": "monthly", "kind": "wages"})
    return out[:MAX_ROWS]


def _rows_of(members: list[dict]) -> list[dict]:
    """Members as the form's rows (text), so what was sent can be compared with what was shown."""
    out = []
    for m in members:
        income = (m.get("incomes") or [{}])[0]
        out.append({"name": m.get("name", ""), "age": str(m.get("age", "")), "relationship": m.get("relationship", ""),
                    "ssn_last4": m.get("ssn_last4", ""),
                    "amount": f"{income['amount_cents'] / 100:.2f}" if income.get("amount_cents") else "",
                    "frequency": income.get("frequency", "monthly"), "kind": income.get("kind", "wages")})
    return out


ROW_FIELDS = ("name", "age", "relationship", "ssn_last4", "amount", "frequency", "kind")


def _unconfirmed(previous: list[dict], rows: list[dict], form) -> dict[str, list[str]]:
    """A renewal: each person from last time is either changed or confirmed as still right."""
    errors = {}
    for i, before in enumerate(_rows_of(previous)):
        now = rows[i] if i < len(rows) else {}
        before = {**before, "relationship": before.get("relationship") or ("self" if i == 0 else "other")}
        unchanged = all((now.get(k) or "") == (before.get(k) or "") for k in ROW_FIELDS)
        if unchanged and form.get(f"confirm-{i}") != "yes":
            errors[f"confirm-{i}"] = [_("Confirm that what we have for %(name)s is still right, or change it.",
                                        name=before.get("name") or i + 1)]
    return errors


def _read_members(form) -> tuple[list[dict], list[dict], dict[str, list[str]]]:
    rows, members, errors = [], [], {}
    rows_text = form.get("rows", "3")
    count = min(MAX_ROWS, max(1, int(rows_text) if rows_text.isascii() and rows_text.isdigit() else 3))
    for i in range(count):
        row = {k: form.get(f"{k}-{i}", "").strip() for k in ("name", "age", "relationship", "ssn_last4", "amount",
                                                               "frequency", "kind")}
        rows.append(row)
        if not any(row[k] for k in ("name", "age", "amount")):
            continue
        if not row["name"]:
            errors[f"name-{i}"] = [_("Enter the name of person %(n)s.", n=i + 1)]
        if not (row["age"].isascii() and row["age"].isdigit()) or int(row["age"]) > 130:
            errors[f"age-{i}"] = [_("Enter the age of person %(n)s in years.", n=i + 1)]
        if row["ssn_last4"] and not (len(row["ssn_last4"]) == 4 and row["ssn_last4"].isascii() and row["ssn_last4"].isdigit()):
            errors[f"ssn_last4-{i}"] = [_("Give only the last four digits.")]
        income = income_from_row(row, i, errors)
        incomes = [income] if income else []
        if f"age-{i}" not in errors:
            member = {"name": row["name"], "age": int(row["age"]), "incomes": incomes}
            if row["relationship"] in RELATIONSHIPS:
                member["relationship"] = row["relationship"]
            if row["ssn_last4"]:
                member["ssn_last4"] = row["ssn_last4"]
            members.append(member)
    if not members and not errors:
        errors["name-0"] = [_("Add at least yourself.")]
    return rows, members, errors


@bp.route("/applications/<int:application_id>/household", methods=["GET", "POST"])
@allow(*APPLICANTS)
def household(application_id: int):
    from eligibility.recertification.service import previous_household

    application = _load(application_id)
    previous = previous_household(db.session, application)
    if request.method == "GET":
        return _page("household.html", application, rows=_member_rows(application), step="household",
                     confirm=len(previous))
    rows, members, errors = _read_members(request.form)
    if request.form.get("action") == "add":
        rows += [{"frequency": "monthly", "kind": "wages"}] * 2
        return _page("household.html", application, rows=rows[:MAX_ROWS], step="household", confirm=len(previous),
                     form=request.form)
    errors.update(_unconfirmed(previous, rows, request.form))
    if not errors:
        try:
            service.update(db.session, application, household={"members": members})
            db.session.commit()
        except AssistError as exc:
            db.session.rollback()
            errors = _errors(exc)
        else:
            return redirect(url_for("applications.enrollments", application_id=application.id))
    return _page("household.html", application, rows=rows, errors=errors, step="household", status=422,
                 confirm=len(previous), form=request.form)


@bp.route("/applications/<int:application_id>/enrollments", methods=["GET", "POST"])
@allow(*APPLICANTS)
def enrollments(application_id: int):
    application = _load(application_id)
    if request.method == "POST":
        chosen = [c for c in request.form.getlist("categorical") if c in CATEGORICAL_PROGRAMS]
        try:
            service.update(db.session, application, categorical=chosen)
            db.session.commit()
        except AssistError as exc:
            db.session.rollback()
            return _page("enrollments.html", application, labels=CATEGORICAL_LABELS, errors=_errors(exc),
                         step="enrollments", status=422)
        return redirect(url_for("applications.documents", application_id=application.id))
    return _page("enrollments.html", application, labels=CATEGORICAL_LABELS, step="enrollments")


@bp.get("/applications/<int:application_id>/documents")
@allow(*APPLICANTS)
def documents(application_id: int):
    return _page("documents.html", _load(application_id), step="documents")


@bp.post("/applications/<int:application_id>/documents")
@limiter.limit(UPLOAD_LIMIT, key_func=_upload_key)
@allow(*APPLICANTS)
def upload(application_id: int):
    application = _load(application_id)
    files = [f for f in request.files.getlist("file") if f and f.filename]
    requirement = request.form.get("requirement", "income")
    if requirement not in ("income", "categorical", "other"):
        requirement = "income"
    if not files:
        return _page("documents.html", application, errors={"file": [_("Choose a file to upload.")]},
                     step="documents", status=422)
    errors: dict[str, list[str]] = {}
    for file in files:
        try:
            service.lock(db.session, application)
            service.attach(db.session, current_user, application, data=file.read(), filename=file.filename,
                           requirement=requirement)
            db.session.commit()
        except AssistError as exc:
            db.session.rollback()
            errors.setdefault("file", []).append(f"{file.filename}: {exc.message}")
    if errors:  # the files that were fine are kept
        return _page("documents.html", db.session.get(type(application), application.id), errors=errors,
                     step="documents", status=422)
    flash(_("Your file is uploaded. We will read it shortly."), "success")
    if application.status not in ("draft",):
        return redirect(url_for("applications.status", application_id=application.id))
    return redirect(url_for("applications.documents", application_id=application.id))


@bp.route("/applications/<int:application_id>/review", methods=["GET", "POST"])
@allow(*APPLICANTS)
def review(application_id: int):
    application = _load(application_id)
    if request.method == "POST":
        try:
            service.submit(db.session, current_user, application, request.form.get("signature", ""))
            db.session.commit()
        except AssistError as exc:
            db.session.rollback()
            return _page("review.html", _load(application_id), errors=_errors(exc), step="review",
                         form=request.form, status=422)
        flash(_("Your application is sent. Your confirmation number is %(number)s.", number=application.number),
              "success")
        return redirect(url_for("applications.status", application_id=application.id))
    return _page("review.html", application, step="review", labels=CATEGORICAL_LABELS)


@bp.get("/applications/<int:application_id>")
@allow(*APPLICANTS)
def status(application_id: int):
    application = _load(application_id)
    return _page("status.html", application, view=customer_application_dict(db.session, application, language()),
                 reasons={r.code: r for r in service.denial_reasons(db.session, active_only=False)})


@bp.post("/applications/<int:application_id>/withdraw")
@allow(*APPLICANTS)
def withdraw(application_id: int):
    application = _load(application_id)
    try:
        service.withdraw(db.session, current_user, application, request.form.get("withdraw_reason", ""))
        db.session.commit()
    except AssistError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    return redirect(url_for("applications.status", application_id=application.id))


@bp.post("/applications/<int:application_id>/appeal")
@allow("customer")
def appeal(application_id: int):
    application = _load(application_id)
    try:
        service.appeal(db.session, current_user, application, request.form.get("program"),
                       request.form.get("reason", ""))
        db.session.commit()
    except AssistError as exc:
        db.session.rollback()
        return _page("status.html", application, view=customer_application_dict(db.session, application, language()),
                     reasons={}, errors=_errors(exc), form=request.form, status=422)
    flash(_("Your appeal is sent. A manager will review it."), "success")
    return redirect(url_for("applications.status", application_id=application.id))


@bp.get("/applications/<int:application_id>/notices/<int:notice_id>")
@allow(*APPLICANTS)
def notice(application_id: int, notice_id: int):
    """A notice as a printable letter."""
    application = _load(application_id)
    letter = next((n for n in application.notices if n.id == notice_id), None)
    if letter is None:
        from core.errors import NotFound

        raise NotFound(_("No such notice."))
    return _page("letter.html", application, notice=letter, account=service.account_of(db.session, application))


ENROLLMENT_STATUS_LABELS = {"active": _l("active"), "recertification_due": _l("time to recertify"),
                            "in_grace": _l("expired: recertify now to keep the discount"), "expired": _l("expired"),
                            "removed": _l("removed"), "ended": _l("ended")}


@bp.get("/programs/mine")
@allow("customer")
def my_programs():
    from eligibility.applications import enrollments

    accounts = accounts_service.linked_accounts(db.session, current_user.id)
    by_account = enrollments.for_accounts(db.session, accounts)
    listing = [(account, by_account[account.id]) for account in accounts]
    return _page("my_programs.html", listing=listing, enrollment_statuses=ENROLLMENT_STATUS_LABELS,
                 verifications=enrollments.verifications_waiting(db.session, [e for _a, rows in listing for e in rows]))


@bp.route("/staff/accounts/<number>/enrollments", methods=["GET", "POST"])
@allow(*STAFF)
def account_enrollments(number: str):
    """A CSR sees an account's enrollments and can end one with a reason."""
    from eligibility.applications import enrollments
    from eligibility.applications.models import Enrollment

    account = accounts_service.get_account(db.session, number)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        enrollment = db.session.get(Enrollment, whole_number("enrollment_id", request.form.get("enrollment_id"),
                                                             default=0))
        if enrollment is None or enrollment.account_id != account.id:
            errors["_form"] = [_("No such enrollment.")]
        else:
            try:
                enrollments.end(db.session, enrollment, request.form.get("status", ""),
                                request.form.get("end_reason", ""))
                db.session.commit()
            except AssistError as exc:
                db.session.rollback()
                errors = _errors(exc)
            else:
                flash(_("The enrollment has ended and the customer is told."), "success")
                return redirect(url_for("applications.account_enrollments", number=account.number))
    return _page("account_enrollments.html", account=account, enrollments=enrollments.for_account(db.session, account),
                 enrollment_statuses=ENROLLMENT_STATUS_LABELS, errors=errors, form=request.form,
                 status=422 if errors else 200)


def _account_section(session, account) -> dict:
    """The account's enrollments and applications, for its staff page beside the ledger."""
    from sqlalchemy.orm import selectinload

    from eligibility.applications import enrollments
    from eligibility.applications.models import Application, ApplicationProgram

    applications = session.scalars(select(Application).where(Application.account_id == account.id)
                                   .options(selectinload(Application.programs)
                                            .joinedload(ApplicationProgram.program))
                                   .order_by(Application.created_at.desc(), Application.id.desc()).limit(50)).all()
    return {"enrollments": enrollments.for_account(session, account), "applications": applications,
            "enrollment_statuses": ENROLLMENT_STATUS_LABELS, "statuses": STATUS_LABELS, "language": language()}


def init_applications(app) -> None:
    from accounts.sections import register_account_section
    from core.events import document_parsed
    from core.nav import register_nav

    from core.events import accounts_imported
    from eligibility.applications import enrollments

    document_parsed.connect(service.on_document_parsed, sender=app, weak=False)
    app.register_error_handler(StaleDataError, _lost_race)
    accounts_imported.connect(enrollments.on_accounts_imported, sender=app, weak=False)

    app.jinja_env.globals["application_status_labels"] = STATUS_LABELS
    app.jinja_env.globals["enrollment_status_labels"] = ENROLLMENT_STATUS_LABELS
    register_account_section(app, "applications/_account_section.html", _account_section, order=10)
    register_nav(app, "applications.mine", _l("My applications"), ("customer",), order=12)
    register_nav(app, "applications.my_programs", _l("My programs"), ("customer",), order=13)


def _lost_race(exc: StaleDataError):
    """A safety net: an application changed under a request that did not take it locked is a 409,
    with what a stale form says, never a 500."""
    from core.web import is_api_request, render_error
    from core.api import error_response

    db.session.rollback()
    if is_api_request():
        return error_response(409, "conflict", service.stale_message())
    return render_error(409, service.stale_message())
