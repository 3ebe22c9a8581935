"""Rebate pages: "Estimate my rebate" for anyone, and the managers' read-only view of the rules,
their new versions and the qualified product lists."""
from __future__ import annotations

import json
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user

from accounts.service import linked_accounts
from core import clock
from core.access import STAFF, allow, public
from core.database import db
from core.errors import AssistError
from core.extensions import limiter
from core.inputs import whole_number
from core.money import MoneyError, format_dollars, format_percent, parse_dollars
from rebates import definitions, explain, rules, service
from rebates.definitions import DefinitionError

bp = Blueprint("rebates", __name__)

MANAGERS = ("manager", "admin")
UNIT_LABELS = {"each": _l("each"), "sq_ft": _l("square feet"), "gallon": _l("gallons")}
MONEY_FIELDS = (("price", _l("Price paid")), ("tax", _l("Sales tax")), ("labor", _l("Installation labor")),
                ("delivery", _l("Delivery")), ("discounts", _l("Discounts, gift cards and instant rebates")))


def language() -> str:
    return explain.language_of(get_locale())


def _customer():
    return current_user if getattr(current_user, "is_authenticated", False) and current_user.role == "customer" \
        else None


# --- Estimate my rebate ------------------------------------------------------------------------

def _devices(programs, today: date, lang: str) -> list[dict]:
    """Every measure of the version in effect today of each program on offer."""
    out = []
    for program in programs:
        built = service.build_program(program)
        version = next((v for v in built.versions if v.covers(today)), None)
        if version is None:
            continue
        rows = next(v for v in program.versions if v.number == version.number).measures
        for measure in rows:
            attributes = [c["attribute"] for c in measure["conditions"]]
            for amount in (measure["amount"], (measure.get("enhanced") or {}).get("amount") or {}):
                if amount.get("kind") == "by_attribute" and amount["attribute"] not in attributes:
                    attributes.append(amount["attribute"])
            out.append({"key": f"{program.code}:{measure['code']}", "program": program,
                        "label": f"{measure['name'].get(lang) or measure['name']['en']} ({program.name(lang)})",
                        "measure": measure, "attributes": attributes,
                        "unit": UNIT_LABELS[measure["unit"]]})
    return out


def _estimate_page(devices, device, values, errors, result=None, accounts=(), status=200):
    return render_template("rebates/estimate.html", devices=devices, device=device, values=values, errors=errors,
                           result=result, accounts=accounts, money_fields=MONEY_FIELDS,
                           attribute_label=lambda code: explain.attribute_label(code, language())), status


