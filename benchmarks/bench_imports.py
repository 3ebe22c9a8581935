"""Import 100,000 accounts and 1.2 million bills from CSV; print rows per second.

    .venv/bin/python benchmarks/bench_imports.py                      # SQLite in a temporary file
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python benchmarks/bench_imports.py                  # PostgreSQL, in a schema of its own

Options: --accounts N (100000), --months M (12), --keep (do not drop the database afterwards).
Each import runs as `flask accounts import` / `flask bills import` would: one transaction.
"""
from __future__ import annotations

import argparse
import csv
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def write_files(folder: Path, accounts: int, months: int) -> tuple[Path, Path]:
    accounts_csv, bills_csv = folder / "accounts.csv", folder / "bills.csv"
    with accounts_csv.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["account_number", "customer_name", "service_address", "city", "zip", "services", "status",
                         "meter_type", "last_bill_amount"])
        for n in range(accounts):
            writer.writerow([f"{3_000_000_000 + n}", f"Customer {n}", f"{n % 9000 + 100} Main St", "Alameda",
                             "94501", "electric;water", "active", "individual", f"{50 + n % 200}.{n % 100:02d}"])
    starts = []
    first = date(2025, 1, 1)
    for _ in range(months):
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        starts.append((first, following - timedelta(days=1)))
        first = following
    with bills_csv.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["account_number", "bill_id", "period_start", "period_end", "service", "charges"])
        for n in range(accounts):
            number = 3_000_000_000 + n
            for start, end in starts:
                writer.writerow([number, f"{number}-{start:%Y%m}", start.isoformat(), end.isoformat(), "electric",
                                 f"{40 + n % 150}.{n % 100:02d}"])
    return accounts_csv, bills_csv


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    from benchmarks.common import bench_app

    with bench_app(args.keep) as (app, engine_name, folder):
        run(app, engine_name, folder, args)


def run(app, engine_name: str, folder: Path, args) -> None:
    from accounts import imports
    from core.audit import Actor, acting_as
    from core.database import db

    t0 = time.perf_counter()
    accounts_csv, bills_csv = write_files(folder, args.accounts, args.months)
    print(f"engine: {engine_name}; files written in {time.perf_counter() - t0:.1f} s "
          f"({args.accounts:,} accounts, {args.accounts * args.months:,} bills)")
    with app.app_context():
        acting_as(Actor(label="benchmark"))
        for label, func, path in (("accounts", imports.import_accounts, accounts_csv),
                                  ("bills", imports.import_bills, bills_csv),
                                  ("accounts again (unchanged)", imports.import_accounts, accounts_csv)):
            start = time.perf_counter()
            result = func(db.session(), path)
            db.session.commit()
            seconds = time.perf_counter() - start
            print(f"{label:<28} {result.rows:>10,} rows in {seconds:7.1f} s = {result.rows / seconds:>10,.0f} rows/s "
                  f"(created {result.created:,}, updated {result.updated:,}, unchanged {result.unchanged:,})")


if __name__ == "__main__":
    main()
