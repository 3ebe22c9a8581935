"""The income test, as plain functions of plain data: no Flask, no database.

A determination is a pure function of (rule version, household, categorical enrollments, date).
Everything it needs arrives resolved: the income tests carry their amounts by household size in
cents, so the same inputs give the same answer years later. The explanation is kept as
structured sentences (a code and its values); `eligibility.explain` renders them in English or
Spanish when someone reads them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable, Mapping

from eligibility.zip_prefixes import SHARED_PREFIX_ZIPS, STATE_ZIP_PREFIXES

# Pay periods a year. "Annualize exactly in cents": every factor is a whole number.
FREQUENCIES: Mapping[str, int] = {"weekly": 52, "biweekly": 26, "semimonthly": 24, "monthly": 12, "annual": 1}
INCOME_KINDS = ("wages", "self_employment", "social_security", "ssi", "pension", "unemployment",
                "child_support", "other")
CATEGORICAL_PROGRAMS = ("SNAP", "MEDICAID", "SSI", "LIHEAP", "WIC", "TANF", "NSLP", "HEAD_START", "TRIBAL")
PERIODS = ("annual", "monthly")
COUNTED_MEMBERS = ("all", "adults")
INCOME_BASES = ("gross", "adjusted_gross")
ADULT_AGE = 18
SENIOR_AGE = 65

# Why a household did not qualify (stable codes; people script against them).
OUTSIDE_SERVICE_AREA = "outside_service_area"
OVER_INCOME_LIMIT = "over_income_limit"
HOUSEHOLD_TOO_SMALL = "household_too_small"
BELOW_INCOME_FLOOR = "below_income_floor"
NO_HOUSEHOLD_MEMBERS = "no_household_members"

def zip_in_state(zip_code: str, state: str) -> bool:
    """Whether a ZIP code is in a state, the District or a territory (USPS prefixes; data in
    eligibility/zip_prefixes.py), for programs that serve a whole state."""
    head = zip_code[:3]
    if not (len(head) == 3 and head.isascii() and head.isdigit()):
        return False
    prefix = int(head)
    if not any(low <= prefix <= high for low, high in STATE_ZIP_PREFIXES.get(state, ())):
        return False
    shared = SHARED_PREFIX_ZIPS.get(prefix)
    if shared is None:
        return True
    zip5 = zip_code[:5]
    if not (len(zip5) == 5 and zip5.isascii() and zip5.isdigit()):
        return False
    return any(low <= int(zip5) <= high for low, high in shared.get(state, ()))


@dataclass(frozen=True, slots=True)
class ServiceArea:
    """Where a program is offered: whole states, a list of ZIP codes, or both (a ZIP must satisfy each given).

    No states and no ZIP codes means anywhere.
    """

    states: frozenset[str] = frozenset()
    zips: frozenset[str] = frozenset()

    @classmethod
    def of(cls, data: Mapping | None) -> "ServiceArea":
        data = data or {}
        return cls(frozenset(data.get("states") or ()), frozenset(data.get("zips") or ()))

    def serves(self, zip_code: str) -> bool:
        zip5 = zip_code[:5]
        if self.states and not any(zip_in_state(zip5, s) for s in self.states):
            return False
        return not self.zips or zip5 in self.zips


class RuleError(ValueError):
    """A rule or a household that cannot be evaluated as given."""


# --- The household -----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class IncomeSource:
    kind: str
    amount_cents: int
    frequency: str

    def __post_init__(self) -> None:
        if self.kind not in INCOME_KINDS:
            raise RuleError(f"unknown income kind {self.kind!r}")
        if self.frequency not in FREQUENCIES:
            raise RuleError(f"unknown frequency {self.frequency!r}")
        if not isinstance(self.amount_cents, int) or isinstance(self.amount_cents, bool) or self.amount_cents < 0:
            raise RuleError("an income amount is a whole, non-negative number of cents")

    @property
    def annual_cents(self) -> int:
        return self.amount_cents * FREQUENCIES[self.frequency]


@dataclass(frozen=True, slots=True)
class Member:
    age: int
    incomes: tuple[IncomeSource, ...] = ()
    name: str | None = None
    relationship: str | None = None
    # From a tax transcript, where the program counts adjusted gross income.
    adjusted_gross_cents: int | None = None

    @property
    def is_adult(self) -> bool:
        return self.age >= ADULT_AGE

    @property
    def gross_annual_cents(self) -> int:
        return sum(source.amount_cents * FREQUENCIES[source.frequency] for source in self.incomes)


@dataclass(frozen=True, slots=True)
class Household:
    members: tuple[Member, ...]

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def senior_only(self) -> bool:
        return bool(self.members) and all(m.age >= SENIOR_AGE for m in self.members)

    def receives(self, kind: str) -> bool:
        return any(s.kind == kind for m in self.members for s in m.incomes)


def counted_income(household: Household, members: str = "all", basis: str = "gross") -> int:
    """Yearly income in cents of the members the program counts."""
    total = 0
    for member in household.members:
        if members == "adults" and member.age < ADULT_AGE:
            continue
        if basis == "adjusted_gross" and member.adjusted_gross_cents is not None:
            total += member.adjusted_gross_cents
        else:
            for source in member.incomes:
                total += source.amount_cents * FREQUENCIES[source.frequency]
    return total


# --- The rules ---------------------------------------------------------------------------------

def _round_cents(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def amount_by_size(amounts_cents: tuple[int, ...], per_added_cents: int, size: int) -> int:
    """A table by household size; past its last size, add the amount per added person."""
    if size <= len(amounts_cents):
        return amounts_cents[size - 1]
    return amounts_cents[-1] + (size - len(amounts_cents)) * per_added_cents


_PRECOMPUTED_SIZES = 24


@dataclass(frozen=True, slots=True)
class IncomeTest:
    """One income limit: a schedule by household size in a period, or a percentage of one.

    `amounts_cents` and `per_added_cents` come from a guideline (then `percent` applies) or from a
    program's own published table (then `percent` is None and the table is the limit).
    """

    period: str
    amounts_cents: tuple[int, ...]
    per_added_cents: int
    percent: Decimal | None = None
    guideline: str | None = None
    source: str = ""
    _limits: tuple[int, ...] = field(default=(), repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.period not in PERIODS:
            raise RuleError(f"unknown period {self.period!r}")
        if not self.amounts_cents or any(a < 0 for a in self.amounts_cents) or self.per_added_cents < 0:
            raise RuleError("an income table needs at least one non-negative amount")
        object.__setattr__(self, "_limits", tuple(self._compute(size) for size in range(1, _PRECOMPUTED_SIZES + 1)))

    def _compute(self, size: int) -> int:
        base = amount_by_size(self.amounts_cents, self.per_added_cents, size)
        if self.percent is None:
            return base
        return _round_cents(Decimal(base) * self.percent / 100)

    def limit_for(self, size: int) -> int:
        """The limit for a household of `size`, rounded half up to the cent."""
        if 1 <= size <= _PRECOMPUTED_SIZES:
            return self._limits[size - 1]
        if size < 1:
            raise RuleError("a household has at least one person")
        return self._compute(size)

    def annual_limit_for(self, size: int) -> int:
        return self.limit_for(size) * (12 if self.period == "monthly" else 1)


@dataclass(frozen=True, slots=True)
class Tier:
    """A band of the guideline: up to `up_to_percent` (inclusive), above the band before it."""

    code: str
    test: IncomeTest
    benefit: Mapping = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RuleVersion:
    """One dated version of a program's rules, resolved to numbers."""

    id: str
    program: str
    effective_from: date
    effective_to: date | None
    tests: tuple[IncomeTest, ...] = ()
    tiers: tuple[Tier, ...] = ()
    count_min_size: int = 1
    qualify_min_size: int = 1
    above_program: str | None = None
    categorical: frozenset[str] = frozenset()
    zips: frozenset[str] | None = None
    area: ServiceArea = ServiceArea()  # the program's own area, on top of the version's ZIP codes
    counted_members: str = "all"
    income_basis: str = "gross"
    label: str = ""
    benefit: Mapping = field(default_factory=dict)
    recertification_months: Mapping[str, int] = field(default_factory=dict)
    verification_rate: Decimal = Decimal(0)
    reminder_days: tuple[int, ...] = (90, 60, 30, 7)
    grace_days: int = 30
    verification_days: int = 45

    def __post_init__(self) -> None:
        if not self.tests and not self.tiers:
            raise RuleError(f"{self.id}: a rule version needs an income test or tiers")
        if self.tests and self.tiers:
            raise RuleError(f"{self.id}: give income tests or tiers, not both")
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise RuleError(f"{self.id}: effective_to is before effective_from")
        if self.counted_members not in COUNTED_MEMBERS or self.income_basis not in INCOME_BASES:
            raise RuleError(f"{self.id}: unknown way of counting income")
        if self.count_min_size < 1 or self.qualify_min_size < 1:
            raise RuleError(f"{self.id}: household sizes start at 1")

    def serves(self, zip_code: str) -> bool:
        """Whether the program is offered at this ZIP code under this version."""
        if self.zips is not None and zip_code[:5] not in self.zips:
            return False
        return self.area.serves(zip_code)

    def in_effect_on(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)

    @property
    def limit_tests(self) -> tuple[IncomeTest, ...]:
        """The tests that decide eligibility: for tiers, the top band."""
        return self.tests or (self.tiers[-1].test,)

    def recertification_period(self, household: Household, auto_enrolled: bool = False) -> int | None:
        months = self.recertification_months
        if auto_enrolled and "auto_enrolled" in months:
            return months["auto_enrolled"]
        if household.senior_only and "senior_only" in months:
            return months["senior_only"]
        return months.get("standard")


