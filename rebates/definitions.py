"""Rebate program definitions as data: reading a file, checking it whole, and building the rules.

Pure: no Flask, no database. `rebates load`, the demo and the managers' new version all go
through `parse`, so a rule reads the same wherever it comes from. Every problem is named by its
place in the file (`programs[1].versions[0].measures[0].amount.kind: unknown kind "per_banana"`),
and a file with any problem is refused whole. What comes out is the file's form with every
default filled in and every number in one spelling, so loading the same file twice compares equal.
"""
from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Mapping

from core.money import percent_text
from rebates import rules
from rebates.inspection_rules import TRIGGER_RULES, TRIGGER_WORDS

DATA = Path(__file__).resolve().parent / "data"
EXAMPLE_FILE = "example_water.json"
CODE = re.compile(r"^[A-Z][A-Z0-9_-]{1,39}$")
DOLLARS = re.compile(r"^\d{1,12}(\.\d{1,2})?$")
RESERVATION_KEYS = ("requires_reservation", "reservation_days", "extensions", "photos",
                    "pre_inspection", "post_inspection", "quality_share")
MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")


class DefinitionError(ValueError):
    """A definition file that cannot be loaded, with every problem by its place in the file."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def version_id(program: str, number: int) -> str:
    """How a quote names the rules it used: 'WATER.v2', like the income rules."""
    return f"{program}.v{number}"


class _Check:
    """Collects problems; each getter returns a normalized value or None after noting the problem."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def bad(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def obj(self, value: Any, where: str, required: tuple[str, ...], optional: tuple[str, ...]) -> dict | None:
        if not isinstance(value, dict):
            self.bad(where, "must be a JSON object")
            return None
        for key in value:
            if key not in required and key not in optional:
                self.bad(f"{where}.{key}", "unknown field")
        for key in required:
            if key not in value:
                self.bad(f"{where}.{key}", "missing")
        return value

    def text(self, value: Any, where: str, max_length: int = 2000, empty: bool = False) -> str | None:
        if not isinstance(value, str) or (not empty and not value.strip()) or len(value) > max_length:
            self.bad(where, f"give text of at most {max_length} characters" + ("" if empty else ", not empty"))
            return None
        return value

    def code(self, value: Any, where: str) -> str | None:
        if not isinstance(value, str) or not CODE.match(value):
            self.bad(where, f"{json.dumps(value)} is not a code (2 to 40 capital letters, digits, dashes or "
                            "underscores, starting with a letter)")
            return None
        return value

    def localized(self, value: Any, where: str) -> dict | None:
        data = self.obj(value, where, ("en", "es"), ())
        if data is None:
            return None
        return {"en": self.text(data.get("en"), f"{where}.en") or "", "es": self.text(data.get("es"), f"{where}.es") or ""}

    def day(self, value: Any, where: str, nullable: bool = False) -> str | None:
        if value is None and nullable:
            return None
        try:
            if not isinstance(value, str) or len(value) != 10:
                raise ValueError
            return date.fromisoformat(value).isoformat()
        except ValueError:
            self.bad(where, f"{json.dumps(value)} is not a date like 2026-07-01")
            return None

    def dollars(self, value: Any, where: str) -> str | None:
        if not isinstance(value, str) or not DOLLARS.match(value):
            self.bad(where, f"{json.dumps(value)} is not dollars as text, like \"100.00\"")
            return None
        return f"{Decimal(value):.2f}"

    def decimal(self, value: Any, where: str, nullable: bool = False) -> str | None:
        if value is None and nullable:
            return None
        try:
            if not isinstance(value, str):
                raise InvalidOperation
            number = Decimal(value)
            if not number.is_finite() or number < 0:
                raise InvalidOperation
        except InvalidOperation:
            self.bad(where, f"{json.dumps(value)} is not a decimal as text, like \"1.28\"")
            return None
        return percent_text(number)

    def percent(self, value: Any, where: str) -> str | None:
        number = self.decimal(value, where)
        if number is not None and Decimal(number) > 1000:
            self.bad(where, f"{json.dumps(value)} is over 1000 percent")
            return None
        return number

    def whole(self, value: Any, where: str, minimum: int = 0) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum or value > 10_000_000:
            self.bad(where, f"{json.dumps(value)} is not a whole number of at least {minimum}")
            return None
        return value

    def flag(self, value: Any, where: str) -> bool:
        if not isinstance(value, bool):
            self.bad(where, f"{json.dumps(value)} is not true or false")
            return False
        return value

    def choice(self, value: Any, where: str, choices: tuple[str, ...], what: str) -> str | None:
        if value not in choices:
            self.bad(where, f"unknown {what} {json.dumps(value)}; use {', '.join(choices)}")
            return None
        return value

    def items(self, value: Any, where: str, minimum: int = 0) -> list:
        if not isinstance(value, list):
            self.bad(where, "must be a list")
            return []
        if len(value) < minimum:
            self.bad(where, f"give at least {minimum}")
        return value

    # --- the shapes of the file -------------------------------------------------------------

    def amount(self, value: Any, where: str) -> dict | None:
        if not isinstance(value, dict):
            self.bad(where, "must be a JSON object")
            return None
        kind = value.get("kind")
        fields = {"per_unit": ("amount",), "per_ordinal": ("amounts",), "banded": ("bands",),
                  "by_attribute": ("attribute", "bands"), "percent_of_cost": ("percent",)}
        if kind not in fields:
            self.bad(f"{where}.kind", f"unknown kind {json.dumps(kind)}; use {', '.join(rules.AMOUNT_KINDS)}")
            return None
        self.obj(value, where, ("kind",) + fields[kind], ())
        out: dict = {"kind": kind}
        if kind == "per_unit":
            out["amount"] = self.dollars(value.get("amount"), f"{where}.amount")
        elif kind == "per_ordinal":
            out["amounts"] = [self.dollars(a, f"{where}.amounts[{i}]")
                              for i, a in enumerate(self.items(value.get("amounts"), f"{where}.amounts", 1))]
        elif kind == "banded":
            bands = []
            for i, band in enumerate(self.items(value.get("bands"), f"{where}.bands", 1)):
                at = f"{where}.bands[{i}]"
                if self.obj(band, at, ("rate",), ("up_to",)) is None:
                    continue
                bands.append({"up_to": self.decimal(band.get("up_to"), f"{at}.up_to", nullable=True),
                              "rate": self.dollars(band.get("rate"), f"{at}.rate")})
            limits = [b["up_to"] for b in bands]
            if any(u is None for u in limits[:-1]):
                self.bad(f"{where}.bands", "only the last band may be open (up_to null)")
            known = [Decimal(u) for u in limits if u is not None]
            if any(b <= a for a, b in zip(known, known[1:])):
                self.bad(f"{where}.bands", "each band's up_to must be above the one before")
            out["bands"] = bands
        elif kind == "by_attribute":
            out["attribute"] = self.text(value.get("attribute"), f"{where}.attribute", 60)
            bands = []
            for i, band in enumerate(self.items(value.get("bands"), f"{where}.bands", 1)):
                at = f"{where}.bands[{i}]"
                if self.obj(band, at, ("amount",), ("min", "max")) is None:
                    continue
                bands.append(self.bounds(band, at) | {"amount": self.dollars(band.get("amount"), f"{at}.amount")})
            out["bands"] = bands
        else:
            out["percent"] = self.percent(value.get("percent"), f"{where}.percent")
        return out

    def bounds(self, value: dict, where: str) -> dict:
        low = self.decimal(value.get("min"), f"{where}.min", nullable=True)
        high = self.decimal(value.get("max"), f"{where}.max", nullable=True)
        if low is not None and high is not None and Decimal(low) > Decimal(high):
            self.bad(where, f"min {low} is above max {high}")
        return {"min": low, "max": high}

    def limit(self, value: Any, where: str) -> dict | None:
        data = self.obj(value, where, ("scope",), ("max_units", "max_amount", "years", "fiscal_year", "measures"))
        if data is None:
            return None
        out = {"scope": self.choice(data.get("scope"), f"{where}.scope", rules.SCOPES, "scope"),
               "max_units": None, "max_amount": None, "years": None, "fiscal_year": False, "measures": None}
        given = {k for k, v in data.items() if v is not None}
        if ("max_units" in given) == ("max_amount" in given):
            self.bad(where, "give either max_units or max_amount")
        if "max_units" in given:
            out["max_units"] = self.whole(data["max_units"], f"{where}.max_units", 1)
        if "max_amount" in given:
            out["max_amount"] = self.dollars(data["max_amount"], f"{where}.max_amount")
        if "years" in given:
            out["years"] = self.whole(data["years"], f"{where}.years", 1)
        if "fiscal_year" in given:
            out["fiscal_year"] = self.flag(data["fiscal_year"], f"{where}.fiscal_year")
        if out["years"] is not None and out["fiscal_year"]:
            self.bad(where, "give either years or fiscal_year, not both")
        if "measures" in given:
            out["measures"] = [self.code(m, f"{where}.measures[{i}]")
                               for i, m in enumerate(self.items(data["measures"], f"{where}.measures", 1))]
        return out

    def measure(self, value: Any, where: str) -> dict | None:
        data = self.obj(value, where, ("code", "name", "amount"),
                        ("unit", "dated_by", "enhanced", "cost_basis", "cap_at_cost", "percent_of_cost_cap",
                         "max_amount", "quantity", "conditions", "limits", "apply_within_days", "apply_by",
                         "qualified_products") + RESERVATION_KEYS)
        if data is None:
            return None
        out: dict = {"code": self.code(data.get("code"), f"{where}.code"),
                     "name": self.localized(data.get("name"), f"{where}.name"),
                     "unit": self.choice(data.get("unit", "each"), f"{where}.unit", rules.UNITS, "unit"),
                     "dated_by": self.choice(data.get("dated_by", "purchased_on"), f"{where}.dated_by",
                                             rules.DATED_BY, "date"),
                     "amount": self.amount(data.get("amount"), f"{where}.amount")}
        enhanced = data.get("enhanced")
        out["enhanced"] = None
        if enhanced is not None and self.obj(enhanced, f"{where}.enhanced", ("enrolled_in", "amount"), ()) is not None:
            out["enhanced"] = {
                "enrolled_in": [self.code(c, f"{where}.enhanced.enrolled_in[{i}]") for i, c in
                                enumerate(self.items(enhanced.get("enrolled_in"), f"{where}.enhanced.enrolled_in", 1))],
                "amount": self.amount(enhanced.get("amount"), f"{where}.enhanced.amount")}
        basis = data.get("cost_basis", {})
        out["cost_basis"] = {"tax": False, "labor": False, "delivery": False}
        if self.obj(basis, f"{where}.cost_basis", (), ("tax", "labor", "delivery")) is not None:
            for key in ("tax", "labor", "delivery"):
                out["cost_basis"][key] = self.flag(basis.get(key, False), f"{where}.cost_basis.{key}")
        out["cap_at_cost"] = self.flag(data.get("cap_at_cost", False), f"{where}.cap_at_cost")
        out["percent_of_cost_cap"] = (self.percent(data["percent_of_cost_cap"], f"{where}.percent_of_cost_cap")
                                      if data.get("percent_of_cost_cap") is not None else None)
        out["max_amount"] = (self.dollars(data["max_amount"], f"{where}.max_amount")
                             if data.get("max_amount") is not None else None)
        quantity = data.get("quantity") or {}
        out["quantity"] = {"min": None, "max": None}
        if self.obj(quantity, f"{where}.quantity", (), ("min", "max")) is not None:
            for key in ("min", "max"):
                if quantity.get(key) is not None:
                    out["quantity"][key] = self.whole(quantity[key], f"{where}.quantity.{key}", 1)
            low, high = out["quantity"]["min"], out["quantity"]["max"]
            if low is not None and high is not None and low > high:
                self.bad(f"{where}.quantity", f"min {low} is above max {high}")
        conditions = []
        for i, condition in enumerate(self.items(data.get("conditions", []), f"{where}.conditions")):
            at = f"{where}.conditions[{i}]"
            if self.obj(condition, at, ("attribute",), ("min", "max")) is None:
                continue
            if condition.get("min") is None and condition.get("max") is None:
                self.bad(at, "give min, max or both")
            conditions.append({"attribute": self.text(condition.get("attribute"), f"{at}.attribute", 60)}
                              | self.bounds(condition, at))
        out["conditions"] = conditions
        out["limits"] = [self.limit(lim, f"{where}.limits[{i}]")
                         for i, lim in enumerate(self.items(data.get("limits", []), f"{where}.limits"))]
        out["apply_within_days"] = (self.whole(data["apply_within_days"], f"{where}.apply_within_days", 0)
                                    if data.get("apply_within_days") is not None else None)
        out["apply_by"] = self.day(data.get("apply_by"), f"{where}.apply_by", nullable=True)
        out["qualified_products"] = (self.code(data["qualified_products"], f"{where}.qualified_products")
                                     if data.get("qualified_products") is not None else None)
        self.reservation(data, where, out)
        return out

    def trigger(self, value: Any, where: str) -> str | dict | None:
        """`"always"`, `"never"`, `{"quantity_at_least": 5}` or `{"amount_at_least": "2500.00"}`."""
        if isinstance(value, str):
            return self.choice(value, where, TRIGGER_WORDS, "rule")
        if not isinstance(value, dict) or len(value) != 1 or next(iter(value)) not in TRIGGER_RULES:
            self.bad(where, 'give "always", "never", {"quantity_at_least": 5} or {"amount_at_least": "2500.00"}')
            return None
        if "quantity_at_least" in value:
            number = self.whole(value["quantity_at_least"], f"{where}.quantity_at_least", 1)
            return None if number is None else {"quantity_at_least": number}
        amount = self.dollars(value["amount_at_least"], f"{where}.amount_at_least")
        return None if amount is None else {"amount_at_least": amount}

    def reservation(self, data: dict, where: str, out: dict) -> None:
        """The keys of a measure reserved before the work (issue 18); only those given are kept,
        so a definition loaded before them still compares equal."""
        if "requires_reservation" in data:
            out["requires_reservation"] = self.flag(data["requires_reservation"], f"{where}.requires_reservation")
        if "reservation_days" in data:
            out["reservation_days"] = self.whole(data["reservation_days"], f"{where}.reservation_days", 1)
        if "extensions" in data:
            ext = self.obj(data["extensions"], f"{where}.extensions", ("max", "days"), ())
            if ext is not None:
                out["extensions"] = {"max": self.whole(ext.get("max"), f"{where}.extensions.max", 0),
                                     "days": self.whole(ext.get("days"), f"{where}.extensions.days", 1)}
        if "photos" in data:
            photos = self.obj(data["photos"], f"{where}.photos", (), ("before", "after"))
            if photos is not None:
                out["photos"] = {key: self.whole(photos.get(key, 0), f"{where}.photos.{key}", 0)
                                 for key in ("before", "after")}
        for key in ("pre_inspection", "post_inspection"):
            if key in data:
                out[key] = self.trigger(data[key], f"{where}.{key}")
        if "quality_share" in data:
            share = self.decimal(data["quality_share"], f"{where}.quality_share")
            if share is not None and Decimal(share) > 100:
                self.bad(f"{where}.quality_share", f"{json.dumps(data['quality_share'])} is over 100 percent")
                share = None
            out["quality_share"] = share
        if out.get("requires_reservation") and "reservation_days" not in data:
            self.bad(f"{where}.reservation_days", "missing (a measure reserved before the work needs it)")
        if not out.get("requires_reservation"):
            for key in ("reservation_days", "extensions"):
                if key in data:
                    self.bad(f"{where}.{key}", "only for a measure with requires_reservation true")

    def version(self, value: Any, where: str) -> dict | None:
        data = self.obj(value, where, ("label", "effective_from", "source", "measures"),
                        ("effective_to", "note"))
        if data is None:
            return None
        out = {"label": self.text(data.get("label"), f"{where}.label", 40),
               "effective_from": self.day(data.get("effective_from"), f"{where}.effective_from"),
               "effective_to": self.day(data.get("effective_to"), f"{where}.effective_to", nullable=True),
               "source": self.text(data.get("source"), f"{where}.source", 4000),
               "note": self.text(data.get("note", ""), f"{where}.note", 4000, empty=True) or ""}
        if out["effective_from"] and out["effective_to"] and out["effective_to"] < out["effective_from"]:
            self.bad(f"{where}.effective_to", f"{out['effective_to']} is before effective_from {out['effective_from']}")
        measures = [self.measure(m, f"{where}.measures[{i}]")
                    for i, m in enumerate(self.items(data.get("measures"), f"{where}.measures", 1))]
        codes = [m["code"] for m in measures if m and m["code"]]
        for code in sorted({c for c in codes if codes.count(c) > 1}):
            self.bad(f"{where}.measures", f"{code} appears more than once")
        for i, measure in enumerate(measures):
            for j, limit in enumerate((measure or {}).get("limits") or []):
                for k, other in enumerate((limit or {}).get("measures") or []):
                    if other and other not in codes:
                        self.bad(f"{where}.measures[{i}].limits[{j}].measures[{k}]",
                                 f"{other} is not a measure of this version")
        out["measures"] = measures
        return out

    def program(self, value: Any, where: str) -> dict | None:
        data = self.obj(value, where, ("code", "name", "versions"),
                        ("description", "example", "fiscal_year_starts", "tax_reportable"))
        if data is None:
            return None
        out = {"code": self.code(data.get("code"), f"{where}.code"),
               "name": self.localized(data.get("name"), f"{where}.name"),
               "description": (self.localized(data["description"], f"{where}.description")
                               if "description" in data else {"en": "", "es": ""}),
               "example": self.flag(data.get("example", False), f"{where}.example"),
               "fiscal_year_starts": data.get("fiscal_year_starts", "07-01"),
               "tax_reportable": self.flag(data.get("tax_reportable", True), f"{where}.tax_reportable")}
        match = MONTH_DAY.match(out["fiscal_year_starts"]) if isinstance(out["fiscal_year_starts"], str) else None
        try:
            if not match:
                raise ValueError
            date(2001, int(match.group(1)), int(match.group(2)))
        except ValueError:
            self.bad(f"{where}.fiscal_year_starts",
                     f"{json.dumps(out['fiscal_year_starts'])} is not a month and day like \"07-01\"")
        versions = [self.version(v, f"{where}.versions[{i}]")
                    for i, v in enumerate(self.items(data.get("versions"), f"{where}.versions", 1))]
        dated = [(i, v) for i, v in enumerate(versions) if v and v["effective_from"]]
        spans = [(date.fromisoformat(v["effective_from"]), date.fromisoformat(v["effective_to"]) if v["effective_to"]
                  else None) for _, v in dated]
        for index in rules.overlaps(spans):
            self.bad(f"{where}.versions[{dated[index][0]}]", "its dates overlap another version of the program")
        out["versions"] = versions
        return out


