"""The quote over the API: the same request and answer as `rebates quote`; nothing is stored."""
from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_babel import get_locale
from flask_login import current_user

from accounts.service import linked_accounts
from core.access import STAFF, allow, changes_nothing, public
from core.api import documented, load_json
from core.database import db
from core.errors import AssistError, Invalid
from core.extensions import limiter
from marshmallow import INCLUDE, Schema, fields
from rebates import definitions, explain, service
from rebates.definitions import DefinitionError
from rebates.schemas import BudgetList, QuoteRequest, QuoteResponse

bp = Blueprint("rebates_api", __name__, url_prefix="/api/v1")


def signed_in_customer():
    return current_user if getattr(current_user, "is_authenticated", False) and current_user.role == "customer" \
        else None


@documented("/rebates/quote", "post", summary="What would these purchases earn? The rebate quote, nothing kept",
            tags=["rebates"], request=QuoteRequest, response=QuoteResponse, errors=(422,))
@bp.post("/rebates/quote")
@limiter.limit("120 per minute")
@public
@changes_nothing
def quote():
    data = load_json(QuoteRequest())
    program = service.find_quotable(db.session, data["program"])
    customer = signed_in_customer()
    if customer is not None and data.get("account"):
        service.fill_for_customer(db.session, program, data, customer, linked_accounts(db.session, customer.id))
    result = service.quote(db.session, program, data)
    language = data["language"] or explain.language_of(get_locale())
    return jsonify(QuoteResponse().dump(service.answer(program, result, language)))


class VersionIn(Schema):
    """A new version as a manager writes it: the same shape as a definitions file's version."""

    class Meta:
        unknown = INCLUDE

    label = fields.String(required=True)
    effective_from = fields.String(required=True, metadata={"format": "date"})
    effective_to = fields.String(allow_none=True, metadata={"format": "date"})
    source = fields.String(required=True)
    note = fields.String(required=True, metadata={"description": "Why the rules change"})
    measures = fields.List(fields.Dict(), required=True)


class VersionOut(Schema):
    rule_version = fields.String()
    label = fields.String()
    effective_from = fields.String(metadata={"format": "date"})
    effective_to = fields.String(allow_none=True, metadata={"format": "date"})


@documented("/rebates/programs/{code}/versions", "post",
            summary="Add a version of a rebate program's rules (never starting in the past)", tags=["rebates"],
            request=VersionIn, response=VersionOut, status=201, errors=(404, 422))
@bp.post("/rebates/programs/<code>/versions")
@allow("manager", "admin")
def add_version(code: str):
    program = service.get_program(db.session, code)
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise AssistError("The request body must be a JSON object.")
    try:
        version = definitions.parse_version(payload)
    except DefinitionError as exc:
        problems: dict[str, list[str]] = {}
        for problem in exc.problems:
            where, _sep, message = problem.partition(": ")
            problems.setdefault(where.removeprefix("version."), []).append(message)
        raise Invalid("Some fields are missing or not valid.", fields=problems) from None
    row = service.add_version(db.session, program, version)  # the request's unit of work commits it
    return jsonify(VersionOut().dump({"rule_version": row.rule_version_id, "label": row.label,
                                      "effective_from": row.effective_from.isoformat(),
                                      "effective_to": row.effective_to.isoformat() if row.effective_to else None})), 201


@documented("/rebates/budgets", "get", summary="Each rebate program's budget per fiscal year: held, committed, paid, "
            "available, and how many wait", tags=["rebates"], response=BudgetList)
@bp.get("/rebates/budgets")
@allow(*STAFF)
def budgets_list():
    from rebates import budgets

    return jsonify(BudgetList().dump({"budgets": budgets.overview(db.session)}))
