"""Rebate budgets: a figure per program and fiscal year, an append-only ledger, and the waitlist.

What the rebate kind calls (each flushes, never commits; the request or command commits once):

- `hold(session, application_id, program, on_date, cents, submitted_at)` on submission: holds the
  quote on the fiscal year of `on_date`, or puts the application in line when the available amount
  cannot cover it (or when others already wait: no one jumps the line). Returns a `Hold`.
- `commit(session, application_id, cents)` on approval: commits the approved amount and releases
  the rest of the hold.
- `release(session, application_id, why)` on denial, withdrawal, closure or expiry: releases the
  hold, or takes the application out of line.
- `pay(session, application_id, cents)` when the money reached the customer.
- `set_budget(...)` sets or raises a fiscal year's budget.

Whenever money comes free (a release, a commit for less than the hold, a raise) the waitlist is
offered the money (`offer`): waiting applications, in order of submission, while they fit, each
get their hold. Every such call returns the `Offer`s it made, in line order; the lifecycle moves
each of those applications from `waitlisted` to `submitted` and sends its letter. Handlers
registered with `register_offer_handler(app, fn)` (the rebate kind's, at start-up) and a callable
passed as `on_offer` are called with each offer, in the same transaction.

Concurrency: every operation first locks the budget row (`SELECT ... FOR UPDATE` on PostgreSQL;
SQLite's `BEGIN IMMEDIATE` already serializes writers), then reads the sums, so two submissions at
the same moment see each other's hold and never overspend.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Callable

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import audit, clock
from core.audit import current_actor
from core.errors import Conflict, Invalid, NotFound
from core.money import format_dollars
from rebates import definitions, rules
from rebates.models import (RebateBudget, RebateBudgetChange, RebateBudgetEntry, RebateProgram,
                            RebateWaitlistEntry)


@dataclass(frozen=True)
class Offer:
    """A waiting application the money reached: it now holds `cents` on the budget."""

    application_id: int
    cents: int
    program: str
    fiscal_year: int


@dataclass
class Hold:
    status: str                        # "held" or "waitlisted"
    cents: int
    program: str
    fiscal_year: int
    position: int | None = None        # place in line when waitlisted (1 = next)


@dataclass
class Change:
    """What a commit, release or budget change did, and whom the freed money reached."""

    released_cents: int = 0
    offers: list[Offer] = field(default_factory=list)


OfferCallback = Callable[[Offer], None] | None


def fiscal_year_of(program: RebateProgram, day: date) -> int:
    return rules.fiscal_year(day, definitions.fiscal_year_starts(program.fiscal_year_starts))


def _budget_row(session: Session, program: RebateProgram, fiscal_year: int) -> RebateBudget:
    """The budget row for the year, locked; made (with no money) when the year has none yet."""
    budget = _locked(session, program.id, fiscal_year)
    if budget is not None:
        return budget
    now = clock.now()
    savepoint = session.begin_nested()
    try:
        session.add(RebateBudget(program_id=program.id, fiscal_year=fiscal_year, amount_cents=0,
                                 created_at=now, updated_at=now))
        session.flush()
    except IntegrityError:  # another transaction made it first: use theirs
        savepoint.rollback()
    else:
        savepoint.commit()
    return _locked(session, program.id, fiscal_year)


def _locked(session: Session, program_id: int, fiscal_year: int) -> RebateBudget | None:
    return session.scalar(select(RebateBudget).where(RebateBudget.program_id == program_id,
                                                     RebateBudget.fiscal_year == fiscal_year)
                          .with_for_update().execution_options(populate_existing=True))


def _lock(session: Session, budget_id: int) -> RebateBudget:
    return session.scalar(select(RebateBudget).where(RebateBudget.id == budget_id).with_for_update()
                          .execution_options(populate_existing=True))


def sums(session: Session, budget_id: int, application_id: int | None = None) -> dict[str, int]:
    query = select(RebateBudgetEntry.kind, func.sum(RebateBudgetEntry.amount_cents)).where(
        RebateBudgetEntry.budget_id == budget_id)
    if application_id is not None:
        query = query.where(RebateBudgetEntry.application_id == application_id)
    return {kind: int(total) for kind, total in session.execute(query.group_by(RebateBudgetEntry.kind))}


def figures(session: Session, budget: RebateBudget) -> rules.BudgetFigures:
    return rules.BudgetFigures.of(budget.amount_cents, sums(session, budget.id))


def _entry(session: Session, budget: RebateBudget, application_id: int, kind: str, cents: int, reason: str) -> None:
    session.add(RebateBudgetEntry(budget_id=budget.id, application_id=application_id, kind=kind, amount_cents=cents,
                                  reason=reason, created_at=clock.now(), created_by_label=current_actor().label))
    audit.record(session, f"rebate_budget.{kind}", object_type="applications", object_id=application_id,
                 reason=reason or None, details={"budget_id": budget.id, "program": budget.program.code,
                                                 "fiscal_year": budget.fiscal_year, "amount_cents": cents})


def waiting(session: Session, budget_id: int) -> list[RebateWaitlistEntry]:
    """The line, in order: submission time, then id."""
    return list(session.scalars(select(RebateWaitlistEntry).where(RebateWaitlistEntry.budget_id == budget_id,
                                                                  RebateWaitlistEntry.state == "waiting")
                                .order_by(RebateWaitlistEntry.submitted_at, RebateWaitlistEntry.id)))


def position(session: Session, application_id: int) -> int | None:
    """The application's place in line (1 = next), or None when it is not waiting."""
    entry = _waiting_entry(session, application_id)
    if entry is None:
        return None
    ahead = session.scalar(select(func.count()).select_from(RebateWaitlistEntry).where(
        RebateWaitlistEntry.budget_id == entry.budget_id, RebateWaitlistEntry.state == "waiting",
        (RebateWaitlistEntry.submitted_at < entry.submitted_at)
        | ((RebateWaitlistEntry.submitted_at == entry.submitted_at) & (RebateWaitlistEntry.id < entry.id))))
    return ahead + 1