@bp.route("/rebates/estimate", methods=["GET", "POST"])
@limiter.limit("60 per minute", methods=["POST"])
@public
def estimate():
    """Nothing entered here is stored: the estimate is computed and shown, then forgotten."""
    session = db.session
    today = clock.today()
    lang = language()
    devices = _devices(service.quotable(session), today, lang)
    form = request.form if request.method == "POST" else request.args
    key = form.get("device", "")
    device = next((d for d in devices if d["key"] == key), None)
    customer = _customer()
    accounts = linked_accounts(session, customer.id) if customer else []
    values = {k: form.get(k, "").strip() for k in ("device", "quantity", "purchased_on", "installed_on", "model",
                                                   "account") + tuple(name for name, _label in MONEY_FIELDS)}
    if device:
        values.update({f"attr-{a}": form.get(f"attr-{a}", "").strip() for a in device["attributes"]})
    if request.method == "GET" or device is None:
        errors = {"device": [_("Choose a device.")]} if request.method == "POST" else {}
        return _estimate_page(devices, device, values, errors, accounts=accounts, status=422 if errors else 200)
    errors: dict[str, list[str]] = {}
    item: dict = {"measure": device["measure"]["code"]}
    try:
        quantity = int(values["quantity"])
        if not 1 <= quantity <= 1_000_000:
            raise ValueError
        item["quantity"] = quantity
    except ValueError:
        errors["quantity"] = [_("Give how many, as a whole number.")]
    for name in ("purchased_on", "installed_on"):
        if not values[name]:
            if name == "purchased_on":
                errors[name] = [_("Give the date of purchase.")]
            continue
        try:
            item[name] = date.fromisoformat(values[name])
        except ValueError:
            errors[name] = [_("Give a date like 2026-07-01.")]
    for name, _label in MONEY_FIELDS:
        try:
            item[name] = parse_dollars(values[name] or "0", allow_negative=False)
        except MoneyError:
            errors[name] = [_("Give an amount in dollars, like 89.00.")]
    item["model"] = values["model"] or None
    attributes = {}
    for attribute in device["attributes"]:
        text = values.get(f"attr-{attribute}", "")
        if text:
            try:
                from decimal import Decimal, InvalidOperation

                attributes[attribute] = Decimal(text.replace(",", "."))
            except InvalidOperation:
                errors[f"attr-{attribute}"] = [_("Give a number, like 1.28.")]
    item["attributes"] = attributes
    if errors:
        return _estimate_page(devices, device, values, errors, accounts=accounts, status=422)
    program = device["program"]
    data = {"program": program.code, "applied_on": today, "items": [item], "history": [], "enrolled_in": []}
    if customer and values["account"]:
        data["account"] = values["account"]
        service.fill_for_customer(session, program, data, customer, accounts)
    quote = service.quote(session, program, data)
    answer = service.answer(program, quote, lang)
    return _estimate_page(devices, device, values, {}, answer["items"][0] | {"name": device["label"]},
                          accounts=accounts)


# --- Staff: rebate programs and their versions ---------------------------------------------------

def describe_amount(amount: dict, lang: str) -> str:
    kind = amount["kind"]
    money = lambda text: format_dollars(parse_dollars(text))  # noqa: E731
    if kind == "per_unit":
        return _("%(amount)s a unit", amount=money(amount["amount"]))
    if kind == "per_ordinal":
        return _("%(amounts)s (the last repeats)", amounts=", ".join(money(a) for a in amount["amounts"]))
    if kind == "banded":
        return "; ".join(_("up to %(up_to)s at %(rate)s", up_to=b["up_to"], rate=money(b["rate"])) if b["up_to"]
                         else _("the rest at %(rate)s", rate=money(b["rate"])) for b in amount["bands"])
    if kind == "by_attribute":
        parts = []
        for band in amount["bands"]:
            low, high = band.get("min"), band.get("max")
            span = (f"{low}–{high}" if low and high else f"≥ {low}" if low else f"≤ {high}" if high else _("any"))
            parts.append(f"{amount['attribute']} {span}: {money(band['amount'])}")
        return "; ".join(parts)
    return _("%(percent)s of the cost", percent=format_percent(amount["percent"], lang))


def describe_limit(limit: dict) -> str:
    scope = {"premise": _("per home"), "account": _("per account"), "customer": _("per customer")}[limit["scope"]]
    what = str(limit["max_units"]) if limit["max_units"] is not None else format_dollars(parse_dollars(limit["max_amount"]))
    window = (_("in %(years)s years", years=limit["years"]) if limit["years"]
              else _("a fiscal year") if limit["fiscal_year"] else _("lifetime"))
    measures = f" ({', '.join(limit['measures'])})" if limit.get("measures") else ""
    return f"{what} {scope}, {window}{measures}"


def _status(version: rules.Version, today: date) -> str:
    if version.covers(today):
        return "in_effect"
    if version.effective_from > today:
        return "upcoming"
    return "ended"


STATUS = {"in_effect": _l("in effect"), "upcoming": _l("upcoming"), "ended": _l("ended")}


@bp.get("/staff/rebates")
@allow(*STAFF)
def programs():
    today = clock.today()
    listing = []
    for program in service.list_programs(db.session):
        built = service.build_program(program)
        listing.append((program, next((v for v in built.versions if v.covers(today)), None)))
    return render_template("rebates/programs.html", listing=listing, language=language())