# --- The determination -------------------------------------------------------------------------

Sentence = tuple[str, Mapping]


@dataclass(frozen=True, slots=True)
class Determination:
    program: str
    rule_version: str
    on: date
    eligible: bool
    tier: str | None
    period: str
    limit_cents: int | None
    income_cents: int
    margin_cents: int | None
    household_size: int
    counted_size: int
    categorical: str | None
    reasons: tuple[str, ...]
    explanation: tuple[Sentence, ...]

    def as_dict(self) -> dict:
        return {"program": self.program, "rule_version": self.rule_version, "on": self.on.isoformat(),
                "eligible": self.eligible, "tier": self.tier, "period": self.period,
                "limit_cents": self.limit_cents, "income_cents": self.income_cents,
                "margin_cents": self.margin_cents, "household_size": self.household_size,
                "counted_size": self.counted_size, "categorical": self.categorical,
                "reasons": list(self.reasons)}


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _in_period(annual_cents: int, period: str) -> int:
    """Income in the test's period; monthly rounds up, so "at or below" stays exact."""
    return annual_cents if period == "annual" else _ceil_div(annual_cents, 12)


def qualifying_enrollment(version: RuleVersion, household: Household, categorical: Iterable[str]) -> str | None:
    """The first categorical program that qualifies the household, in the version's own order."""
    if not version.categorical:
        return None
    held = set(categorical)
    if "SSI" in version.categorical and household.receives("ssi"):
        held.add("SSI")
    for code in CATEGORICAL_PROGRAMS:
        if code in held and code in version.categorical:
            return code
    return None


