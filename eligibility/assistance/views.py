"""The customer's application, one step a page, saved as a draft after every step; works without JavaScript.

Staff use the same steps for an assisted (phone or counter) application.
"""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import RequestEntityTooLarge

from accounts import service as accounts_service
from auth import service as auth_service
from core import clock
from core.access import STAFF, allow
from core.database import db
from core.errors import AssistError
from core.extensions import limiter
from core.inputs import whole_number
from documents.web import UPLOAD_LIMIT, upload_key
from eligibility import service as programs_service
from applications import service as lifecycle
from eligibility.assistance import service
from eligibility.assistance.present import customer_application_dict
from eligibility.rules import CATEGORICAL_PROGRAMS
from applications.labels import STATUS_LABELS
from eligibility.labels import CATEGORICAL_LABELS, FREQUENCY_LABELS, INCOME_KIND_LABELS
from eligibility.views import (add_income_row,
                               carried_household, incomes_from_form, language)

bp = Blueprint("applications", __name__)

STEPS = (("household", _l("Household")), ("enrollments", _l("Benefits you receive")),
         ("documents", _l("Documents")), ("review", _l("Review and sign")))
RELATIONSHIPS = {"self": _l("Me"), "spouse": _l("Spouse or partner"), "child": _l("Child"), "parent": _l("Parent"),
                 "other": _l("Other")}
APPLICANTS = ("customer", *STAFF)
MAX_ROWS = 12
MY_APPLICATIONS_PAGE = 25  # "My applications", newest first


def _errors(exc: AssistError) -> dict[str, list[str]]:
    return exc.fields or {"_form": [exc.message]}


def _open_programs(accounts, account_number: str = ""):
    """The programs to offer: those serving the chosen account's ZIP code (or any of the customer's
    accounts); staff, who type the account, see every open program and the service checks the area."""
    today = clock.today()
    if current_user.is_staff:
        return programs_service.offered(db.session, today, None, public=False)
    chosen = [a for a in accounts if a.number == account_number] or accounts
    seen, out = set(), []
    for account in chosen:
        for program in programs_service.offered(db.session, today, account.zip, public=True):
            if program.code not in seen:
                seen.add(program.code)
                out.append(program)
    return out


def _page(template: str, application=None, status: int = 200, **context):
    context.setdefault("errors", {})
    context.setdefault("form", {})
    context.setdefault("frequencies", FREQUENCY_LABELS)
    context.setdefault("kinds", INCOME_KIND_LABELS)
    return render_template(f"applications/{template}", application=application, steps=STEPS,
                           statuses=STATUS_LABELS, language=language(), **context), status


