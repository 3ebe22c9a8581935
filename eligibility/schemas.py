"""Program definition files and the screening API, in and out.

Definition files are written by people (amounts in dollars, "8.17"); loading turns them into the
normalized rules the database keeps (amounts in integer cents), so a decision can be replayed.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate, validates_schema

from core.money import percent_text
from core.schemas import BaseSchema, Cents, Dollars, IsoDate
from eligibility.recertification.rules import DEFAULT_GRACE_DAYS, DEFAULT_REMINDER_DAYS, DEFAULT_VERIFICATION_DAYS
from eligibility.rules import (CATEGORICAL_PROGRAMS, COUNTED_MEMBERS, FREQUENCIES, INCOME_BASES, INCOME_KINDS, PERIODS,
                               STATE_ZIP_PREFIXES)

SERVICES = ("electric", "gas", "water", "wastewater", "refuse")
PROGRAM_KINDS = ("discount", "monthly_credit", "one_time_grant")
BENEFIT_KINDS = ("percent_of_charges", "monthly_credit", "one_time_grant", "per_tier")
HOUSEHOLD_TYPES = ("standard", "senior_only", "auto_enrolled")
CODE = re.compile(r"^[A-Z][A-Z0-9-]{1,39}$")
ZIP = re.compile(r"^\d{5}$")


class Percent(fields.Field):
    """A percentage as text ("200", "17.5"), kept exact as Decimal text."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise ValidationError('Give the percentage as text, like "200".')
        try:
            number = Decimal(str(value))
        except InvalidOperation as exc:
            raise ValidationError(f"{value!r} is not a percentage.") from exc
        if not number.is_finite() or number < 0 or number > 1000:
            raise ValidationError("A percentage is between 0 and 1000.")
        return percent_text(number)


def _code(value: str) -> None:
    if not CODE.match(value or ""):
        raise ValidationError("A code is 2 to 40 capital letters, digits or dashes, starting with a letter.")


class Localized(BaseSchema):
    en = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    es = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class GuidelineFile(BaseSchema):
    code = fields.String(required=True, validate=_code)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(("poverty_guideline", "state_median_income")))
    region = fields.String(required=True, validate=validate.Length(min=1, max=100))
    year = fields.Integer(required=True, strict=True, validate=validate.Range(1990, 2100))
    period = fields.String(required=True, validate=validate.OneOf(PERIODS))
    amounts = fields.List(Dollars(numbers=True), required=True, validate=validate.Length(min=1, max=30))
    per_added = Dollars(numbers=True, required=True)
    effective_from = IsoDate(required=True)
    source = fields.String(required=True, validate=validate.Length(min=1, max=2000))

    @post_load
    def normalize(self, data, **kwargs):
        return {"code": data["code"], "name": data["name"], "kind": data["kind"], "region": data["region"],
                "year": data["year"], "period": data["period"], "amounts_cents": data["amounts"],
                "per_added_cents": data["per_added"], "effective_from": data["effective_from"],
                "source": data["source"]}


class TableTest(BaseSchema):
    period = fields.String(required=True, validate=validate.OneOf(PERIODS))
    amounts = fields.List(Dollars(numbers=True), required=True, validate=validate.Length(min=1, max=30))
    per_added = Dollars(numbers=True, required=True)

    @validates_schema
    def _rising(self, data, **kwargs):
        amounts = data.get("amounts") or []
        if any(b < a for a, b in zip(amounts, amounts[1:])):
            raise ValidationError("Amounts must not fall as the household grows.", "amounts")

    @post_load
    def normalize(self, data, **kwargs):
        return {"period": data["period"], "amounts_cents": data["amounts"], "per_added_cents": data["per_added"]}


class Benefit(BaseSchema):
    kind = fields.String(required=True, validate=validate.OneOf(BENEFIT_KINDS))
    percent = fields.Dict(keys=fields.String(validate=validate.OneOf(SERVICES)), values=Percent())
    amount = Dollars(numbers=True)
    tenant_monthly_credits = fields.Dict(keys=fields.String(validate=validate.OneOf(("single_family", "duplex",
                                                                                    "multifamily"))),
                                         values=Dollars(numbers=True))

    @validates_schema
    def _complete(self, data, **kwargs):
        if data["kind"] == "percent_of_charges" and not data.get("percent"):
            raise ValidationError("Give the percentage off for each service.", "percent")
        if data["kind"] == "monthly_credit" and data.get("amount") is None:
            raise ValidationError("Give the monthly credit.", "amount")

    @post_load
    def normalize(self, data, **kwargs):
        out: dict = {"kind": data["kind"]}
        if "percent" in data:
            out["percent"] = dict(sorted(data["percent"].items()))
        if "amount" in data:
            out["amount_cents"] = data["amount"]
        if "tenant_monthly_credits" in data:
            out["tenant_monthly_credits_cents"] = dict(sorted(data["tenant_monthly_credits"].items()))
        return out


