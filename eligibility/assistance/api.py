"""Applications over the API: the same rules and audit as the pages."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from flask_login import current_user

from auth import service as auth_service
from core.access import STAFF, allow
from core.api import documented, load_json
from core.database import db
from core.errors import Forbidden, Invalid
from core.extensions import limiter
from documents.web import UPLOAD_LIMIT, upload_key
from applications import kinds, service as lifecycle
from eligibility.assistance import service
from eligibility.assistance.present import reply
from eligibility.assistance.schemas import (ApplicationIn, ApplicationOut, ApplicationUpdate, AppealIn,
                                              CustomerApplicationOut, SubmitIn, WithdrawIn)

bp = Blueprint("applications_api", __name__, url_prefix="/api/v1")


def _other_kind(body):
    """The kind a new application's body names when it is not assistance (`{"kind": "rebate", ...}`)."""
    code = body.get("kind") if isinstance(body, dict) else None
    if code in (None, "assistance"):
        return None
    kind = kinds.get(code if isinstance(code, str) else "")
    if kind.create is None:
        raise Invalid("Unknown kind of application.", fields={"kind": ["Unknown kind of application."]})
    return kind


def _is_assistance(application_id: int) -> bool:
    from applications.models import Application

    application = lifecycle.get_for(db.session, current_user, application_id)
    return kinds.of(application).update is None or application.kind == "assistance"
APPLICATION = (ApplicationOut, CustomerApplicationOut)  # what `reply` answers, by who asks


def _applicant(data: dict):
    if not current_user.is_staff:
        if data.get("applicant_email"):
            raise Forbidden()
        return current_user
    if not data.get("applicant_email"):
        raise Invalid("Staff give the customer's sign-in email as applicant_email.",
                      fields={"applicant_email": ["No customer login has this email."]})
    return auth_service.find_customer(db.session, data["applicant_email"], field="applicant_email")


@documented("/applications", "post", summary="Start an application (a draft): assistance, or `kind: rebate`",
            tags=["applications"], request=lambda: (ApplicationIn, *kinds.request_schemas("create")), response=APPLICATION,
            errors=(422,))
@bp.post("/applications")
@allow("customer", *STAFF)
def create():
    kind = _other_kind(request.get_json(silent=True))
    if kind is not None:  # another kind's draft (a rebate), from its own shape of the body
        return reply(kind.create(db.session, current_user, request.get_json(silent=True)), 201)
    data = load_json(ApplicationIn())
    application = service.start(db.session, user=current_user, applicant=_applicant(data),
                                account_number=data["account_number"], program_codes=data["programs"],
                                household={"members": data["household"]["members"]}, categorical=data["categorical"])
    return reply(application, 201)


@documented("/applications/{id}", "get", summary="One application", tags=["applications"], response=APPLICATION,
            errors=(404,))
@bp.get("/applications/<int:application_id>")
@allow("customer", *STAFF)
def show(application_id: int):
    return reply(lifecycle.get_for(db.session, current_user, application_id))


@documented("/applications/{id}", "patch", summary="Change a draft (household, enrollments, programs; a rebate's "
            "items, payment, applicant)", tags=["applications"],
            request=lambda: (ApplicationUpdate, *kinds.request_schemas("update")), response=APPLICATION, errors=(404, 409, 422))
@bp.patch("/applications/<int:application_id>")
@allow("customer", *STAFF)
def change(application_id: int):
    if not _is_assistance(application_id):
        body = request.get_json(silent=True)
        version = body.get("version") if isinstance(body, dict) and isinstance(body.get("version"), int) else None
        application = lifecycle.get_for_change(db.session, current_user, application_id, version)
        return reply(kinds.of(application).update(db.session, application, body))
    data = load_json(ApplicationUpdate())
    application = lifecycle.get_for_change(db.session, current_user, application_id, data.get("version"))
    service.update(db.session, application, household={"members": data["household"]["members"]}
                   if "household" in data else None, categorical=data.get("categorical"),
                   program_codes=data.get("programs"))
    return reply(application)


@documented("/applications/{id}/documents", "post", summary="Upload a document (multipart `file`, optional "
            "`requirement`: income, categorical or other)", tags=["applications"], errors=(404, 409, 413, 422))
