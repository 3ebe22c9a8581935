"""Applications over the API: what comes in (dollars) and the one shape every reply has."""
from __future__ import annotations

from marshmallow import fields, post_load, validate

from core.schemas import BaseSchema, Dollars, IsoDate
from eligibility.rules import CATEGORICAL_PROGRAMS, FREQUENCIES, INCOME_KINDS


class ApplicationIncomeIn(BaseSchema):
    kind = fields.String(required=True, validate=validate.OneOf(INCOME_KINDS))
    amount = Dollars(required=True, numbers=True)
    frequency = fields.String(required=True, validate=validate.OneOf(tuple(FREQUENCIES)))

    @post_load
    def to_cents(self, data, **kwargs):
        return {"kind": data["kind"], "amount_cents": data["amount"], "frequency": data["frequency"]}


class ApplicationMemberIn(BaseSchema):
    age = fields.Integer(required=True, strict=True, validate=validate.Range(0, 130))
    name = fields.String(validate=validate.Length(max=200))
    relationship = fields.String(validate=validate.Length(max=60))
    ssn_last4 = fields.String(validate=validate.Regexp(r"^\d{4}$", error="Give only the last four digits."))
    incomes = fields.List(fields.Nested(ApplicationIncomeIn), load_default=list, validate=validate.Length(max=20))


class ApplicationHouseholdIn(BaseSchema):
    members = fields.List(fields.Nested(ApplicationMemberIn), required=True, validate=validate.Length(min=1, max=30))


class ApplicationIn(BaseSchema):
    kind = fields.String(validate=validate.OneOf(("assistance", "rebate")), metadata={
        "description": "assistance (this shape, the default) or rebate (program, items, payment, applicant)"})
    account_number = fields.String(required=True, validate=validate.Length(min=1, max=32))
    programs = fields.List(fields.String(), required=True, validate=validate.Length(min=1, max=10))
    household = fields.Nested(ApplicationHouseholdIn, required=True)
    categorical = fields.List(fields.String(validate=validate.OneOf(CATEGORICAL_PROGRAMS)), load_default=list)
    applicant_email = fields.Email(metadata={"description": "Staff only: the customer the application is for"})


class ApplicationUpdate(BaseSchema):
    programs = fields.List(fields.String(), validate=validate.Length(min=1, max=10))
    household = fields.Nested(ApplicationHouseholdIn)
    categorical = fields.List(fields.String(validate=validate.OneOf(CATEGORICAL_PROGRAMS)))
    version = fields.Integer(strict=True, metadata={"description": "the version last seen: a newer one is a 409; "
                                                                  "leave out for no check"})


class SubmitIn(BaseSchema):
    signature = fields.String(required=True, validate=validate.Length(min=1, max=200))
    confirmed_members = fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=0, max=99)), validate=validate.Length(max=100),
        metadata={"description": "a renewal: the indexes (from 0) of the household members of last time whose "
                                 "facts the customer confirmed as still right; each one not changed must be "
                                 "listed, as the page's tick boxes ask"})
    version = fields.Integer(strict=True, metadata={"description": "the version last seen: a newer one is a 409; "
                                                                  "leave out for no check"})


class DecisionIn(BaseSchema):
    decision = fields.String(required=True, validate=validate.OneOf(("approve", "deny", "request_info")))
    program = fields.String()
    reason = fields.String(validate=validate.Length(max=200), metadata={
        "description": "deny: the denial reason's code; approve: optional text for the internal record"})
    note = fields.String(validate=validate.Length(max=4000), metadata={
        "description": "the staff's internal note: history and audit, never in a letter"})
    message = fields.String(validate=validate.Length(max=4000), metadata={
        "description": "optional: what the approval or denial letter tells the customer"})
    version = fields.Integer(strict=True)
    checklist = fields.List(fields.String(validate=validate.Length(min=1, max=300)), validate=validate.Length(max=20))
    due_on = IsoDate()


class WithdrawIn(BaseSchema):
    reason = fields.String(load_default="", validate=validate.Length(max=2000))
    version = fields.Integer(strict=True, metadata={"description": "the version last seen: a newer one is a 409; "
                                                                  "leave out for no check"})


class AppealIn(BaseSchema):
    program = fields.String()
    reason = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    version = fields.Integer(strict=True, metadata={"description": "the version last seen: a newer one is a 409; "
                                                                  "leave out for no check"})


class AppealDecisionIn(BaseSchema):
    program = fields.String()
    outcome = fields.String(required=True, validate=validate.OneOf(("upheld", "overturned")))
    note = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    version = fields.Integer(strict=True)


class DeterminationOut(BaseSchema):
    program = fields.String()
    status = fields.String(metadata={"description": "pending, approved, denied or withdrawn"})
    eligible = fields.Boolean(allow_none=True)
    tier = fields.String(allow_none=True)
    limit_cents = fields.Integer(allow_none=True)
    income_cents = fields.Integer(allow_none=True)
    period = fields.String(allow_none=True)
    income_basis = fields.String(allow_none=True)
    rule_version = fields.String(allow_none=True)
    reasons = fields.List(fields.String())
    explanation = fields.String()


class ApplicationOut(BaseSchema):
    """What staff get."""

    id = fields.Integer()
    number = fields.String(allow_none=True)
    kind = fields.String(metadata={"description": "assistance"})
    status = fields.String()
    account_number = fields.String()
    programs = fields.List(fields.String())
    household = fields.Dict()
    categorical = fields.List(fields.String())
    determinations = fields.List(fields.Nested(DeterminationOut))
    flags = fields.List(fields.Dict())
    notices = fields.List(fields.Dict())
    documents = fields.List(fields.Dict())
    submitted_on = IsoDate(allow_none=True)
    info_due_on = IsoDate(allow_none=True)
    info_checklist = fields.List(fields.String(), allow_none=True)
    assigned_to = fields.Integer(allow_none=True)
    version = fields.Integer()


class CustomerDocumentOut(BaseSchema):
    id = fields.Integer()
    requirement = fields.String()
    status = fields.String(metadata={"description": "stored, parsing, parsed, needs_review or rejected"})
    filename = fields.String(allow_none=True)


class CustomerNoticeOut(BaseSchema):
    kind = fields.String()
    sent_at = fields.String()
    language = fields.String()
    subject = fields.String()


class CustomerApplicationOut(BaseSchema):
    """What the customer gets: no flags, no assignment, no staff ids. A kind adds its own fields
    (see present.CUSTOMER_KIND_FIELDS)."""

    id = fields.Integer()
    number = fields.String(allow_none=True)
    kind = fields.String(metadata={"description": "assistance"})
    status = fields.String()
    account_number = fields.String()
    programs = fields.List(fields.String())
    household = fields.Dict()
    categorical = fields.List(fields.String())
    determinations = fields.List(fields.Nested(DeterminationOut))
    notices = fields.List(fields.Nested(CustomerNoticeOut))
    documents = fields.List(fields.Nested(CustomerDocumentOut))
    submitted_on = IsoDate(allow_none=True)
    info_due_on = IsoDate(allow_none=True)
    info_checklist = fields.List(fields.String(), allow_none=True)
    version = fields.Integer()


class QueueOut(BaseSchema):
    items = fields.List(fields.Nested(ApplicationOut))
    next = fields.String(allow_none=True)
