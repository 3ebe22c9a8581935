"""Pages: renewing an enrollment, opting out, the CSR's recertification worklist, the manager's month view,
and the print runs of letters going by post."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user

from accounts.models import Account
from core import clock
from core.access import ANONYMOUS, ROLES, STAFF, allow
from core.database import db
from core.errors import AssistError
from core.inputs import whole_number
from core.views import page_number
from eligibility.recertification import printing, reports, service
from eligibility.views import CATEGORICAL_LABELS, language

MIN_YEAR, MAX_YEAR = 2000, 2100  # the years a monthly report can show

bp = Blueprint("recertification", __name__)

WORKLISTS = {"due30": _l("Due in 30 days"), "due60": _l("Due in 60 days"), "due90": _l("Due in 90 days"),
             "grace": _l("In grace"), "nonresponders": _l("Not yet renewed"),
             "verification": _l("Verification pending")}
LETTER_KINDS = {"receipt": _l("Application received"), "info_request": _l("Information requested"),
                "approval": _l("Approval"), "denial": _l("Denial"), "appeal_outcome": _l("Appeal outcome"),
                "withdrawal": _l("Withdrawal"), "closure": _l("Application closed"),
                "enrollment_ended": _l("Enrollment ended"), "recert_reminder": _l("Renewal reminder"),
                "grace_started": _l("Grace period started"), "enrollment_expired": _l("Enrollment expired"),
                "verification_request": _l("Proof of income requested"),
                "verification_passed": _l("Verification passed"), "auto_enrolled": _l("Automatic enrollment")}
LETTERS_PER_PAGE = 200


@bp.route("/programs/<int:enrollment_id>/recertify", methods=["GET", "POST"])
@allow("customer", *STAFF)
def recertify(enrollment_id: int):
    """The link in every reminder: start (or go back to) the renewal, filled in from last time."""
    enrollment = service.get_enrollment_for(db.session, current_user, enrollment_id)
    if request.method == "POST":
        try:
            application = service.start_recertification(db.session, current_user, enrollment)
            db.session.commit()
        except AssistError as exc:
            db.session.rollback()
            return render_template("recertification/recertify.html", enrollment=enrollment, language=language(),
                                   errors={"_form": [exc.message]}), exc.status
        return redirect(url_for("applications.household", application_id=application.id))
    return render_template("recertification/recertify.html", enrollment=enrollment, language=language(), errors={})


@bp.route("/enrollments/opt-out/<token>", methods=["GET", "POST"])
@allow(ANONYMOUS, *ROLES)
def opt_out(token: str):
    """From the letter of an automatic enrollment; the signed link is the proof, no sign-in needed."""
    enrollment = service.enrollment_for_opt_out(db.session, token)
    done = False
    if request.method == "POST":
        try:
            service.opt_out(db.session, enrollment)
            db.session.commit()
            done = True
        except AssistError as exc:
            db.session.rollback()
            flash(exc.message, "error")
    return render_template("recertification/opt_out.html", enrollment=enrollment, done=done, language=language(),
                           categorical_labels=CATEGORICAL_LABELS,
                           current=enrollment.status in ("active", "recertification_due", "in_grace"))


@bp.get("/programs/letters/<int:notice_id>")
@allow("customer", *STAFF)
def letter(notice_id: int):
    """A letter about an enrollment, printable; customers see only their accounts' letters."""
    from core.errors import NotFound
    from eligibility.applications.models import Notice

    notice = db.session.get(Notice, notice_id)
    if notice is None or notice.enrollment_id is None:
        raise NotFound(_("No such letter."))
    enrollment = service.get_enrollment_for(db.session, current_user, notice.enrollment_id)
    account = db.session.get(Account, enrollment.account_id)
    return render_template("recertification/letter.html", notice=notice, account=account, language=language())


@bp.get("/staff/recertification")
@allow(*STAFF)
def worklist():
    view = request.args.get("view", "due30")
    if view not in WORKLISTS:
        view = "due30"
    page = page_number()
    rows, has_next = reports.worklist(db.session, view, clock.today(), page=page)
    return render_template("recertification/worklist.html", view=view, views=WORKLISTS, rows=rows, page=page,
                           has_next=has_next, counts=reports.worklist_counts(db.session, clock.today()),
                           language=language())


@bp.get("/staff/recertification/months")
@allow("manager", "admin")
def months():
    today = clock.today()
    year = whole_number("year", request.args.get("year"), minimum=MIN_YEAR, maximum=MAX_YEAR, default=today.year)
    return render_template("recertification/months.html", year=year, rows=reports.by_month(db.session, year),
                           language=language(), this_year=today.year)


@bp.get("/staff/letters")
@allow(*STAFF)
def print_runs():
    """The letters waiting for the post, and the print runs already taken."""
    return render_template("recertification/print_runs.html", waiting=printing.waiting(db.session),
                           runs=printing.recent_runs(db.session), kinds=LETTER_KINDS, language=language())


@bp.post("/staff/letters/runs")
@allow(*STAFF)
def start_print_run():
    try:
        run = printing.start_print_run(db.session)
        db.session.commit()
    except AssistError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("recertification.print_runs"))
    flash(_("Print run %(number)s: %(count)s letters to print and mail.", number=run.id, count=run.letters), "success")
    return redirect(url_for("recertification.print_run", run_id=run.id))


@bp.get("/staff/letters/runs/<int:run_id>")
@allow(*STAFF)
def print_run(run_id: int):
    """A run's letters, one to a printed page, in ZIP order; long runs in pages of 200 letters."""
    run = printing.get_run(db.session, run_id)
    page = page_number()
    letters = printing.letters_of(db.session, run, offset=(page - 1) * LETTERS_PER_PAGE, limit=LETTERS_PER_PAGE)
    return render_template("recertification/print_run.html", run=run, letters=letters, page=page,
                           has_next=page * LETTERS_PER_PAGE < run.letters,
                           first=(page - 1) * LETTERS_PER_PAGE + 1, language=language())


def init_recertification(app) -> None:
    from core.nav import register_nav

    register_nav(app, "recertification.worklist", _l("Recertification"), STAFF, order=17, group="work")
    register_nav(app, "recertification.months", _l("Renewals by month"), ("manager", "admin"), order=52, group="programs")
    register_nav(app, "recertification.print_runs", _l("Letters to print"), STAFF, order=18, group="work")

