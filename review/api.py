"""The CSR side over the API: the queue and decisions."""
from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_login import current_user

from core.access import STAFF, allow
from core.api import documented, load_json
from core.database import db
from core.errors import Invalid
from core.inputs import MAX_DAYS, whole_number
from applications import kinds, service as lifecycle
from core.schemas import Dollars
from eligibility.assistance import service
from eligibility.assistance.present import application_dicts, reply
from eligibility.assistance.schemas import AppealDecisionIn, DecisionIn, QueueOut
from core.language import language

bp = Blueprint("review_api", __name__, url_prefix="/api/v1")


class DecisionWithAmountIn(DecisionIn):
    amount = Dollars(load_default=None, allow_none=True, metadata={
        "description": "a rebate's approval: the amount in dollars, at most the quote (less needs a reason); "
                       "left out, the whole quote"})


def _body() -> dict:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _version(body: dict) -> int | None:
    """The version the caller last saw: optional; without it no staleness check is made."""
    value = body.get("version")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid("version is a whole number.", fields={"version": ["Not a whole number."]})
    return value


QUEUE_QUERY = {
    "kind": {"type": "string", "maxLength": 20},
    "program": {"type": "string", "maxLength": 64},
    "status": {"type": "string", "maxLength": 64},
    "flag": {"type": "string", "maxLength": 64},
    "older_than_days": {"type": "integer", "minimum": 0, "maximum": MAX_DAYS},
    "mine": {"type": "string", "enum": ["0", "1"]},
    "after": {"type": "string", "pattern": r"^[0-9]{1,20}-[0-9]{1,19}$"},
    "limit": {"type": "integer", "minimum": 1, "maximum": 200},
}


def _int(name: str, maximum: int) -> int | None:
    return whole_number(name, request.args.get(name), maximum=maximum)


@documented("/review/queue", "get", summary="Applications waiting for staff, oldest first; filters kind, program, "
            "status, flag, older_than_days, mine=1; page with `after`=the previous reply's `next`",
            tags=["review"], response=QueueOut, errors=(422,), query=QUEUE_QUERY)
@bp.get("/review/queue")
@allow(*STAFF)
def queue():
    limit = min(_int("limit", 200) or 50, 200)
    page = lifecycle.queue(db.session, current_user, kind=request.args.get("kind") or None,
                           program=request.args.get("program"),
                         status=request.args.get("status"), flag=request.args.get("flag"),
                         older_than_days=_int("older_than_days", MAX_DAYS), mine=request.args.get("mine") == "1",
                         after=request.args.get("after"), limit=limit)
    lang = language()
    return jsonify(QueueOut().dump({"items": application_dicts(db.session, page.items, lang),
                                    "next": page.next}))


@documented("/applications/{id}/decision", "post", summary="Approve, deny or request information (staff)",
            tags=["review"], request=DecisionWithAmountIn, errors=(404, 409, 422))
@bp.post("/applications/<int:application_id>/decision")
@allow(*STAFF)
def decision(application_id: int):
    data = load_json(DecisionWithAmountIn())
    application = lifecycle.get_for_change(db.session, current_user, application_id, data.get("version"))
    lifecycle.check_version(application, data.get("version"))
    kinds.of(application).before_decision(db.session, application, data)  # a rebate's amount, never over the quote
    lifecycle.decide(db.session, current_user, application, decision=data["decision"], program_code=data.get("program"),
                   reason=data.get("reason"), note=data.get("note"), version=data.get("version"),
                   checklist=data.get("checklist"), due_on=data.get("due_on"), message=data.get("message"))
    return reply(application)


@documented("/applications/{id}/claim", "post",
            summary="Claim an application for yourself (optional `{\"version\"}`: a newer one is a 409)",
            tags=["review"], errors=(404, 409, 422))
@bp.post("/applications/<int:application_id>/claim")
@allow(*STAFF)
def claim(application_id: int):
    version = _version(_body())
    application = lifecycle.get_for_change(db.session, current_user, application_id, version)
    lifecycle.claim(db.session, current_user, application, version)
    return reply(application)


