"""The CSR's workbench across kinds: the queue, the application page (the frame every kind shares and
the kind's panel), decisions, appeals, notes, the manager's overview and the denial reasons."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import defer, joinedload, selectinload

from core.access import STAFF, allow
from core.database import db
from core.errors import AssistError, Invalid
from core.inputs import MAX_DAYS, whole_number
from applications import service as lifecycle
from applications.labels import STATUS_LABELS
from applications.models import WAITING_FOR_STAFF, Application, Flag
from core.language import language
from documents.web import DOCUMENT_TYPE_LABELS, FIELD_LABELS, STATUS_LABELS as DOCUMENT_STATUS_LABELS
from eligibility import service as programs_service
from eligibility.assistance import service as assistance
from eligibility.assistance.models import ApplicationProgram
from eligibility.models import Program
from rebates.applications import RebateApplication
from rebates.models import RebateProgram
from review import service

bp = Blueprint("review", __name__)

FLAG_LABELS = {"income_mismatch": _l("Income differs"), "missing_document": _l("Document missing"),
               "stale_tax_year": _l("Old tax year"), "ssn_mismatch": _l("SSN does not match"),
               "name_mismatch": _l("Name does not match"), "document_reused": _l("Document used elsewhere"),
               "document_unread": _l("Document not read"), "already_enrolled": _l("Already enrolled"),
               "open_application": _l("Another open application"),
               "per_computer_differs": _l("IRS corrected the return"),
               # rebates
               "duplicate_receipt": _l("Receipt used elsewhere"), "limit_reached": _l("Limit reached"),
               "late_application": _l("Applied late"), "not_qualified_product": _l("Product not on the list"),
               "condition_not_met": _l("Condition not met"), "tenant_without_consent": _l("Tenant without consent"),
               "receipt_missing": _l("Receipt missing"), "already_applied": _l("Already applied"),
               "same_address_other_account": _l("Same address, another account")}

DECISION_STATUS_LABELS = {"pending": _l("waiting for a decision"), "approved": _l("approved"),
                          "denied": _l("not approved"), "withdrawn": _l("withdrawn")}

# What a queue row shows: its programs' codes and its flags; not the household or determinations.
QUEUE_ROW = (defer(Application.info_checklist),
             selectinload(Application.programs).load_only(ApplicationProgram.application_id,
                                                          ApplicationProgram.program_id)
             .joinedload(ApplicationProgram.program).load_only(Program.code),
             selectinload(Application.flags).load_only(Flag.application_id, Flag.code),
             # a rebate's program code in the same statement (one-to-one outer joins, by primary key)
             joinedload(Application.rebate).load_only(RebateApplication.application_id, RebateApplication.program_id)
             .joinedload(RebateApplication.program).load_only(RebateProgram.code))


@bp.get("/staff/queue")
@allow(*STAFF)
def queue():
    filters = {k: request.args.get(k, "") for k in ("kind", "program", "status", "flag", "older_than_days", "mine")}
    days = whole_number("older_than_days", filters["older_than_days"], maximum=MAX_DAYS)
    page = lifecycle.queue(db.session, current_user, kind=filters["kind"] or None, program=filters["program"] or None,
                         status=filters["status"] or None, flag=filters["flag"] or None,
                         older_than_days=days, mine=filters["mine"] == "1",
                         after=request.args.get("after") or None, limit=50, load=QUEUE_ROW)
    return render_template("review/queue.html", page=page, filters=filters, statuses=STATUS_LABELS,
                           waiting=WAITING_FOR_STAFF + ("needs_info", "waitlisted"), flag_labels=FLAG_LABELS,
                           programs=programs_service.list_programs(db.session, versions=False), kinds=service.kind_choices(),
                           language=language())


@bp.get("/staff/overview")
@allow("manager", "admin")
def overview():
    """The manager's overview, where a manager lands: what waits for staff, for approval, for the post."""
    from sqlalchemy import func

    from accounts.models import AdjustmentRequest
    from core import clock
    from eligibility.recertification import reports
    from notices import printing

    counts = service.waiting_counts(db.session)
    renewals = reports.worklist_counts(db.session, clock.today())
    rows = [
        (_("Applications waiting for staff"), counts["waiting"], url_for("review.queue")),
        (_("Of them, nobody assigned"), counts["unassigned"], url_for("review.queue")),
        (_("Appeals waiting"), counts["appeals"], url_for("review.queue", status="appealed")),
        (_("Waiting for the customer's information"), counts["needs_info"],
         url_for("review.queue", status="needs_info")),
        (_("Adjustments waiting for approval"),
         db.session.scalar(select(func.count()).select_from(AdjustmentRequest)
                           .where(AdjustmentRequest.status == "pending")) or 0, url_for("accounts.approvals")),
        (_("Letters waiting to be printed"), printing.waiting(db.session).total, url_for("notices.print_runs")),
        (_("Renewals due in 30 days"), renewals["due30"], url_for("recertification.worklist", view="due30")),
        (_("Enrollments in grace"), renewals["grace"], url_for("recertification.worklist", view="grace")),
    ]
    return render_template("review/overview.html", rows=rows, oldest=counts["oldest"])


