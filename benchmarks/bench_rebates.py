"""Quoting a million rebate items in one process (target: 100,000 items a second).

Pure rules, no database: the example water program's versions are built once, as the service
does per request, and requests of ten items with a little history are quoted. Prints CPU-time
items per second (the machine is shared; wall time would mislead).

    .venv/bin/python benchmarks/bench_rebates.py [--items 1000000]
"""
from __future__ import annotations

import argparse
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rebates import definitions, rules  # noqa: E402


def program() -> rules.Program:
    spec = definitions.example()["programs"][0]
    versions = [rules.build_version(spec["code"], n, date.fromisoformat(v["effective_from"]),
                                    date.fromisoformat(v["effective_to"]) if v["effective_to"] else None,
                                    v["measures"], v["label"]) for n, v in enumerate(spec["versions"], start=1)]
    return rules.Program.of(spec["code"], versions, (7, 1))


def products() -> dict[str, rules.ProductList]:
    models = {rules.normalize_model(f"EC-{n:04d}-W"): {"gpf": Decimal("0.8") if n % 2 else Decimal("1.28")}
              for n in range(5000)}
    return {"WATERSENSE-TOILETS": rules.ProductList("WATERSENSE-TOILETS", ((date(2025, 1, 1), models),))}


def requests(count: int) -> list[rules.Request]:
    base = date(2026, 8, 1)
    gpf = {"replaced_gpf": Decimal("3.5")}
    out = []
    for n in range(count):
        day = base + timedelta(days=n % 60)
        items = (
            rules.Item("TOILET", 1 + n % 3, day, model=f"ec {n % 5000:04d} w", price_cents=18900, tax_cents=1500,
                       attributes=gpf),
            rules.Item("CLOTHES_WASHER", 1, day, price_cents=89900),
            rules.Item("SMART_CONTROLLER", 1, day, price_cents=15900),
            rules.Item("ROTATING_NOZZLE", 10 + n % 40, day, price_cents=12000),
            rules.Item("RAIN_BARREL", 1 + n % 3, day, price_cents=6000, attributes={"capacity_gallons": Decimal("55")}),
            rules.Item("CISTERN", 1, day, price_cents=120000, attributes={"capacity_gallons": Decimal(200 + n % 1200)}),
            rules.Item("TURF", 300 + n % 4000, day, installed_on=day, price_cents=1_500_000),
            rules.Item("POOL_COVER", 1, day, price_cents=45000, tax_cents=3600),
            rules.Item("TOILET", 1, day, model="EC-0001-W", price_cents=9900, attributes=gpf),
            rules.Item("PONY", 1, day),
        )
        history = (rules.Past("TOILET", 1, 10000, date(2019, 5, 1), "1234 PARK ST 94501", "100", "7"),
                   rules.Past("TURF", 500, 150000, date(2024, 5, 1), "1234 PARK ST 94501", "100", "7"))
        out.append(rules.Request("EXAMPLE-WATER", day + timedelta(days=20), items, premise="1234 PARK ST 94501",
                                 account="100", customer="7", enrolled_in=frozenset({"CARE"}) if n % 4 == 0
                                 else frozenset(), history=history))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    args = parser.parse_args()
    prog, lists = program(), products()
    batch = requests(1000)                       # 10,000 distinct items, quoted over and over
    per_request = len(batch[0].items)
    rounds = max(1, args.items // (len(batch) * per_request))
    quoted = paid = 0
    started = time.process_time()
    for _ in range(rounds):
        for request in batch:
            result = rules.quote(prog, request, lists)
            quoted += len(result.items)
            paid += result.amount_cents
    seconds = time.process_time() - started
    print(f"quoted {quoted:,} items in {seconds:.2f} s of CPU: {quoted / seconds:,.0f} items/s "
          f"(target 100,000/s); total ${paid / 100:,.2f}")


if __name__ == "__main__":
    main()
