"""Program definitions as data: reading the files and resolving stored rules into `RuleVersion`s.

Pure: no Flask, no database. The migrations, `programs load` and the determination all go
through here, so a rule reads the same wherever it comes from.
"""
from __future__ import annotations

import json
from datetime import date
from functools import lru_cache
from decimal import Decimal
from pathlib import Path
from typing import Any, Mapping

from marshmallow import ValidationError

from core.money import percent_text
from eligibility.recertification.rules import DEFAULT_GRACE_DAYS, DEFAULT_REMINDER_DAYS, DEFAULT_VERIFICATION_DAYS
from eligibility.rules import IncomeTest, RuleVersion, ServiceArea, Tier
from eligibility.schemas import DefinitionsFile, VersionFile

DATA = Path(__file__).resolve().parent / "data"
# Reference data the migrations load; the example program is demo data only.
SHIPPED_FILES = ("hhs_poverty_guidelines.json", "programs.json")
EXAMPLE_FILE = "example_tiered.json"


class DefinitionError(ValueError):
    """A definition file that cannot be loaded, with every problem by its place in the file."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _flatten(messages: Any, where: str = "") -> list[str]:
    if isinstance(messages, dict):
        out: list[str] = []
        for key, value in messages.items():
            out += _flatten(value, f"{where}.{key}" if where else str(key))
        return out
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [f"{where}: {m}" for m in messages]
    if isinstance(messages, list):
        return [p for m in messages for p in _flatten(m, where)]
    return [f"{where}: {messages}"]


def parse(data: Any) -> dict:
    """Check a definitions document and normalize it (amounts to cents); raise DefinitionError."""
    if not isinstance(data, dict):
        raise DefinitionError(["the file must hold a JSON object with \"guidelines\" and/or \"programs\""])
    try:
        parsed = DefinitionsFile().load(data)
    except ValidationError as exc:
        raise DefinitionError(_flatten(exc.normalized_messages())) from None
    problems = []
    codes = [p["code"] for p in parsed["programs"]]
    problems += [f"programs: {c} appears more than once" for c in sorted({c for c in codes if codes.count(c) > 1})]
    tables = [g["code"] for g in parsed["guidelines"]]
    problems += [f"guidelines: {c} appears more than once" for c in sorted({c for c in tables if tables.count(c) > 1})]
    if problems:
        raise DefinitionError(problems)
    return parsed


def read_file(path: Path | str) -> dict:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DefinitionError([f"cannot read {path}: {exc}"]) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DefinitionError([f"{Path(path).name} is not JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}"]) from None
    return parse(data)


def shipped() -> list[dict]:
    return [read_file(DATA / name) for name in SHIPPED_FILES]


def example() -> dict:
    return read_file(DATA / EXAMPLE_FILE)


def references(rules: Mapping) -> tuple[set[str], set[str]]:
    """The guideline tables and other programs a version's rules lean on."""
    guidelines = {rules["limit"]["guideline"]} if rules["limit"].get("guideline") else set()
    programs = {rules["above_program"]} if rules.get("above_program") else set()
    return guidelines, programs


def version_id(program: str, number: int) -> str:
    """How a decision names the rules it used: 'CARE.v2'."""
    return f"{program}.v{number}"


@lru_cache(maxsize=1024)
def _income_test(period: str, amounts_cents: tuple[int, ...], per_added_cents: int, percent: str | None,
                 guideline: str | None, source: str) -> IncomeTest:
    """Tests are frozen and worked out in advance for every household size: the screener and every
    determination resolve the same few again and again, so they are made once (issue 12, under load)."""
    return IncomeTest(period=period, amounts_cents=amounts_cents, per_added_cents=per_added_cents,
                      percent=Decimal(percent) if percent is not None else None, guideline=guideline, source=source)