def _detail(application, errors=None, form=None, status: int = 200):
    """The application page: the frame every kind shares, and the kind's panel."""
    lang = language()
    return render_template(
        "review/application.html", application=application, **service.page_context(db.session, application, lang),
        statuses=STATUS_LABELS, flag_labels=FLAG_LABELS, field_labels=FIELD_LABELS, errors=errors or {},
        form=form or {}, document_statuses=DOCUMENT_STATUS_LABELS, document_types=DOCUMENT_TYPE_LABELS,
        decision_statuses=DECISION_STATUS_LABELS, language=lang), status


@bp.get("/staff/applications/<int:application_id>")
@allow(*STAFF)
def application(application_id: int):
    from documents import service as documents_service

    application = lifecycle.get_for(db.session, current_user, application_id)
    page = _detail(application)
    reason = f"review of application {application.number or application.id}"
    # The panel shows each document's text and figures.
    documents_service.viewed_text(db.session, current_user, [a.document for a in application.attachments],
                                  reason=reason)
    return page


@bp.post("/staff/applications/<int:application_id>/decision")
@allow(*STAFF)
def decide(application_id: int):
    application = lifecycle.get_for_change(db.session, current_user, application_id)
    form = request.form
    version = _form_version()
    checklist = [line.strip() for line in form.get("checklist", "").splitlines() if line.strip()]
    decision = form.get("decision", "")
    if decision not in ("approve", "deny", "request_info"):
        return _detail(application, {"decision": [_("Choose approve, deny or ask for information.")]}, form,
                       status=422)
    if decision == "deny" and form.get("confirm_deny") != "1" and _found_eligible(application, form.get("program")):
        # On the page a denial against the rules asks first; the API decides as sent.
        return _detail(application, {"confirm_deny": [_(
            "The rules found the household eligible for this program. Tick the box to confirm the denial, "
            "then save again.")]}, form, status=422)
    try:
        _rebate_amount(application, form, decision)
        lifecycle.decide(db.session, current_user, application, decision=decision,
                       program_code=form.get("program") or None, reason=form.get("reason") or None,
                       note=form.get("note"), version=version, checklist=checklist, message=form.get("message"))
    except AssistError as exc:
        db.session.rollback()
        fresh = lifecycle.get_for(db.session, current_user, application_id)
        return _detail(fresh, exc.fields or {"_form": [exc.message]}, form, status=exc.status)
    flash(_("The decision is saved and the customer is told."), "success")
    return redirect(url_for("review.application", application_id=application_id))


def _rebate_amount(application, form, decision: str) -> None:
    """A rebate's approval: the amount typed (blank: the whole quote), never over the quote."""
    from applications import kinds
    from core.money import MoneyError, parse_dollars

    text = (form.get("amount") or "").strip()
    try:
        amount = parse_dollars(text, allow_negative=False) if text and decision == "approve" else None
    except MoneyError:
        raise Invalid(_("Give the amount in dollars, like 90.00."),
                      fields={"amount": [_("Give the amount in dollars, like 90.00.")]}) from None
    kinds.of(application).before_decision(db.session, application, {"decision": decision, "amount": amount,
                                                                     "reason": form.get("message") or form.get("note")})


