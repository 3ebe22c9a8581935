"""The rebate calculation, as plain functions of plain data: no Flask, no database.

A quote is a pure function of (program versions, product lists, request). Every step of an item
is kept in a trace of (code, values) sentences; `rebates.explain` renders them in English or
Spanish. Amounts are exact `Decimal` cents inside an item and rounded half up once, at its end.

Everything a version needs is precomputed when it is built (`build_version`), so quoting an
item does no parsing, no regex and no copying.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from dataclasses import replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable, Mapping, Sequence

# Why an item earns nothing (stable codes; people script against them).
NO_RULE_IN_EFFECT = "no_rule_in_effect"
LATE_APPLICATION = "late_application"
CONDITION_NOT_MET = "condition_not_met"
NOT_QUALIFIED_PRODUCT = "not_qualified_product"
BELOW_MINIMUM_QUANTITY = "below_minimum_quantity"
LIMIT_REACHED = "limit_reached"
REASONS = (NO_RULE_IN_EFFECT, LATE_APPLICATION, CONDITION_NOT_MET, NOT_QUALIFIED_PRODUCT, BELOW_MINIMUM_QUANTITY,
           LIMIT_REACHED)

AMOUNT_KINDS = ("per_unit", "per_ordinal", "banded", "by_attribute", "percent_of_cost")
UNITS = ("each", "sq_ft", "gallon")
DATED_BY = ("purchased_on", "installed_on")
SCOPES = ("premise", "account", "customer")

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
ONE_DAY = timedelta(days=1)

Sentence = tuple  # (code, {values})


class RuleError(ValueError):
    """Rules that cannot be built (a definition that slipped past validation)."""


def cents_of(dollars: str | Decimal | None) -> Decimal | None:
    """'100.00' -> Decimal('10000'): the definitions' dollars as exact cents."""
    return None if dollars is None else Decimal(str(dollars)) * HUNDRED


def round_cents(value: Decimal) -> int:
    return int(value.quantize(ONE, rounding=ROUND_HALF_UP))


def normalize_model(model: str | None) -> str:
    """Model numbers match ignoring case, spaces and dashes."""
    return (model or "").replace(" ", "").replace("-", "").replace("\t", "").upper()


# --- Rules, built once per version ------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Amount:
    kind: str
    per_unit: Decimal = ZERO                                     # cents
    ordinals: tuple[Decimal, ...] = ()                          # cents, the last repeats
    bands: tuple[tuple[Decimal | None, Decimal], ...] = ()       # (up_to units or None, rate cents)
    attribute: str = ""
    attribute_bands: tuple[tuple[Decimal | None, Decimal | None, Decimal], ...] = ()  # (min, max, cents)
    percent: Decimal = ZERO

    @classmethod
    def of(cls, data: Mapping) -> "Amount":
        kind = data["kind"]
        if kind == "per_unit":
            return cls(kind, per_unit=cents_of(data["amount"]))
        if kind == "per_ordinal":
            return cls(kind, ordinals=tuple(cents_of(a) for a in data["amounts"]))
        if kind == "banded":
            return cls(kind, bands=tuple((None if b.get("up_to") is None else Decimal(b["up_to"]), cents_of(b["rate"]))
                                         for b in data["bands"]))
        if kind == "by_attribute":
            return cls(kind, attribute=data["attribute"], attribute_bands=tuple(
                (None if b.get("min") is None else Decimal(b["min"]), None if b.get("max") is None else Decimal(b["max"]),
                 cents_of(b["amount"])) for b in data["bands"]))
        if kind == "percent_of_cost":
            return cls(kind, percent=Decimal(data["percent"]))
        raise RuleError(f"unknown amount kind {kind!r}")


@dataclass(frozen=True, slots=True)
class Limit:
    scope: str
    measures: frozenset[str]
    max_units: int | None = None
    max_amount: Decimal | None = None      # cents
    years: int | None = None
    fiscal_year: bool = False