@documented("/applications/{id}/release", "post",
            summary="Put an application back in the queue (yours; a manager may release anyone's; optional `version`)",
            tags=["review"], errors=(403, 404, 409, 422))
@bp.post("/applications/<int:application_id>/release")
@allow(*STAFF)
def release(application_id: int):
    version = _version(_body())
    application = lifecycle.get_for_change(db.session, current_user, application_id, version)
    lifecycle.release(db.session, current_user, application, version)
    return reply(application)


@documented("/applications/{id}/appeal-decision", "post", summary="Uphold or overturn an appeal (managers)",
            tags=["review"], request=AppealDecisionIn, errors=(404, 409, 422))
@bp.post("/applications/<int:application_id>/appeal-decision")
@allow("manager", "admin")
def appeal_decision(application_id: int):
    data = load_json(AppealDecisionIn())
    application = lifecycle.get_for_change(db.session, current_user, application_id, data.get("version"))
    lifecycle.decide_appeal(db.session, current_user, application, data.get("program"), data["outcome"], data["note"],
                          data.get("version"))
    return reply(application)


@documented("/applications/{id}/assign", "post",
            summary="Assign an application to a CSR (`{\"email\", \"version\"}`; another CSR's claim only by a manager)",
            tags=["review"], errors=(403, 404, 409, 422))
@bp.post("/applications/<int:application_id>/assign")
@allow(*STAFF)
def assign(application_id: int):
    from sqlalchemy import select

    from auth.models import User

    body = _body()
    version = _version(body)
    application = lifecycle.get_for_change(db.session, current_user, application_id, version)
    to_user = db.session.scalar(select(User).where(User.email == str(body.get("email", "")).strip().lower()))
    if to_user is None:
        raise Invalid("No such user.", fields={"email": ["No user has this email."]})
    lifecycle.assign(db.session, current_user, application, to_user, version)
    return reply(application)


@documented("/applications/{id}/documents/{document_id}/corrections", "post",
            summary="Correct a parsed figure (`{\"field\", \"amount\", \"reason\", \"version\"}`); the original is kept",
            tags=["review"], errors=(404, 409, 422))
@bp.post("/applications/<int:application_id>/documents/<int:document_id>/corrections")
@allow(*STAFF)
def correct(application_id: int, document_id: int):
    from core.money import MoneyError, parse_dollars

    body = _body()
    application = lifecycle.get_for_change(db.session, current_user, application_id, _version(body))
    try:
        amount = parse_dollars(str(body.get("amount", "")))
    except MoneyError:
        raise Invalid("Give the amount as a string of dollars.", fields={"amount": ["Not an amount."]}) from None
    service.correct_figure(db.session, current_user, application, document_id, str(body.get("field", "")), amount,
                           str(body.get("reason", "")))
    return reply(application)


@documented("/applications/{id}/notes", "post", summary="Add a staff note (`{\"note\", \"version\"}`); it joins the history",
            tags=["review"], errors=(404, 409, 422))
@bp.post("/applications/<int:application_id>/notes")
@allow(*STAFF)
def add_note(application_id: int):
    body = _body()
    application = lifecycle.get_for_change(db.session, current_user, application_id, _version(body))
    lifecycle.add_note(db.session, current_user, application, str(body.get("note", "")))
    return reply(application)


@documented("/applications/{id}/reopen", "post", summary="Reopen a closed application (`{\"reason\", \"version\"}`)",
            tags=["review"], errors=(404, 409, 422))
@bp.post("/applications/<int:application_id>/reopen")
@allow(*STAFF)
def reopen(application_id: int):
    body = _body()
    application = lifecycle.get_for_change(db.session, current_user, application_id, _version(body))
    lifecycle.reopen(db.session, current_user, application, str(body.get("reason", "")))
    return reply(application)