@bp.post("/applications/<int:application_id>/documents")
@limiter.limit(UPLOAD_LIMIT, key_func=upload_key)
@allow("customer", *STAFF)
def upload(application_id: int):
    application = lifecycle.get_for_change(db.session, current_user, application_id)
    file = request.files.get("file")
    if file is None:
        raise Invalid("Send the file as multipart form data in the field `file`.", fields={"file": ["Missing."]})
    if kinds.of(application).attach is not None:  # a rebate: receipt, photo or other, for an item
        link, duplicate = kinds.of(application).attach(db.session, current_user, application, file, request.form)
    else:
        requirement = request.form.get("requirement", "income")
        if requirement not in ("income", "categorical", "other"):
            raise Invalid("requirement is income, categorical or other.", fields={"requirement": ["Unknown."]})
        link, duplicate = lifecycle.attach(db.session, current_user, application, data=file.read(),
                                           filename=file.filename, requirement=requirement)
    db.session.commit()  # an in-process parse runs now; with a worker it is queued
    document = link.document
    db.session.refresh(document)
    body = {"id": document.id, "duplicate": duplicate}
    if document.parse_result is not None:
        body.update(document.parse_result)
    else:
        body["status"] = "queued" if current_app.config.get("REDIS_URL") else document.status
    return jsonify(body), 201


@documented("/applications/{id}/submit", "post", summary="Sign and submit", tags=["applications"],
            request=SubmitIn, response=APPLICATION, errors=(404, 409, 422))
@bp.post("/applications/<int:application_id>/submit")
@allow("customer", *STAFF)
def submit(application_id: int):
    data = load_json(SubmitIn())
    application = lifecycle.get_for_change(db.session, current_user, application_id, data.get("version"))
    service.check_renewal_confirmed(db.session, application, data.get("confirmed_members"))
    lifecycle.submit(db.session, current_user, application, data["signature"])
    return reply(application)


@documented("/applications/{id}/withdraw", "post", summary="Withdraw on the customer's request",
            tags=["applications"], request=WithdrawIn, response=APPLICATION, errors=(404, 409))
@bp.post("/applications/<int:application_id>/withdraw")
@allow("customer", *STAFF)
def withdraw(application_id: int):
    data = load_json(WithdrawIn())
    application = lifecycle.get_for_change(db.session, current_user, application_id, data.get("version"))
    lifecycle.withdraw(db.session, current_user, application, data["reason"])
    return reply(application)


@documented("/applications/{id}/appeal", "post", summary="Appeal a denial", tags=["applications"],
            request=AppealIn, response=APPLICATION, errors=(404, 409, 422))
@bp.post("/applications/<int:application_id>/appeal")
@allow("customer", *STAFF)
def appeal(application_id: int):
    data = load_json(AppealIn())
    application = lifecycle.get_for_change(db.session, current_user, application_id, data.get("version"))
    lifecycle.appeal(db.session, current_user, application, data.get("program"), data["reason"])
    return reply(application)


def enrollment_dict(enrollment) -> dict:
    return {"program": enrollment.program.code, "status": enrollment.status,
            "certified_on": enrollment.certified_from.isoformat(), "expires_on": enrollment.certified_to.isoformat(),
            "ended_on": enrollment.ended_on.isoformat() if enrollment.ended_on else None,
            "history": [{"at": e.occurred_at.isoformat(), "from": e.from_status, "status": e.to_status,
                         "by": e.actor_label, "reason": e.reason} for e in enrollment.history]}


@documented("/accounts/{number}/enrollments", "get", summary="The account's enrollments with their history "
            "(its linked customers and staff only)", tags=["accounts"], errors=(404,))
@bp.get("/accounts/<number>/enrollments")
@allow("customer", *STAFF)
def account_enrollments(number: str):
    from accounts import service as accounts_service
    from eligibility.enrollments import service as enrollments

    account = accounts_service.account_for(db.session, current_user, number)
    return jsonify({"enrollments": [enrollment_dict(e) for e in enrollments.for_account(db.session, account)]})