def _waiting_entry(session: Session, application_id: int) -> RebateWaitlistEntry | None:
    return session.scalar(select(RebateWaitlistEntry).where(RebateWaitlistEntry.application_id == application_id,
                                                            RebateWaitlistEntry.state == "waiting"))


def _budget_of(session: Session, application_id: int, lock: bool = True) -> RebateBudget:
    budget_id = session.scalar(select(RebateBudgetEntry.budget_id).where(
        RebateBudgetEntry.application_id == application_id).order_by(RebateBudgetEntry.id.desc()).limit(1))
    if budget_id is None:
        raise NotFound(_("This application holds nothing on a rebate budget."))
    return _lock(session, budget_id) if lock else session.get(RebateBudget, budget_id)


# --- the operations ----------------------------------------------------------------------------

def hold(session: Session, application_id: int, program: RebateProgram, on_date: date, cents: int,
         submitted_at: datetime | None = None) -> Hold:
    """Hold `cents` for a submission on the fiscal year of `on_date`, or put it in line."""
    if cents < 0:
        raise Invalid(_("The amount cannot be negative."), fields={"amount": [_("The amount cannot be negative.")]})
    year = fiscal_year_of(program, on_date)
    budget = _budget_row(session, program, year)
    if _waiting_entry(session, application_id) is not None or rules.BudgetFigures.of(
            0, sums(session, budget.id, application_id)).held_cents > 0:
        raise Conflict(_("This application already holds money or waits for it."))
    if cents == 0:
        return Hold("held", 0, program.code, year)
    line = waiting(session, budget.id)
    if not line and figures(session, budget).available_cents >= cents:
        _entry(session, budget, application_id, "hold", cents, "submitted")
        session.flush()
        return Hold("held", cents, program.code, year)
    now = clock.now()
    entry = RebateWaitlistEntry(budget_id=budget.id, application_id=application_id, amount_cents=cents,
                                submitted_at=submitted_at or now, state="waiting", joined_at=now)
    session.add(entry)
    session.flush()
    place = position(session, application_id)
    audit.record(session, "rebate_budget.waitlisted", object_type="applications", object_id=application_id,
                 details={"budget_id": budget.id, "program": program.code, "fiscal_year": year,
                          "amount_cents": cents, "position": place})
    return Hold("waitlisted", cents, program.code, year, place)