@bp.get("/applications")
@allow("customer")
def mine():
    from core.views import page_number

    page = page_number()
    rows = lifecycle.applications_of(db.session, current_user.id, page=page, per_page=MY_APPLICATIONS_PAGE)
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
    or, for a customer with no email login, make the customer record (name, address, language).

    An open draft for the same account is resumed rather than a second one made; a household
    carried from the screener (`screened`) fills the new draft.
    """
    accounts = accounts_service.linked_accounts(db.session, current_user.id) if not current_user.is_staff else []
    form = {"account_number": request.values.get("account_number", ""),
            "programs": request.values.getlist("programs"), "applicant_email": request.values.get("applicant_email", ""),
            "screened": request.values.get("screened", ""), "channel": request.values.get("channel", "login"),
            **{name: request.form.get(name, "") for name in NO_LOGIN_FIELDS}}
    if not form["account_number"] and len(accounts) == 1:
        form["account_number"] = accounts[0].number
    carried = carried_household(form["screened"]) if not current_user.is_staff else None
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        applicant = current_user
        try:
            if current_user.is_staff and form["channel"] != "login":
                applicant = _customer_without_login(form)
            elif current_user.is_staff:
                applicant = auth_service.find_customer(db.session, form["applicant_email"], field="applicant_email")
            members, categorical = carried or ([], [])
            draft = service.open_draft(db.session, applicant.id, form["account_number"])
            if draft is not None:
                application = service.resume(db.session, draft, program_codes=form["programs"],
                                             household={"members": members}, categorical=categorical)
            else:
                application = service.start(db.session, user=current_user, applicant=applicant,
                                            account_number=form["account_number"], program_codes=form["programs"],
                                            household={"members": members}, categorical=categorical)
        except AssistError as exc:
            db.session.rollback()
            errors = _errors(exc)
        else:
            if draft is not None:
                flash(_("You already had an application in progress for this account, so we opened it. Nothing "
                        "you entered before is lost."), "success")
            return redirect(url_for("applications.household", application_id=application.id))
    drafts = [a for a in lifecycle.applications_of(db.session, current_user.id, per_page=MY_APPLICATIONS_PAGE)
              if a.status == "draft"] if not current_user.is_staff else []
    return _page("start.html", accounts=accounts, programs=_open_programs(accounts, form["account_number"]), form=form,
                 errors=errors, drafts=drafts, carried=carried, channels=CHANNELS, status=422 if errors else 200)


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
    """The application; a form sent to change it takes it locked (see lifecycle.lock)."""
    if request.method == "POST":
        return lifecycle.get_for_change(db.session, current_user, application_id)
    return lifecycle.get_for(db.session, current_user, application_id)


def _blank_income() -> dict:
    return {"amount": "", "frequency": "monthly", "kind": "wages"}


def _member_rows(application, rows: int | None = None) -> list[dict]:
    members = application.assistance.household.get("members", [])
    out = _rows_of(members)
    while len(out) < max(rows or 0, len(members) + 1, 3):
        out.append({"incomes": [_blank_income()]})
    return out[:MAX_ROWS]


def _rows_of(members: list[dict]) -> list[dict]:
    """Members as the form's rows (text), so what was sent can be compared with what was shown."""
    out = []
    for m in members:
        incomes = [{"amount": f"{x['amount_cents'] / 100:.2f}" if x.get("amount_cents") else "",
                    "frequency": x.get("frequency", "monthly"), "kind": x.get("kind", "wages")}
                   for x in m.get("incomes") or []] or [_blank_income()]
        out.append({"name": m.get("name", ""), "age": str(m.get("age", "")), "relationship": m.get("relationship", ""),
                    "ssn_last4": m.get("ssn_last4", ""), "incomes": incomes})
    return out


ROW_FIELDS = ("name", "age", "relationship", "ssn_last4")


def _unconfirmed(application, aligned: list[dict], form) -> dict[str, list[str]]:
    """The renewal rule (`service.unconfirmed_people`), its messages by each person's tick box."""
    confirmed = {i for i in range(len(aligned)) if form.get(f"confirm-{i}") == "yes"}
    return {f"confirm-{i}": [message]
            for i, message in service.unconfirmed_people(db.session, application, aligned, confirmed).items()}


def _read_members(form) -> tuple[list[dict], list[dict], dict[str, list[str]], list[dict]]:
    """The rows as typed, the members read, the errors by field, and the members row by row
    (`{}` for a blank row) for the renewal rule."""
    rows, members, errors, aligned = [], [], {}, []
    rows_text = form.get("rows", "3")
    count = min(MAX_ROWS, max(1, int(rows_text) if rows_text.isascii() and rows_text.isdigit() else 3))
    for i in range(count):
        row = {k: form.get(f"{k}-{i}", "").strip() for k in ROW_FIELDS}
        income_rows, incomes = incomes_from_form(form, i, errors)
        row["incomes"] = income_rows
        rows.append(row)
        if not any(row[k] for k in ("name", "age")) and not any(x["amount"] for x in income_rows):
            aligned.append({})
            continue
        if not row["name"]:
            errors[f"name-{i}"] = [_("Enter the name of person %(n)s.", n=i + 1)]
        if not (row["age"].isascii() and row["age"].isdigit()) or int(row["age"]) > 130:
            errors[f"age-{i}"] = [_("Enter the age of person %(n)s in years.", n=i + 1)]
        if row["ssn_last4"] and not (len(row["ssn_last4"]) == 4 and row["ssn_last4"].isascii() and row["ssn_last4"].isdigit()):
            errors[f"ssn_last4-{i}"] = [_("Give only the last four digits.")]
        if f"age-{i}" not in errors:
            member = {"name": row["name"], "age": int(row["age"]), "incomes": incomes}
            if row["relationship"] in RELATIONSHIPS:
                member["relationship"] = row["relationship"]
            if row["ssn_last4"]:
                member["ssn_last4"] = row["ssn_last4"]
            members.append(member)
        aligned.append(members[-1] if f"age-{i}" not in errors else {**row, "incomes": incomes})
    if not members and not errors:
        errors["name-0"] = [_("Add at least yourself.")]
    return rows, members, errors, aligned


