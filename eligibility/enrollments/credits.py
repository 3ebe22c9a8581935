"""Benefits posted as ledger credits, one per account, program and bill, whatever the number of runs."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta

import click
from sqlalchemy import and_, false, func, literal, or_, select
from sqlalchemy.orm import Session

from accounts import service as ledger
from accounts.cli import credits_cli
from accounts.models import Account, Bill, LedgerEntry
from core.audit import Actor, acting_as
from core.unit_of_work import unit_of_work
from eligibility import benefits
from eligibility import service as programs_service
from eligibility.assistance.models import ApplicationProgram
from eligibility.enrollments.models import Enrollment
from eligibility.models import Program


@dataclass
class PostReport:
    bills: int = 0
    credits: int = 0
    credited_cents: int = 0
    reversed: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"bills": self.bills, "credits": self.credits, "credited_cents": self.credited_cents,
                "reversed": self.reversed, "unchanged": self.unchanged, "errors": self.errors}


def _benefit_lookup(catalog, code: str):
    def version_on(day: date):
        version = catalog.version_on(code, day)
        if version is None:
            return None
        benefit = dict(version.benefit)
        if benefit.get("kind") == "per_tier":
            benefit["tiers"] = {t.code: dict(t.benefit) for t in version.tiers}
        return version.id, benefit
    return version_on


def _last_benefit_day(enrollment) -> date:
    """The benefit runs to the end of the certification, through grace while a renewal is awaited."""
    if enrollment.ended_on is not None:
        return enrollment.ended_on - timedelta(days=1)
    if enrollment.status == "in_grace" and enrollment.grace_ends_on is not None:
        return enrollment.grace_ends_on
    return enrollment.certified_to


def post_benefits(session: Session, first: date | None = None, last: date | None = None) -> PostReport:
    """Credit every bill (of the month, when given) of an active account under its enrollments.

    A month of a large utility is a million bills, so the database finds the work: the pairs of a
    bill and an enrollment of its account with no credit under their key yet (an anti-join on the
    unique key), and the credited pairs whose enrollment now ends before the bill does (a
    back-dated end may leave an excess to reverse). Rows come as plain tuples, and what a bill
    earns is worked out once per program, period and enrollment days. A run with nothing left to
    post reads little more than two counts.
    """
    report = PostReport()
    catalog = programs_service.catalog(session)
    in_period = (Account.status == "active",)
    credited = (LedgerEntry.source_type == "bill", LedgerEntry.kind == "discount")
    if first is not None:
        in_period += (Bill.period_start >= first, Bill.period_start <= last)
        credited += (LedgerEntry.period_start >= first, LedgerEntry.period_start <= last)  # the bill's period
    report.bills = session.scalar(select(func.count(Bill.id)).join(Account, Account.id == Bill.account_id)
                                  .where(*in_period)) or 0
    report.unchanged = session.scalar(select(func.count(LedgerEntry.id)).join(Account, Account.id == LedgerEntry.account_id)
                                      .where(Account.status == "active", *credited)) or 0
    key = literal("benefit:") + Program.code + literal(":") + Bill.bill_id
    # An enrollment that cannot reach into the bill's period earns nothing on it (`_last_benefit_day`
    # is at most the later of certified_to and grace_ends_on, and before ended_on).
    reaches = (Enrollment.enrolled_from <= Bill.period_end,
               or_(Enrollment.ended_on.is_(None), Enrollment.ended_on > Bill.period_start),
               or_(Enrollment.certified_to >= Bill.period_start, Enrollment.grace_ends_on >= Bill.period_start))
    cancelled = set(session.scalars(select(Bill.cancels_bill_id).where(Bill.cancels_bill_id.is_not(None))))
    # Credited bills are read again only where the bill was cancelled or the enrollment now ends
    # before the bill does (or the certification did): what the bill earns is worked out again and
    # any excess reversed.
    may_shrink = or_(Bill.bill_id.in_(cancelled) if cancelled else false(), Enrollment.ended_on <= Bill.period_end,
                     Enrollment.certified_to < Bill.period_end)
    # One pass over the bills and enrollments: the pairs with no credit under their key yet (to
    # post), and the credited pairs that may have to shrink.
    pairs = (select(Bill.bill_id, Bill.account_id, Bill.period_start, Bill.period_end, Bill.service,
                    Bill.charges_cents, Program.code, Enrollment.enrolled_from, Enrollment.certified_to,
                    Enrollment.ended_on, Enrollment.status, Enrollment.grace_ends_on,
                    ApplicationProgram.determination["tier"].as_string().label("tier"),
                    LedgerEntry.id.label("entry_id"), LedgerEntry.amount_cents.label("held"))
             .join(Account, Account.id == Bill.account_id)
             .join(Enrollment, Enrollment.account_id == Bill.account_id)
             .join(Program, Program.id == Enrollment.program_id)
             .outerjoin(ApplicationProgram, and_(ApplicationProgram.application_id == Enrollment.application_id,
                                                 ApplicationProgram.program_id == Enrollment.program_id))
             .outerjoin(LedgerEntry, LedgerEntry.idempotency_key == key)
             .where(*in_period)
             .where(or_(and_(LedgerEntry.id.is_(None), *reaches), and_(LedgerEntry.id.is_not(None), may_shrink)))
             .order_by(Bill.id, Enrollment.id))
    earn = _Earnings(catalog)
    pending: list[dict] = []
    shrinking = []
    for row in session.execute(pairs):
        if row.entry_id is not None:
            shrinking.append(row)
            continue
        if row.bill_id in cancelled:
            continue  # cancelled before it was ever credited: the rebill is credited instead
        amount = earn(row)
        if amount <= 0:
            continue
        pending.append({"account_id": row.account_id, "amount_cents": amount, "kind": "discount",
                        "idempotency_key": f"benefit:{row.code}:{row.bill_id}",
                        "reason": f"{row.code} benefit on bill {row.bill_id}", "source_type": "bill",
                        "source_id": row.bill_id, "period_start": row.period_start, "period_end": row.period_end})
        if len(pending) >= POST_CHUNK:
            _post(session, pending, report)
    _post(session, pending, report)
    reversed_cents: dict[int, int] | None = None  # what has been taken back of each credit so far
    for row in shrinking:
        if row.bill_id in cancelled:
            report.reversed += _reverse_cancelled(session, f"benefit:{row.code}:{row.bill_id}", row)
            continue
        amount = earn(row)
        if reversed_cents is None:  # reversals are few: one query for all
            reversed_cents = dict(session.execute(
                select(LedgerEntry.reverses_id, func.sum(LedgerEntry.amount_cents))
                .where(LedgerEntry.reverses_id.is_not(None)).group_by(LedgerEntry.reverses_id)).all())
        taken = reversed_cents.get(row.entry_id, 0)
        if row.held + taken > max(0, amount):
            report.reversed += _reverse_excess(session, session.get(LedgerEntry, row.entry_id), amount, row, taken)
    session.flush()
    return report


class _Earnings:
    """What a bill earns under an enrollment, worked out once per program, days, period, service, charges and tier."""

    def __init__(self, catalog) -> None:
        self.catalog = catalog
        self.lookups: dict[str, object] = {}
        self.parts: dict[tuple, list] = {}
        self.amounts: dict[tuple, int] = {}

    def __call__(self, row) -> int:
        last_day = _last_benefit_day(row)
        days = (row.code, max(row.period_start, row.enrolled_from), min(row.period_end, last_day))
        earned = (*days, row.period_start, row.period_end, row.service, row.charges_cents, row.tier)
        amount = self.amounts.get(earned)
        if amount is None:
            parts = self.parts.get(days)
            if parts is None:
                lookup = self.lookups.setdefault(row.code, _benefit_lookup(self.catalog, row.code))
                parts = self.parts[days] = benefits.segments(row.period_start, row.period_end, row.enrolled_from,
                                                             last_day, lookup)
            amount = self.amounts[earned] = benefits.credit_cents(
                bill_start=row.period_start, bill_end=row.period_end, service=row.service,
                charges_cents=row.charges_cents, parts=parts, tier=row.tier)
        return amount


POST_CHUNK = 20_000


def _post(session: Session, pending: list[dict], report: PostReport) -> None:
    """Post the credits gathered so far; a key another run posted first is skipped (the unique key decides)."""
    posted, cents = ledger.post_entries(session, pending)
    report.credits += posted
    report.credited_cents += cents
    pending.clear()


def _reverse_excess(session: Session, entry: LedgerEntry, earned: int, bill, reversed_cents: int) -> int:
    """Reverse what a credit holds beyond what the bill now earns (an enrollment ended back-dated)."""
    held = entry.amount_cents + reversed_cents
    excess = held - max(0, earned)
    if excess <= 0:
        return 0
    ledger.reverse_entry(session, entry.id, amount_cents=excess, idempotency_key=f"{entry.idempotency_key}:to:{earned}",
                         reason=f"enrollment ended before the end of bill {bill.bill_id}; {excess} cents over")
    return 1


def _reverse_cancelled(session: Session, key: str, bill) -> int:
    entry = session.scalar(select(LedgerEntry).where(LedgerEntry.idempotency_key == key))
    reversal_key = f"{key}:cancelled"
    if entry is None or session.scalar(select(LedgerEntry.id).where(LedgerEntry.idempotency_key == reversal_key)):
        return 0
    ledger.reverse_entry(session, entry.id, reason=f"bill {bill.bill_id} was cancelled and rebilled",
                         idempotency_key=reversal_key)
    return 1


@credits_cli.command("post")
@click.option("--period", help="Only bills whose period starts in this month (YYYY-MM); default all bills.")
def post(period: str | None) -> None:
    """Turn each bill of an enrolled account into its program credit (safe to run again)."""
    acting_as(Actor(label="cli: credits post"))
    first = last = None
    if period:
        try:
            year, month = (int(part) for part in period.split("-"))
            first = date(year, month, 1)
        except ValueError:
            raise click.BadParameter("give the month as YYYY-MM", param_hint="--period") from None
        last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    with unit_of_work() as session:
        report = post_benefits(session, first, last)
    click.echo(json.dumps(report.as_dict()))