@dataclass(frozen=True, slots=True)
class Condition:
    attribute: str
    min: Decimal | None
    max: Decimal | None


@dataclass(frozen=True, slots=True)
class Measure:
    code: str
    names: Mapping[str, str]
    unit: str
    dated_by: str
    amount: Amount
    enhanced_for: frozenset[str] = frozenset()
    enhanced: Amount | None = None
    cost_tax: bool = False
    cost_labor: bool = False
    cost_delivery: bool = False
    cap_at_cost: bool = False
    percent_of_cost_cap: Decimal | None = None
    max_amount: Decimal | None = None      # cents
    quantity_min: int | None = None
    quantity_max: int | None = None
    conditions: tuple[Condition, ...] = ()
    limits: tuple[Limit, ...] = ()
    apply_within_days: int | None = None
    apply_by: date | None = None
    qualified_products: str | None = None

    def name(self, language: str = "en") -> str:
        return self.names.get(language) or self.names.get("en") or self.code


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def build_measure(data: Mapping) -> Measure:
    """A measure from its definition (the file's form: dollars and decimals as text)."""
    code = data["code"]
    quantity = data.get("quantity") or {}
    basis = data.get("cost_basis") or {}
    enhanced = data.get("enhanced")
    apply_by = data.get("apply_by")
    return Measure(
        code=code, names=dict(data.get("name") or {}), unit=data.get("unit", "each"),
        dated_by=data.get("dated_by") or "purchased_on", amount=Amount.of(data["amount"]),
        enhanced_for=frozenset(enhanced["enrolled_in"]) if enhanced else frozenset(),
        enhanced=Amount.of(enhanced["amount"]) if enhanced else None,
        cost_tax=bool(basis.get("tax")), cost_labor=bool(basis.get("labor")), cost_delivery=bool(basis.get("delivery")),
        cap_at_cost=bool(data.get("cap_at_cost")), percent_of_cost_cap=_decimal(data.get("percent_of_cost_cap")),
        max_amount=cents_of(data.get("max_amount")),
        quantity_min=quantity.get("min"), quantity_max=quantity.get("max"),
        conditions=tuple(Condition(c["attribute"], _decimal(c.get("min")), _decimal(c.get("max")))
                         for c in data.get("conditions") or ()),
        limits=tuple(Limit(scope=lim["scope"], measures=frozenset(lim.get("measures") or (code,)),
                           max_units=lim.get("max_units"), max_amount=cents_of(lim.get("max_amount")),
                           years=lim.get("years"), fiscal_year=bool(lim.get("fiscal_year")))
                     for lim in data.get("limits") or ()),
        apply_within_days=data.get("apply_within_days"),
        apply_by=date.fromisoformat(apply_by) if isinstance(apply_by, str) else apply_by,
        qualified_products=data.get("qualified_products"))


@dataclass(frozen=True, slots=True)
class Version:
    id: str                          # "WATER.v2"
    program: str
    number: int
    label: str
    effective_from: date
    effective_to: date | None
    measures: Mapping[str, Measure]
    source: str = ""
    # The last day it is in effect: its effective_to, or (open) the day before the next version starts.
    ends: date | None = None

    def covers(self, day: date) -> bool:
        return self.effective_from <= day and (self.ends is None or day <= self.ends)


def build_version(program: str, number: int, effective_from: date, effective_to: date | None,
                  measures: Iterable[Mapping], label: str = "", source: str = "") -> Version:
    return Version(id=f"{program}.v{number}", program=program, number=number, label=label,
                   effective_from=effective_from, effective_to=effective_to,
                   measures={m["code"]: build_measure(m) for m in measures}, source=source)