@bp.route("/applications/<int:application_id>/household", methods=["GET", "POST"])
@allow(*APPLICANTS)
def household(application_id: int):


    application = _load(application_id)
    previous = service.previous_household(db.session, application)
    if request.method == "GET":
        return _page("household.html", application, rows=_member_rows(application), step="household",
                     confirm=len(previous))
    rows, members, errors, aligned = _read_members(request.form)
    action = request.form.get("action", "")
    if action == "add" or action.startswith("income-"):
        if action == "add":
            rows += [{"incomes": [_blank_income()]} for _n in range(2)]
        add_income_row(request.form, rows)
        return _page("household.html", application, rows=rows[:MAX_ROWS], step="household", confirm=len(previous),
                     form=request.form)
    errors.update(_unconfirmed(application, aligned, request.form))
    if not errors:
        try:
            service.update(db.session, application, household={"members": members})
            service.record_confirmation(application, [i for i in range(len(aligned))
                                                      if request.form.get(f"confirm-{i}") == "yes"])
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


def _upload_step(application, errors: dict, status: int, form=None):
    """The page the upload form was on, again: the documents step of a draft, or the application's
    page while information is asked for."""
    if application.status == "draft":
        return _page("documents.html", application, errors=errors, step="documents", status=status,
                     form=form or {})
    return _status_page(application, errors=errors, status=status, form=form or {})


@bp.post("/applications/<int:application_id>/documents")
@limiter.limit(UPLOAD_LIMIT, key_func=upload_key)
@allow(*APPLICANTS)
def upload(application_id: int):
    """Upload the chosen files. `action`: `upload` (stay), `continue` (a draft's next step) or
    `finish` (an information request answered): a file chosen before Continue is sent, not lost."""
    application = _load(application_id)
    action = request.form.get("action", "upload")
    files = [f for f in request.files.getlist("file") if f and f.filename]
    requirement = request.form.get("requirement", "income")
    if requirement not in ("income", "categorical", "other"):
        requirement = "income"
    form = {"requirement": requirement}
    if not files and action == "continue":
        return redirect(url_for("applications.review", application_id=application.id))
    if not files and action != "finish":
        return _upload_step(application, {"file": [_("Choose a file to upload.")]}, 422, form)
    errors: dict[str, list[str]] = {}
    sent = []
    for file in files:
        try:
            lifecycle.lock(db.session, application)
            lifecycle.attach(db.session, current_user, application, data=file.read(), filename=file.filename,
                           requirement=requirement, answers_request=False)
            # Each file is a unit of its own: the ones that were fine stay when the page answers 422.
            db.session.commit()
        except AssistError as exc:
            db.session.rollback()
            errors.setdefault("file", []).append(f"{file.filename}: {exc.message}")
        else:
            sent.append(file.filename)
    application = db.session.get(type(application), application.id)
    if errors:  # the files that were fine are kept, and the page says which
        if sent:
            errors["file"].append(_("Sent: %(files)s. Choose the others again.", files=", ".join(sent)))
        return _upload_step(application, errors, 422, form)
    if action == "finish":
        try:
            lifecycle.lock(db.session, application)
            lifecycle.finish_response(db.session, current_user, application)
        except AssistError as exc:
            db.session.rollback()
            return _upload_step(db.session.get(type(application), application.id), _errors(exc), 422, form)
        flash(_("Thank you. We have everything you sent and will review it."), "success")
        return redirect(url_for("applications.status", application_id=application.id))
    flash(_("Your file is uploaded. We will read it shortly."), "success")
    if action == "continue":
        return redirect(url_for("applications.review", application_id=application.id))
    if application.status not in ("draft",):
        return redirect(url_for("applications.status", application_id=application.id))
    return redirect(url_for("applications.documents", application_id=application.id))