class TierFile(BaseSchema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=10))
    up_to_percent = Percent(required=True)
    benefit = fields.Nested(Benefit, required=True)


class Limit(BaseSchema):
    kind = fields.String(required=True, validate=validate.OneOf(("guideline_percent", "table", "tiers")))
    guideline = fields.String(validate=_code)
    percent = Percent()
    tests = fields.List(fields.Nested(TableTest), validate=validate.Length(min=1, max=4))
    tiers = fields.List(fields.Nested(TierFile), validate=validate.Length(min=1, max=10))

    @validates_schema
    def _complete(self, data, **kwargs):
        kind = data["kind"]
        needs = {"guideline_percent": ("guideline", "percent"), "table": ("tests",), "tiers": ("guideline", "tiers")}
        for name in needs[kind]:
            if not data.get(name):
                raise ValidationError(f"A {kind} limit needs {name}.", name)
        extra = {"guideline", "percent", "tests", "tiers"} - set(needs[kind])
        for name in extra:
            if data.get(name):
                raise ValidationError(f"A {kind} limit has no {name}.", name)
        if kind == "tiers":
            bounds = [Decimal(t["up_to_percent"]) for t in data["tiers"]]
            if bounds != sorted(set(bounds)):
                raise ValidationError("Tiers go from the lowest band up, each above the one before.", "tiers")


class Income(BaseSchema):
    members = fields.String(load_default="all", validate=validate.OneOf(COUNTED_MEMBERS))
    basis = fields.String(load_default="gross", validate=validate.OneOf(INCOME_BASES))


class Recertification(BaseSchema):
    standard = fields.Integer(required=True, strict=True, validate=validate.Range(1, 120))
    senior_only = fields.Integer(strict=True, validate=validate.Range(1, 120))
    auto_enrolled = fields.Integer(strict=True, validate=validate.Range(1, 120))


class VersionFile(BaseSchema):
    """One dated rule version as people write it."""

    label = fields.String(required=True, validate=validate.Length(min=1, max=40))
    effective_from = IsoDate(required=True)
    effective_to = IsoDate(allow_none=True, load_default=None)
    source = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    note = fields.String(load_default="", validate=validate.Length(max=2000))
    limit = fields.Nested(Limit, required=True)
    count_min_size = fields.Integer(load_default=1, strict=True, validate=validate.Range(1, 20))
    qualify_min_size = fields.Integer(load_default=1, strict=True, validate=validate.Range(1, 20))
    above_program = fields.String(allow_none=True, load_default=None, validate=_code)
    categorical = fields.List(fields.String(validate=validate.OneOf(CATEGORICAL_PROGRAMS)), load_default=list)
    service_area_zips = fields.List(fields.String(validate=validate.Regexp(ZIP, error="A ZIP code is 5 digits.")),
                                    allow_none=True, load_default=None)
    income = fields.Nested(Income, load_default=lambda: {"members": "all", "basis": "gross"})
    benefit = fields.Nested(Benefit, required=True)
    recertification_months = fields.Nested(Recertification, required=True)
    verification_rate = Percent(load_default="0")
    # Days before expiry when a reminder goes out, days the benefit continues after it, days to send proof.
    reminder_days = fields.List(fields.Integer(strict=True, validate=validate.Range(1, 365)),
                                load_default=lambda: list(DEFAULT_REMINDER_DAYS), validate=validate.Length(min=1, max=8))
    grace_days = fields.Integer(strict=True, load_default=DEFAULT_GRACE_DAYS, validate=validate.Range(0, 365))
    verification_days = fields.Integer(strict=True, load_default=DEFAULT_VERIFICATION_DAYS,
                                       validate=validate.Range(1, 365))

    @validates_schema
    def _dates(self, data, **kwargs):
        if data.get("effective_to") and data["effective_to"] < data["effective_from"]:
            raise ValidationError("The end date is before the start date.", "effective_to")
        if Decimal(data.get("verification_rate", "0")) > 100:
            raise ValidationError("A verification rate is a percentage up to 100.", "verification_rate")
        days = data.get("reminder_days") or []
        if len(set(days)) != len(days):
            raise ValidationError("Each reminder day appears once.", "reminder_days")
        if data["limit"]["kind"] == "tiers" and data["benefit"]["kind"] != "per_tier":
            raise ValidationError("A tiered program gives its benefit per tier.", "benefit")

    @post_load
    def normalize(self, data, **kwargs):
        limit = data["limit"]
        rules_limit: dict = {"kind": limit["kind"]}
        if limit["kind"] == "guideline_percent":
            rules_limit.update(guideline=limit["guideline"], percent=limit["percent"])
        elif limit["kind"] == "table":
            rules_limit["tests"] = limit["tests"]
        else:
            rules_limit.update(guideline=limit["guideline"], tiers=limit["tiers"])
        rules = {
            "limit": rules_limit,
            "count_min_size": data["count_min_size"],
            "qualify_min_size": data["qualify_min_size"],
            "above_program": data["above_program"],
            "categorical": sorted(set(data["categorical"]), key=CATEGORICAL_PROGRAMS.index),
            "service_area_zips": sorted(set(data["service_area_zips"])) if data["service_area_zips"] else None,
            "income": data["income"],
            "benefit": data["benefit"],
            "recertification_months": data["recertification_months"],
            "verification_rate": data["verification_rate"],
            "reminder_days": sorted(data["reminder_days"], reverse=True),
            "grace_days": data["grace_days"],
            "verification_days": data["verification_days"],
        }
        return {"label": data["label"], "effective_from": data["effective_from"],
                "effective_to": data["effective_to"], "source": data["source"], "note": data["note"],
                "rules": rules}


