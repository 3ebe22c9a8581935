"""Demo accounts with a year of bills; with --accounts N, scale data for benchmarks."""
from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from accounts.models import Account, AccountLink, Bill, ImportRun
from auth.models import User
from core import clock
from core.money import format_dollars

DEMO_ACCOUNTS = 300
STREETS = ("Park St", "Central Ave", "Lincoln Ave", "Santa Clara Ave", "Webster St", "Shoreline Dr", "Otis Dr",
           "Pine St", "Cedar Way", "Harbor Rd")
PLACES = (("Alameda", "94501"), ("Alameda", "94502"), ("Los Angeles", "90012"), ("Los Angeles", "90033"),
          ("Seattle", "98101"), ("Seattle", "98118"), ("Seattle", "98144"))
FIRST = ("Maria", "James", "Ana", "Wei", "Fatima", "John", "Rosa", "Luis", "Mei", "David", "Aisha", "Carmen")
LAST = ("Garcia", "Nguyen", "Smith", "Hernandez", "Chen", "Johnson", "Lopez", "Kim", "Patel", "Brown")
SERVICE_SETS = ("electric;water", "electric", "water;wastewater", "electric;refuse;wastewater;water")


def _months(end: date, count: int) -> list[tuple[date, date]]:
    periods = []
    first = date(end.year, end.month, 1)
    for _ in range(count):
        last = first - timedelta(days=1)
        first = date(last.year, last.month, 1)
        periods.append((first, last))
    return list(reversed(periods))


def _add_accounts(session: Session, rng: random.Random, start_number: int, count: int, run: ImportRun,
                  services_each: int | None = None, chunk: int = 5000) -> None:
    now = clock.now()
    periods = _months(clock.today(), 12)
    for offset in range(0, count, chunk):
        accounts, bills = [], []
        for n in range(start_number + offset, start_number + min(offset + chunk, count)):
            city, zip_code = rng.choice(PLACES)
            services = SERVICE_SETS[0 if services_each == 1 else rng.randrange(len(SERVICE_SETS))]
            if services_each == 1:
                services = "electric"
            number = f"{n:010d}"
            monthly = {s: rng.randrange(2500, 24000) for s in services.split(";")}
            accounts.append({"number": number, "customer_name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                             "service_address": f"{rng.randrange(100, 3999)} {rng.choice(STREETS)}", "city": city,
                             "zip": zip_code, "services": services,
                             "status": "active" if rng.random() > 0.03 else "closed",
                             "meter_type": "individual" if rng.random() > 0.08 else "master",
                             "last_bill_amount_cents": sum(monthly.values()), "updated_at": now,
                             "updated_by_import_id": run.id})
            for start, end in periods:
                for service, base in monthly.items():
                    bills.append({"bill_id": f"B{number}-{start:%Y%m}-{service}", "period_start": start,
                                  "period_end": end, "service": service,
                                  "charges_cents": base + rng.randrange(-1500, 1500), "cancels_bill_id": None,
                                  "import_run_id": run.id, "_number": number})
        session.execute(insert(Account), accounts)
        ids = dict(session.execute(select(Account.number, Account.id)
                                   .where(Account.number.in_([a["number"] for a in accounts]))).all())
        for bill in bills:
            bill["account_id"] = ids[bill.pop("_number")]
        session.execute(insert(Bill), bills)
        session.flush()


def load(session: Session, echo, options: dict) -> None:
    existing = session.scalar(select(func.count()).select_from(Account)) or 0
    rng = random.Random(2026 + existing)
    run = ImportRun(kind="bills", filename="demo data", sha256="0" * 64, started_at=clock.now(),
                    actor_label="cli: demo", rows=0, created=0, updated=0, unchanged=0)
    session.add(run)
    session.flush()
    if existing == 0:
        _add_accounts(session, rng, 1_000_000_001, DEMO_ACCOUNTS, run)
        account = session.scalar(select(Account).where(Account.status == "active", Account.meter_type == "individual",
                                                       Account.city == "Alameda").order_by(Account.number))
        customer = session.scalar(select(User).where(User.email == "customer@example.com"))
        if customer is not None and account is not None:
            session.add(AccountLink(user_id=customer.id, account_id=account.id, linked_at=clock.now(),
                                    method="staff"))
        echo(f"  {DEMO_ACCOUNTS} accounts with a year of bills; customer@example.com holds account "
             f"{account.number} (ZIP {account.zip}, last bill {format_dollars(account.last_bill_amount_cents)})")
        unlinked = session.scalar(select(Account).where(Account.status == "active", Account.id != account.id,
                                                        Account.meter_type == "individual").order_by(Account.number))
        echo(f"  to try linking: account {unlinked.number}, ZIP {unlinked.zip}, last bill "
             f"{format_dollars(unlinked.last_bill_amount_cents)}")
    scale = int(options.get("scale_accounts") or 0)
    if scale:
        start = 2_000_000_001 + existing
        _add_accounts(session, rng, start, scale, run, services_each=1)
        echo(f"  {scale} scale accounts with 12 bills each")
