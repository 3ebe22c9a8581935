"""Households and the shipped catalog, built without Flask or a database."""
from __future__ import annotations

from functools import lru_cache

from eligibility import definitions
from eligibility.rules import Catalog, Household, IncomeSource, Member, ProgramRules


@lru_cache(maxsize=2)
def shipped_catalog(with_example: bool = True) -> Catalog:
    documents = definitions.shipped() + ([definitions.example()] if with_example else [])
    tables = {t["code"]: t for d in documents for t in d["guidelines"]}
    return Catalog(ProgramRules(
        code=p["code"], example=p["example"],
        versions=tuple(definitions.rule_version(p["code"], n, v["effective_from"], v["effective_to"], v["rules"],
                                                tables, v["label"], p["service_area"])
                       for n, v in enumerate(p["versions"], start=1)))
        for d in documents for p in d["programs"])


def household(size: int, income_cents: int = 0, frequency: str = "annual", kind: str = "wages",
              age: int = 40) -> Household:
    """`size` people; the first, an adult, has all the income."""
    first = Member(age=age, incomes=(IncomeSource(kind, income_cents, frequency),) if income_cents else ())
    return Household((first,) + tuple(Member(age=age) for _ in range(size - 1)))
