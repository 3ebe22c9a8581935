"""The quote over the API: the same request and answer as `rebates quote`; nothing is stored."""
from __future__ import annotations

from flask import Blueprint, jsonify
from flask_babel import get_locale
from flask_login import current_user

from accounts.service import linked_accounts
from core.access import changes_nothing, public
from core.api import documented, load_json
from core.database import db
from core.extensions import limiter
from rebates import explain, service
from rebates.schemas import QuoteRequest, QuoteResponse

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
