"""The service under load: gunicorn with 4 workers on PostgreSQL, a million applications, 20 and 50 users.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/bench_load.py
    ... benchmarks/bench_load.py --applications 20000 --users 20 --seconds 20   # a quick look

Seeds (in a PostgreSQL schema of its own, dropped afterwards) `--applications` applications,
each on an account of its own, for 1,000 customers: one in twenty waits for staff (submitted or
in review, two programs with their determinations, two flags, a receipt letter), the others are
decided. Then starts `gunicorn -w 4` on 127.0.0.1 and, for each number of users in `--users`,
runs that many simulated people for `--seconds`: each signs in once (staff or customer), then
goes round the CSR queue (first page, by program, by flag, a later page by its cursor), a
waiting application's page, a customer's status page and the screener (`POST /screen`), with
no pause between requests. Prints, per page, the requests, requests per second and the
50th/95th/99th percentile time, and any answer other than 200.

The load generator is one asyncio process (HTTP/1.1, a connection per request, as gunicorn's
sync workers close them): it only talks to 127.0.0.1, stops at the time limit or after
`--max-requests`, and the server is stopped when it ends. On a shared machine the generator
and the server compete for the same cores; the figures say so. Rate limits are switched off
for the run (every simulated person comes from the same address).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # never anywhere else
CUSTOMERS = 1_000
STAFF = 10
CHUNK = 20_000
WAITING_EVERY = 20  # one application in twenty waits for staff
PASSWORD = "correct horse battery staple"
SECRET_KEY = "bench-load-secret-key-" + "x" * 32
DOCUMENT_KEY = "Z2hvc3RzLWFyZS1ub3QtcmVhbC1idXQtdGhpcy1rZXk="  # benchmark only


def wsgi():
    """What gunicorn serves: the app from the environment, with rate limits off (one address sends everything)."""
    from app import create_app

    return create_app({"RATELIMIT_ENABLED": False})


# --- seeding -------------------------------------------------------------------------------------

def seed(app, count: int) -> dict:
    from sqlalchemy import select, text

    from accounts.models import Account
    from auth import service as auth_service
    from auth.models import User
    from benchmarks.bench_recert import bulk_insert, restart_sequences
    from core.database import db
    from applications.models import Application, Flag
    from eligibility.assistance.models import ApplicationProgram, AssistanceApplication
    from notices.models import Notice
    from eligibility.models import Program

    rng = random.Random(11)
    with app.app_context():
        session = db.session()
        started = time.perf_counter()
        first = auth_service.create_user(session, email="load-customer0@example.com", password=PASSWORD,
                                         role="customer", confirmed=True)
        staff = auth_service.create_user(session, email="load-csr0@example.com", password=PASSWORD, role="csr",
                                         confirmed=True)
        session.flush()
        now = first.created_at
        base = staff.id + 1
        users = [{"id": base + n, "email": f"load-customer{n}@example.com", "password_hash": first.password_hash,
                  "role": "customer", "active": True, "language": "en", "created_at": now, "email_confirmed_at": now,
                  "password_changed_at": now, "failed_logins": 0} for n in range(1, CUSTOMERS)]
        users += [{"id": base + CUSTOMERS + n, "email": f"load-csr{n}@example.com", "password_hash": first.password_hash,
                   "role": "csr", "active": True, "language": "en", "created_at": now, "email_confirmed_at": now,
                   "password_changed_at": now, "failed_logins": 0} for n in range(1, STAFF)]
        bulk_insert(session, User, users)
        customer_ids = [first.id] + [base + n for n in range(1, CUSTOMERS)]
        session.commit()
        programs = {code: session.scalar(select(Program.id).where(Program.code == code)) for code in ("CARE", "FERA")}
        household = {"members": [{"age": 41, "name": "Rosa Diaz", "incomes": [
            {"kind": "wages", "amount_cents": 250_000, "frequency": "monthly"}]}]}
        determination = {"eligible": True, "tier": None, "limit_cents": 6_430_000, "income_cents": 3_000_000,
                         "period": "annual", "reasons": [], "rule_version": "CARE.v3", "explanation": []}
        start = datetime(2024, 1, 1, tzinfo=timezone.utc)
        waiting: list[int] = []
        own: dict[int, int] = {}  # a customer -> one of their applications
        program_row = flag_row = 0
        for offset in range(0, count, CHUNK):
            accounts, applications, details, links, flags, notices = [], [], [], [], [], []
            for n in range(offset + 1, min(count, offset + CHUNK) + 1):
                at = start + timedelta(seconds=n * 60)
                customer = customer_ids[n % CUSTOMERS]
                waits = n % WAITING_EVERY == 0
                status = rng.choice(("submitted", "in_review")) if waits else rng.choice(("approved", "denied"))
                accounts.append({"id": n, "number": f"L{n:09d}", "customer_name": f"Customer {n}",
                                 "service_address": f"{n} Main St", "city": "Alameda", "zip": "94501",
                                 "services": "electric", "status": "active", "meter_type": "individual",
                                 "last_bill_amount_cents": 10_000, "updated_at": at})
                applications.append({"id": n, "number": f"A{at.year}-{n:07d}", "account_id": n,
                                     "applicant_id": customer, "started_by_id": customer, "assisted": False,
                                     "kind": "assistance", "status": status, "language": "en",
                                     "submitted_at": at, "submitted_on": at.date(), "customer_responded": False,
                                     "created_at": at, "updated_at": at, "version": 2})
                details.append({"application_id": n, "household": household, "categorical": [], "purpose": "new"})
                for code, pid in programs.items():
                    program_row += 1
                    links.append({"id": program_row, "application_id": n, "program_id": pid,
                                  "status": "pending" if waits else status,
                                  "determination": {**determination, "rule_version": f"{code}.v3"},
                                  "income_basis": "documented"})
                if waits:
                    waiting.append(n)
                    own.setdefault(customer, n)
                    for code in ("income_mismatch", "document_unread"):
                        flag_row += 1
                        flags.append({"id": flag_row, "application_id": n, "code": code, "program_code": None,
                                      "message": code, "details": {}, "raised_at": at})
                    notices.append({"account_id": n, "application_id": n, "delivery": "email", "kind": "receipt", "language": "en",
                                    "subject": "We have your application", "body": "We have your application.",
                                    "created_at": at})
            for model, rows in ((Account, accounts), (Application, applications), (AssistanceApplication, details),
                                (ApplicationProgram, links), (Flag, flags), (Notice, notices)):
                if rows:
                    bulk_insert(session, model, rows)
            session.commit()
        restart_sequences(session, ("users", "accounts", "applications", "application_programs",
                                    "application_flags"))
        session.execute(text("ANALYZE"))  # as autovacuum would after a load this size
        session.commit()
        print(f"seeded {count:,} applications ({len(waiting):,} waiting for staff), {count:,} accounts, "
              f"{CUSTOMERS:,} customers and {STAFF} CSRs in {time.perf_counter() - started:.1f} s", flush=True)
        return {"waiting": waiting, "own": own,
                "customers": [f"load-customer{customer_ids.index(c)}@example.com" for c in own][:200],
                "customer_of": {f"load-customer{customer_ids.index(c)}@example.com": a for c, a in own.items()}}


# --- the load generator --------------------------------------------------------------------------

class Client:
    """One simulated person: a cookie jar and HTTP/1.1 requests to 127.0.0.1, a connection each."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    async def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str, dict]:
        reader, writer = await asyncio.open_connection(HOST, self.port)
        body = urlencode(form or {}, doseq=True).encode() if form is not None else b""
        head = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{self.port}", "Connection: close",
                "Accept-Language: en"]
        if self.cookies:
            head.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if form is not None:
            head += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        await writer.drain()
        raw = await reader.read()
        writer.close()
        header, _, content = raw.partition(b"\r\n\r\n")
        lines = header.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.lower() == "set-cookie":
                cookie = value.strip().split(";", 1)[0]
                key, _, val = cookie.partition("=")
                if val:
                    self.cookies[key] = val
                else:
                    self.cookies.pop(key, None)
            headers[name.lower()] = value.strip()
        return status, content.decode("utf-8", "replace"), headers

    async def token(self, path: str) -> str:
        _status, text, _ = await self.request("GET", path)
        match = re.search(r'name="csrf_token" value="([^"]+)"', text)
        if not match:
            raise RuntimeError(f"no CSRF token on {path}")
        return match.group(1)

    async def sign_in(self, email: str) -> None:
        token = await self.token("/login")
        status, _text, _ = await self.request("POST", "/login", {"csrf_token": token, "email": email,
                                                                 "password": PASSWORD})
        if status != 302:
            raise RuntimeError(f"sign-in of {email} answered {status}")