def commit(session: Session, application_id: int, cents: int, on_offer: OfferCallback = None) -> Change:
    """Approval: commit `cents` of the hold (never more than it) and release the rest."""
    budget = _budget_of(session, application_id)
    held = rules.BudgetFigures.of(0, sums(session, budget.id, application_id)).held_cents
    if cents <= 0 or cents > held:
        raise Invalid(_("The approved amount must be more than zero and no more than the amount held (%(held)s).",
                        held=format_dollars(held)),
                      fields={"amount": [_("No more than the amount held.")]})
    _entry(session, budget, application_id, "commit", cents, "approved")
    change = Change()
    if held > cents:
        _entry(session, budget, application_id, "release", held - cents, "approved for less")
        change.released_cents = held - cents
        session.flush()
        change.offers = offer(session, budget, on_offer)
    session.flush()
    return change


def release(session: Session, application_id: int, why: str, on_offer: OfferCallback = None) -> Change:
    """Denial, withdrawal, closure or expiry: release what the application holds, or take it out of line."""
    entry = _waiting_entry(session, application_id)
    if entry is not None:
        budget = _lock(session, entry.budget_id)
        entry.state, entry.left_at, entry.reason = "left", clock.now(), why
        audit.record(session, "rebate_budget.left_waitlist", object_type="applications", object_id=application_id,
                     reason=why, details={"budget_id": budget.id, "program": budget.program.code,
                                          "fiscal_year": budget.fiscal_year})
        session.flush()
        return Change(0, offer(session, budget, on_offer))   # the next in line may now fit
    try:
        budget = _budget_of(session, application_id)
    except NotFound:
        return Change()                                    # held nothing ($0 quote): nothing to free
    held = rules.BudgetFigures.of(0, sums(session, budget.id, application_id)).held_cents
    if held <= 0:
        return Change()
    _entry(session, budget, application_id, "release", held, why)
    session.flush()
    return Change(held, offer(session, budget, on_offer))


def holds_or_waits(session: Session, application_id: int) -> bool:
    """Whether the application was ever placed on a budget (a hold, in any state) or waits in line."""
    if _waiting_entry(session, application_id) is not None:
        return True
    return bool(session.scalar(select(func.count()).select_from(RebateBudgetEntry).where(
        RebateBudgetEntry.application_id == application_id)))


def held_cents(session: Session, application_id: int) -> int:
    """What the application holds now (0 when it holds nothing or waits)."""
    try:
        budget = _budget_of(session, application_id, lock=False)
    except NotFound:
        return 0
    return rules.BudgetFigures.of(0, sums(session, budget.id, application_id)).held_cents


def approve(session: Session, application_id: int, program: RebateProgram, submitted_on: date, cents: int,
            on_offer: OfferCallback = None) -> Change:
    """An approval commits `cents`; once only (a second approval of the same application changes nothing).

    An approval without a hold (an appeal overturned after the denial released it, a reopened
    application) holds what it lacks first, on the submission's fiscal year, even past the budget:
    the decision is made, and the managers' page shows the budget over."""
    entry = _waiting_entry(session, application_id)
    if entry is not None:
        release(session, application_id, "approved while waiting")
    try:
        budget = _budget_of(session, application_id)
    except NotFound:
        budget = _budget_row(session, program, fiscal_year_of(program, submitted_on))
    mine = rules.BudgetFigures.of(0, sums(session, budget.id, application_id))
    if mine.committed_cents + mine.paid_cents > 0:
        return Change()
    if mine.held_cents < cents:
        _entry(session, budget, application_id, "hold", cents - mine.held_cents, "approved without a hold")
        session.flush()
    return commit(session, application_id, cents, on_offer)


def pay(session: Session, application_id: int, cents: int) -> None:
    """The money reached the customer: committed becomes paid."""
    budget = _budget_of(session, application_id)
    committed = rules.BudgetFigures.of(0, sums(session, budget.id, application_id)).committed_cents
    if cents <= 0 or cents > committed:
        raise Conflict(_("This payment is more than the application has committed."))
    _entry(session, budget, application_id, "payment", cents, "paid")
    session.flush()


def offer(session: Session, budget: RebateBudget, on_offer: OfferCallback = None) -> list[Offer]:
    """Give free money to the line in order while they fit; returns the offers made, in order."""
    budget = _lock(session, budget.id)
    line = waiting(session, budget.id)
    if not line:
        return []
    available = figures(session, budget).available_cents
    taken = set(rules.offers(available, [(e.application_id, e.amount_cents) for e in line]))
    made = []
    now = clock.now()
    for entry in line:
        if entry.application_id not in taken:
            break
        entry.state, entry.left_at, entry.reason = "offered", now, "funds available"
        _entry(session, budget, entry.application_id, "hold", entry.amount_cents, "taken off the waitlist")
        made.append(Offer(entry.application_id, entry.amount_cents, budget.program.code, budget.fiscal_year))
    session.flush()
    handlers = list(current_app.extensions.get(OFFER_HANDLERS, ())) + ([on_offer] if on_offer else [])
    for made_offer in made:
        for handler in handlers:
            handler(made_offer)
    return made


