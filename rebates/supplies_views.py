"""Free supplies pages: customers order for their home; staff keep the stock and pack batches."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user

from accounts.service import account_for, linked_accounts
from core.access import STAFF, allow
from core.database import db
from core.errors import AssistError
from core.inputs import whole_number
from rebates import supplies

bp = Blueprint("supplies", __name__)


def _language() -> str:
    locale = get_locale()
    return "es" if locale is not None and locale.language == "es" else "en"


@bp.record_once
def _nav(state) -> None:
    from core.nav import register_nav

    # Linked from the customer's home page: their header has no room for another link (issue 13).
    register_nav(state.app, "supplies.stock", _l("Free supplies"), STAFF, order=54, group="programs")


# The most units one delivery or count may name (the stock column is a 32-bit integer).
MAX_STOCK_CHANGE = 1_000_000


def _quantities(offers) -> tuple[list[dict], dict[str, list[str]], dict[str, str]]:
    wanted, errors, values = [], {}, {}
    for offer in offers:
        key = f"qty-{offer.item.code}"
        text = (request.form.get(key) or "").strip()
        values[key] = text
        if text in ("", "0"):
            continue
        if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= supplies.MAX_QUANTITY:
            errors[key] = [_("Give a whole number, 0 or more.")]
            continue
        wanted.append({"supply": offer.item.code, "quantity": int(text)})
    return wanted, errors, values


@bp.route("/supplies", methods=["GET", "POST"])
@allow("customer")
def order():
    accounts = linked_accounts(db.session, current_user.id)
    number = (request.values.get("account") or (accounts[0].number if len(accounts) == 1 else "")).strip()
    account = next((a for a in accounts if a.number == number), None)
    offers = supplies.offers(db.session, account) if account else []
    errors: dict[str, list[str]] = {}
    values: dict[str, str] = {}
    status = 200
    if request.method == "POST" and account is not None:
        wanted, errors, values = _quantities(offers)
        if not wanted and not errors:
            errors["items"] = [_("Choose at least one item.")]
        if not errors:
            try:
                placed = supplies.place_order(db.session, account, wanted, channel="online", customer=current_user,
                                              language=_language())
            except AssistError as exc:
                db.session.rollback()
                errors = _field_errors(exc, wanted) or {"items": [exc.message]}
                status = exc.status
            else:
                flash(_("Order %(number)s placed. We will mail it to your home.", number=placed.number), "success")
                return redirect(url_for("supplies.order", account=account.number))
        status = status if status != 200 else 422
        offers = supplies.offers(db.session, account)
    return render_template("rebates/supplies/order.html", accounts=accounts, account=account, offers=offers,
                           errors=errors, values=values, language=_language(),
                           orders=supplies.orders_of(db.session, accounts)), status


def _field_errors(exc: AssistError, wanted: list[dict]) -> dict[str, list[str]]:
    """The service names `items.<i>.quantity`; the page's fields are `qty-<CODE>`."""
    out: dict[str, list[str]] = {}
    for key, messages in exc.fields.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(wanted):
            out.setdefault(f"qty-{wanted[int(parts[1])]['supply']}", []).extend(messages)
        else:
            out.setdefault("items", []).extend(messages)
    return out


@bp.post("/supplies/orders/<int:order_id>/cancel")
@allow("customer", *STAFF)
def cancel(order_id: int):
    placed = supplies.order_for(db.session, order_id, current_user)
    try:
        supplies.cancel(db.session, placed, (request.form.get("reason") or "").strip()
                        or ("cancelled by the customer" if current_user.role == "customer" else "cancelled by staff"))
    except AssistError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash(_("Order %(number)s cancelled.", number=placed.number), "success")
    if current_user.role == "customer":
        return redirect(url_for("supplies.order"))
    return redirect(url_for("supplies.stock"))


# --- Staff ---------------------------------------------------------------------------------------

@bp.get("/staff/supplies")
@allow(*STAFF)
def stock():
    from sqlalchemy import select

    from rebates.supply_models import SupplyItem

    items = list(db.session.scalars(select(SupplyItem).order_by(SupplyItem.code)))
    return render_template("rebates/supplies/stock.html", items=items, batches=supplies.recent_batches(db.session),
                           language=_language(), errors={})


