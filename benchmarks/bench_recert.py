"""The daily job (`recert run`) and `credits post` over one million enrollments.

    .venv/bin/python benchmarks/bench_recert.py [--enrollments 1000000] [--bills N] [--no-analyze]
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/bench_recert.py

Seeds a thousand customers, one account per enrollment and the approved CARE application that
certified it, with bulk inserts (COPY on PostgreSQL). Certifications started uniformly over the
24 months before the run day, so expiries spread over the next 24 months; one enrollment in
twenty instead expired 1 to 60 days before it (reminded, not yet renewed), so grace and expiry
have work. Then times `recert run` on the run day (the catch-up run: the latest reminder due for
everyone within 90 days of expiry, grace and expiry for the lapsed, the month's verification
draw), the same day again (sends nothing) and the next day (a steady run), each with its counts
and the time to the end of each phase. Last, one electric bill per account (or for the first
`--bills` accounts) for the month before the run day, and `credits post` for that month twice
(the second posts nothing). `--credits-only` skips the three `recert run`s (the enrollments are
then as seeded: none has expired or started grace).

ANALYZE runs after seeding, as autovacuum would on PostgreSQL. SQLite never gathers statistics
by itself; `--no-analyze` leaves it without them.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, datetime, time as clock_time, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

RUN_DAY = date(2026, 12, 1)
USERS = 1_000
CHUNK = 20_000
LAPSED = 20  # one enrollment in LAPSED is past its expiry (by 1 to 60 days) on the run day


def language(customer: int) -> str:
    return "es" if customer % 5 == 4 else "en"  # a fifth of the customers read Spanish; the first one, English


def freeze(app, day: date) -> None:
    app.extensions["assist.clock"].freeze(datetime.combine(day, clock_time(6, 0)))


def bulk_insert(session, model, rows: list[dict]) -> None:
    """COPY on PostgreSQL; on SQLite one executemany of the table's INSERT (the table: no ORM bookkeeping)."""
    from sqlalchemy import insert

    from core.bulk import insert_rows

    if session.get_bind().dialect.name == "postgresql":
        insert_rows(session, model, rows)
    else:
        session.execute(insert(model.__table__), rows)


def restart_sequences(session, tables) -> None:
    """Rows were inserted with their ids: on PostgreSQL the next id the database gives must follow them."""
    from sqlalchemy import text

    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite takes the next rowid after the largest
    for table in tables:
        session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                             f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"))


def seed(app, count: int, analyze: bool = True) -> None:
    from sqlalchemy import select, text

    from accounts.models import Account
    from auth import service as auth_service
    from auth.models import User
    from core.database import db
    from applications.models import Application
    from eligibility.assistance.models import ApplicationProgram, AssistanceApplication
    from eligibility.enrollments.models import Enrollment
    from eligibility.models import Program
    from eligibility.recertification.rules import add_months, period_of

    rng = random.Random(7)
    freeze(app, RUN_DAY)
    with app.app_context():
        session = db.session()
        started = time.perf_counter()
        first = auth_service.create_user(session, email="bench0@example.com", password="correct horse battery staple",
                                         role="customer", confirmed=True)
        now = first.created_at
        bulk_insert(session, User, [
            {"id": first.id + n, "email": f"bench{n}@example.com", "password_hash": first.password_hash,
             "role": "customer", "active": True, "language": language(n), "created_at": now,
             "email_confirmed_at": now, "password_changed_at": now, "failed_logins": 0} for n in range(1, USERS)])
        session.commit()
        care = session.scalar(select(Program.id).where(Program.code == "CARE"))
        household = {"members": [{"age": 41, "name": "Rosa Diaz", "incomes": [
            {"kind": "wages", "amount_cents": 250_000, "frequency": "monthly"}]}]}
        # Certifications that started in the 24 months before the run day, and ones that ended 1 to 60 days before it.
        current = [period_of(RUN_DAY - timedelta(days=d), 24) for d in range((RUN_DAY - add_months(RUN_DAY, -24)).days)]
        lapsed = [period_of(add_months(RUN_DAY - timedelta(days=d - 1), -24), 24) for d in range(1, 61)]
        for offset in range(0, count, CHUNK):
            accounts, applications, details, programs, enrollments = [], [], [], [], []
            for n in range(offset + 1, min(count, offset + CHUNK) + 1):
                if n % LAPSED == 0:  # reminders went out before it expired
                    (start, end), status = rng.choice(lapsed), "recertification_due"
                else:
                    (start, end), status = rng.choice(current), "active"
                at = datetime.combine(start, clock_time(0), timezone.utc)
                customer = n % USERS
                accounts.append({"id": n, "number": f"B{n:09d}", "customer_name": f"Customer {n}",
                                 "service_address": f"{n} Main St", "city": "Alameda", "zip": "94501",
                                 "services": "electric", "status": "active", "meter_type": "individual",
                                 "last_bill_amount_cents": 10_000, "updated_at": at})
                applications.append({"id": n, "number": f"A{start.year}-{n:07d}", "account_id": n,
                                     "applicant_id": first.id + customer, "started_by_id": first.id + customer,
                                     "assisted": False, "kind": "assistance", "status": "approved",
                                     "language": language(customer), "submitted_at": at,
                                     "submitted_on": start, "customer_responded": False,
                                     "created_at": at, "updated_at": at, "version": 2})
                details.append({"application_id": n, "household": household, "categorical": [], "purpose": "new"})
                programs.append({"id": n, "application_id": n, "program_id": care, "status": "approved",
                                 "income_basis": "documented", "decided_at": at})
                enrollments.append({"id": n, "account_id": n, "program_id": care, "application_id": n,
                                    "status": status, "certified_from": start, "certified_to": end,
                                    "enrolled_from": start, "source": "application", "household_type": "standard",
                                    "rule_version": "CARE.v3", "created_at": at})
            for model, rows in ((Account, accounts), (Application, applications), (AssistanceApplication, details),
                                (ApplicationProgram, programs), (Enrollment, enrollments)):
                bulk_insert(session, model, rows)
            session.commit()
        restart_sequences(session, ("users", "accounts", "applications", "application_programs", "enrollments"))
        if analyze:  # planner statistics, as autovacuum would gather after a load this size
            session.execute(text("ANALYZE"))
        session.commit()
        print(f"seeded {count:,} enrollments ({count // LAPSED:,} lapsed), {count:,} accounts and approved "
              f"applications, {USERS:,} customers in {time.perf_counter() - started:.1f} s "
              f"({'with' if analyze else 'without'} ANALYZE)")