@bp.get("/staff/rebates/programs/<code>")
@allow(*STAFF)
def program(code: str):
    program = service.get_program(db.session, code)
    today = clock.today()
    built = {v.number: v for v in service.build_program(program).versions}
    versions = [(row, built[row.number], _status(built[row.number], today)) for row in reversed(program.versions)]
    return render_template("rebates/program.html", program=program, versions=versions, statuses=STATUS,
                           language=language(), describe_amount=describe_amount, describe_limit=describe_limit,
                           can_change=current_user.role in MANAGERS)


def _version_defaults(program) -> dict:
    base = service.current_version(program, clock.today())
    return {"label": "", "effective_from": "", "effective_to": "", "source": base.source if base else "", "note": "",
            "measures": json.dumps(base.measures if base else [], indent=2, ensure_ascii=False)}


@bp.get("/staff/rebates/programs/<code>/versions/new")
@allow(*MANAGERS)
def new_version(code: str):
    program = service.get_program(db.session, code)
    return render_template("rebates/new_version.html", program=program, form=_version_defaults(program), errors={},
                           base=service.current_version(program, clock.today()))


def version_from_form(form: dict) -> tuple[dict | None, dict[str, list[str]]]:
    """A version document from the page's fields; errors by field."""
    errors: dict[str, list[str]] = {}
    try:
        measures = json.loads(form.get("measures") or "[]")
    except json.JSONDecodeError as exc:
        return None, {"measures": [_("The measures are not valid JSON: line %(line)s, column %(column)s.",
                                     line=exc.lineno, column=exc.colno)]}
    document = {"label": form.get("label", ""), "effective_from": form.get("effective_from", ""),
                "effective_to": form.get("effective_to") or None, "source": form.get("source", ""),
                "note": form.get("note", ""), "measures": measures}
    try:
        return definitions.parse_version(document), errors
    except DefinitionError as exc:
        for problem in exc.problems:
            where, _sep, message = problem.partition(": ")
            name = where.removeprefix("version.").split(".")[0].split("[")[0]
            target = name if name in ("label", "effective_from", "effective_to", "source", "note") else "measures"
            errors.setdefault(target, []).append(message if target != "measures" else problem)
        return None, errors


@bp.post("/staff/rebates/programs/<code>/versions/new")
@allow(*MANAGERS)
def create_version(code: str):
    program = service.get_program(db.session, code)
    form = {k: request.form.get(k, "").strip() for k in ("label", "effective_from", "effective_to", "source", "note",
                                                          "measures")}
    version, errors = version_from_form(form)
    if version is not None:
        try:
            row = service.add_version(db.session, program, version)
        except AssistError as exc:
            errors = exc.fields or {"measures": [exc.message]}  # the 422 below rolls the request back
        else:
            flash(_("Version %(id)s is saved. It takes effect on %(date)s.", id=row.rule_version_id,
                    date=row.effective_from.isoformat()), "success")
            return redirect(url_for("rebates.program", code=program.code))
    return render_template("rebates/new_version.html", program=program, form=form, errors=errors,
                           base=service.current_version(program, clock.today())), 422


@bp.get("/staff/rebates/products")
@allow(*STAFF)
def product_lists():
    return render_template("rebates/products.html", lists=service.all_lists(db.session))


@bp.get("/staff/rebates/products/<code>")
@allow(*STAFF)
def product_list(code: str):
    plist = service.get_list(db.session, code)
    if not plist.versions:
        abort(404)
    latest = max(plist.versions, key=lambda v: (v.effective_from, v.number))
    return render_template("rebates/product_list.html", plist=plist, latest=latest,
                           models=service.list_models(db.session, latest))


# --- Managers: budgets per program and fiscal year ----------------------------------------------

def _budgets_page(form: dict, errors: dict, status: int = 200):
    from rebates import budgets

    return render_template("rebates/budgets.html", rows=budgets.overview(db.session), form=form, errors=errors,
                           programs=service.list_programs(db.session), language=language(),
                           can_change=current_user.role in MANAGERS), status