@bp.post("/staff/supplies/<code>/stock")
@allow("manager", "admin", "csr")
def change_stock(code: str):
    item = supplies.get_item(db.session, code)
    action = request.form.get("action")
    text = (request.form.get("quantity") or "").strip()
    reason = request.form.get("reason") or ""
    try:
        if action not in ("receive", "count"):
            raise AssistError(_("Choose receive or count."))
        quantity = whole_number("quantity", text, maximum=MAX_STOCK_CHANGE)
        if quantity is None:
            raise AssistError(_("Give a whole number, 0 or more."), fields={"quantity": [_("Give a whole number, 0 or more.")]})
        (supplies.receive if action == "receive" else supplies.count)(db.session, item, quantity, reason)
    except AssistError as exc:
        db.session.rollback()
        flash(f"{item.code}: {exc.message}", "error")
    else:
        flash(_("%(item)s: stock is now %(stock)s.", item=item.name(_language()), stock=item.stock), "success")
    return redirect(url_for("supplies.stock"))


@bp.post("/staff/supplies/batches")
@allow(*STAFF)
def new_batch():
    batch = supplies.start_batch(db.session)
    if batch is None:
        db.session.rollback()
        flash(_("No orders are waiting to be packed."), "info")
        return redirect(url_for("supplies.stock"))
    return redirect(url_for("supplies.batch", batch_id=batch.id))


@bp.get("/staff/supplies/batches/<int:batch_id>")
@allow(*STAFF)
def batch(batch_id: int):
    found = supplies.get_batch(db.session, batch_id)
    return render_template("rebates/supplies/batch.html", batch=found, rows=supplies.batch_orders(db.session, found),
                           language=_language())


@bp.post("/staff/supplies/batches/<int:batch_id>/shipped")
@allow(*STAFF)
def shipped(batch_id: int):
    found = supplies.get_batch(db.session, batch_id)
    try:
        supplies.mark_shipped(db.session, found)
    except AssistError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash(_("Batch %(number)s marked shipped; the customers were told.", number=found.id), "success")
    return redirect(url_for("supplies.batch", batch_id=batch_id))


@bp.route("/staff/supplies/orders/new", methods=["GET", "POST"])
@allow(*STAFF)
def staff_order():
    """A CSR orders for a customer on the phone, or hands supplies over at the counter."""
    from auth.models import User

    number = (request.values.get("account") or "").strip()
    errors: dict[str, list[str]] = {}
    values: dict[str, str] = {"email": (request.form.get("email") or "").strip(),
                              "channel": request.form.get("channel") or "phone"}
    account = None
    if number:
        try:
            account = account_for(db.session, current_user, number)
        except AssistError as exc:
            errors["account"] = [exc.message]
    offers = supplies.offers(db.session, account) if account else []
    status = 200
    if request.method == "POST" and account is not None:
        wanted, errors, quantities = _quantities(offers)
        values.update(quantities)
        customer = None
        if values["channel"] not in ("phone", "counter"):
            errors["channel"] = [_("Choose phone or counter.")]
        if values["email"]:
            customer = db.session.query(User).filter(User.email == values["email"].lower()).first()
            if customer is None or customer.role != "customer":
                errors["email"] = [_("No customer signs in with this email.")]
        if not wanted and not errors:
            errors["items"] = [_("Choose at least one item.")]
        if not errors:
            try:
                placed = supplies.place_order(db.session, account, wanted, channel=values["channel"],
                                              customer=customer,
                                              language=customer.language if customer else _language())
            except AssistError as exc:
                db.session.rollback()
                errors = _field_errors(exc, wanted) or {"items": [exc.message]}
                status = exc.status
            else:
                flash(_("Order %(number)s placed.", number=placed.number) if placed.channel == "phone"
                      else _("Order %(number)s handed over at the counter.", number=placed.number), "success")
                return redirect(url_for("supplies.staff_order", account=account.number))
        status = status if status != 200 else 422
        offers = supplies.offers(db.session, account)
    elif errors:
        status = 404
    return render_template("rebates/supplies/staff_order.html", account=account, number=number, offers=offers,
                           errors=errors, values=values, language=_language(),
                           orders=supplies.orders_of(db.session, [account]) if account else []), status