def spans(versions: Iterable[tuple[date, date | None]]) -> list[date | None]:
    """The last day of each (effective_from, effective_to), sorted by start: an open version ends
    the day before the next one starts, so a new version never needs the old one edited."""
    ordered = list(versions)
    ends = []
    for index, (starts, until) in enumerate(ordered):
        following = ordered[index + 1][0] if index + 1 < len(ordered) else None
        if until is None and following is not None:
            until = following - ONE_DAY
        ends.append(until)
    return ends


def overlaps(versions: Sequence[tuple[date, date | None]]) -> list[int]:
    """The indexes (in the given order) of versions whose dates overlap an earlier-listed one's."""
    bad = []
    for i, (start, until) in enumerate(versions):
        for j in range(i):
            other_start, other_until = versions[j]
            if start == other_start:
                bad.append(i)
                break
            first, second = ((other_start, other_until), (start, until)) if other_start < start \
                else ((start, until), (other_start, other_until))
            if first[1] is not None and first[1] >= second[0]:
                bad.append(i)
                break
    return bad


@dataclass(frozen=True, slots=True)
class Program:
    code: str
    versions: tuple[Version, ...]
    fiscal_year_starts: tuple[int, int] = (7, 1)

    @classmethod
    def of(cls, code: str, versions: Iterable[Version], fiscal_year_starts: tuple[int, int] = (7, 1)) -> "Program":
        """Versions in date order, each knowing the last day it is in effect."""
        ordered = sorted(versions, key=lambda v: v.effective_from)
        ends = spans((v.effective_from, v.effective_to) for v in ordered)
        return cls(code, tuple(replace(v, ends=end) for v, end in zip(ordered, ends)), fiscal_year_starts)

    def version_for(self, measure: str, purchased_on: date, installed_on: date | None) -> tuple[Version | None, date]:
        """The version in effect on the item's dated date, newest first, and that date."""
        fallback = purchased_on
        for version in reversed(self.versions):
            rule = version.measures.get(measure)
            if rule is None:
                continue
            day = installed_on if rule.dated_by == "installed_on" and installed_on is not None else purchased_on
            if version.covers(day):
                return version, day
            fallback = day
        return None, fallback

    def measure_dated_by(self, measure: str) -> str:
        for version in reversed(self.versions):
            rule = version.measures.get(measure)
            if rule is not None:
                return rule.dated_by
        return "purchased_on"


def fiscal_year(day: date, starts: tuple[int, int]) -> int:
    """The fiscal year a day falls in, named by the year it ends (FY2027 runs 2026-07-01..2027-06-30)."""
    month, dom = starts
    if (month, dom) == (1, 1):
        return day.year
    return day.year + 1 if (day.month, day.day) >= (month, dom) else day.year


@dataclass(frozen=True, slots=True)
class ProductList:
    """A qualified product list: its versions by date, each a map of normalized model -> attributes."""

    code: str
    versions: tuple[tuple[date, Mapping[str, Mapping[str, Decimal]]], ...]   # sorted by date

    def lookup(self, model: str | None, day: date) -> Mapping[str, Decimal] | None:
        if not self.versions:
            return None
        chosen = self.versions[0][1]
        for starts, models in self.versions:
            if starts <= day:
                chosen = models
            else:
                break
        return chosen.get(normalize_model(model))


