"""Pages: renewing an enrollment, opting out, the CSR's recertification worklist, the manager's month view."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from core import clock
from core.access import ANONYMOUS, ROLES, STAFF, allow
from core.database import db
from core.errors import AssistError
from core.inputs import whole_number
from core.views import page_number
from eligibility.recertification import reports, service
from core.language import language
from eligibility.labels import CATEGORICAL_LABELS

MIN_YEAR, MAX_YEAR = 2000, 2100  # the years a monthly report can show

bp = Blueprint("recertification", __name__)

WORKLISTS = {"due30": _l("Due in 30 days"), "due60": _l("Due in 60 days"), "due90": _l("Due in 90 days"),
             "grace": _l("In grace"), "nonresponders": _l("Not yet renewed"),
             "verification": _l("Verification pending")}



@bp.route("/programs/<int:enrollment_id>/recertify", methods=["GET", "POST"])
@allow("customer", *STAFF)
def recertify(enrollment_id: int):
    """The link in every reminder: start (or go back to) the renewal, filled in from last time."""
    enrollment = service.get_enrollment_for(db.session, current_user, enrollment_id)
    if request.method == "POST":
        try:
            application = service.start_recertification(db.session, current_user, enrollment)
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
            done = True
        except AssistError as exc:
            db.session.rollback()
            flash(exc.message, "error")
    return render_template("recertification/opt_out.html", enrollment=enrollment, done=done, language=language(),
                           categorical_labels=CATEGORICAL_LABELS,
                           current=enrollment.status in ("active", "recertification_due", "in_grace"))


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


def init_recertification(app) -> None:
    from core.nav import register_nav

    register_nav(app, "recertification.worklist", _l("Recertification"), STAFF, order=17, group="work")
    register_nav(app, "recertification.months", _l("Renewals by month"), ("manager", "admin"), order=52, group="programs")

