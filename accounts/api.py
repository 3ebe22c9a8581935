"""Accounts over the API: linking by proof, reading accounts and their credits, staff adjustments."""
from __future__ import annotations

from flask import Blueprint, jsonify
from flask_login import current_user

from accounts import service
from accounts.schemas import (AccountList, AccountOut, AdjustmentOut, AdjustmentRequestIn, CreditList, CreditOut,
                              LinkRequest, ReversalIn, credit_rows)
from core.access import STAFF, allow
from core.api import documented, load_json
from core.database import db
from core.extensions import limiter

bp = Blueprint("accounts_api", __name__, url_prefix="/api/v1")

LINK_LIMIT = "10 per hour"


def _link_key() -> str:
    return f"link:{current_user.id}"


@documented("/accounts/link", "post", summary="Link your login to an account you hold", tags=["accounts"],
            request=LinkRequest, response=AccountOut, errors=(422,))
@bp.post("/accounts/link")
@limiter.limit(LINK_LIMIT, key_func=_link_key)
@limiter.limit("30 per hour")
@allow("customer")
def link():
    data = load_json(LinkRequest())
    account = service.link_by_proof(db.session, current_user, data["account_number"], data["zip"],
                                    data["last_bill_amount"])
    return jsonify(AccountOut().dump(account))


@documented("/accounts", "get", summary="The accounts linked to your login", tags=["accounts"], response=AccountList)
@bp.get("/accounts")
@allow("customer")
def mine():
    return jsonify(AccountList().dump({"accounts": service.linked_accounts(db.session, current_user.id)}))


@documented("/accounts/{number}", "get", summary="One account (its linked customers and staff only)",
            tags=["accounts"], response=AccountOut, errors=(404,))
@bp.get("/accounts/<number>")
@allow("customer", *STAFF)
def show(number: str):
    return jsonify(AccountOut().dump(service.account_for(db.session, current_user, number)))


@documented("/accounts/{number}/credits", "get", summary="The account's credit ledger with running totals",
            tags=["accounts"], response=CreditList, errors=(404,))
@bp.get("/accounts/<number>/credits")
@allow("customer", *STAFF)
def credits(number: str):
    account = service.account_for(db.session, current_user, number)
    lines = service.ledger(db.session, account)
    balance = lines[-1].running_total_cents if lines else 0
    return jsonify(CreditList().dump({"account_number": account.number, "balance_cents": balance,
                                      "credits": credit_rows(lines)}))


@documented("/accounts/{number}/adjustments", "post", summary="Post a manual credit or charge-back (staff)",
            tags=["accounts"], request=AdjustmentRequestIn, response=AdjustmentOut, status=201, errors=(404, 422))
@bp.post("/accounts/<number>/adjustments")
@allow(*STAFF)
def adjust(number: str):
    data = load_json(AdjustmentRequestIn())
    account = service.get_account(db.session, number)
    request = service.request_adjustment(db.session, account=account, amount_cents=data["amount"],
                                         reason_code=data["reason_code"], note=data["note"], requested_by=current_user)
    return jsonify(AdjustmentOut().dump(request)), 201


@documented("/credits/{entry_id}/reversal", "post", summary="Reverse all or part of a ledger entry (staff); the "
            "reversal of an entry a manager approved waits for the same approval: 202 with the adjustment request",
            tags=["accounts"], request=ReversalIn, response=CreditOut, status=201, errors=(202, 404, 409, 422))
@bp.post("/credits/<int:entry_id>/reversal")
@allow(*STAFF)
def reverse(entry_id: int):
    from accounts.models import AdjustmentRequest

    data = load_json(ReversalIn())
    entry = service.request_reversal(db.session, entry_id, reason=data["reason"], amount_cents=data.get("amount"),
                                     requested_by=current_user)
    if isinstance(entry, AdjustmentRequest):
        return jsonify(AdjustmentOut().dump(entry)), 202
    line = {"id": entry.id, "kind": entry.kind, "amount_cents": entry.amount_cents, "running_total_cents":
            service.account_totals(db.session, entry.account), "reason": entry.reason, "reason_code": entry.reason_code,
            "period_start": entry.period_start, "period_end": entry.period_end, "created_at": entry.created_at,
            "reverses_id": entry.reverses_id, "reversible_cents": 0, "cis_state": None, "cis_reason": None,
            "batch_id": None}
    return jsonify(CreditOut().dump(line)), 201
