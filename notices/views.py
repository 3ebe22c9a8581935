"""Pages: a letter as the household received it (printable), the letters waiting for the post, and the
print runs already taken."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user

from accounts import service as accounts_service
from accounts.models import Account
from core.access import STAFF, allow
from core.database import db
from core.errors import AssistError, NotFound
from core.language import language
from core.views import page_number
from notices import printing, wording
from notices.models import Notice

bp = Blueprint("notices", __name__)

LETTERS_PER_PAGE = 200


@bp.get("/programs/letters/<int:notice_id>")
@allow("customer", *STAFF)
def letter(notice_id: int):
    """A letter, printable; customers see only the letters of the accounts linked to them."""
    notice = db.session.get(Notice, notice_id)
    if notice is None or (not current_user.is_staff and not accounts_service.is_linked(
            db.session, current_user.id, notice.account_id)):
        raise NotFound(_("No such letter."))
    account = db.session.get(Account, notice.account_id)
    return render_template("recertification/letter.html", notice=notice, account=account, language=language())


@bp.get("/staff/letters")
@allow(*STAFF)
def print_runs():
    """The letters waiting for the post, and the print runs already taken."""
    return render_template("recertification/print_runs.html", waiting=printing.waiting(db.session),
                           runs=printing.recent_runs(db.session), kinds=wording.labels(), language=language())


@bp.post("/staff/letters/runs")
@allow(*STAFF)
def start_print_run():
    try:
        run = printing.start_print_run(db.session)
    except AssistError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("notices.print_runs"))
    flash(_("Print run %(number)s: %(count)s letters to print and mail.", number=run.id, count=run.letters), "success")
    return redirect(url_for("notices.print_run", run_id=run.id))


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


def init_notices(app) -> None:
    from core.nav import register_nav

    register_nav(app, "notices.print_runs", _l("Letters to print"), STAFF, order=18, group="work")
