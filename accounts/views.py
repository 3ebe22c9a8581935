"""Account pages: customers link and see their accounts; staff search, adjust, reverse, approve."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_, select

from accounts import service
from accounts.api import LINK_LIMIT, _link_key
from accounts.models import Account, AccountLink, AdjustmentRequest, Bill, CreditBatch
from auth import service as auth_service
from auth.models import User
from core.access import STAFF, allow
from core.database import db
from core.errors import AssistError
from core.extensions import limiter
from core.money import MoneyError, parse_dollars

bp = Blueprint("accounts", __name__)

REASON_LABELS = {
    "leak_adjustment": _l("Leak adjustment"),
    "lead_copper_credit": _l("Lead and copper credit"),
    "correction": _l("Correction"),
    "goodwill": _l("Goodwill credit"),
    "other": _l("Other"),
}


def _errors(exc: AssistError) -> dict[str, list[str]]:
    return exc.fields or {"_form": [exc.message]}


@bp.get("/accounts")
@allow("customer")
def my_accounts():
    accounts = service.linked_accounts(db.session, current_user.id)
    return render_template("accounts/mine.html", accounts=accounts, errors={}, form={})


@bp.post("/accounts")
@limiter.limit(LINK_LIMIT, key_func=_link_key)
@limiter.limit("30 per hour")
@allow("customer")
def link_account():
    form = {k: request.form.get(k, "").strip() for k in ("account_number", "zip", "last_bill_amount")}
    errors: dict[str, list[str]] = {}
    for name, label in (("account_number", _("Enter the account number.")), ("zip", _("Enter the ZIP code.")),
                        ("last_bill_amount", _("Enter the amount of your last bill."))):
        if not form[name]:
            errors[name] = [label]
    amount = None
    if form["last_bill_amount"]:
        try:
            amount = parse_dollars(form["last_bill_amount"])
        except MoneyError:
            errors["last_bill_amount"] = [_("Enter the amount in dollars and cents, like 84.17.")]
    if not errors:
        try:
            account = service.link_by_proof(db.session, current_user, form["account_number"], form["zip"], amount)
        except AssistError as exc:
            db.session.commit()  # keep the audit record of the failed attempt
            errors = _errors(exc)
        else:
            flash(_("Account %(number)s is now linked to your login.", number=account.number), "success")
            return redirect(url_for("accounts.my_account", number=account.number))
    accounts = service.linked_accounts(db.session, current_user.id)
    return render_template("accounts/mine.html", accounts=accounts, errors=errors, form=form), 422


@bp.get("/accounts/<number>")
@allow("customer")
def my_account(number: str):
    account = service.account_for(db.session, current_user, number)
    return render_template("accounts/customer_account.html", account=account, lines=service.ledger(db.session, account))


@bp.get("/staff/accounts")
@allow(*STAFF)
def search():
    needle = request.args.get("q", "").strip()
    accounts = []
    if needle:
        like = f"%{needle.lower()}%"
        from sqlalchemy import func

        accounts = db.session.scalars(
            select(Account).where(or_(Account.number == needle, func.lower(Account.customer_name).like(like),
                                      func.lower(Account.service_address).like(like)))
            .order_by(Account.number).limit(50)).all()
    return render_template("accounts/search.html", accounts=accounts, q=needle)


def _staff_page(account: Account, errors=None, form=None, status=200):
    links = db.session.execute(select(AccountLink, User).join(User, User.id == AccountLink.user_id)
                               .where(AccountLink.account_id == account.id)).all()
    bills = db.session.scalars(select(Bill).where(Bill.account_id == account.id)
                               .order_by(Bill.period_start.desc(), Bill.id.desc()).limit(24)).all()
    from accounts.sections import account_sections

    return render_template("accounts/staff_account.html", account=account, links=links, bills=bills,
                           sections=account_sections(current_app, db.session, account),
                           lines=service.ledger(db.session, account), errors=errors or {}, form=form or {},
                           reasons=REASON_LABELS, limit_cents=service.approval_limit_cents()), status


@bp.get("/staff/accounts/<number>")
@allow(*STAFF)
def staff_account(number: str):
    return _staff_page(service.get_account(db.session, number))


@bp.post("/staff/accounts/<number>/adjustments")
@allow(*STAFF)
def adjust(number: str):
    account = service.get_account(db.session, number)
    form = {k: request.form.get(k, "").strip() for k in ("amount", "direction", "reason_code", "note")}
    try:
        cents = parse_dollars(form["amount"], allow_negative=False)
    except MoneyError:
        return _staff_page(account, {"amount": [_("Enter the amount in dollars and cents, like 84.17.")]}, form, 422)
    if form["direction"] == "charge":
        cents = -cents
    try:
        adjustment = service.request_adjustment(db.session, account=account, amount_cents=cents,
                                                reason_code=form["reason_code"], note=form["note"],
                                                requested_by=current_user)
    except AssistError as exc:
        db.session.rollback()
        return _staff_page(account, _errors(exc), form, 422)
    if adjustment.status == "pending":
        flash(_("The adjustment, with what you posted on this account today, is over the approval limit: "
                "it waits for a manager."), "warning")
    else:
        flash(_("The adjustment is posted."), "success")
    return redirect(url_for("accounts.staff_account", number=account.number))


@bp.post("/staff/ledger/<int:entry_id>/reverse")
@allow(*STAFF)
def reverse(entry_id: int):
    raw = request.form.get("amount", "").strip()
    reason = request.form.get("reason", "")
    try:
        amount = parse_dollars(raw, allow_negative=False) if raw else None
        entry = service.request_reversal(db.session, entry_id, reason=reason, amount_cents=amount,
                                         requested_by=current_user)
    except (AssistError, MoneyError) as exc:
        db.session.rollback()
        message = exc.message if isinstance(exc, AssistError) else _("Enter the amount in dollars and cents, like 84.17.")
        flash(message, "error")
        number = request.form.get("account_number", "")
        return redirect(url_for("accounts.staff_account", number=number) if number else url_for("accounts.search"))
    if isinstance(entry, AdjustmentRequest):
        flash(_("A manager approved this entry, so its reversal waits for a manager too."), "warning")
    else:
        flash(_("The entry is reversed."), "success")
    return redirect(url_for("accounts.staff_account", number=entry.account.number))


@bp.post("/staff/accounts/<number>/link")
@allow(*STAFF)
def staff_link(number: str):
    account = service.get_account(db.session, number)
    email = request.form.get("email", "").strip().lower()
    reason = request.form.get("reason", "").strip()
    errors = {}
    try:
        customer = auth_service.find_customer(db.session, email)
    except AssistError as exc:
        customer, errors = None, dict(exc.fields)
    if not reason:
        errors["reason"] = [_("Say how the customer proved they hold the account.")]
    if errors:
        return _staff_page(account, errors, {"email": email, "reason": reason}, 422)
    try:
        service.link_by_staff(db.session, current_user, customer, account, reason)
    except AssistError as exc:
        db.session.rollback()
        return _staff_page(account, _errors(exc), {"email": email, "reason": reason}, 422)
    flash(_("%(email)s is linked to this account.", email=email), "success")
    return redirect(url_for("accounts.staff_account", number=account.number))


@bp.post("/staff/accounts/<number>/invite")
@allow(*STAFF)
def invite(number: str):
    """A customer whose application was taken by phone or on paper is invited to sign in."""
    from core.inputs import whole_number

    account = service.get_account(db.session, number)
    user_id = whole_number("user_id", request.form.get("user_id"), default=0)
    email = request.form.get("invite_email", "").strip()
    customer = db.session.get(User, user_id)
    if customer is None or not service.is_linked(db.session, customer.id, account.id):
        return _staff_page(account, {"invite_email": [_("This customer is not linked to the account.")]},
                           {"invite_email": email}, 422)
    try:
        auth_service.invite_to_sign_in(db.session, customer, email)
    except AssistError as exc:
        db.session.rollback()
        return _staff_page(account, _errors(exc), {"invite_email": email, "invite_user": user_id}, exc.status)
    flash(_("%(name)s is invited to sign in: we emailed %(email)s a link to choose a password.",
            name=customer.full_name or email, email=customer.email), "success")
    return redirect(url_for("accounts.staff_account", number=account.number))


@bp.get("/staff/adjustments")
@allow("manager", "admin")
def approvals():
    return render_template("accounts/approvals.html", requests=service.pending_adjustments(db.session),
                           reasons=REASON_LABELS)


@bp.post("/staff/adjustments/<int:request_id>")
@allow("manager", "admin")
def decide(request_id: int):
    approve = request.form.get("decision") == "approve"
    try:
        service.decide_adjustment(db.session, request_id, manager=current_user, approve=approve,
                                  note=request.form.get("note"))
    except AssistError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash(_("Approved and posted.") if approve else _("Rejected."), "success")
    return redirect(url_for("accounts.approvals"))


@bp.get("/staff/credits")
@allow(*STAFF)
def credit_files():
    batches = db.session.scalars(select(CreditBatch).order_by(CreditBatch.id.desc()).limit(50)).all()
    return render_template("accounts/credits.html", batches=batches, rejected=service.rejected_items(db.session))


@bp.post("/staff/credits/rejected/<int:item_id>")
@allow(*STAFF)
def resolve(item_id: int):
    try:
        service.resolve_rejection(db.session, item_id, action=request.form.get("action", ""), by=current_user,
                                  reason=request.form.get("reason", "").strip())
    except AssistError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash(_("Done."), "success")
    return redirect(url_for("accounts.credit_files"))


LABELS = {
    "kind": {"discount": _l("Discount"), "rebate": _l("Rebate"), "adjustment": _l("Adjustment"),
             "reversal": _l("Reversal")},
    "cis": {None: _l("not sent yet"), "pending": _l("sent"), "accepted": _l("accepted"), "rejected": _l("refused")},
    "status": {"active": _l("active"), "closed": _l("closed")},
    "meter": {"individual": _l("individual meter"), "master": _l("master meter")},
    "service": {"electric": _l("electric"), "water": _l("water"), "wastewater": _l("wastewater"),
                "refuse": _l("refuse")},
}


def _label(group: str):
    return lambda value: LABELS[group].get(value, value)


def init_accounts(app) -> None:
    from core.nav import register_nav

    for group in ("kind", "cis", "status", "meter", "service"):
        app.jinja_env.globals[f"{group}_label"] = _label(group)
    app.jinja_env.filters["service_label"] = _label("service")

    register_nav(app, "accounts.my_accounts", _l("My accounts"), ("customer",), order=10)
    register_nav(app, "accounts.search", _l("Accounts"), STAFF, order=20, group="accounts")
    register_nav(app, "accounts.approvals", _l("Approvals"), ("manager", "admin"), order=30, group="accounts")
    register_nav(app, "accounts.credit_files", _l("Credit files"), STAFF, order=40, group="accounts")