def _megabytes(size: int) -> str:
    """A size in MB as people read it: 20, or 15.3 just over a 15 MB limit."""
    from flask_babel import format_decimal

    return format_decimal(round(size / (1024 * 1024), 1), format="#,##0.#")


def _drain(limit: int) -> None:
    """Read and drop the rest of a refused upload, so the browser gets the page rather than a reset
    connection; a body far over the limit is not read."""
    length = request.content_length or 0
    stream = request.environ.get("wsgi.input")
    if stream is None or not 0 < length <= 8 * limit:
        return
    while length > 0:
        chunk = stream.read(min(length, 1 << 16))
        if not chunk:
            break
        length -= len(chunk)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc):
    """A file over the limit: back to the same step, the error by the file field, naming both sizes."""
    from core.web import render_error

    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    _drain(limit)
    if request.endpoint != "applications.upload" or not current_user.is_authenticated or \
            current_user.role not in APPLICANTS:
        return render_error(413)
    try:
        application = lifecycle.get_for(db.session, current_user, request.view_args["application_id"])
    except AssistError:
        return render_error(413)
    message = _("The file is %(size)s MB; the largest we accept is %(limit)s MB.",
                size=_megabytes(request.content_length or 0), limit=_megabytes(limit))
    return _upload_step(application, {"file": [message]}, 413)


def missing_labels(application) -> list[str]:
    """What the application still lacks, in the customer's words."""
    out = []
    for code in service.missing_documents(application):
        if code == "income":
            out.append(_("proof of income: an IRS tax transcript, recent pay stubs or a benefit letter"))
        else:
            out.append(_("proof that your household gets %(benefits)s: a letter or card",
                         benefits=", ".join(str(CATEGORICAL_LABELS.get(c, c)) for c in application.assistance.categorical)))
    return out


@bp.route("/applications/<int:application_id>/review", methods=["GET", "POST"])
@allow(*APPLICANTS)
def review(application_id: int):
    """Sign and send. With a required document missing, the page says what and asks to confirm
    (the API sends as asked; the CSR's flags name what is missing)."""
    application = _load(application_id)
    missing = missing_labels(application) if application.status == "draft" else []
    if request.method == "POST":
        if missing and request.form.get("send_without") != "yes":
            errors = {"send_without": [_("Your application has no %(missing)s. Upload it, or confirm that you send "
                                         "the application without it.", missing="; ".join(missing))]}
            try:
                lifecycle.checked_signature(request.form.get("signature"))
            except AssistError as exc:
                errors = {**exc.fields, **errors}
            return _page("review.html", application, errors=errors, step="review", form=request.form,
                         missing=missing, status=422)
        try:
            service.check_renewal_confirmed(db.session, application)  # what the household step recorded
            lifecycle.submit(db.session, current_user, application, request.form.get("signature", ""),
                           sent_without=service.missing_documents(application) or None)
        except AssistError as exc:
            db.session.rollback()
            return _page("review.html", _load(application_id), errors=_errors(exc), step="review",
                         form=request.form, missing=missing, status=422)
        flash(_("Your application is sent. Your confirmation number is %(number)s.", number=application.number),
              "success")
        return redirect(url_for("applications.status", application_id=application.id))
    return _page("review.html", application, step="review", labels=CATEGORICAL_LABELS, missing=missing)


