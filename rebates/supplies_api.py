"""Free supplies over the API: what a caller may order, and placing an order."""
from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_babel import get_locale, gettext as _
from flask_login import current_user
from marshmallow import Schema, fields, validate

from accounts.service import account_for, linked_accounts
from auth.models import User
from core.access import allow
from core.api import documented, load_json
from core.database import db
from core.errors import Invalid
from core.schemas import BaseSchema
from rebates import supplies
from rebates.supply_models import SupplyOrder

bp = Blueprint("supplies_api", __name__, url_prefix="/api/v1")
ROLES = ("customer", "csr", "manager", "admin")


def _language() -> str:
    locale = get_locale()
    return "es" if locale is not None and locale.language == "es" else "en"


class SupplyOut(Schema):
    supply = fields.String()
    name = fields.String()
    names = fields.Dict(keys=fields.String(), values=fields.String())
    unit_cost_cents = fields.Integer()
    available = fields.Boolean(metadata={"description": "In stock now"})
    limit = fields.Dict(metadata={"description": '{"quantity": n, "months": m} per premise'})
    left_for_home = fields.Integer(metadata={"description": "How many more the account's home may order now"})
    enrolled_only = fields.List(fields.String())
    stock = fields.Integer(metadata={"description": "Units on hand (staff only)"})


class SuppliesOut(Schema):
    account_number = fields.String(allow_none=True)
    supplies = fields.List(fields.Nested(SupplyOut))


class OrderLineIn(BaseSchema):
    supply = fields.String(required=True, validate=validate.Length(min=1, max=40))
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=supplies.MAX_QUANTITY))


class SupplyOrderIn(BaseSchema):
    account_number = fields.String(required=True, validate=validate.Length(min=1, max=32))
    items = fields.List(fields.Nested(OrderLineIn), required=True, validate=validate.Length(min=1, max=20))
    applicant_email = fields.Email(metadata={"description": "Staff: the customer to tell (a phone order)"})
    channel = fields.String(validate=validate.OneOf(("phone", "counter")),
                            metadata={"description": "Staff: phone (shipped) or counter (handed over now)"})


class OrderLineOut(Schema):
    supply = fields.String()
    name = fields.String()
    quantity = fields.Integer()


class SupplyOrderOut(Schema):
    id = fields.Integer()
    number = fields.String()
    account_number = fields.String()
    status = fields.String()
    channel = fields.String()
    ordered_on = fields.String(metadata={"format": "date"})
    batch = fields.Integer(allow_none=True)
    items = fields.List(fields.Nested(OrderLineOut))


def order_out(order: SupplyOrder, account_number: str, language: str) -> dict:
    return {"id": order.id, "number": order.number, "account_number": account_number, "status": order.status,
            "channel": order.channel, "ordered_on": order.ordered_on.isoformat(), "batch": order.batch_id,
            "items": [{"supply": line.item.code, "name": line.item.name(language), "quantity": line.quantity}
                      for line in order.lines]}


@documented("/supplies", "get", summary="The free supplies the caller (or the named account's home) may order",
            tags=["supplies"], response=SuppliesOut, errors=(404,),
            query={"account": {"type": "string", "maxLength": 32}})
@bp.get("/supplies")
@allow(*ROLES)
def list_supplies():
    number = (request.args.get("account") or "").strip()
    if number:
        account = account_for(db.session, current_user, number)
    elif current_user.role == "customer":
        linked = linked_accounts(db.session, current_user.id)
        account = linked[0] if len(linked) == 1 else None
    else:
        account = None
    language = _language()
    out = []
    for offer in supplies.offers(db.session, account):
        item = offer.item
        row = {"supply": item.code, "name": item.name(language), "names": item.names,
               "unit_cost_cents": item.unit_cost_cents, "available": offer.in_stock,
               "limit": {"quantity": item.limit_quantity, "months": item.window_months},
               "left_for_home": offer.left_for_home, "enrolled_only": list(item.programs)}
        if current_user.is_staff:
            row["stock"] = item.stock
        out.append(row)
    return jsonify(SuppliesOut().dump({"account_number": account.number if account else None, "supplies": out}))


@documented("/supply-orders", "post", summary="Order free supplies for one account's home (stock is taken now)",
            tags=["supplies"], request=SupplyOrderIn, response=SupplyOrderOut, status=201, errors=(404, 409, 422))
@bp.post("/supply-orders")
@allow(*ROLES)
def place_order():
    data = load_json(SupplyOrderIn())
    account = account_for(db.session, current_user, data["account_number"])
    customer, channel, language = None, "online", _language()
    if current_user.is_staff:
        channel = data.get("channel") or "phone"
        if data.get("applicant_email"):
            customer = db.session.query(User).filter(User.email == data["applicant_email"].strip().lower()).first()
            if customer is None or customer.role != "customer":
                raise Invalid(fields={"applicant_email": [_("No customer signs in with this email.")]})
            language = customer.language
    else:
        for key in ("applicant_email", "channel"):
            if key in data:
                raise Invalid(fields={key: [_("Only staff may give this.")]})
        customer, language = current_user, current_user.language or language
    order = supplies.place_order(db.session, account, data["items"], channel=channel, customer=customer,
                                 language=language)
    return jsonify(SupplyOrderOut().dump(order_out(order, account.number, _language()))), 201


@documented("/supply-orders/{order_id}", "get", summary="One supply order (customers: their own only)",
            tags=["supplies"], response=SupplyOrderOut, errors=(404,))
@bp.get("/supply-orders/<int:order_id>")
@allow(*ROLES)
def get_order(order_id: int):
    from accounts.models import Account

    order = supplies.order_for(db.session, order_id, current_user)
    return jsonify(SupplyOrderOut().dump(order_out(order, db.session.get(Account, order.account_id).number,
                                                   _language())))
