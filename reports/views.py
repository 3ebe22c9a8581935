"""The managers' pages: the dashboard (their landing page), the lists behind its figures, CSVs of its
tables, the reports page (request a workbook, watch its progress, download it), and who manages a program."""
from __future__ import annotations

import csv
import io
from datetime import date

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user

from core.tabular import safe_cell
from core import clock
from core.access import allow
from core.database import db
from core.errors import AssistError
from core.inputs import whole_number
from eligibility import service as programs_service
from reports import charts, queries, service

bp = Blueprint("reports", __name__)
MANAGERS = ("manager", "admin")
FIGURE_LABELS = {"enrolled": _l("Enrolled"), "new": _l("New enrollments"), "ended": _l("Ended enrollments")}
STATUS_LABELS = {"queued": _l("waiting to start"), "running": _l("being built"), "done": _l("ready"),
                 "failed": _l("failed"), "expired": _l("removed after the retention period")}
TABLES = ("programs", "months", "pending")


def _language() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "en")[:2]


def _scope():
    programs = service.visible_programs(db.session, current_user)
    if not programs:
        abort(403)
    return programs


def _demo() -> bool:
    return bool(current_app.config.get("ASSIST_DEMO"))


def _dashboard_data(programs, today):
    with queries.including_test_records(_demo()):
        return queries.dashboard(db.session, programs, today)


def _tables(rows, months, programs):
    """Each dashboard table as (title, header, rows) — the page, its charts and the CSVs share them."""
    codes = [p.code for p in programs]
    by_month: dict[str, dict[str, int]] = {}
    for m in months:
        by_month.setdefault(m.month, {})[m.program] = m.ending
    return {
        "programs": (_("This month and the year to date"),
                     [_("Program"), _("Enrolled today"), _("New this month"), _("Ended this month"),
                      _("New this year"), _("Ended this year"), _("Applications waiting"),
                      _("Oldest waiting (days)"), _("Renewals due in 30 days"), _("Due in 60 days"),
                      _("Due in 90 days")],
                     [[r.program, r.enrolled, r.new_month, r.ended_month, r.new_year, r.ended_year, r.pending,
                       r.oldest_days if r.oldest_days is not None else "", r.due[30], r.due[60], r.due[90]]
                      for r in rows]),
        "months": (_("Enrolled at the end of each month this year"), [_("Month"), *codes],
                   [[month, *[values.get(c, 0) for c in codes]] for month, values in by_month.items()]),
        "pending": (_("Applications waiting, by days since they were sent"),
                    [_("Program"), _("0 to 7 days"), _("8 to 30 days"), _("31 days or more")],
                    [[r.program, r.ages["0-7"], r.ages["8-30"], r.ages["31+"]] for r in rows]),
    }


@bp.get("/staff/dashboard")
@allow(*MANAGERS)
def dashboard():
    """The manager's landing page: their programs this month and this year."""
    programs = _scope()
    today = clock.today()
    rows, months = _dashboard_data(programs, today)
    tables = _tables(rows, months, programs)
    enrolled_chart = charts.line_chart(
        _("Enrolled at the end of each month"),
        _("Enrollments in force at the end of each month of %(year)s, by program.", year=today.year),
        categories=[r[0] for r in tables["months"][2]],
        series=[(code, [r[i + 1] for r in tables["months"][2]]) for i, code in enumerate(p.code for p in programs)])
    pending_chart = charts.bar_chart(
        _("Applications waiting, by age"),
        _("Applications waiting for a decision today, by days since they were sent, all programs together."),
        categories=tables["pending"][1][1:],
        values=[sum(r[i] for r in tables["pending"][2]) for i in range(1, 4)])
    return render_template("reports/dashboard.html", rows=rows, tables=tables, today=today, programs=programs,
                           enrolled_chart=enrolled_chart, pending_chart=pending_chart, demo=_demo(),
                           month_start=today.replace(day=1), year_start=date(today.year, 1, 1))


@bp.get("/staff/dashboard/<table>.csv")
@allow(*MANAGERS)
def dashboard_csv(table: str):
    if table not in TABLES:
        abort(404)
    programs = _scope()
    today = clock.today()
    rows, months = _dashboard_data(programs, today)
    _title, header, body = _tables(rows, months, programs)[table]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in body:
        writer.writerow([v if isinstance(v, int) else safe_cell(v) for v in row])
    service.record_export(db.session, f"dashboard.{table}", {"on": today.isoformat(),
                                                            "programs": [p.code for p in programs]})
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="dashboard-{table}-{today.isoformat()}.csv"'
    return response


