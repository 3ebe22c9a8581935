"""Determinations per second over one million households, in one process.

    .venv/bin/python benchmarks/bench_eligibility.py [--households N] [--seed S]

The households vary in size (1-10), members' ages, income sources and pay frequencies, ZIP
codes and categorical enrollments; each is decided under every program open on its day (CARE,
FERA with its CARE floor, EZ-SAVE, LIHEAP-CA, Seattle UDP, the tiered example). Building the
households is not timed; rendering explanations is not part of a determination and is timed
separately on a sample.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eligibility import definitions, explain  # noqa: E402
from eligibility.rules import (CATEGORICAL_PROGRAMS, FREQUENCIES, Catalog, Household, IncomeSource,  # noqa: E402
                               Member, ProgramRules)

DAY = date(2026, 3, 1)
ZIPS = ("98118", "98101", "94501", "90012", "90033", "98001")
KINDS = ("wages", "wages", "wages", "social_security", "pension", "unemployment", "child_support", "ssi")


def shipped_catalog() -> Catalog:
    documents = definitions.shipped() + [definitions.example()]
    tables = {t["code"]: t for d in documents for t in d["guidelines"]}
    return Catalog(ProgramRules(
        code=p["code"],
        versions=tuple(definitions.rule_version(p["code"], n, v["effective_from"], v["effective_to"], v["rules"],
                                                tables, v["label"]) for n, v in enumerate(p["versions"], start=1)))
        for d in documents for p in d["programs"])


def households(count: int, rng: random.Random) -> list[tuple[Household, tuple[str, ...], str]]:
    frequencies = tuple(FREQUENCIES)
    out = []
    for _ in range(count):
        size = rng.randint(1, 10)
        members = []
        for i in range(size):
            age = rng.randint(19, 90) if i == 0 else rng.randint(0, 80)
            incomes = ()
            if age >= 16 and rng.random() < 0.7:
                incomes = tuple(IncomeSource(rng.choice(KINDS), rng.randint(10_000, 600_000), rng.choice(frequencies))
                                for _ in range(rng.randint(1, 2)))
            members.append(Member(age=age, incomes=incomes))
        categorical = tuple(rng.sample(CATEGORICAL_PROGRAMS, 1)) if rng.random() < 0.15 else ()
        out.append((Household(tuple(members)), categorical, rng.choice(ZIPS)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    catalog = shipped_catalog()
    programs = catalog.open_programs(DAY)
    # Resolve each program's version and floor once, as a screening of many households would.
    resolved = []
    for code in programs:
        version = catalog.version_on(code, DAY)
        floor = catalog.version_on(version.above_program, DAY) if version.above_program else None
        resolved.append((version, floor))

    started = time.perf_counter()
    cases = households(args.households, random.Random(args.seed))
    built = time.perf_counter() - started
    print(f"built {len(cases):,} households in {built:.1f} s (not timed below)")

    from eligibility.rules import determine

    eligible = 0
    started = time.perf_counter()
    for home, categorical, zip_code in cases:
        for version, floor in resolved:
            if determine(version, home, categorical, DAY, zip_code=zip_code, floor=floor).eligible:
                eligible += 1
    elapsed = time.perf_counter() - started
    decisions = len(cases) * len(resolved)
    print(f"{decisions:,} determinations ({len(resolved)} programs x {len(cases):,} households) in {elapsed:.2f} s: "
          f"{decisions / elapsed:,.0f} per second; {eligible:,} eligible")

    started = time.perf_counter()
    per_household = 0
    for home, categorical, zip_code in cases[:100_000]:
        per_household += len(catalog.screen(home, categorical, DAY, zip_code))
    elapsed = time.perf_counter() - started
    print(f"screening through the catalog (version lookup each time): {per_household / elapsed:,.0f} determinations per second")

    sample = [determine(v, h, c, DAY, zip_code=z, floor=f) for (h, c, z) in cases[:20_000] for v, f in resolved[:1]]
    started = time.perf_counter()
    for result in sample:
        explain.render(result.explanation, "es")
    elapsed = time.perf_counter() - started
    print(f"rendering explanations (Spanish, not part of a determination): {len(sample) / elapsed:,.0f} per second")


if __name__ == "__main__":
    main()
