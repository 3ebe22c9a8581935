"""Inspections over the API: customers see and book their own; staff request them and record results."""
from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import Schema, fields, validate

from core.access import INSPECTOR, STAFF, allow
from core.api import documented, load_json
from core.database import db
from core.errors import Invalid
from rebates import inspections
from rebates.inspection_models import KINDS, RESULTS, STAGES

bp = Blueprint("inspections_api", __name__, url_prefix="/api/v1")
STAFF_ROLES = STAFF


class InspectionOut(Schema):
    id = fields.Integer()
    application_id = fields.Integer()
    stage = fields.String()
    kind = fields.String()
    reason = fields.String(metadata={"description": "The rule that asked for it, or the random draw"})
    status = fields.String()
    slot_id = fields.Integer(allow_none=True)
    window_starts = fields.DateTime(allow_none=True)
    window_ends = fields.DateTime(allow_none=True)
    call_requested = fields.Boolean()
    reschedules = fields.Integer()
    inspector_id = fields.Integer(allow_none=True)
    result = fields.String(allow_none=True)
    findings = fields.String()
    measured_area = fields.Decimal(as_string=True, allow_none=True)
    fix_due_on = fields.Date(allow_none=True)
    follows_id = fields.Integer(allow_none=True)
    version = fields.Integer()


class InspectionList(Schema):
    inspections = fields.List(fields.Nested(InspectionOut))


class InspectionIn(Schema):
    application_id = fields.Integer(required=True, strict=True)
    stage = fields.String(required=True, validate=validate.OneOf(STAGES))
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=80))


class ScheduleIn(Schema):
    slot_id = fields.Integer(strict=True, allow_none=True)
    call = fields.Boolean(load_default=False, metadata={"description": "Ask the utility to call instead"})
    version = fields.Integer(strict=True, allow_none=True, metadata={"description": "The version read; 409 when stale"})


class CompleteIn(Schema):
    result = fields.String(allow_none=True, validate=validate.OneOf(RESULTS))
    no_show = fields.Boolean(load_default=False)
    findings = fields.String(load_default="", validate=validate.Length(max=4000))
    measured_area = fields.Decimal(allow_none=True, places=2, allow_nan=False)
    fix_due_on = fields.Date(allow_none=True)
    version = fields.Integer(strict=True, allow_none=True)


def _staff() -> bool:
    return current_user.role in STAFF_ROLES


def _inspector() -> bool:
    return current_user.role == INSPECTOR


def _one(inspection_id: int):
    """The inspection as the caller may see it: a customer their own, an inspector those given to them."""
    if _inspector():
        return inspections.get(db.session, inspection_id, inspector_id=current_user.id)
    return inspections.get(db.session, inspection_id, customer_id=None if _staff() else current_user.id)


@documented("/inspections", "get", summary="Inspections: a customer's own, (staff) by application or day, (an inspector) theirs of a day",
            tags=["inspections"], response=InspectionList, errors=(422,),
            query={"application_id": {"type": "integer"}, "day": {"type": "string", "format": "date"},
                   "zip": {"type": "string"}})
@bp.get("/inspections")
@allow("customer", INSPECTOR, *STAFF_ROLES)
def list_inspections():
    if _inspector() and not request.args.get("day"):
        message = _("Give the day like 2026-12-03.")
        raise Invalid(message, fields={"day": [message]})
    if not _staff() and not _inspector():
        rows = inspections.for_customer(db.session, current_user.id)
    elif request.args.get("day"):
        from datetime import date

        try:
            day = date.fromisoformat(request.args["day"])
        except ValueError:
            message = _("Give the day like 2026-12-03.")
            raise Invalid(message, fields={"day": [message]}) from None
        rows = [i for i, _slot in inspections.day_list(db.session, day, request.args.get("zip") or None,
                                                       inspector_id=current_user.id if _inspector() else None)]
    else:
        application_id = request.args.get("application_id", type=int)
        if application_id is None:
            message = _("Give application_id or day.")
            raise Invalid(message, fields={"application_id": [message]})
        rows = inspections.for_application(db.session, application_id)
    return jsonify(InspectionList().dump({"inspections": rows}))


@documented("/inspections", "post", summary="Request an inspection of a reservation or claim", tags=["inspections"],
            request=InspectionIn, response=InspectionOut, status=201, errors=(422,))
@bp.post("/inspections")
@allow(*STAFF_ROLES)
def request_inspection():
    data = load_json(InspectionIn())
    inspection = inspections.request_inspection(db.session, data["application_id"], data["stage"], data["kind"],
                                                data["reason"])
    return jsonify(InspectionOut().dump(inspection)), 201


@documented("/inspections/{inspection_id}/schedule", "post",
            summary="Book an open slot (moved at most twice) or ask for a call", tags=["inspections"],
            request=ScheduleIn, response=InspectionOut, errors=(404, 409, 422))
@bp.post("/inspections/<int:inspection_id>/schedule")
@allow("customer", *STAFF_ROLES)
def schedule(inspection_id: int):
    inspection = _one(inspection_id)
    data = load_json(ScheduleIn())
    inspections.schedule(db.session, inspection, slot_id=data.get("slot_id"), call=data["call"],
                         expected_version=data.get("version"))
    return jsonify(InspectionOut().dump(inspection))


@documented("/inspections/{inspection_id}/complete", "post",
            summary="Record the inspector's result (pass, fail, remediation_required) or a no-show",
            tags=["inspections"], request=CompleteIn, response=InspectionOut, errors=(404, 409, 422))
@bp.post("/inspections/<int:inspection_id>/complete")
@allow(INSPECTOR, *STAFF_ROLES)
def complete(inspection_id: int):
    inspection = _one(inspection_id)
    data = load_json(CompleteIn())
    inspections.complete(db.session, inspection, result=data.get("result"), findings=data["findings"],
                         measured_area=data.get("measured_area"), fix_due_on=data.get("fix_due_on"),
                         no_show=data["no_show"], expected_version=data.get("version"))
    return jsonify(InspectionOut().dump(inspection))
