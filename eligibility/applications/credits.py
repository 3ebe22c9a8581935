"""Benefits posted as ledger credits, one per account, program and bill, whatever the number of runs."""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts import service as ledger
from accounts.cli import credits_cli
from accounts.models import Account, Bill, LedgerEntry
from core.audit import Actor, acting_as
from core.database import db
from eligibility import benefits
from eligibility import service as programs_service
from eligibility.applications.models import ApplicationProgram, Enrollment


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


def _last_benefit_day(enrollment: Enrollment) -> date:
    """The benefit runs to the end of the certification, through grace while a renewal is awaited."""
    if enrollment.ended_on is not None:
        return enrollment.ended_on - timedelta(days=1)
    if enrollment.status == "in_grace" and enrollment.grace_ends_on is not None:
        return enrollment.grace_ends_on
    return enrollment.certified_to


def post_benefits(session: Session, first: date | None = None, last: date | None = None) -> PostReport:
    """Credit every bill (of the month, when given) of an active account under its enrollments."""
    report = PostReport()
    catalog = programs_service.catalog(session)
    query = (select(Bill, Account).join(Account, Account.id == Bill.account_id).where(Account.status == "active")
             .order_by(Bill.id))
    if first is not None:
        query = query.where(Bill.period_start >= first, Bill.period_start <= last)
    rows = session.execute(query).all()
    account_ids = {account.id for _bill, account in rows}
    by_account: dict[int, list[Enrollment]] = defaultdict(list)
    tiers: dict[int, str | None] = {}
    if account_ids:
        for enrollment in session.scalars(select(Enrollment).where(Enrollment.account_id.in_(account_ids))):
            by_account[enrollment.account_id].append(enrollment)
            ap = session.scalar(select(ApplicationProgram).where(
                ApplicationProgram.application_id == enrollment.application_id,
                ApplicationProgram.program_id == enrollment.program_id))
            tiers[enrollment.id] = (ap.determination or {}).get("tier") if ap else None
    cancelled = set(session.scalars(select(Bill.cancels_bill_id).where(Bill.cancels_bill_id.is_not(None))))
    lookups: dict[str, object] = {}
    for bill, account in rows:
        report.bills += 1
        for enrollment in by_account.get(account.id, ()):
            code = enrollment.program.code
            key = f"benefit:{code}:{bill.bill_id}"
            if bill.bill_id in cancelled:
                report.reversed += _reverse_cancelled(session, key, bill)
                continue
            lookup = lookups.setdefault(code, _benefit_lookup(catalog, code))
            parts = benefits.segments(bill.period_start, bill.period_end, enrollment.enrolled_from,
                                      _last_benefit_day(enrollment), lookup)
            amount = benefits.credit_cents(bill_start=bill.period_start, bill_end=bill.period_end, service=bill.service,
                                           charges_cents=bill.charges_cents, parts=parts, tier=tiers.get(enrollment.id))
            posted = session.scalar(select(LedgerEntry).where(LedgerEntry.idempotency_key == key))
            if posted is not None:
                # Already credited: a back-dated end can only lower what the bill earns.
                report.reversed += _reverse_excess(session, posted, amount, bill)
                report.unchanged += 1
                continue
            if amount <= 0:
                continue
            _entry, created = ledger.post_entry(
                session, account=account, amount_cents=amount, kind="discount", idempotency_key=key,
                reason=f"{code} benefit on bill {bill.bill_id}", source_type="bill", source_id=bill.bill_id,
                period_start=bill.period_start, period_end=bill.period_end)
            if created:
                report.credits += 1
                report.credited_cents += amount
    session.flush()
    return report


def _reverse_excess(session: Session, entry: LedgerEntry, earned: int, bill: Bill) -> int:
    """Reverse what a credit holds beyond what the bill now earns (an enrollment ended back-dated)."""
    held = entry.amount_cents + sum(ledger.reversed_so_far(session, entry))
    excess = held - max(0, earned)
    if excess <= 0:
        return 0
    ledger.reverse_entry(session, entry.id, amount_cents=excess, idempotency_key=f"{entry.idempotency_key}:to:{earned}",
                         reason=f"enrollment ended before the end of bill {bill.bill_id}; {excess} cents over")
    return 1


def _reverse_cancelled(session: Session, key: str, bill: Bill) -> int:
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