@bp.get("/staff/rebates/budgets")
@allow(*STAFF)
def budgets_page():
    return _budgets_page({}, {})


@bp.post("/staff/rebates/budgets")
@allow(*MANAGERS)
def set_budget():
    from rebates import budgets

    form = {k: request.form.get(k, "").strip() for k in ("program", "fiscal_year", "amount", "reason")}
    errors: dict[str, list[str]] = {}
    try:
        year = whole_number("fiscal_year", form["fiscal_year"], minimum=2000, maximum=2100)
        if year is None:
            raise AssistError("")
    except AssistError:
        errors["fiscal_year"] = [_("Give a fiscal year like 2027.")]
    try:
        cents = parse_dollars(form["amount"], allow_negative=False)
    except MoneyError:
        errors["amount"] = [_("Give an amount in dollars, like 250000.00.")]
    try:
        program = service.get_program(db.session, form["program"])
    except AssistError:
        errors["program"] = [_("Choose a program.")]
    if not errors:
        try:
            _row, change = budgets.set_budget(db.session, program, year, cents, form["reason"])
        except AssistError as exc:
            errors = exc.fields or {"amount": [exc.message]}  # the 422 below rolls the request back
        else:
            if change is None:
                flash(_("The budget is already %(amount)s; nothing changed.", amount=format_dollars(cents)), "info")
            else:
                flash(_("The FY%(year)s budget of %(program)s is now %(amount)s.", year=year, program=program.code,
                        amount=format_dollars(cents)), "success")
            return redirect(url_for("rebates.budgets_page"))
    return _budgets_page(form, errors, 422)


# --- CSRs: a W-9 on file ----------------------------------------------------------------------

W9_FIELDS = ("email", "legal_name", "tin", "reason")


@bp.route("/staff/rebates/w9", methods=["GET", "POST"])
@allow(*STAFF)
def record_w9():
    """The taxpayer ID is encrypted on saving and never shown again: only its last four digits."""
    from sqlalchemy import func, select

    from auth.models import User
    from rebates import payments

    form = {k: request.form.get(k, "").strip() for k in W9_FIELDS} if request.method == "POST" else {}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        customer = db.session.scalar(select(User).where(func.lower(User.email) == form["email"].lower(),
                                                        User.role == "customer"))
        if customer is None:
            errors["email"] = [_("No customer has this email.")]
        else:
            try:
                released = payments.record_w9(db.session, customer.id, tin=form["tin"], legal_name=form["legal_name"],
                                              reason=form["reason"])
            except AssistError as exc:
                errors = exc.fields or {"tin": [exc.message]}  # the 422 below rolls the request back
            else:
                flash(_("W-9 on file for %(email)s (taxpayer ID ending %(last4)s). Payments released: %(count)s.",
                        email=customer.email, last4=payments.w9_on_file(db.session, customer.id).tin_last4,
                        count=len(released)), "success")
                return redirect(url_for("rebates.record_w9"))
        form["tin"] = ""   # never sent back to the browser
    return render_template("rebates/w9.html", form=form, errors=errors), 422 if errors else 200


def init_rebates(app) -> None:
    from core.nav import register_nav
    from rebates import applying, budgets, letters  # noqa: F401  (letters: registers the rebate wording)
    from rebates.payments import init_payments

    init_payments(app)
    budgets.register_offer_handler(app, applying.take_off_waitlist)

    # Customers reach it from their home page: their header has no room for another link (issue 13).
    register_nav(app, "rebates.estimate", _l("Estimate my rebate"), ("anonymous",), order=6)
    register_nav(app, "rebates.programs", _l("Rebate programs"), STAFF, order=52, group="programs")
    register_nav(app, "rebates.product_lists", _l("Product lists"), STAFF, order=53, group="programs")
    register_nav(app, "rebates.budgets_page", _l("Rebate budgets"), STAFF, order=54, group="programs")
    register_nav(app, "rebates.record_w9", _l("Record a W-9"), STAFF, order=55, group="programs")