# --- The request ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Item:
    measure: str
    quantity: int
    purchased_on: date
    installed_on: date | None = None
    model: str | None = None
    price_cents: int = 0
    tax_cents: int = 0
    labor_cents: int = 0
    delivery_cents: int = 0
    discounts_cents: int = 0
    attributes: Mapping[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Past:
    """A unit already rebated (from history, or an earlier item of the same request)."""

    measure: str
    quantity: int
    amount_cents: int
    dated_on: date
    premise: str | None = None
    account: str | None = None
    customer: str | None = None
    this_request: bool = False


@dataclass(frozen=True, slots=True)
class Request:
    program: str
    applied_on: date
    items: tuple[Item, ...]
    premise: str | None = None
    account: str | None = None
    customer: str | None = None
    enrolled_in: frozenset[str] = frozenset()
    reserved_cents: int | None = None
    history: tuple[Past, ...] = ()


@dataclass(frozen=True, slots=True)
class ItemResult:
    measure: str
    quantity: int
    counted_quantity: int
    amount_cents: int
    eligible_cost_cents: int
    rule_version: str | None
    reasons: tuple[str, ...]
    trace: tuple[Sentence, ...]
    unit: str = "each"
    dated_on: date | None = None


@dataclass(frozen=True, slots=True)
class Quote:
    program: str
    applied_on: date
    amount_cents: int
    items: tuple[ItemResult, ...]


def past_item(measure: str, quantity: int, amount_cents: int, purchased_on: date, installed_on: date | None,
              dated_by: str, premise=None, account=None, customer=None) -> Past:
    day = installed_on if dated_by == "installed_on" and installed_on is not None else purchased_on
    return Past(measure, quantity, amount_cents, day, premise, account, customer)


# --- The calculation --------------------------------------------------------------------------

def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _in_scope(past: Past, limit: Limit, request: Request, day: date, fy: tuple[int, int]) -> bool:
    if past.measure not in limit.measures:
        return False
    if not past.this_request:
        mine = request.premise if limit.scope == "premise" else request.account if limit.scope == "account" \
            else request.customer
        theirs = past.premise if limit.scope == "premise" else past.account if limit.scope == "account" \
            else past.customer
        if mine is None or theirs != mine:
            return False
    if limit.years is not None:
        return past.dated_on > _years_before(day, limit.years)
    if limit.fiscal_year:
        return fiscal_year(past.dated_on, fy) == fiscal_year(day, fy)
    return True


def _amount(rule: Amount, counted: int, prior_units: int, attributes: Mapping[str, Decimal],
            eligible_cost: Decimal, trace: list) -> Decimal | None:
    """Step 7 for one amount rule; None when no band of a by_attribute rule holds."""
    kind = rule.kind
    if kind == "per_unit":
        value = rule.per_unit * counted
        trace.append(("per_unit", {"quantity": counted, "rate_cents": (rule.per_unit),
                                   "amount_cents": (value)}))
        return value
    if kind == "per_ordinal":
        last = len(rule.ordinals) - 1
        value = ZERO
        for n in range(prior_units, prior_units + counted):
            value += rule.ordinals[n if n < last else last]
        trace.append(("per_ordinal", {"quantity": counted, "first": prior_units + 1,
                                      "amount_cents": (value)}))
        return value
    if kind == "banded":
        value = ZERO
        left = Decimal(counted)
        floor = ZERO
        for up_to, rate in rule.bands:
            if left <= 0:
                break
            width = left if up_to is None else min(left, up_to - floor)
            if width > 0:
                value += width * rate
                trace.append(("band", {"quantity": width, "rate_cents": (rate)}))
                left -= width
            if up_to is not None:
                floor = up_to
        trace.append(("banded", {"quantity": counted, "amount_cents": (value)}))
        return value
    if kind == "by_attribute":
        have = attributes.get(rule.attribute)
        if have is not None:
            for low, high, cents in rule.attribute_bands:
                if (low is None or have >= low) and (high is None or have <= high):
                    value = cents * counted
                    trace.append(("by_attribute", {"attribute": rule.attribute, "value": have, "quantity": counted,
                                                   "rate_cents": (cents), "amount_cents": (value)}))
                    return value
        trace.append(("no_band", {"attribute": rule.attribute, "value": have}))
        return None
    value = eligible_cost * rule.percent / HUNDRED
    trace.append(("percent_of_cost", {"percent": rule.percent, "cost_cents": (eligible_cost),
                                      "amount_cents": (value)}))
    return value


def quote_item(program: Program, products: Mapping[str, ProductList], request: Request, item: Item,
               past: Sequence[Past], reserved_left: Decimal | None) -> ItemResult:
    """The 11 steps for one item; `past` is history plus the request's earlier items."""
    trace: list[Sentence] = []
    reasons: list[str] = []
    version, day = program.version_for(item.measure, item.purchased_on, item.installed_on)
    # 1. Version
    if version is None:
        trace.append(("no_rule", {"measure": item.measure, "date": day}))
        return ItemResult(item.measure, item.quantity, 0, 0, 0, None, (NO_RULE_IN_EFFECT,), tuple(trace))
    rule = version.measures[item.measure]
    trace.append(("version", {"version": version.id, "label": version.label, "date": day,
                              "dated_by": rule.dated_by}))
    # 2. When it was applied for
    days = (request.applied_on - day).days
    if rule.apply_within_days is not None and days > rule.apply_within_days:
        trace.append(("late_days", {"days": days, "allowed": rule.apply_within_days}))
        reasons.append(LATE_APPLICATION)
    if rule.apply_by is not None and request.applied_on > rule.apply_by:
        trace.append(("late_by", {"apply_by": rule.apply_by}))
        reasons.append(LATE_APPLICATION)
    # 4 (looked up first, so the list's attributes stand in for the customer's in 3 and 7)
    attributes = item.attributes
    listed = None
    if rule.qualified_products is not None:
        plist = products.get(rule.qualified_products)
        listed = plist.lookup(item.model, day) if plist is not None else None
        if listed:
            attributes = {**attributes, **listed}
    # 3. Conditions
    for condition in rule.conditions:
        have = attributes.get(condition.attribute)
        if have is None or (condition.min is not None and have < condition.min) \
                or (condition.max is not None and have > condition.max):
            trace.append(("condition", {"attribute": condition.attribute, "value": have, "min": condition.min,
                                        "max": condition.max}))
            reasons.append(CONDITION_NOT_MET)
    # 4. Qualified product
    if rule.qualified_products is not None:
        if listed is None:
            trace.append(("not_listed", {"model": item.model or "", "list": rule.qualified_products}))
            reasons.append(NOT_QUALIFIED_PRODUCT)
        else:
            trace.append(("listed", {"model": item.model or "", "list": rule.qualified_products}))
    # 5. Quantity
    counted = item.quantity
    if rule.quantity_min is not None and item.quantity < rule.quantity_min:
        trace.append(("below_min", {"quantity": item.quantity, "min": rule.quantity_min}))
        reasons.append(BELOW_MINIMUM_QUANTITY)
    if rule.quantity_max is not None and counted > rule.quantity_max:
        counted = rule.quantity_max
        trace.append(("over_max", {"quantity": item.quantity, "max": rule.quantity_max}))
    # 6. Unit limits
    fy = program.fiscal_year_starts
    for limit in rule.limits:
        if limit.max_units is None:
            continue
        used = sum(p.quantity for p in past if _in_scope(p, limit, request, day, fy))
        left = limit.max_units - used
        if left <= 0:
            trace.append(("units_used", {"scope": limit.scope, "max": limit.max_units, "used": used,
                                         "years": limit.years, "fiscal_year": limit.fiscal_year}))
            reasons.append(LIMIT_REACHED)
            counted = 0
        elif left < counted:
            trace.append(("units_left", {"scope": limit.scope, "max": limit.max_units, "used": used, "left": left,
                                         "years": limit.years, "fiscal_year": limit.fiscal_year}))
            counted = left
    # 8 (the eligible cost, which 7's percent_of_cost needs)
    line = Decimal(item.price_cents - item.discounts_cents + (item.tax_cents if rule.cost_tax else 0)
                   + (item.labor_cents if rule.cost_labor else 0) + (item.delivery_cents if rule.cost_delivery else 0))
    if line < 0:
        line = ZERO
    eligible = line if counted == item.quantity or item.quantity == 0 else line * counted / item.quantity
    # 7. Amount
    amount_rule = rule.amount
    if rule.enhanced is not None and rule.enhanced_for & request.enrolled_in:
        amount_rule = rule.enhanced
        trace.append(("enhanced", {"programs": sorted(rule.enhanced_for & request.enrolled_in)}))
    prior = 0
    if amount_rule.kind == "per_ordinal":
        prior = sum(p.quantity for p in past if p.measure == item.measure
                    and (p.this_request or (request.premise is not None and p.premise == request.premise)))
    value = _amount(amount_rule, counted, prior, attributes, eligible, trace)
    if value is None:
        reasons.append(CONDITION_NOT_MET)
        value = ZERO
    # 8. Cost
    trace.append(("cost", {"cost_cents": (eligible), "tax": rule.cost_tax, "labor": rule.cost_labor,
                           "delivery": rule.cost_delivery, "discounts_cents": item.discounts_cents}))
    if rule.cap_at_cost and value > eligible:
        value = eligible
        trace.append(("capped_at_cost", {"amount_cents": value,
                                         "before_tax": not rule.cost_tax and item.tax_cents > 0}))
    if rule.percent_of_cost_cap is not None:
        cap = eligible * rule.percent_of_cost_cap / HUNDRED
        if value > cap:
            value = cap
            trace.append(("capped_at_percent", {"percent": rule.percent_of_cost_cap, "amount_cents": (cap)}))
    # 9. max_amount
    if rule.max_amount is not None and value > rule.max_amount:
        value = rule.max_amount
        trace.append(("capped_at_max", {"amount_cents": (value)}))
    # 10. Amount limits
    for limit in rule.limits:
        if limit.max_amount is None:
            continue
        used = sum(p.amount_cents for p in past if _in_scope(p, limit, request, day, fy))
        left = limit.max_amount - used
        if left <= 0:
            trace.append(("amount_used", {"scope": limit.scope, "max_cents": (limit.max_amount),
                                          "used_cents": used, "years": limit.years,
                                          "fiscal_year": limit.fiscal_year}))
            reasons.append(LIMIT_REACHED)
            value = ZERO
        elif value > left:
            value = left
            trace.append(("amount_left", {"scope": limit.scope, "max_cents": (limit.max_amount),
                                          "used_cents": used, "left_cents": (left), "years": limit.years,
                                          "fiscal_year": limit.fiscal_year}))
    # 11. Reservation
    if reserved_left is not None and value > reserved_left:
        value = reserved_left
        trace.append(("reserved", {"amount_cents": (reserved_left)}))
    if reasons:
        trace.append(("none", {"reason": reasons[0]}))
        return ItemResult(item.measure, item.quantity, 0, 0, round_cents(eligible), version.id, (reasons[0],),
                          tuple(trace), rule.unit, day)
    cents = round_cents(value)
    trace.append(("total", {"amount_cents": cents}))
    return ItemResult(item.measure, item.quantity, counted, cents, round_cents(eligible), version.id, (),
                      tuple(trace), rule.unit, day)


def quote(program: Program, request: Request, products: Mapping[str, ProductList] | None = None) -> Quote:
    """Every item in order; each one's result counts towards the limits of the next, as history does."""
    products = products or {}
    past = list(request.history)
    reserved_left = Decimal(request.reserved_cents) if request.reserved_cents is not None else None
    results = []
    total = 0
    for item in request.items:
        result = quote_item(program, products, request, item, past, reserved_left)
        results.append(result)
        total += result.amount_cents
        if result.amount_cents or result.counted_quantity:
            past.append(Past(item.measure, result.counted_quantity, result.amount_cents, result.dated_on, request.premise,
                             request.account, request.customer, this_request=True))
        if reserved_left is not None:
            reserved_left -= result.amount_cents
            if reserved_left < 0:
                reserved_left = ZERO
    return Quote(request.program, request.applied_on, total, tuple(results))



# --- budgets -----------------------------------------------------------------------------------

def fiscal_year_span(year: int, starts: tuple[int, int]) -> tuple[date, date]:
    """First and last day of fiscal year `year` (named by the year it ends): FY2027 from 07-01 is
    2026-07-01..2027-06-30; with a January start FY2027 is the calendar year 2027."""

    month, dom = starts
    first = date(year if (month, dom) == (1, 1) else year - 1, month, dom)
    nxt = date(first.year + 1, month, dom)
    return first, nxt - timedelta(days=1)


@dataclass(frozen=True, slots=True)
class BudgetFigures:
    """A budget's figures from the sums of its ledger rows, by kind (all positive cents).

    A hold adds to `held`; a release takes from it; a commit moves money from held to committed;
    a payment moves it from committed to paid. So available = amount - (holds - releases).
    """

    amount_cents: int
    held_cents: int
    committed_cents: int
    paid_cents: int

    @classmethod
    def of(cls, amount_cents: int, sums: Mapping[str, int]) -> "BudgetFigures":
        hold, release = sums.get("hold", 0), sums.get("release", 0)
        commit, payment = sums.get("commit", 0), sums.get("payment", 0)
        return cls(amount_cents, hold - release - commit, commit - payment, payment)

    @property
    def available_cents(self) -> int:
        return self.amount_cents - self.held_cents - self.committed_cents - self.paid_cents


def offers(available_cents: int, waiting: Iterable[tuple[int, int]]) -> list[int]:
    """Which waiting applications (id, cents), in line order, the money takes: in order while they
    fit, stopping at the first that does not (no one behind it jumps the line)."""
    taken = []
    for application_id, cents in waiting:
        if cents > available_cents:
            break
        available_cents -= cents
        taken.append(application_id)
    return taken


def needs_w9(year_total_cents: int, threshold_cents: int, reportable: bool, w9_on_file: bool) -> bool:
    """A reportable payment waits for a W-9 once the customer's calendar-year rebates reach the threshold."""
    return reportable and not w9_on_file and year_total_cents >= threshold_cents


# --- check payment files -----------------------------------------------------------------------

PAYMENT_FIELDS = ("payment_id", "payee", "address", "city", "state", "zip", "amount", "amount_cents",
                  "application", "program", "account_number", "batch_id")
NUMERIC_PAYMENT_FIELDS = frozenset({"payment_id", "amount", "amount_cents", "application", "batch_id"})
IDENTIFIER_PAYMENT_FIELDS = frozenset({"state", "zip", "program", "account_number"})
DEFAULT_PAYMENT_LAYOUT = (("PAYMENT_ID", "payment_id"), ("PAYEE", "payee"), ("ADDRESS", "address"),
                          ("CITY", "city"), ("STATE", "state"), ("ZIP", "zip"), ("AMOUNT", "amount"),
                          ("APPLICATION", "application"), ("PROGRAM", "program"))


def parse_payment_layout(spec: str | None) -> list[list[str]]:
    """'PAYEE=payee,AMT=amount' (or just field names) -> [[header, field], ...], as for credit files."""
    if not spec:
        return [list(c) for c in DEFAULT_PAYMENT_LAYOUT]
    layout = []
    for part in spec.split(","):
        header, _, name = part.strip().partition("=")
        name = (name or header).strip()
        if name not in PAYMENT_FIELDS:
            raise ValueError(f"unknown payment file field {name!r}; use one of {', '.join(PAYMENT_FIELDS)}")
        layout.append([header.strip(), name])
    return layout


def tin_digits(text: str) -> str | None:
    """A taxpayer ID (SSN or EIN) as its nine digits, or None when it is not nine digits."""
    digits = "".join(ch for ch in (text or "") if ch.isdigit())
    stripped = (text or "").replace("-", "").replace(" ", "")
    return digits if len(digits) == 9 and stripped == digits else None
