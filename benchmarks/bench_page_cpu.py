"""CPU time per page, in one process: what each request of bench_load costs the server.

    .venv/bin/python benchmarks/bench_page_cpu.py                      # SQLite, 2,000 applications
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/bench_page_cpu.py
    ... benchmarks/bench_page_cpu.py --applications 20000 --repeat 200 --profile queue

Seeds the data of `bench_load.py` (smaller by default), signs in a CSR and a customer with the
Flask test client and renders each page bench_load drives `--repeat` times (after a few warm-up
requests). Prints, per page, the CPU time of this process per request (`time.process_time`, so
a busy machine does not change the figure much, unlike wall time) and the SQL statements each
request runs. The database's own CPU is not counted on PostgreSQL (another process); on SQLite
it is. `--profile PAGE` prints the cProfile of that page's requests, by own time.
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import re
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_load import PASSWORD, SCREEN, seed  # noqa: E402

WARM_UP = 5


def sign_in(client, email: str) -> str:
    def token(path: str) -> str:
        match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))
        if not match:
            raise RuntimeError(f"no CSRF token on {path}")
        return match.group(1)

    reply = client.post("/login", data={"csrf_token": token("/login"), "email": email, "password": PASSWORD})
    if reply.status_code != 302:
        raise RuntimeError(f"sign-in of {email} answered {reply.status_code}")
    return token("/screen")


def pages(app, plan: dict) -> list[tuple[str, object, str, str, dict | None]]:
    """(page, client, method, path, form) for every request bench_load makes, staff and customer."""
    staff, customer = app.test_client(), app.test_client()
    staff_token = sign_in(staff, "load-csr0@example.com")
    email = plan["customers"][0]
    customer_token = sign_in(customer, email)
    mine = plan["customer_of"][email]
    waiting = plan["waiting"][len(plan["waiting"]) // 2]
    return [
        ("queue", staff, "GET", "/staff/queue", None),
        ("queue by program", staff, "GET", "/staff/queue?program=CARE", None),
        ("queue by flag", staff, "GET", "/staff/queue?flag=income_mismatch", None),
        ("queue later page", staff, "GET", "/staff/queue?" + urlencode({"after": plan["cursor"]}), None),
        ("application", staff, "GET", f"/staff/applications/{waiting}", None),
        ("status", customer, "GET", f"/applications/{mine}", None),
        ("my applications", customer, "GET", "/applications", None),
        ("screener", customer, "POST", "/screen", {**SCREEN, "csrf_token": customer_token}),
        ("screener (staff)", staff, "POST", "/screen", {**SCREEN, "csrf_token": staff_token}),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--applications", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=100, help="requests per page, after the warm-up")
    parser.add_argument("--rounds", type=int, default=3, help="measure each page this many times; print the least")
    parser.add_argument("--sql", action="store_true", help="print the statements of one request of each page")
    parser.add_argument("--profile", default=None, help="a page's name: print its cProfile")
    parser.add_argument("--language", default="en", help="the Accept-Language of every request")
    args = parser.parse_args()

    from sqlalchemy import event

    from benchmarks.common import bench_app
    from core.database import db

    with bench_app(config={"RATELIMIT_ENABLED": False}) as (app, engine_name, _folder):
        plan = seed(app, args.applications)
        with app.app_context():
            from auth.models import User
            from applications import service
            from sqlalchemy import select

            csr = db.session.scalar(select(User).where(User.email == "load-csr0@example.com"))
            page = service.queue(db.session, csr, limit=50)
            for _ in range(min(9, args.applications // 1000)):
                page = service.queue(db.session, csr, after=page.next, limit=50) if page.next else page
            plan["cursor"] = page.next or ""
            db.session.remove()
        statements = [0]
        with app.app_context():
            engine = db.engine(app)

        shown: list[str] = []

        @event.listens_for(engine, "before_cursor_execute")
        def _count(_conn, _cursor, statement, *_args):
            statements[0] += 1
            shown.append(" ".join(statement.split())[:160])

        headers = {"Accept-Language": args.language}
        print(f"{engine_name}, {args.applications:,} applications, {args.repeat} requests a page, least of {args.rounds} rounds, "
              f"Accept-Language {args.language}", flush=True)
        print(f"    {'page':<20}{'CPU ms/request':>15}{'SQL/request':>12}")
        total_cpu = total_requests = 0
        for name, client, method, path, form in pages(app, plan):
            def once():
                reply = client.open(path, method=method, data=form, headers=headers)
                if reply.status_code != 200:
                    raise RuntimeError(f"{name}: {path} answered {reply.status_code}")
            for _ in range(WARM_UP):
                once()
            if args.sql:
                shown.clear()
                once()
                print(f"    {name}: " + "".join(f"\n        {line}" for line in shown))
            best = None
            for _round in range(args.rounds):
                statements[0] = 0
                profile = cProfile.Profile(time.process_time) if args.profile == name and _round == 0 else None
                if profile:
                    profile.enable()
                started = time.process_time()
                for _ in range(args.repeat):
                    once()
                cpu = time.process_time() - started
                if profile:
                    profile.disable()
                    pstats.Stats(profile).sort_stats("tottime").print_stats(40)
                    profile.dump_stats(f"/tmp/bench_page_cpu.{name.replace(' ', '_')}.prof")
                    continue
                best = cpu if best is None else min(best, cpu)
            cpu = best if best is not None else cpu
            total_cpu += cpu
            total_requests += args.repeat
            print(f"    {name:<20}{cpu / args.repeat * 1000:>15.2f}{statements[0] / args.repeat:>12.1f}", flush=True)
        print(f"    {'all pages':<20}{total_cpu / total_requests * 1000:>15.2f}")


if __name__ == "__main__":
    main()