def _status_page(application, *, errors=None, status: int = 200, form=None):
    """The application's page: where it stands, what we asked for, letters, and an appeal for each
    denied program (approved for one and denied for another: the denial can still be appealed)."""
    from applications import kinds

    if kinds.of(application).customer_page is not None:  # another kind's own page (a rebate)
        return kinds.of(application).customer_page(application, errors=errors or {}, form=form or {}, status=status)
    view = customer_application_dict(db.session, application, language())  # loads programs, documents, letters
    appeals = lifecycle.appeals_of(db.session, application)
    appealable = [ap for ap in application.programs
                  if ap.program.code not in appeals and lifecycle.appeal_window_open(ap)]
    sent = lifecycle.sent_since_request(db.session, application) if application.status == "needs_info" else []
    return _page("status.html", application, view=view,
                 reasons={r.code: r for r in lifecycle.denial_reasons(db.session, active_only=False)},
                 appeals=appeals, appealable=appealable, sent_since_request=sent, errors=errors or {},
                 form=form or {}, status=status)


@bp.get("/applications/<int:application_id>")
@allow(*APPLICANTS)
def status(application_id: int):
    return _status_page(_load(application_id))


@bp.post("/applications/<int:application_id>/withdraw")
@allow(*APPLICANTS)
def withdraw(application_id: int):
    """The first press asks to confirm and says what happens; the confirmed form withdraws."""
    application = _load(application_id)
    if request.form.get("confirm") != "yes":
        pending = [ap.program.name(language()) for ap in application.programs if ap.status == "pending"]
        return _page("withdraw.html", application, pending=pending, reason=request.form.get("withdraw_reason", ""))
    try:
        lifecycle.withdraw(db.session, current_user, application, request.form.get("withdraw_reason", ""))
    except AssistError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    return redirect(url_for("applications.status", application_id=application.id))


@bp.post("/applications/<int:application_id>/appeal")
@allow("customer")
def appeal(application_id: int):
    application = _load(application_id)
    code = (request.form.get("program") or "").strip().upper()
    try:
        lifecycle.appeal(db.session, current_user, application, code or None, request.form.get("reason", ""))
    except AssistError as exc:
        db.session.rollback()
        errors = {(f"reason-{code}" if name == "reason" and code else name): messages
                  for name, messages in _errors(exc).items()}
        return _status_page(db.session.get(type(application), application_id), errors=errors, form=request.form,
                            status=exc.status if exc.status != 400 else 422)
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
    return _page("letter.html", application, notice=letter, account=lifecycle.account_of(db.session, application))


ENROLLMENT_STATUS_LABELS = {"active": _l("active"), "recertification_due": _l("time to recertify"),
                            "in_grace": _l("expired: recertify now to keep the discount"), "expired": _l("expired"),
                            "removed": _l("removed"), "ended": _l("ended")}


@bp.get("/programs/mine")
@allow("customer")
def my_programs():
    from eligibility.enrollments import service as enrollments

    accounts = accounts_service.linked_accounts(db.session, current_user.id)
    by_account = enrollments.for_accounts(db.session, accounts)
    listing = [(account, by_account[account.id]) for account in accounts]
    return _page("my_programs.html", listing=listing, enrollment_statuses=ENROLLMENT_STATUS_LABELS,
                 verifications=enrollments.verifications_waiting(db.session, [e for _a, rows in listing for e in rows]))


@bp.route("/staff/accounts/<number>/enrollments", methods=["GET", "POST"])
@allow(*STAFF)
def account_enrollments(number: str):
    """A CSR sees an account's enrollments and can end one with a reason."""
    from eligibility.enrollments import service as enrollments
    from eligibility.enrollments.models import Enrollment

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
            except AssistError as exc:
                db.session.rollback()
                errors = _errors(exc)
            else:
                flash(_("The enrollment has ended and the customer is told."), "success")
                return redirect(url_for("applications.account_enrollments", number=account.number))
    return _page("account_enrollments.html", account=account, enrollments=enrollments.for_account(db.session, account),
                 enrollment_statuses=ENROLLMENT_STATUS_LABELS, errors=errors, form=request.form,
                 status=422 if errors else 200)