def _found_eligible(application, program_code: str | None) -> bool:
    pending = [ap for ap in application.programs if ap.status == "pending"]
    chosen = next((ap for ap in pending if ap.program.code == program_code), pending[0] if pending else None)
    return bool(chosen is not None and (chosen.determination or {}).get("eligible"))


@bp.post("/staff/applications/<int:application_id>/claim")
@allow(*STAFF)
def claim(application_id: int):
    return _assignment(application_id, "claim")


@bp.post("/staff/applications/<int:application_id>/release")
@allow(*STAFF)
def release(application_id: int):
    return _assignment(application_id, "release")


def _assignment(application_id: int, action: str):
    change = lifecycle.claim if action == "claim" else lifecycle.release
    return _simple(application_id, lambda a: change(db.session, current_user, a, _form_version()), None, "_form")


@bp.post("/staff/applications/<int:application_id>/income-basis")
@allow(*STAFF)
def income_basis(application_id: int):
    return _simple(application_id, lambda a: assistance.choose_income_basis(
        db.session, a, request.form.get("program", ""), request.form.get("basis", ""),
        request.form.get("basis_reason", "")), None, "basis_reason")


@bp.post("/staff/applications/<int:application_id>/documents/<int:document_id>/corrections")
@allow(*STAFF)
def correct(application_id: int, document_id: int):
    from core.money import MoneyError, parse_dollars

    application = lifecycle.get_for_change(db.session, current_user, application_id)
    form = request.form
    try:
        amount = parse_dollars(form.get("amount", ""))
    except MoneyError:
        return _detail(application, {"amount": [_("Enter the amount in dollars and cents, like 84.17.")]}, form,
                       status=422)
    try:
        assistance.correct_figure(db.session, current_user, application, document_id, form.get("field", ""), amount,
                               form.get("correction_reason", ""))
    except AssistError as exc:
        db.session.rollback()
        return _detail(lifecycle.get_for(db.session, current_user, application_id), exc.fields or
                       {"_form": [exc.message]}, form, status=exc.status)
    flash(_("The figure is corrected; the original stays beside it."), "success")
    return redirect(url_for("review.application", application_id=application_id))


@bp.post("/staff/applications/<int:application_id>/documents/<int:document_id>/reading")
@allow(*STAFF)
def reading(application_id: int, document_id: int):
    """A CSR records the figures they read from a photo or scan the parser could not read."""
    from core.money import MoneyError, parse_dollars

    application = lifecycle.get_for_change(db.session, current_user, application_id)
    form = request.form
    errors: dict[str, list[str]] = {}
    amounts = {}
    for name in assistance.READING_FIGURES:
        text = form.get(name, "").strip()
        if text:
            try:
                amounts[name] = parse_dollars(text)
            except MoneyError:
                errors[name] = [_("Enter the amount in dollars and cents, like 84.17.")]
    year_text = form.get("tax_year", "").strip()
    tax_year = int(year_text) if year_text.isascii() and year_text.isdigit() and len(year_text) == 4 else None
    try:
        if errors:
            raise Invalid(_("What you read is not complete."), fields=errors)
        assistance.record_reading(db.session, current_user, application, document_id,
                               document_type=form.get("document_type", ""), tax_year=tax_year, amounts_cents=amounts,
                               reason=form.get("reading_reason", ""))
    except AssistError as exc:
        db.session.rollback()
        return _detail(lifecycle.get_for(db.session, current_user, application_id),
                       {**errors, **(exc.fields or {"_form": [exc.message]})}, {**form, "reading_document": document_id},
                       status=exc.status)
    flash(_("What you read is saved; the determination uses it."), "success")
    return redirect(url_for("review.application", application_id=application_id))


@bp.post("/staff/applications/<int:application_id>/appeal-decision")
@allow("manager", "admin")
def appeal_decision(application_id: int):
    application = lifecycle.get_for_change(db.session, current_user, application_id)
    form = request.form
    version = _form_version()
    try:
        lifecycle.decide_appeal(db.session, current_user, application, form.get("program") or None,
                              form.get("outcome", ""), form.get("appeal_note", ""), version)
    except AssistError as exc:
        db.session.rollback()
        errors = {"appeal_note": [exc.message]} if "note" in exc.fields else (exc.fields or {"_form": [exc.message]})
        return _detail(lifecycle.get_for(db.session, current_user, application_id), errors, form, status=exc.status)
    flash(_("The appeal is decided and the customer is told."), "success")
    return redirect(url_for("review.application", application_id=application_id))