SCREEN = {"zip": "94501", "rows": "3", "age-0": "41", "amount-0": "3100.00", "frequency-0": "monthly",
          "kind-0": "wages", "age-1": "39", "age-2": "8"}


async def sign_in(n: int, port: int, plan: dict) -> dict:
    """The n-th person: even ones are CSRs, odd ones customers with an application waiting."""
    client = Client(port)
    person = {"client": client, "staff": n % 2 == 0, "rng": random.Random(n)}
    if person["staff"]:
        await client.sign_in(f"load-csr{n // 2 % STAFF}@example.com")
    else:
        email = plan["customers"][n // 2 % len(plan["customers"])]
        await client.sign_in(email)
        person["mine"] = plan["customer_of"][email]
    person["screen_token"] = await client.token("/screen")
    return person


async def go_round(person: dict, plan: dict, deadline: float, budget: list[int], times: dict, failures: dict):
    """Pages one after another, no pause, until the time is up or the run's request budget is spent."""
    rng, client = person["rng"], person["client"]
    screener = ("screener", "POST", "/screen", {**SCREEN, "csrf_token": person["screen_token"]})
    while time.perf_counter() < deadline and budget[0] > 0:
        if person["staff"]:
            page, method, path, form = rng.choice((
                ("queue", "GET", "/staff/queue", None),
                ("queue", "GET", "/staff/queue?program=CARE", None),
                ("queue", "GET", "/staff/queue?flag=income_mismatch", None),
                ("queue", "GET", "/staff/queue?" + urlencode({"after": plan["cursor"]}), None),
                ("application", "GET", f"/staff/applications/{rng.choice(plan['waiting'])}", None),
                screener,
            ))
        else:
            page, method, path, form = rng.choice((
                ("status", "GET", f"/applications/{person['mine']}", None),
                ("status", "GET", f"/applications/{person['mine']}", None),
                ("my applications", "GET", "/applications", None),
                screener,
            ))
        budget[0] -= 1
        started = time.perf_counter()
        try:
            status, _text, _ = await client.request(method, path, form)
        except OSError as exc:
            key = f"{page}: {type(exc).__name__}"
            failures[key] = failures.get(key, 0) + 1
            continue
        elapsed = time.perf_counter() - started
        if status == 200:
            times.setdefault(page, []).append(elapsed)
        else:
            failures[f"{page}: {status}"] = failures.get(f"{page}: {status}", 0) + 1


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def load(port: int, users: int, seconds: float, max_requests: int, plan: dict) -> None:
    times: dict[str, list[float]] = {}
    failures: dict[str, int] = {}
    budget = [max_requests]
    # Everyone signs in first (argon2 is slow on purpose); the clock starts when all are in.
    people = [await sign_in(n, port, plan) for n in range(users)]
    started = time.perf_counter()
    await asyncio.gather(*(go_round(p, plan, started + seconds, budget, times, failures) for p in people))
    elapsed = time.perf_counter() - started
    total = sum(len(v) for v in times.values())
    print(f"{users} users for {elapsed:.0f} s: {total:,} requests answered 200, {total / elapsed:,.1f} per second",
          flush=True)
    print(f"    {'page':<16}{'requests':>9}{'per s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for page in ("queue", "application", "status", "my applications", "screener"):
        values = times.get(page, [])
        if values:
            print(f"    {page:<16}{len(values):>9,}{len(values) / elapsed:>8.1f}{percentile(values, 50) * 1000:>9.0f}"
                  f"{percentile(values, 95) * 1000:>9.0f}{percentile(values, 99) * 1000:>9.0f}")
    for what, n in sorted(failures.items()):
        print(f"    not 200: {what} x {n}")


def serve(url: str, port: int, workers: int, folder: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "ASSIST_ENV": "development", "SECRET_KEY": SECRET_KEY,
           "DOCUMENT_KEY": DOCUMENT_KEY, "ASSIST_INSTANCE_PATH": str(folder / "instance"),
           "UPLOAD_DIR": str(folder / "uploads")}
    env.pop("REDIS_URL", None)
    log = open(folder / "gunicorn.log", "w")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"{HOST}:{port}",
                               "--timeout", "120", "--log-level", "warning", "benchmarks.bench_load:wsgi()"],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(600):  # up to a minute for the workers to import the app
        time.sleep(0.1)
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn stopped; see {folder / 'gunicorn.log'}")
        try:
            import socket

            with socket.create_connection((HOST, port), timeout=1):
                return server
        except OSError:
            continue
    server.terminate()
    raise RuntimeError("gunicorn did not start listening")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--applications", type=int, default=1_000_000)
    parser.add_argument("--users", default="20,50", help="comma-separated numbers of simultaneous users")
    parser.add_argument("--seconds", type=float, default=60.0, help="each run's length")
    parser.add_argument("--max-requests", type=int, default=200_000, help="stop a run after this many requests")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        parser.error("set DATABASE_URL=postgresql+psycopg://... (the benchmark runs on PostgreSQL)")
    from benchmarks.common import bench_app

    with bench_app() as (app, _engine, folder):
        plan = seed(app, args.applications)
        with app.app_context():
            from auth.models import User
            from core.database import db
            from applications import service as lifecycle
            from sqlalchemy import select

            csr = db.session.scalar(select(User).where(User.email == "load-csr0@example.com"))
            page = lifecycle.queue(db.session, csr, limit=50)
            for _ in range(9):  # the cursor of the queue's tenth page
                page = lifecycle.queue(db.session, csr, after=page.next, limit=50)
            plan["cursor"] = page.next or ""
        url = app.config["DATABASE_URL"]
        from core.database import db

        db.engine(app).dispose()
        server = serve(url, args.port, args.workers, folder)
        try:
            print(f"gunicorn -w {args.workers} on {HOST}:{args.port}, PostgreSQL; {os.cpu_count()} cores shared by the "
                  f"server, the database and the load generator", flush=True)
            for users in (int(u) for u in args.users.split(",")):
                asyncio.run(load(args.port, users, args.seconds, args.max_requests, plan))
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()


if __name__ == "__main__":
    main()