def recert_run(app, day: date, label: str) -> None:
    from core.audit import Actor, acting_as
    from core.database import db
    from eligibility.recertification import daily

    phases: dict[str, float] = {}
    mark = [0.0]

    def progress(phase: str, done: int, total: int) -> None:
        now = time.perf_counter()
        phases[phase] = phases.get(phase, 0.0) + now - mark[0]
        mark[0] = now

    freeze(app, day)
    with app.app_context():
        acting_as(Actor(label="bench: recert run"))
        started = mark[0] = time.perf_counter()
        report = daily.run(db.session(), day, seed=f"bench-{day:%Y-%m}", progress=progress)
        elapsed = time.perf_counter() - started
    counts = report.as_dict()
    errors = counts.pop("errors")
    print(f"recert run, {label:<24} {elapsed:8.1f} s  " + ", ".join(f"{k}: {v:,}" for k, v in counts.items()
                                                                  if k != "on") + f", errors: {len(errors)}")
    for error in errors[:5]:
        print(f"    error: {error}")
    if phases:  # from the end of the previous phase to this one's last chunk: its opening queries included
        print("    " + "; ".join(f"{phase} {seconds:.1f} s" for phase, seconds in phases.items()))


def seed_bills(app, count: int, first: date, last: date, analyze: bool = True) -> None:
    from sqlalchemy import text

    from accounts.models import Bill, ImportRun
    from core import clock
    from core.database import db

    with app.app_context():
        session = db.session()
        started = time.perf_counter()
        run = ImportRun(kind="bills", filename="bench.csv", sha256="0" * 64, started_at=clock.now(),
                        finished_at=clock.now(), actor_label="bench", rows=count, created=count, updated=0,
                        unchanged=0)
        session.add(run)
        session.flush()
        span = (last - first).days + 1
        for offset in range(0, count, CHUNK):
            rows = []
            for n in range(offset + 1, min(count, offset + CHUNK) + 1):
                start = first + timedelta(days=n % span)
                rows.append({"id": n, "bill_id": f"E-{n:09d}-{start:%Y%m}", "account_id": n, "period_start": start,
                             "period_end": start + timedelta(days=29), "service": "electric",
                             "charges_cents": 10_000, "import_run_id": run.id})
            bulk_insert(session, Bill, rows)
            session.commit()
        restart_sequences(session, ("bills",))
        if analyze:
            session.execute(text("ANALYZE"))
        session.commit()
        print(f"seeded {count:,} electric bills for {first:%Y-%m} in {time.perf_counter() - started:.1f} s")


def credits_post(app, first: date, last: date, label: str) -> None:
    from core.audit import Actor, acting_as
    from core.database import db
    from eligibility.enrollments.credits import post_benefits

    with app.app_context():
        acting_as(Actor(label="bench: credits post"))
        session = db.session()
        started = time.perf_counter()
        report = post_benefits(session, first, last)
        session.commit()
        elapsed = time.perf_counter() - started
    counts = report.as_dict()
    counts.pop("errors")
    print(f"credits post, {label:<22} {elapsed:8.1f} s  ({report.bills / elapsed:,.0f} bills/s)  "
          + ", ".join(f"{k}: {v:,}" for k, v in counts.items()))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enrollments", type=int, default=1_000_000)
    parser.add_argument("--bills", type=int, default=None,
                        help="electric bills for `credits post`, one per account (default: one per enrollment)")
    parser.add_argument("--credits-only", action="store_true",
                        help="skip the three `recert run`s: seed, then time `credits post` alone")
    parser.add_argument("--no-analyze", dest="analyze", action="store_false",
                        help="leave the planner without statistics (SQLite never gathers them by itself)")
    args = parser.parse_args()
    bills = args.enrollments if args.bills is None else min(args.enrollments, args.bills)
    from benchmarks.common import bench_app

    with bench_app() as (app, engine_name, _folder):
        print(f"engine: {engine_name}, run day {RUN_DAY}")
        seed(app, args.enrollments, args.analyze)
        if not args.credits_only:
            recert_run(app, RUN_DAY, "first (catch-up)")
            recert_run(app, RUN_DAY, "same day again")
            recert_run(app, RUN_DAY + timedelta(days=1), "next day")
        last = RUN_DAY.replace(day=1) - timedelta(days=1)
        first = last.replace(day=1)
        if bills:
            freeze(app, RUN_DAY + timedelta(days=1))
            seed_bills(app, bills, first, last, args.analyze)
            credits_post(app, first, last, f"{first:%Y-%m}, first")
            credits_post(app, first, last, f"{first:%Y-%m}, again")


if __name__ == "__main__":
    main()