def rule_version(program: str, number: int, effective_from: date, effective_to: date | None, rules: Mapping,
                 guidelines: Mapping[str, Mapping], label: str = "", area: Mapping | None = None) -> RuleVersion:
    """Resolve stored rules against the guideline tables they name; `area` is the program's service area."""
    limit = rules["limit"]

    def guideline_test(code: str, percent: str) -> IncomeTest:
        table = guidelines.get(code)
        if table is None:
            raise DefinitionError([f"{program}: guideline table {code} is not loaded"])
        return _income_test(table["period"], tuple(table["amounts_cents"]), table["per_added_cents"],
                            str(percent), code, table.get("source", ""))

    tests: tuple[IncomeTest, ...] = ()
    tiers: tuple[Tier, ...] = ()
    if limit["kind"] == "guideline_percent":
        tests = (guideline_test(limit["guideline"], limit["percent"]),)
    elif limit["kind"] == "table":
        tests = tuple(_income_test(t["period"], tuple(t["amounts_cents"]), t["per_added_cents"], None, None, "")
                      for t in limit["tests"])
    else:
        tiers = tuple(Tier(code=t["code"], test=guideline_test(limit["guideline"], t["up_to_percent"]),
                           benefit=t["benefit"]) for t in limit["tiers"])
    zips = rules.get("service_area_zips")
    return RuleVersion(
        id=version_id(program, number), program=program, label=label, effective_from=effective_from,
        effective_to=effective_to, tests=tests, tiers=tiers, count_min_size=rules.get("count_min_size", 1),
        qualify_min_size=rules.get("qualify_min_size", 1), above_program=rules.get("above_program"),
        categorical=frozenset(rules.get("categorical") or ()), zips=frozenset(zips) if zips else None,
        area=ServiceArea.of(area),
        counted_members=rules.get("income", {}).get("members", "all"),
        income_basis=rules.get("income", {}).get("basis", "gross"), benefit=rules.get("benefit", {}),
        recertification_months=rules.get("recertification_months", {}),
        verification_rate=Decimal(rules.get("verification_rate", "0")),
        reminder_days=tuple(rules.get("reminder_days") or DEFAULT_REMINDER_DAYS),
        grace_days=rules.get("grace_days", DEFAULT_GRACE_DAYS),
        verification_days=rules.get("verification_days", DEFAULT_VERIFICATION_DAYS))


RECERTIFICATION_DEFAULTS = {"reminder_days": list(DEFAULT_REMINDER_DAYS), "grace_days": DEFAULT_GRACE_DAYS,
                            "verification_days": DEFAULT_VERIFICATION_DAYS}


def with_defaults(rules: Mapping) -> dict:
    """Stored rules with the recertification settings filled in: versions stored before those
    settings existed mean the defaults, so loading the same file again still changes nothing."""
    return {**RECERTIFICATION_DEFAULTS, **rules}


PERCENT_KEYS = ("percent", "up_to_percent", "verification_rate")


def canonical(rules):
    """Rules with every percentage in one spelling, so versions stored as '2E+1' (as loading wrote
    them before) compare equal to the same file read again as '20'."""
    if isinstance(rules, Mapping):
        out = {}
        for key, value in rules.items():
            if key in PERCENT_KEYS and isinstance(value, str):
                out[key] = percent_text(value)
            elif key in PERCENT_KEYS and isinstance(value, Mapping):
                out[key] = {k: percent_text(v) if isinstance(v, str) else v for k, v in value.items()}
            else:
                out[key] = canonical(value)
        return out
    if isinstance(rules, list):
        return [canonical(item) for item in rules]
    return rules


def _dollars(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def to_file_rules(rules: Mapping) -> dict:
    """Stored rules back in the form people write (dollars), to start a new version from."""
    def benefit(b: Mapping) -> dict:
        out = {k: v for k, v in b.items() if k in ("kind", "percent")}
        if "amount_cents" in b:
            out["amount"] = _dollars(b["amount_cents"])
        if "tenant_monthly_credits_cents" in b:
            out["tenant_monthly_credits"] = {k: _dollars(v) for k, v in b["tenant_monthly_credits_cents"].items()}
        return out

    rules = canonical(rules)
    limit = dict(rules["limit"])
    if limit["kind"] == "table":
        limit["tests"] = [{"period": t["period"], "amounts": [_dollars(a) for a in t["amounts_cents"]],
                           "per_added": _dollars(t["per_added_cents"])} for t in limit["tests"]]
    elif limit["kind"] == "tiers":
        limit["tiers"] = [{"code": t["code"], "up_to_percent": t["up_to_percent"], "benefit": benefit(t["benefit"])}
                          for t in limit["tiers"]]
    out = {"limit": limit}
    for key in ("count_min_size", "qualify_min_size", "above_program", "categorical", "service_area_zips", "income"):
        out[key] = rules.get(key)
    out["benefit"] = benefit(rules["benefit"])
    out["recertification_months"] = rules["recertification_months"]
    out["verification_rate"] = rules.get("verification_rate", "0")
    out["reminder_days"] = list(rules.get("reminder_days") or DEFAULT_REMINDER_DAYS)
    out["grace_days"] = rules.get("grace_days", DEFAULT_GRACE_DAYS)
    out["verification_days"] = rules.get("verification_days", DEFAULT_VERIFICATION_DAYS)
    return out


def parse_version(fields: Mapping, rules_file_form: Any) -> dict:
    """A new version from a form: its dates and notes, and rules as people write them."""
    if not isinstance(rules_file_form, dict):
        raise DefinitionError(["rules: give the rules as a JSON object"])
    document = dict(rules_file_form)
    document.update(fields)
    try:
        return VersionFile().load(document)
    except ValidationError as exc:
        raise DefinitionError(_flatten(exc.normalized_messages())) from None
