"""The CSR queue over one million applications: the first and the hundredth page.

    .venv/bin/python benchmarks/bench_queue.py [--applications 1000000]
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/bench_queue.py

Seeds applications of both kinds (a third are rebate applications with one item each, the rest
assistance; most decided, a tenth waiting for staff, some flagged, two programs) with bulk
inserts, then times `applications.service.queue` for page 1 and page 100 (50 a page, keyset
paging), unfiltered, by kind, by program and by flag. `--rebate-share 0` seeds assistance only,
as before rebates existed.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def seed(app, count: int, rebate_share: float = 1 / 3) -> None:
    from sqlalchemy import insert, select, text

    from accounts.models import Account
    from auth import service as auth_service
    from core.database import db
    from applications.models import Application, Flag
    from eligibility.assistance.models import ApplicationProgram, AssistanceApplication
    from eligibility.models import Program
    from rebates.applications import RebateApplication, RebateItem
    from rebates.models import RebateProgram

    rng = random.Random(7)
    with app.app_context():
        session = db.session()
        user = auth_service.create_user(session, email="bench@example.com", password="correct horse battery staple",
                                        role="customer", confirmed=True)
        now = datetime(2026, 11, 1, tzinfo=timezone.utc)
        session.add(Account(number="B1", customer_name="Bench", service_address="1 Main St", city="Alameda",
                            zip="94501", services="electric", status="active", meter_type="individual",
                            last_bill_amount_cents=1000, updated_at=now))
        session.add(RebateProgram(code="BENCH-WATER", names={"en": "Bench water"}, descriptions={"en": "Bench"},
                                  created_at=now, updated_at=now))
        session.commit()
        account_id = session.scalar(select(Account.id).where(Account.number == "B1"))
        rebate_program_id = session.scalar(select(RebateProgram.id).where(RebateProgram.code == "BENCH-WATER"))
        every = round(1 / rebate_share) if rebate_share > 0 else 0
        programs = dict(session.execute(select(Program.code, Program.id)).all())
        household = {"members": [{"age": 40, "name": "A B", "incomes": []}]}
        statuses = ["approved"] * 6 + ["denied"] * 2 + ["submitted", "in_review"]
        chunk = 20_000
        started = time.perf_counter()
        for offset in range(0, count, chunk):
            rows = []
            for n in range(offset, min(count, offset + chunk)):
                when = now - timedelta(seconds=(count - n) * 30)
                rows.append({"id": n + 1, "number": f"A-{n + 1:08d}", "account_id": account_id,
                             "applicant_id": user.id, "started_by_id": user.id, "assisted": False,
                             "kind": "rebate" if every and n % every == 0 else "assistance", "status": statuses[rng.randrange(len(statuses))],
                             "language": "en", "submitted_at": when,
                             "submitted_on": when.date(), "customer_responded": False, "created_at": when,
                             "updated_at": when, "version": 1})
            session.execute(insert(Application), rows)
            assistance = [r for r in rows if r["kind"] == "assistance"]
            rebate = [r for r in rows if r["kind"] == "rebate"]
            session.execute(insert(AssistanceApplication), [
                {"application_id": r["id"], "household": household, "categorical": [], "purpose": "new"} for r in assistance])
            session.execute(insert(ApplicationProgram), [
                {"application_id": r["id"], "program_id": programs["CARE" if r["id"] % 2 else "FERA"],
                 "status": "pending", "income_basis": "documented"} for r in assistance])
            if rebate:
                session.execute(insert(RebateApplication), [
                    {"application_id": r["id"], "program_id": rebate_program_id, "premise": "1 MAIN ST ALAMEDA 94501",
                     "payment_method": "bill_credit", "applicant_role": "owner", "owner_consent": False,
                     "quote_cents": 10000, "status": "pending"} for r in rebate])
                session.execute(insert(RebateItem), [
                    {"application_id": r["id"], "position": 0, "measure": "toilet", "quantity": 1,
                     "purchased_on": r["submitted_on"], "price_cents": 25000, "attributes": {}, "counted_quantity": 1,
                     "amount_cents": 10000, "reasons": [], "explanation": {"en": "bench"}} for r in rebate])
            session.execute(insert(Flag), [
                {"application_id": r["id"], "code": "income_mismatch", "message": "m", "details": {},
                 "raised_at": r["submitted_at"]} for r in rows if r["id"] % 17 == 0])
            session.commit()
        session.execute(text("ANALYZE"))  # planner statistics, as autovacuum would gather after a load this size
        session.commit()
        print(f"seeded {count:,} applications in {time.perf_counter() - started:.1f} s (with ANALYZE)")


def time_pages(app, label: str, **filters) -> None:
    from core.database import db
    from applications import service as lifecycle

    class Staff:
        id = -1

    with app.app_context():
        session = db.session()
        cursor = None
        for _ in range(99):
            page = lifecycle.queue(session, Staff, after=cursor, **filters)
            cursor = page.next
        timings = {}
        for name, after in (("page 1", None), ("page 100", cursor)):
            samples = []
            for _ in range(20):
                started = time.perf_counter()
                result = lifecycle.queue(session, Staff, after=after, **filters)
                samples.append(time.perf_counter() - started)
                session.expunge_all()
            timings[name] = (statistics.median(samples) * 1000, len(result.items))
        print(f"{label:<26} page 1: {timings['page 1'][0]:6.1f} ms ({timings['page 1'][1]} items)   "
              f"page 100: {timings['page 100'][0]:6.1f} ms ({timings['page 100'][1]} items)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--applications", type=int, default=1_000_000)
    parser.add_argument("--rebate-share", type=float, default=1 / 3, help="share of rebate applications (0: none)")
    args = parser.parse_args()
    from benchmarks.common import bench_app

    with bench_app() as (app, engine_name, _folder):
        print(f"engine: {engine_name}")
        seed(app, args.applications, args.rebate_share)
        time_pages(app, "all waiting")
        if args.rebate_share:
            time_pages(app, "kind rebate", kind="rebate")
            time_pages(app, "kind assistance", kind="assistance")
        time_pages(app, "program FERA", program="FERA")
        time_pages(app, "flag income_mismatch", flag="income_mismatch")


if __name__ == "__main__":
    main()
