"""The reports API's shapes: a workbook request, a job's status, the Summary's figures."""
from __future__ import annotations

from marshmallow import fields, validate

from core.schemas import BaseSchema, Cents, IsoDate


class ParticipationIn(BaseSchema):
    start = IsoDate(required=True, data_key="from")
    end = IsoDate(required=True, data_key="to")
    programs = fields.List(fields.String(validate=validate.Length(min=1, max=40)), load_default=list,
                           validate=validate.Length(max=50))
    identified = fields.Boolean(load_default=False)


class JobCreated(BaseSchema):
    job = fields.String(required=True)
    status_url = fields.String(required=True)


class ProgressOut(BaseSchema):
    sheet = fields.String()
    rows_written = fields.Integer()
    percent = fields.Integer()


class JobStatusOut(BaseSchema):
    status = fields.String(required=True, validate=validate.OneOf(("queued", "running", "done", "failed")))
    progress = fields.Nested(ProgressOut, required=True)
    download_url = fields.String(allow_none=True, required=True)


class ProgramSummaryOut(BaseSchema):
    program = fields.String(required=True)
    enrolled_start = fields.Integer(required=True)
    enrolled_end = fields.Integer(required=True)
    new = fields.Integer(required=True)
    recertified = fields.Integer(required=True)
    ended = fields.Integer(required=True)
    removed = fields.Integer(required=True)
    received = fields.Integer(required=True)
    approved = fields.Integer(required=True)
    denied = fields.Integer(required=True)
    pending = fields.Integer(required=True)
    median_days_to_decision = fields.Float(allow_none=True, required=True)
    benefits_cents = Cents(required=True)
    rebates_cents = Cents(required=True)


class SummaryOut(BaseSchema):
    start = IsoDate(required=True, data_key="from")
    end = IsoDate(required=True, data_key="to")
    programs = fields.List(fields.Nested(ProgramSummaryOut), required=True)
