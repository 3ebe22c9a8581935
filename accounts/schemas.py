"""API shapes for accounts and the credit ledger."""
from marshmallow import fields, validate

from accounts.rules import ADJUSTMENT_REASONS
from core.schemas import BaseSchema, Cents, Dollars, IsoDate


class LinkRequest(BaseSchema):
    account_number = fields.String(required=True, validate=validate.Length(min=1, max=32))
    zip = fields.String(required=True, validate=validate.Length(min=5, max=10))
    last_bill_amount = Dollars(required=True, allow_negative=True)


class AccountOut(BaseSchema):
    account_number = fields.String(attribute="number")
    customer_name = fields.String()
    service_address = fields.String()
    city = fields.String()
    zip = fields.String()
    services = fields.List(fields.String(), attribute="service_list")
    status = fields.String()
    meter_type = fields.String()
    last_bill_amount_cents = Cents()


class AccountList(BaseSchema):
    accounts = fields.List(fields.Nested(AccountOut))


class CreditOut(BaseSchema):
    id = fields.Integer()
    kind = fields.String()
    amount_cents = Cents()
    running_total_cents = Cents()
    reason = fields.String()
    reason_code = fields.String(allow_none=True)
    period_start = IsoDate(allow_none=True)
    period_end = IsoDate(allow_none=True)
    created_at = fields.DateTime(format="iso")
    reverses_id = fields.Integer(allow_none=True)
    reversible_cents = Cents()
    cis_state = fields.String(allow_none=True, metadata={"description": "pending, accepted or rejected once exported"})
    cis_reason = fields.String(allow_none=True)
    batch_id = fields.Integer(allow_none=True)


class CreditList(BaseSchema):
    account_number = fields.String()
    balance_cents = Cents()
    credits = fields.List(fields.Nested(CreditOut))


class AdjustmentRequestIn(BaseSchema):
    amount = Dollars(required=True, allow_negative=True,
                     metadata={"description": "positive for a credit, negative for a charge-back"})
    reason_code = fields.String(required=True, validate=validate.OneOf(ADJUSTMENT_REASONS))
    note = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class AdjustmentOut(BaseSchema):
    id = fields.Integer()
    status = fields.String()
    amount_cents = Cents()
    reason_code = fields.String()
    note = fields.String()
    ledger_entry_id = fields.Integer(allow_none=True)
    kind = fields.String(metadata={"description": "adjustment, or reversal of an entry a manager approved"})
    reverses_entry_id = fields.Integer(allow_none=True)


class ReversalIn(BaseSchema):
    amount = Dollars(load_default=None, metadata={"description": "leave out to reverse all that remains"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


def credit_rows(lines) -> list[dict]:
    return [{
        "id": line.entry.id, "kind": line.entry.kind, "amount_cents": line.entry.amount_cents,
        "running_total_cents": line.running_total_cents, "reason": line.entry.reason,
        "reason_code": line.entry.reason_code, "period_start": line.entry.period_start,
        "period_end": line.entry.period_end, "created_at": line.entry.created_at,
        "reverses_id": line.entry.reverses_id, "reversible_cents": line.reversible_cents,
        "cis_state": line.cis_state, "cis_reason": line.cis_reason, "batch_id": line.batch_id,
    } for line in lines]