@bp.post("/staff/applications/<int:application_id>/notes")
@allow(*STAFF)
def add_note(application_id: int):
    return _simple(application_id, lambda a: lifecycle.add_note(db.session, current_user, a,
                                                              request.form.get("note_text", "")),
                   _("The note is added."), "note_text")


@bp.post("/staff/applications/<int:application_id>/reopen")
@allow(*STAFF)
def reopen(application_id: int):
    return _simple(application_id, lambda a: lifecycle.reopen(db.session, current_user, a,
                                                            request.form.get("reopen_reason", "")),
                   _("The application is back in the queue."), "reopen_reason")


@bp.post("/staff/applications/<int:application_id>/assign")
@allow(*STAFF)
def assign(application_id: int):
    from auth.models import User

    def act(application):
        to_user = db.session.get(User, whole_number("user_id", request.form.get("user_id"), default=0))
        if to_user is None:
            raise AssistError(_("No such user."))
        lifecycle.assign(db.session, current_user, application, to_user, _form_version())

    return _simple(application_id, act, _("The application is assigned."), "user_id")


def _form_version() -> int | None:
    """The application version the form was drawn from; a stale one makes the service answer 409."""
    return whole_number("version", request.form.get("version"))


def _simple(application_id: int, act, done: str | None, field_name: str):
    """Load (locked), act, commit once, or show the page again with the error by its field."""
    application = lifecycle.get_for_change(db.session, current_user, application_id)
    try:
        act(application)
    except AssistError as exc:
        db.session.rollback()
        messages = [m for ms in exc.fields.values() for m in ms] or [exc.message]
        return _detail(lifecycle.get_for(db.session, current_user, application_id), {field_name: messages},
                       request.form, status=exc.status)
    if done:
        flash(done, "success")
    return redirect(url_for("review.application", application_id=application_id))


@bp.route("/staff/denial-reasons", methods=["GET", "POST"])
@allow("manager", "admin")
def denial_reasons():
    """Managers keep the list of reasons CSRs choose from when they deny."""
    errors: dict[str, list[str]] = {}
    form = request.form
    if request.method == "POST":
        if form.get("action") == "toggle":
            lifecycle.switch_denial_reason(db.session, whole_number("id", form.get("id"), default=0))
            return redirect(url_for("review.denial_reasons"))
        try:
            lifecycle.add_denial_reason(db.session, code=form.get("code", ""),
                                        labels={"en": form.get("label_en", ""), "es": form.get("label_es", "")})
        except AssistError as exc:
            db.session.rollback()
            errors = exc.fields
        else:
            return redirect(url_for("review.denial_reasons"))
    return render_template("review/denial_reasons.html", reasons=lifecycle.denial_reasons(db.session, active_only=False),
                           errors=errors, form=form, language=language()), 422 if errors else 200


@bp.post("/staff/applications/<int:application_id>/documents/<int:document_id>/seen")
@allow(*STAFF)
def seen_in_person(application_id: int, document_id: int):
    application = lifecycle.get_for_change(db.session, current_user, application_id)
    lifecycle.mark_seen_in_person(db.session, current_user, application, document_id)
    return redirect(url_for("review.application", application_id=application_id))


def init_review(app) -> None:
    from core.nav import register_landing, register_nav

    register_nav(app, "review.queue", _l("Queue"), STAFF, order=15, group="work")
    register_nav(app, "applications.start", _l("New application"), STAFF, order=16, group="work")
    app.jinja_env.globals.update(reading_types=assistance.READABLE_TYPES, reading_figures=assistance.READING_FIGURES)
    # Staff land on their work, not the public home page: a CSR on the queue, a manager on the overview.
    register_landing(app, "csr", "review.queue")
    for role in ("manager", "admin"):
        register_landing(app, role, "review.overview")
    register_nav(app, "review.overview", _l("Overview"), ("manager", "admin"), order=14, group="work")
    register_nav(app, "review.denial_reasons", _l("Denial reasons"), ("manager", "admin"), order=55, group="programs")