@bp.get("/staff/dashboard/list")
@allow(*MANAGERS)
def figure_list():
    """The enrollments behind one figure of the dashboard, a page at a time."""
    figure = request.args.get("figure", "enrolled")
    if figure not in queries.LIST_FIGURES:
        abort(404)
    programs = _scope()
    code = request.args.get("program")
    if code:
        programs = [p for p in programs if p.code == code]
        if not programs:
            abort(404)
    today = clock.today()
    since = request.args.get("since", "month")
    start = {"month": today.replace(day=1), "year": date(today.year, 1, 1)}.get(since, today.replace(day=1))
    after = whole_number("after", request.args.get("after")) or 0
    with queries.including_test_records(_demo()):
        rows = queries.enrollment_list(db.session, [p.id for p in programs], figure, queries.Period(start, today),
                                       after=after, limit=101)
    more = len(rows) > 100
    return render_template("reports/list.html", rows=rows[:100], more=more, figure=figure, label=FIGURE_LABELS[figure],
                           code=code, since=since, start=start, today=today)


@bp.get("/staff/reports")
@allow(*MANAGERS)
def reports_page(errors=None, form=None, status=200):
    programs = _scope()
    today = clock.today()
    jobs = service.jobs_of(db.session, current_user)
    form = form or {"from": date(today.year, 1, 1).isoformat(), "to": today.isoformat(), "programs": []}
    return render_template("reports/reports.html", programs=programs, jobs=jobs, form=form, errors=errors or {},
                           statuses=STATUS_LABELS, status_of=service.status_of,
                           may_identify=service.may_identify(db.session, current_user, programs),
                           language=_language()), status


def _date(name: str) -> date | None:
    try:
        return date.fromisoformat(request.form.get(name, ""))
    except ValueError:
        return None


@bp.post("/staff/reports/participation")
@allow(*MANAGERS)
def request_participation():
    form = {"from": request.form.get("from", ""), "to": request.form.get("to", ""),
            "programs": request.form.getlist("programs"), "identified": request.form.get("identified") == "1"}
    try:
        req = service.ReportRequest.parse(db.session, _date("from"), _date("to"), form["programs"] or None,
                                          identified=form["identified"], user=current_user)
        service.start_participation(db.session, current_user, req)
    except AssistError as exc:
        return reports_page(errors=exc.fields or {"_form": [exc.message]}, form=form, status=exc.status)
    flash(_("The workbook is being built. It appears below when it is ready, and you get an email."), "success")
    return redirect(url_for("reports.reports_page"))


@bp.get("/staff/reports/<token>/download")
@allow(*MANAGERS)
def download(token: str):
    from reports.api import download_response

    return download_response(service.get_job(db.session, token, current_user))


# --- who manages a program (shown on the program's page) --------------------------------------


def _program_managers(program) -> dict:
    """What the program page's managers section shows (a template global)."""
    return {"managers": service.managers_of(db.session, program.id),
            "candidates": service.assignable_managers(db.session) if current_user.role == "admin" else [],
            "can_assign": current_user.role == "admin"}


@bp.post("/staff/programs/<code>/managers")
@allow("admin")
def assign(code: str):
    program = programs_service.get_program(db.session, code)
    user_id = whole_number("user_id", request.form.get("user_id"))
    try:
        if request.form.get("action") == "remove":
            service.unassign_manager(db.session, program.id, program.code, user_id or 0)
            message = _("The manager no longer reports on this program.")
        else:
            service.assign_manager(db.session, program.id, program.code, user_id or 0)
            message = _("The manager now reports on this program.")
    except AssistError as exc:
        db.session.rollback()  # the page answers with a redirect, which commits: keep nothing of the refusal
        flash(exc.fields.get("user_id", [exc.message])[0], "error")
        return redirect(url_for("eligibility.program", code=program.code) + "#managers")
    flash(message, "success")
    return redirect(url_for("eligibility.program", code=program.code) + "#managers")


def init_reports(app) -> None:
    from core.jobs import every
    from core.nav import register_landing, register_nav

    register_nav(app, "reports.dashboard", _l("Dashboard"), MANAGERS, order=13, group="work")
    register_nav(app, "reports.reports_page", _l("Reports"), MANAGERS, order=54, group="programs")
    register_landing(app, "manager", "reports.dashboard")  # issue 17: the managers' landing page
    app.jinja_env.globals["program_managers"] = _program_managers
    every(app, 3600, service.purge_job)
