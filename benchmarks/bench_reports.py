"""Participation reports at scale: the Summary and Monthly figures for a year, and the whole workbook.

    .venv/bin/python benchmarks/bench_reports.py [--applications 1000000] [--bills-per-account 12]
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/bench_reports.py

Seeds one account per application (CARE), each application submitted in 2026 and decided 0 to 40
days later (four in five approved, each approval an enrollment; one in ten denied; the rest
waiting), a tenth of the enrollments ended in the year, `--bills-per-account` monthly bills per
account with the benefit credit each earned (`--applications 1000000 --bills-per-account 12` is
the issue's million applications, million enrollments and twelve million bills).

Then, each in a child process of its own (so its peak resident memory is its own):
1. the Summary and Monthly figures for 2026 (`reports.queries.figures`);
2. the whole workbook, as the background job builds it (`reports.service.build_participation`:
   every sheet, the Applications sheet one row per application, then encrypted chunk by chunk);
3. the Applications rows alone, streamed from the same query, written by openpyxl write-only
   (lxml) and by XlsxWriter's constant_memory mode, in the same run.
Each line gives wall time, this process's CPU time, and peak RSS. On a busy machine read the CPU
time: wall time includes waiting for the database and for the other processes.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from datetime import date, datetime, time as clock_time, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

YEAR = 2026
CHUNK = 20_000


def _rss_mib() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss it is not inherited across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def seed(app, count: int, bills_per_account: int) -> None:
    from sqlalchemy import select, text

    from accounts.models import Account, Bill, ImportRun, LedgerEntry
    from auth import service as auth_service
    from core.database import db
    from applications.models import Application
    from eligibility.assistance.models import ApplicationProgram, AssistanceApplication
    from eligibility.enrollments.models import Enrollment
    from eligibility.models import Program
    from benchmarks.bench_recert import bulk_insert, restart_sequences

    rng = random.Random(17)
    app.extensions["assist.clock"].freeze(datetime(YEAR, 12, 31, 20, 0, tzinfo=timezone.utc))
    with app.app_context():
        session = db.session()
        started = time.perf_counter()
        user = auth_service.create_user(session, email="bench-reports@example.com",
                                        password="correct horse battery staple", role="customer", confirmed=True)
        manager = auth_service.create_user(session, email="bench-manager@example.com",
                                           password="correct horse battery staple", role="manager", confirmed=True)
        run = ImportRun(kind="bills", filename="bench.csv", sha256="0" * 64, started_at=user.created_at,
                        finished_at=user.created_at, actor_label="bench", rows=0, created=0, updated=0, unchanged=0)
        session.add(run)
        session.commit()
        care = session.scalar(select(Program.id).where(Program.code == "CARE"))
        household = {"members": [{"age": 41, "name": "Rosa Diaz", "incomes": []}]}
        bill_id = entry_id = 0
        for offset in range(0, count, CHUNK):
            accounts, applications, details, programs, enrollments, bills, credits = [], [], [], [], [], [], []
            for n in range(offset + 1, min(count, offset + CHUNK) + 1):
                submitted = date(YEAR, 1, 1) + timedelta(days=rng.randrange(365))
                at = datetime.combine(submitted, clock_time(18), timezone.utc)
                roll = rng.random()
                status = "approved" if roll < 0.8 else "denied" if roll < 0.9 else "pending"
                decided = at + timedelta(days=rng.randrange(41)) if status != "pending" else None
                accounts.append({"id": n, "number": f"R{n:09d}", "customer_name": f"Customer {n}",
                                 "service_address": f"{n} Main St", "city": "Alameda",
                                 "zip": f"945{n % 20:02d}", "services": "electric", "status": "active",
                                 "meter_type": "individual", "last_bill_amount_cents": 10_000, "updated_at": at,
                                 "test_record": False})
                applications.append({"id": n, "number": f"A{YEAR}-{n:07d}", "account_id": n, "applicant_id": user.id,
                                     "started_by_id": user.id, "assisted": n % 4 == 0,
                                     "kind": "assistance", "status": {"pending": "submitted"}.get(status, status),
                                     "language": "es" if n % 5 == 0 else "en", "submitted_at": at,
                                     "submitted_on": submitted, "customer_responded": False,
                                     "created_at": at, "updated_at": at, "version": 2, "test_record": False})
                details.append({"application_id": n, "household": household, "categorical": [], "purpose": "new"})
                programs.append({"id": n, "application_id": n, "program_id": care, "status": status,
                                 "income_basis": "documented", "decided_at": decided,
                                 "reason_code": "income_over_limit" if status == "denied" else None})
                if status == "approved":
                    start = decided.date()
                    ended = start + timedelta(days=rng.randrange(30, 200)) if n % 10 == 0 else None
                    enrollments.append({"id": n, "account_id": n, "program_id": care, "application_id": n,
                                        "status": "ended" if ended else "active", "certified_from": start,
                                        "certified_to": start + timedelta(days=729), "enrolled_from": start,
                                        "ended_on": ended, "source": "application", "household_type": "standard",
                                        "rule_version": "CARE.v3", "created_at": decided})
                for month in range(1, bills_per_account + 1):
                    bill_id += 1
                    first = date(YEAR, (month - 1) % 12 + 1, 1)
                    bills.append({"id": bill_id, "bill_id": f"E-{n:09d}-{month:02d}", "account_id": n,
                                  "period_start": first, "period_end": first + timedelta(days=27),
                                  "service": "electric", "charges_cents": 10_000, "import_run_id": run.id})
                    if status == "approved" and first >= decided.date():
                        entry_id += 1
                        credits.append({"id": entry_id, "account_id": n, "amount_cents": 3_500, "kind": "discount",
                                        "idempotency_key": f"benefit:CARE:E-{n:09d}-{month:02d}",
                                        "source_type": "bill", "source_id": f"E-{n:09d}-{month:02d}",
                                        "period_start": first, "period_end": first + timedelta(days=27),
                                        "reason_code": None, "reverses_id": None,
                                        "reason": f"CARE benefit on bill E-{n:09d}-{month:02d}",
                                        "created_at": datetime.combine(first + timedelta(days=28), clock_time(18),
                                                                       timezone.utc),
                                        "created_by_id": None, "created_by_label": "bench"})
            for model, rows in ((Account, accounts), (Application, applications), (AssistanceApplication, details),
                                (ApplicationProgram, programs),
                                (Enrollment, enrollments), (Bill, bills), (LedgerEntry, credits)):
                if rows:
                    bulk_insert(session, model, rows)
            session.commit()
        restart_sequences(session, ("accounts", "applications", "application_programs", "enrollments", "bills",
                                    "ledger_entries"))
        session.execute(text("ANALYZE"))
        session.commit()
        print(f"seeded {count:,} applications and accounts, {session.scalar(text('SELECT count(*) FROM enrollments')):,} "
              f"enrollments, {bill_id:,} bills, {entry_id:,} benefit credits in {time.perf_counter() - started:.1f} s")


def _period():
    from reports import queries

    return queries.Period(date(YEAR, 1, 1), date(YEAR, 12, 31))


def child_figures(app) -> dict:
    from core.database import db
    from reports import queries

    with app.app_context():
        session = db.session()
        programs = queries.programs(session, ["CARE"])
        wall, cpu = time.perf_counter(), time.process_time()
        figures = queries.figures(session, programs, _period())
        row = figures.summary[0]
        return {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu,
                "summary": {"enrolled_end": row.enrolled_end, "new": row.new, "received": row.received,
                            "approved": row.approved, "denied": row.denied, "benefits_cents": row.benefits_cents},
                "months": len(figures.monthly)}


def child_workbook(app, folder: Path) -> dict:
    """The job itself, as a worker runs it: a report_jobs row, then `build_participation`."""
    import secrets

    from sqlalchemy import select

    from auth.models import User
    from core import clock
    from core.database import db
    from reports import service
    from reports.models import ReportJob

    app.config["UPLOAD_DIR"] = str(folder / "uploads")
    with app.app_context():
        session = db.session()
        manager = session.scalar(select(User).where(User.email == "bench-manager@example.com"))
        job = ReportJob(token=secrets.token_hex(16), report="participation",
                        parameters={"from": f"{YEAR}-01-01", "to": f"{YEAR}-12-31", "programs": ["CARE"],
                                    "identified": False},
                        status="queued", progress={}, requested_by_id=manager.id, created_at=clock.now(),
                        notified=False)
        session.add(job)
        session.commit()
        job_id = job.id
        base = _rss_mib()
        wall, cpu = time.perf_counter(), time.process_time()
        service.build_participation(job_id)
        session.commit()
        elapsed, used = time.perf_counter() - wall, time.process_time() - cpu
        job = session.get(ReportJob, job_id)
        return {"wall_s": elapsed, "cpu_s": used, "rows": job.progress["rows_written"], "bytes": job.size_bytes,
                "rss_before_mib": base}


def _application_rows(session):
    from reports import queries

    programs = queries.programs(session, ["CARE"])
    return queries.application_rows(session, [p.id for p in programs], _period(), secret="bench")


def child_openpyxl(app, folder: Path) -> dict:
    from core import clock
    from core.database import db
    from reports import queries, workbook

    with app.app_context():
        session = db.session()
        programs = queries.programs(session, ["CARE"])
        wall, cpu = time.perf_counter(), time.process_time()
        book = workbook.ParticipationWorkbook(_period(), programs, as_of=clock.now())
        rows = workbook._applications(book, _application_rows(session))
        book.save(folder / "openpyxl.xlsx")
        return {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu, "rows": rows,
                "bytes": (folder / "openpyxl.xlsx").stat().st_size}


def child_xlsxwriter(app, folder: Path) -> dict:
    import xlsxwriter

    from core.database import db
    from reports import workbook

    with app.app_context():
        session = db.session()
        wall, cpu = time.perf_counter(), time.process_time()
        book = xlsxwriter.Workbook(str(folder / "xlsxwriter.xlsx"), {"constant_memory": True,
                                                                     "strings_to_formulas": False})
        ws = book.add_worksheet("Applications")
        day, text = book.add_format({"num_format": workbook.DATE}), book.add_format({"num_format": "@"})
        for r, line in enumerate(("Applications", "Period", "As of", "Programs: CARE")):
            ws.write_string(r, 0, line)
        ws.write_row(workbook.HEADER_ROW - 1, 0, [c.header for c in workbook.APPLICATION_COLUMNS])
        ws.freeze_panes(workbook.HEADER_ROW, 0)
        r = workbook.HEADER_ROW
        for a in _application_rows(session):
            ws.write_string(r, 0, a.program)
            ws.write_string(r, 1, a.reference, text)
            if a.account is not None:
                ws.write_string(r, 2, a.account, text)
            ws.write_string(r, 3, a.kind)
            ws.write_string(r, 4, a.purpose)
            ws.write_string(r, 5, a.channel)
            if a.submitted_on:
                ws.write_datetime(r, 6, datetime.combine(a.submitted_on, clock_time()), day)
            if a.decided_on:
                ws.write_datetime(r, 7, datetime.combine(a.decided_on, clock_time()), day)
            if a.days_to_decision is not None:
                ws.write_number(r, 8, a.days_to_decision)
            ws.write_string(r, 9, a.outcome)
            if a.reason:
                ws.write_string(r, 10, a.reason)
            ws.write_string(r, 11, "yes" if a.assisted else "no")
            ws.write_string(r, 12, a.language)
            r += 1
        ws.autofilter(workbook.HEADER_ROW - 1, 0, r - 1, len(workbook.APPLICATION_COLUMNS) - 1)
        book.close()
        return {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu,
                "rows": r - workbook.HEADER_ROW, "bytes": (folder / "xlsxwriter.xlsx").stat().st_size}


CHILDREN = {"figures": child_figures, "workbook": child_workbook, "openpyxl": child_openpyxl,
            "xlsxwriter": child_xlsxwriter}


def _child(name: str, url: str, folder: str) -> None:
    from app import create_app

    app = create_app({"DATABASE_URL": url, "ASSIST_ENV": "development"})
    app.extensions["assist.clock"].freeze(datetime(YEAR, 12, 31, 20, 0, tzinfo=timezone.utc))
    func = CHILDREN[name]
    result = func(app) if name == "figures" else func(app, Path(folder))
    result["peak_rss_mib"] = _rss_mib()
    print(json.dumps(result, default=str))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--applications", type=int, default=1_000_000)
    parser.add_argument("--bills-per-account", type=int, default=12)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.url, args.folder)
        return
    from benchmarks.common import bench_app
    from core.database import db

    with bench_app() as (app, engine, folder):
        url = db.engine(app).url.render_as_string(hide_password=False)
        print(f"engine: {engine}")
        seed(app, args.applications, args.bills_per_account)
        results = {}
        for name in CHILDREN:
            done = subprocess.run([sys.executable, __file__, "--child", name, "--url", url, "--folder", str(folder)],
                                  capture_output=True, text=True, env=os.environ, check=False)
            if done.returncode != 0:
                print(done.stderr[-3000:])
                raise SystemExit(f"{name} failed")
            results[name] = json.loads(done.stdout.strip().splitlines()[-1])
            r = results[name]
            extra = f", {r['rows']:,} rows, {r['bytes'] / 2**20:.1f} MiB" if "rows" in r else ""
            print(f"{name:<10} wall {r['wall_s']:7.2f} s  cpu {r['cpu_s']:7.2f} s  peak RSS {r['peak_rss_mib']:6.1f} MiB"
                  f"{extra}")
        print("figures:", json.dumps(results["figures"]["summary"]))
        o, x = results["openpyxl"], results["xlsxwriter"]
        print(f"openpyxl / XlsxWriter (Applications rows): cpu {o['cpu_s'] / x['cpu_s']:.2f}x, "
              f"wall {o['wall_s'] / x['wall_s']:.2f}x")
        import shutil

        shutil.rmtree(folder, ignore_errors=True)  # the SQLite file and the workbooks


if __name__ == "__main__":
    main()