def determine(version: RuleVersion, household: Household, categorical: Iterable[str] = (), on: date | None = None,
              *, zip_code: str | None = None, floor: RuleVersion | None = None) -> Determination:
    """Decide whether the household qualifies under `version` on day `on`.

    `zip_code` None means the service area was not asked (a command-line check). `floor` is the
    version of the program whose limit this one starts above (FERA starts above CARE), in
    effect on the same day.
    """
    on = on or version.effective_from
    size = household.size
    reasons: list[str] = []
    explanation: list[Sentence] = []
    if size == 0:
        return Determination(version.program, version.id, on, False, None, version.limit_tests[0].period, None, 0,
                             None, 0, 0, None, (NO_HOUSEHOLD_MEMBERS,), (("no_members", {}),))

    counted_size = size if size >= version.count_min_size else version.count_min_size
    annual = counted_income(household, version.counted_members, version.income_basis)

    # The first failing test decides what is reported; for tiers, the band the income falls in.
    tier: str | None = None
    if version.tiers:
        test = version.tiers[-1].test
        for band in version.tiers:
            if annual <= band.test.annual_limit_for(counted_size):
                tier, test = band.code, band.test
                break
        within = tier is not None
    else:
        test = version.tests[0]
        within = True
        for candidate in version.tests:
            if annual > candidate.annual_limit_for(counted_size):
                test, within = candidate, False
                break
    period = test.period
    limit = test.limit_for(counted_size)
    income = _in_period(annual, period)

    enrollment = qualifying_enrollment(version, household, categorical)
    if zip_code is not None and not version.serves(zip_code):
        reasons.append(OUTSIDE_SERVICE_AREA)
        explanation.append(("outside_area", {"zip": zip_code[:5]}))
    if enrollment is None:
        if size < version.qualify_min_size:
            reasons.append(HOUSEHOLD_TOO_SMALL)
            explanation.append(("too_small", {"size": size, "min": version.qualify_min_size}))
        explanation.append(("income", {"size": size, "income_cents": income, "period": period,
                                       "members": version.counted_members}))
        if counted_size != size:
            explanation.append(("counted_as", {"size": size, "counted": counted_size}))
        explanation.append(("limit", {"size": counted_size, "limit_cents": limit, "period": period,
                                      "from": version.effective_from}))
        if not within:
            reasons.append(OVER_INCOME_LIMIT)
            explanation.append(("over", {"over_cents": income - limit}))
        elif floor is not None:
            floor_test = floor.limit_tests[0]
            floor_size = max(size, floor.count_min_size)
            floor_limit = floor_test.limit_for(floor_size)
            if annual <= floor_test.annual_limit_for(floor_size):
                reasons.append(BELOW_INCOME_FLOOR)
                explanation.append(("below_floor", {"program": floor.program, "limit_cents": floor_limit,
                                                    "period": floor_test.period}))
        if tier is not None and within:
            explanation.append(("tier", {"tier": tier}))
    else:
        explanation.append(("categorical", {"enrollment": enrollment}))
        if version.tiers and tier is None:
            tier = version.tiers[-1].code
    eligible = not reasons
    explanation.append(("qualify", {}) if eligible else ("not_qualify", {}))
    return Determination(
        program=version.program, rule_version=version.id, on=on, eligible=eligible,
        tier=tier if eligible else None, period=period, limit_cents=limit, income_cents=income,
        margin_cents=limit - income, household_size=size, counted_size=counted_size,
        categorical=enrollment, reasons=tuple(reasons), explanation=tuple(explanation))


