"""The quote's request and answer, in and out (marshmallow): dollars in as text, cents out."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from marshmallow import Schema, ValidationError, fields, validate

from core.schemas import BaseSchema, Cents, Dollars, IsoDate

MAX_ITEMS = 50
MAX_HISTORY = 500


class DecimalText(fields.Field):
    """An attribute value: a decimal as text ("1.28"), kept exact."""

    def _deserialize(self, value, attr, data, **kwargs) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (str, int)) or len(str(value)) > 30:
            raise ValidationError('Give the value as a decimal in text, like "1.28".')
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation as exc:
            raise ValidationError(f"{value!r} is not a decimal, like \"1.28\".") from exc
        if not number.is_finite():
            raise ValidationError(f"{value!r} is not a decimal, like \"1.28\".")
        return number


CODE = validate.Regexp(r"^[A-Za-z][A-Za-z0-9_-]{0,39}$", error="Give a code, like TOILET.")


class QuoteItem(BaseSchema):
    measure = fields.String(required=True, validate=CODE)
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(1, 1_000_000))
    model = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    purchased_on = IsoDate(required=True)
    installed_on = IsoDate(load_default=None, allow_none=True)
    price = Dollars(load_default=0)
    tax = Dollars(load_default=0)
    labor = Dollars(load_default=0)
    delivery = Dollars(load_default=0)
    discounts = Dollars(load_default=0)
    attributes = fields.Dict(keys=fields.String(validate=validate.Length(1, 60)), values=DecimalText(),
                             load_default=dict, validate=validate.Length(max=30))


class QuoteHistory(BaseSchema):
    measure = fields.String(required=True, validate=CODE)
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(0, 1_000_000))
    amount = Dollars(required=True)
    purchased_on = IsoDate(required=True)
    installed_on = IsoDate(load_default=None, allow_none=True)
    premise = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))
    account = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=32))
    customer = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))


class QuoteRequest(BaseSchema):
    program = fields.String(required=True, validate=validate.Length(1, 40))
    applied_on = IsoDate(required=True)
    premise = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))
    account = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=32))
    customer = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    enrolled_in = fields.List(fields.String(validate=CODE), load_default=list, validate=validate.Length(max=20))
    reserved = Dollars(load_default=None, allow_none=True)
    language = fields.String(load_default=None, validate=validate.OneOf(("en", "es")))
    items = fields.List(fields.Nested(QuoteItem), required=True, validate=validate.Length(1, MAX_ITEMS))
    history = fields.List(fields.Nested(QuoteHistory), load_default=list, validate=validate.Length(max=MAX_HISTORY))


class QuoteItemResult(Schema):
    measure = fields.String()
    quantity = fields.Integer()
    counted_quantity = fields.Integer(metadata={"description": "The units the rebate pays for, after maxima and limits"})
    amount_cents = Cents()
    eligible_cost_cents = Cents(metadata={"description": "What counts as cost for the counted units"})
    rule_version = fields.String(allow_none=True, metadata={"description": "CODE.vN, or null with no_rule_in_effect"})
    reasons = fields.List(fields.String(), metadata={
        "description": "Empty when the item earns a rebate; else the first of no_rule_in_effect, late_application, "
                       "condition_not_met, not_qualified_product, below_minimum_quantity, limit_reached"})
    explanation = fields.String()


class QuoteResponse(Schema):
    program = fields.String()
    applied_on = fields.String(metadata={"format": "date"})
    amount_cents = Cents()
    items = fields.List(fields.Nested(QuoteItemResult))


def first_problem(messages, prefix: str = "") -> str:
    """The first field error as one line: 'items.0.price: Give the amount as ...'."""
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            return first_problem(value, name)
    if isinstance(messages, list) and messages:
        return first_problem(messages[0], prefix)
    return f"{prefix}: {messages}" if prefix else str(messages)




class BudgetOut(Schema):
    program = fields.String()
    fiscal_year = fields.Integer(metadata={"description": "Named by the year it ends"})
    amount_cents = fields.Integer()
    held_cents = fields.Integer()
    committed_cents = fields.Integer()
    paid_cents = fields.Integer()
    available_cents = fields.Integer(metadata={"description": "amount - held - committed - paid"})
    waitlisted = fields.Integer(metadata={"description": "How many applications wait for money"})


class BudgetList(Schema):
    budgets = fields.List(fields.Nested(BudgetOut))
