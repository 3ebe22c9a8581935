"""Benefits posted as ledger credits, one per account, program and bill, whatever the number of runs."""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

import click
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from accounts import service as ledger
from accounts.cli import credits_cli
from accounts.models import Account, Bill, LedgerEntry
from core.audit import Actor, acting_as
from core.database import db
from eligibility import benefits
from eligibility import service as programs_service
from eligibility.applications.models import ApplicationProgram, Enrollment
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

    A million bills is a million rows each way, so everything is read as plain rows (no ORM
    objects), what a bill earns is worked out once per program, period and enrollment days (most
    bills of a month share them), and credits already posted are known from one query of their
    keys and amounts: a run with nothing to post only reads.
    """
    report = PostReport()
    catalog = programs_service.catalog(session)
    in_period = (Account.status == "active",)
    if first is not None:
        in_period += (Bill.period_start >= first, Bill.period_start <= last)
    billed = select(Bill.account_id).join(Account, Account.id == Bill.account_id).where(*in_period)
    rows = session.execute(select(Bill.bill_id, Bill.account_id, Bill.period_start, Bill.period_end, Bill.service,
                                  Bill.charges_cents).join(Account, Account.id == Bill.account_id)
                           .where(*in_period).order_by(Bill.id)).all()
    # Enrollments of the billed accounts, with the tier their determination set, in one query (a
    # sub-select, not a list of ids: a month of a large utility's bills is a million accounts).
    by_account: dict[int, list[tuple[str, date, date, str | None]]] = defaultdict(list)
    for enrollment in session.execute(
            select(Enrollment.account_id, Program.code, Enrollment.enrolled_from, Enrollment.certified_to,
                   Enrollment.ended_on, Enrollment.status, Enrollment.grace_ends_on,
                   ApplicationProgram.determination["tier"].as_string().label("tier"))
            .join(Program, Program.id == Enrollment.program_id)
            .outerjoin(ApplicationProgram, and_(ApplicationProgram.application_id == Enrollment.application_id,
                                                ApplicationProgram.program_id == Enrollment.program_id))
            .where(Enrollment.account_id.in_(billed))):
        by_account[enrollment.account_id].append((enrollment.code, enrollment.enrolled_from,
                                                  _last_benefit_day(enrollment), enrollment.tier))
    # Credits already posted for these bills: key -> (entry id, amount).
    posted_by_key = {key: (entry_id, amount) for key, entry_id, amount in session.execute(
        select(LedgerEntry.idempotency_key, LedgerEntry.id, LedgerEntry.amount_cents)
        .where(LedgerEntry.source_type == "bill", LedgerEntry.kind == "discount",
               LedgerEntry.source_id.in_(select(Bill.bill_id).join(Account, Account.id == Bill.account_id)
                                         .where(*in_period))))}
    # What has been taken back of each credit so far (reversals are few: one query for all).
    reversed_cents = dict(session.execute(
        select(LedgerEntry.reverses_id, func.sum(LedgerEntry.amount_cents))
        .where(LedgerEntry.reverses_id.is_not(None)).group_by(LedgerEntry.reverses_id)).all()) if posted_by_key else {}
    cancelled = set(session.scalars(select(Bill.cancels_bill_id).where(Bill.cancels_bill_id.is_not(None))))
    lookups: dict[str, object] = {}
    parts_of: dict[tuple, list] = {}
    earned_of: dict[tuple, int] = {}
    pending: list[dict] = []
    for bill in rows:
        report.bills += 1
        for code, enrolled_from, last_day, tier in by_account.get(bill.account_id, ()):
            key = f"benefit:{code}:{bill.bill_id}"
            if bill.bill_id in cancelled:
                report.reversed += _reverse_cancelled(session, key, bill)
                continue
            days = (code, max(bill.period_start, enrolled_from), min(bill.period_end, last_day))
            earned = (*days, bill.period_start, bill.period_end, bill.service, bill.charges_cents, tier)
            amount = earned_of.get(earned)
            if amount is None:
                parts = parts_of.get(days)
                if parts is None:
                    lookup = lookups.setdefault(code, _benefit_lookup(catalog, code))
                    parts = parts_of[days] = benefits.segments(bill.period_start, bill.period_end, enrolled_from,
                                                               last_day, lookup)
                amount = earned_of[earned] = benefits.credit_cents(
                    bill_start=bill.period_start, bill_end=bill.period_end, service=bill.service,
                    charges_cents=bill.charges_cents, parts=parts, tier=tier)
            posted = posted_by_key.get(key)
            if posted is not None:
                # Already credited: a back-dated end can only lower what the bill earns.
                entry_id, held = posted
                if held + reversed_cents.get(entry_id, 0) > max(0, amount):
                    report.reversed += _reverse_excess(session, session.get(LedgerEntry, entry_id), amount, bill,
                                                       reversed_cents.get(entry_id, 0))
                report.unchanged += 1
                continue
            if amount <= 0:
                continue
            pending.append({"account_id": bill.account_id, "amount_cents": amount, "kind": "discount",
                            "idempotency_key": key, "reason": f"{code} benefit on bill {bill.bill_id}",
                            "source_type": "bill", "source_id": bill.bill_id, "period_start": bill.period_start,
                            "period_end": bill.period_end})
            if len(pending) >= POST_CHUNK:
                _post(session, pending, report)
    _post(session, pending, report)
    session.flush()
    return report


POST_CHUNK = 20_000


def _post(session: Session, pending: list[dict], report: PostReport) -> None:
    """Post the credits gathered so far; a key another run posted first is skipped (the unique key decides)."""
    created = ledger.post_entries(session, pending)
    report.credits += len(created)
    report.credited_cents += sum(e["amount_cents"] for e in pending if e["idempotency_key"] in created)
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
    report = post_benefits(db.session(), first, last)
    db.session.commit()
    click.echo(json.dumps(report.as_dict()))