# --- A set of programs on a day ----------------------------------------------------------------

@dataclass(frozen=True)
class ProgramRules:
    """A program as the determination sees it: its code, whether it is open, its versions."""

    code: str
    versions: tuple[RuleVersion, ...]  # by version number, oldest first
    enabled: bool = True
    example: bool = False


class Catalog:
    """The programs a utility runs, with every rule version, for deciding on any day."""

    def __init__(self, programs: Iterable[ProgramRules]) -> None:
        self.programs = {p.code: p for p in programs}

    def version_on(self, code: str, day: date) -> RuleVersion | None:
        """The version in effect: of those whose dates cover the day, the newest wins.

        Versions are never edited, so a correction is a newer version over the same dates.
        """
        program = self.programs.get(code)
        if program is None:
            return None
        for version in reversed(program.versions):
            if version.in_effect_on(day):
                return version
        return None

    def open_programs(self, day: date, zip_code: str | None = None, *, examples: bool = True) -> list[str]:
        """Programs switched on with rules on the day; with `zip_code`, only those offered there;
        `examples=False` leaves out the demo's example programs (the public never sees them)."""
        out = []
        for code, p in self.programs.items():
            version = self.version_on(code, day) if p.enabled and (examples or not p.example) else None
            if version is not None and (zip_code is None or version.serves(zip_code)):
                out.append(code)
        return out

    def determine(self, code: str, household: Household, categorical: Iterable[str] = (), on: date | None = None,
                  *, zip_code: str | None = None) -> Determination:
        if on is None:
            raise RuleError("the day that decides is required")
        version = self.version_on(code, on)
        if version is None:
            raise RuleError(f"{code} has no rules in effect on {on.isoformat()}")
        floor = self.version_on(version.above_program, on) if version.above_program else None
        if version.above_program and floor is None:
            raise RuleError(f"{code} starts above {version.above_program}, which has no rules on {on.isoformat()}")
        return determine(version, household, categorical, on, zip_code=zip_code, floor=floor)

    def screen(self, household: Household, categorical: Iterable[str], on: date,
               zip_code: str | None, *, examples: bool = True) -> list[Determination]:
        """The programs offered at the ZIP code on the day, each with its likely answer."""
        held = tuple(categorical)
        return [self.determine(code, household, held, on, zip_code=zip_code)
                for code in self.open_programs(on, zip_code, examples=examples)]
