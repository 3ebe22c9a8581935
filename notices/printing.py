"""Print runs: the letters of households nobody can email, taken in batches for the mailroom.

A reminder that is never mailed is a household dropped for not replying, which regulators
forbid; so every `post` letter must reach exactly one print run. Taking them is one UPDATE of
the waiting letters: of two runs started at once, the second finds the rows already taken
(PostgreSQL re-checks the condition after the first commits; SQLite lets one writer at a time).
A run is printed in ZIP order of where the letters go (a paper customer's postal address, else the
account's service address), as presorted mail is posted, and can be
printed again; a letter about no enrollment (an application's, a rebate's) is printed like any other.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from accounts.models import Account
from core import audit, clock
from core.audit import current_actor
from core.errors import Conflict, NotFound
from notices.models import Notice, PrintRun

_WAITING = (Notice.delivery == "post", Notice.print_run_id.is_(None))


@dataclass(frozen=True)
class Waiting:
    total: int
    by_kind: dict[str, int]
    oldest: object  # the datetime of the oldest waiting letter, or None


def waiting(session: Session) -> Waiting:
    counts = dict(session.execute(select(Notice.kind, func.count()).where(*_WAITING).group_by(Notice.kind)).all())
    oldest = session.scalar(select(func.min(Notice.created_at)).where(*_WAITING))
    return Waiting(sum(counts.values()), dict(sorted(counts.items())), oldest)


def start_print_run(session: Session) -> PrintRun:
    """Take every letter waiting for the post into a new run; refused when none is waiting."""
    actor = current_actor()
    run = PrintRun(created_at=clock.now(), created_by_id=actor.user_id, actor_label=actor.label, letters=0)
    session.add(run)
    session.flush()
    kinds = Counter(session.scalars(update(Notice).where(*_WAITING).values(print_run_id=run.id)
                                    .returning(Notice.kind).execution_options(synchronize_session=False)))
    taken = sum(kinds.values())
    if not taken:
        raise Conflict(_("No letters are waiting to be printed."))
    run.letters = taken
    audit.record(session, "letters.print_run", obj=run, reason=f"{taken} letters taken for printing",
                 details={"letters": taken, "kinds": dict(sorted(kinds.items()))})
    return run


def get_run(session: Session, run_id: int) -> PrintRun:
    run = session.get(PrintRun, run_id)
    if run is None:
        raise NotFound(_("No such print run."))
    return run


def recent_runs(session: Session, limit: int = 25) -> list[PrintRun]:
    return list(session.scalars(select(PrintRun).order_by(PrintRun.id.desc()).limit(limit)))


def letters_of(session: Session, run: PrintRun, *, offset: int = 0, limit: int | None = None) -> list[tuple]:
    """(letter, account) pairs of a run in mailing order: by the ZIP code the letter is mailed to (the
    postal address's when the customer gave one, else the account's), then account, then letter."""
    query = (select(Notice, Account).join(Account, Account.id == Notice.account_id)
             .where(Notice.print_run_id == run.id)
             .order_by(func.coalesce(Notice.mail_zip, Account.zip), Account.number, Notice.id).offset(offset))
    if limit is not None:
        query = query.limit(limit)
    return [tuple(row) for row in session.execute(query)]


def each_letter(session: Session, run: PrintRun, batch: int = 1000):
    """A run's (letter, account) pairs in mailing order, read a batch at a time."""
    offset = 0
    while True:
        rows = letters_of(session, run, offset=offset, limit=batch)
        yield from rows
        if len(rows) < batch:
            return
        offset += batch  # the session's identity map is weak: letters written out are let go


def render_run(session: Session, run: PrintRun):
    """The run as one HTML document for the mailroom, produced in pieces to write as they come."""
    from flask import current_app

    template = current_app.jinja_env.get_template("recertification/print_run_file.html")
    return template.generate(run=run, letters=each_letter(session, run))