OFFER_HANDLERS = "rebates.offer_handlers"


def register_offer_handler(app, handler: Callable[[Offer], None]) -> None:
    """The rebate kind registers what an offer does (status to `submitted`, the letter), so offers
    made from any path (a release in a decision, `rebates budget`, the managers' page) reach it."""
    app.extensions.setdefault(OFFER_HANDLERS, []).append(handler)


def amount_of(session: Session, program: RebateProgram, fiscal_year: int) -> int:
    """The fiscal year's budget figure (0 when none was set)."""
    return int(session.scalar(select(RebateBudget.amount_cents).where(
        RebateBudget.program_id == program.id, RebateBudget.fiscal_year == fiscal_year)) or 0)


def set_budget(session: Session, program: RebateProgram, fiscal_year: int, amount_cents: int, reason: str = "",
               on_offer: OfferCallback = None) -> tuple[RebateBudget, Change | None]:
    """Set the fiscal year's whole budget, or raise it; a lower figure is refused. None: unchanged."""
    if not 2000 <= fiscal_year <= 2200:
        raise Invalid(_("Give a fiscal year like 2027."), fields={"fiscal_year": [_("Give a fiscal year like 2027.")]})
    if amount_cents <= 0:
        raise Invalid(_("The budget must be more than zero."),
                      fields={"amount": [_("The budget must be more than zero.")]})
    budget = _budget_row(session, program, fiscal_year)
    old = budget.amount_cents
    if amount_cents < old:
        message = _("A budget can only be raised: FY%(year)s's budget is %(old)s; give the whole budget, %(old)s "
                    "or more.", year=fiscal_year, old=format_dollars(old))
        raise Invalid(message, fields={"amount": [message]})
    if amount_cents == old:
        return budget, None
    actor = current_actor()
    budget.amount_cents, budget.updated_at = amount_cents, clock.now()
    session.add(RebateBudgetChange(budget_id=budget.id, old_cents=old, new_cents=amount_cents, reason=reason or "",
                                   changed_at=clock.now(), changed_by_id=actor.user_id, changed_by_label=actor.label))
    audit.record(session, "rebate_budget.set" if old == 0 else "rebate_budget.raised", obj=budget,
                 reason=reason or None, details={"program": program.code, "fiscal_year": fiscal_year,
                                                 "old_cents": old, "new_cents": amount_cents})
    session.flush()
    return budget, Change(0, offer(session, budget, on_offer))


# --- reading -----------------------------------------------------------------------------------

def overview(session: Session) -> list[dict]:
    """Every budget with its figures and its line (for the API and the managers' page)."""
    rows = session.scalars(select(RebateBudget).join(RebateProgram)
                           .order_by(RebateProgram.code, RebateBudget.fiscal_year)).all()
    kinds = {}
    for budget_id, kind, total in session.execute(
            select(RebateBudgetEntry.budget_id, RebateBudgetEntry.kind, func.sum(RebateBudgetEntry.amount_cents))
            .group_by(RebateBudgetEntry.budget_id, RebateBudgetEntry.kind)):
        kinds.setdefault(budget_id, {})[kind] = int(total)
    out = []
    for budget in rows:
        numbers = rules.BudgetFigures.of(budget.amount_cents, kinds.get(budget.id, {}))
        line = waiting(session, budget.id)
        out.append({"program": budget.program.code, "fiscal_year": budget.fiscal_year,
                    "amount_cents": numbers.amount_cents, "held_cents": numbers.held_cents,
                    "committed_cents": numbers.committed_cents, "paid_cents": numbers.paid_cents,
                    "available_cents": numbers.available_cents, "waitlisted": len(line),
                    "line": line, "budget": budget})
    return out


def changes(session: Session, budget: RebateBudget) -> list[RebateBudgetChange]:
    return list(session.scalars(select(RebateBudgetChange).where(RebateBudgetChange.budget_id == budget.id)
                                .order_by(RebateBudgetChange.id)))