def program_name(code: str) -> str:
    """A program's name in the page's language, for pages that hold only its code (read once a request)."""
    from flask import g

    names = g.get("program_names")
    if names is None:
        names = g.program_names = service.program_names(db.session, language())
    return names.get(code, code)


def end_reason_label(reason: str | None) -> str:
    """Why an enrollment ended, in the page's language when the daily job or the code wrote it."""
    from eligibility.enrollments.wording import END_REASONS

    if not reason:
        return ""
    known = {text: text for text in END_REASONS.values()}
    return _(known[reason]) if reason in known else reason


def format_day(day) -> str:
    from flask_babel import format_date

    return format_date(day, "long") if day else ""


def customer_standing() -> dict | None:
    """Where a signed-in customer stands, for the home page: what is open and the next step
    (link an account, apply, answer a request, renew). None for everyone else."""
    from eligibility.enrollments import service as enrollments

    if not current_user.is_authenticated or current_user.role != "customer":
        return None
    lang = language()
    accounts = accounts_service.linked_accounts(db.session, current_user.id)
    applications = lifecycle.applications_of(db.session, current_user.id, per_page=MY_APPLICATIONS_PAGE)
    by_account = enrollments.for_accounts(db.session, accounts) if accounts else {}
    current = [e for rows in by_account.values() for e in rows if e.status in ("active", "recertification_due",
                                                                                "in_grace")]
    steps = []  # (text, link text, url), most urgent first
    for a in applications:
        if a.status == "needs_info":
            steps.append((_("We need more information for application %(number)s by %(date)s.", number=a.number,
                            date=format_day(a.info_due_on)),
                          _("Answer our request"), url_for("applications.status", application_id=a.id)))
    for e in current:
        if e.status in ("recertification_due", "in_grace"):
            steps.append((_("Your %(program)s ends on %(date)s unless you renew it.", program=e.program.name(lang),
                            date=format_day(e.certified_to)),
                          _("Renew %(program)s", program=e.program.name(lang)),
                          url_for("recertification.recertify", enrollment_id=e.id)))
    for a in applications:
        if a.status == "draft":
            steps.append((_("You started an application and have not sent it yet."), _("Finish your application"),
                          url_for("applications.household", application_id=a.id)))
    if not accounts:
        steps.append((_("To apply, first link your utility account to your login. You need the account number, "
                        "the ZIP code and the amount of your last bill."), _("Link an account"),
                      url_for("accounts.my_accounts")))
    elif not any(a.status in OPEN for a in applications) and not current:
        steps.append((_("You have no application open."), _("Apply for help with your bill"),
                      url_for("applications.start")))
    return {"steps": steps,
            "reviewing": [a for a in applications if a.status in ("submitted", "in_review", "appealed")],
            "enrolled": current}


OPEN = ("draft", "submitted", "in_review", "needs_info", "appealed")


def _account_section(session, account) -> dict:
    """The account's enrollments and applications, for its staff page beside the ledger."""
    from sqlalchemy.orm import selectinload

    from eligibility.enrollments import service as enrollments
    from applications.models import Application
    from eligibility.assistance.models import ApplicationProgram

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
    from eligibility.enrollments import service as enrollments

    document_parsed.connect(lifecycle.on_document_parsed, sender=app, weak=False)
    app.register_error_handler(StaleDataError, _lost_race)
    accounts_imported.connect(enrollments.on_accounts_imported, sender=app, weak=False)

    app.extensions["assist.customer_standing"] = customer_standing
    app.jinja_env.globals["application_status_labels"] = STATUS_LABELS
    app.jinja_env.globals["enrollment_status_labels"] = ENROLLMENT_STATUS_LABELS
    app.jinja_env.globals["program_name"] = program_name
    app.jinja_env.globals["end_reason_label"] = end_reason_label
    app.jinja_env.globals["relationship_label"] = lambda code: RELATIONSHIPS.get(code, code or "")
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
        return error_response(409, "conflict", lifecycle.stale_message())
    return render_error(409, lifecycle.stale_message())