class ServiceAreaFile(BaseSchema):
    """Where the program is offered: whole states ("CA"), ZIP codes, or both; none of them is anywhere."""

    states = fields.List(fields.String(validate=validate.OneOf(tuple(STATE_ZIP_PREFIXES))), load_default=list)
    zips = fields.List(fields.String(validate=validate.Regexp(ZIP, error="A ZIP code is 5 digits.")),
                       load_default=list)
    source = fields.String(load_default=None, validate=validate.Length(max=2000))

    @post_load
    def normalize(self, data, **kwargs):
        area = {k: sorted(set(data[k])) for k in ("states", "zips") if data[k]}
        if area and data["source"]:
            area["source"] = data["source"]
        return area or None


class ProgramFile(BaseSchema):
    code = fields.String(required=True, validate=_code)
    service_area = fields.Nested(ServiceAreaFile, allow_none=True, load_default=None)
    kind = fields.String(required=True, validate=validate.OneOf(PROGRAM_KINDS))
    example = fields.Boolean(load_default=False)
    services = fields.List(fields.String(validate=validate.OneOf(SERVICES)), required=True,
                           validate=validate.Length(min=1))
    name = fields.Nested(Localized, required=True)
    description = fields.Nested(Localized, required=True)
    versions = fields.List(fields.Nested(VersionFile), required=True, validate=validate.Length(min=1))


class DefinitionsFile(Schema):
    """What `programs load FILE` reads: guideline tables and programs, either may be absent."""

    class Meta:
        unknown = RAISE

    guidelines = fields.List(fields.Nested(GuidelineFile), load_default=list)
    programs = fields.List(fields.Nested(ProgramFile), load_default=list)


# --- The screening API -------------------------------------------------------------------------

class IncomeIn(BaseSchema):
    kind = fields.String(required=True, validate=validate.OneOf(INCOME_KINDS))
    amount = Dollars(numbers=True, required=True)
    frequency = fields.String(required=True, validate=validate.OneOf(tuple(FREQUENCIES)))


class MemberIn(BaseSchema):
    age = fields.Integer(required=True, strict=True, validate=validate.Range(0, 130))
    name = fields.String(validate=validate.Length(max=200))
    relationship = fields.String(validate=validate.Length(max=60))
    incomes = fields.List(fields.Nested(IncomeIn), load_default=list, validate=validate.Length(max=20))


class HouseholdIn(BaseSchema):
    members = fields.List(fields.Nested(MemberIn), required=True, validate=validate.Length(min=1, max=30))


class ScreenRequest(BaseSchema):
    zip = fields.String(required=True, validate=validate.Regexp(r"^\d{5}(-\d{4})?$",
                                                                error="A ZIP code is 5 digits."))
    on = IsoDate(load_default=None)
    household = fields.Nested(HouseholdIn, required=True)
    categorical = fields.List(fields.String(validate=validate.OneOf(CATEGORICAL_PROGRAMS)), load_default=list)


class ScreenResult(Schema):
    program = fields.String(metadata={"description": "Program code"})
    name = fields.String()
    eligible = fields.Boolean()
    tier = fields.String(allow_none=True)
    period = fields.String(metadata={"description": "annual or monthly: the period of limit and income"})
    limit_cents = Cents(allow_none=True)
    income_cents = Cents()
    margin_cents = Cents(allow_none=True)
    rule_version = fields.String()
    reasons = fields.List(fields.String())
    explanation = fields.String()
    next_step = fields.String()


class ScreenResponse(Schema):
    on = IsoDate()
    programs = fields.List(fields.Nested(ScreenResult))