def parse(data: Any) -> dict:
    """Check a definitions document whole and normalize it; raise DefinitionError with every problem."""
    check = _Check()
    if check.obj(data, "file", ("programs",), ()) is None or not isinstance(data, dict):
        raise DefinitionError(['the file must hold a JSON object with "programs"'])
    programs = [check.program(p, f"programs[{i}]")
                for i, p in enumerate(check.items(data.get("programs"), "programs", 1))]
    codes = [p["code"] for p in programs if p and p["code"]]
    for code in sorted({c for c in codes if codes.count(c) > 1}):
        check.bad("programs", f"{code} appears more than once")
    if check.problems:
        raise DefinitionError(check.problems)
    return {"programs": programs}


def parse_version(document: Any) -> dict:
    """One version as a manager writes it (the page and the API); the same checks as a file's."""
    check = _Check()
    version = check.version(document, "version")
    if check.problems:
        raise DefinitionError(check.problems)
    return version


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


def example() -> dict:
    return read_file(DATA / EXAMPLE_FILE)


def fiscal_year_starts(text: str) -> tuple[int, int]:
    month, day = text.split("-")
    return int(month), int(day)


def build_version(program: str, number: int, effective_from: date, effective_to: date | None,
                  measures: list[Mapping], label: str = "", source: str = "") -> rules.Version:
    return rules.build_version(program, number, effective_from, effective_to, measures, label, source)
