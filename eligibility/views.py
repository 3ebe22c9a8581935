"""Program pages: the public screener, and the staff pages where managers keep rules current."""
from __future__ import annotations

import json
from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user

from core import clock
from core.access import STAFF, allow, public
from core.database import db
from core.errors import AssistError
from core.extensions import limiter
from core.language import language
from core.money import MoneyError, parse_dollars
from eligibility import definitions, explain, service
from eligibility.definitions import DefinitionError
from eligibility.labels import CATEGORICAL_LABELS, FREQUENCY_LABELS, INCOME_KIND_LABELS
from eligibility.rules import CATEGORICAL_PROGRAMS, FREQUENCIES, Household, IncomeSource, Member, RuleError

bp = Blueprint("eligibility", __name__)

MANAGERS = ("manager", "admin")
SCREEN_ROWS, MAX_ROWS = 4, 12


# --- The screener ------------------------------------------------------------------------------

MAX_INCOMES = 6  # income sources a person can list on a page (wages and child support are two)
INCOME_FIELDS = ("amount", "frequency", "kind")


def income_field(name: str, i: int, j: int) -> str:
    """The form field of person i's income source j: the first keeps the plain name (`amount-0`)."""
    return f"{name}-{i}" if j == 0 else f"{name}-{i}-{j}"


def income_from_row(row: dict, i: int, errors: dict[str, list[str]], j: int = 0) -> dict | None:
    """One income source as typed on a page (amount, how often, kind): a dict in cents, or None.

    A bad amount is put in `errors` by its field; an unknown frequency or kind falls back to the
    page's default (monthly wages).
    """
    if not row.get("amount"):
        return None
    try:
        cents = parse_dollars(row["amount"], allow_negative=False)
    except MoneyError:
        errors[income_field("amount", i, j)] = [
            _("Enter the income of person %(n)s in dollars, like 1250.00.", n=i + 1) if j == 0 else
            _("Enter income %(k)s of person %(n)s in dollars, like 1250.00.", k=j + 1, n=i + 1)]
        return None
    if not cents:
        return None
    return {"kind": row.get("kind") if row.get("kind") in INCOME_KIND_LABELS else "wages", "amount_cents": cents,
            "frequency": row.get("frequency") if row.get("frequency") in FREQUENCIES else "monthly"}


def income_count(form, i: int) -> int:
    text = form.get(f"incomes-{i}", "1")
    count = int(text) if text.isascii() and text.isdigit() else 1
    return max(1, min(MAX_INCOMES, count))


def incomes_from_form(form, i: int, errors: dict[str, list[str]]) -> tuple[list[dict], list[dict]]:
    """Person i's income sources: the rows as typed (to show again) and the sources read (in cents)."""
    rows, incomes = [], []
    for j in range(income_count(form, i)):
        row = {k: form.get(income_field(k, i, j), "").strip() for k in INCOME_FIELDS}
        rows.append(row)
        income = income_from_row(row, i, errors, j)
        if income:
            incomes.append(income)
    return rows, incomes


def add_income_row(form, rows: list[dict]) -> None:
    """The "Add another income" button of person i (action `income-i`) gives that person one more row."""
    action = form.get("action", "")
    if action.startswith("income-") and action[7:].isascii() and action[7:].isdigit():
        i = int(action[7:])
        if i < len(rows) and len(rows[i]["incomes"]) < MAX_INCOMES:
            rows[i]["incomes"].append({"amount": "", "frequency": "monthly", "kind": "wages"})


def _rows_from(form) -> int:
    try:
        rows = int(form.get("rows", SCREEN_ROWS))
    except ValueError:
        rows = SCREEN_ROWS
    return max(1, min(MAX_ROWS, rows))


def _read_screen_form(form) -> tuple[dict, dict[str, list[str]], Household | None]:
    """The screener's fields, their errors by field, and the household when there are none."""
    rows = _rows_from(form)
    values = {"zip": form.get("zip", "").strip(), "rows": rows,
              "categorical": [c for c in form.getlist("categorical") if c in CATEGORICAL_PROGRAMS]}
    errors: dict[str, list[str]] = {}
    if not (len(values["zip"]) == 5 and values["zip"].isascii() and values["zip"].isdigit()):
        errors["zip"] = [_("Enter the 5-digit ZIP code of your home.")]
    members = []
    people = []
    for i in range(rows):
        income_rows, incomes = incomes_from_form(form, i, errors)
        row = {"age": form.get(f"age-{i}", "").strip(), "incomes": income_rows}
        people.append(row)
        if not row["age"] and not any(r["amount"] for r in income_rows):
            continue
        age = None
        if not (row["age"].isascii() and row["age"].isdigit()) or int(row["age"]) > 130:
            errors[f"age-{i}"] = [_("Enter the age of person %(n)s in years.", n=i + 1)]
        else:
            age = int(row["age"])
        if age is not None:
            members.append(Member(age=age, incomes=tuple(IncomeSource(x["kind"], x["amount_cents"], x["frequency"])
                                                         for x in incomes)))
    values["people"] = people
    if not members and "age-0" not in errors:
        errors["age-0"] = [_("Enter at least your own age.")]
    return values, errors, (Household(tuple(members)) if not errors else None)


# --- Carrying a screened household over to an application --------------------------------------

def _carry_serializer():
    from flask import current_app
    from itsdangerous import URLSafeSerializer

    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="screened-household")


def carry_token(household: Household, categorical: list[str]) -> str:
    """The household as typed in the screener, for the "Apply" link: ages and incomes, no names."""
    return _carry_serializer().dumps({
        "m": [[m.age, [[x.kind, x.amount_cents, x.frequency] for x in m.incomes]] for m in household.members],
        "c": list(categorical)})


def carried_household(token: str | None) -> tuple[list[dict], list[str]] | None:
    """The members and enrollments of a screener link, or None when there is none or it was altered."""
    from itsdangerous import BadData

    if not token:
        return None
    try:
        data = _carry_serializer().loads(token)
        members = [{"name": "", "age": int(age), "relationship": "self" if n == 0 else "other",
                    "incomes": [{"kind": k, "amount_cents": int(c), "frequency": f} for k, c, f in incomes
                                if k in INCOME_KIND_LABELS and f in FREQUENCIES and int(c) > 0]}
                   for n, (age, incomes) in enumerate(data["m"][:MAX_ROWS]) if 0 <= int(age) <= 130]
        categorical = [c for c in data.get("c", []) if c in CATEGORICAL_PROGRAMS]
    except (BadData, KeyError, TypeError, ValueError):
        return None
    return members, categorical


def next_step(program, determination) -> str:
    if determination.eligible:
        return _("Create an account or sign in, link your utility account, and apply. Have proof of income "
                 "or of your enrollment ready.")
    if "outside_service_area" in determination.reasons:
        return _("This program serves another area. Ask your own utility which programs it offers.")
    if "below_income_floor" in determination.reasons:
        return _("Look at the program named above instead.")
    return _("If your household or income changes, check again.")


def screen_results(screenings, carry: str | None = None) -> list[dict]:
    lang = language()
    return [{"program": s.program.code, "name": s.program.name(lang), "description": s.program.description(lang),
             "eligible": s.determination.eligible, "tier": s.determination.tier,
             "reasons": list(s.determination.reasons),
             "explanation": explain.render(s.determination.explanation, lang),
             "next_step": next_step(s.program, s.determination),
             "apply_url": url_for("applications.start", programs=s.program.code, screened=carry)
             if s.determination.eligible and carry else None} for s in screenings]


def _screen_page(values, errors, results=None, status=200):
    return render_template("eligibility/screen.html", values=values, errors=errors, results=results,
                           frequencies=FREQUENCY_LABELS, kinds=INCOME_KIND_LABELS,
                           categorical_labels=CATEGORICAL_LABELS), status


@bp.get("/screen")
@public
def screen_form():
    return _screen_page({"rows": SCREEN_ROWS, "categorical": []}, {})


@bp.post("/screen")
@limiter.limit("60 per minute")
@public
def screen():
    """Nothing entered here is stored: the answer is computed and shown, then forgotten."""
    action = request.form.get("action", "")
    if action == "add" or action.startswith("income-"):
        values, _errors, _household = _read_screen_form(request.form)
        if action == "add":
            values["rows"] = min(MAX_ROWS, values["rows"] + 2)
        add_income_row(request.form, values["people"])
        return _screen_page(values, {})
    values, errors, household = _read_screen_form(request.form)
    if errors:
        return _screen_page(values, errors, status=422)
    on = clock.today()
    screenings = service.screen(db.session, household, values["categorical"], on, values["zip"])
    results = screen_results(screenings, carry_token(household, values["categorical"]))
    return _screen_page(values, {}, results)


# --- Staff: programs and their versions --------------------------------------------------------

def _status_of(version, program_rules, today: date) -> str:
    """in effect / upcoming / ended / replaced: how a version stands today."""
    current = program_rules.version_on(version.program, today)
    if current is not None and current.id == version.id:
        return "in_effect"
    if version.effective_to is not None and version.effective_to < today:
        return "ended"
    if version.effective_from > today:
        return "upcoming"
    return "replaced"


VERSION_STATUS = {"in_effect": _l("in effect"), "upcoming": _l("upcoming"), "ended": _l("ended"),
                  "replaced": _l("replaced by a newer version")}


@bp.get("/staff/programs")
@allow(*STAFF)
def programs():
    today = clock.today()
    rows = service.list_programs(db.session)
    catalog = service.catalog(db.session, programs=rows)
    listing = [(p, catalog.version_on(p.code, today)) for p in rows]
    return render_template("eligibility/programs.html", listing=listing, today=today, language=language())


@bp.get("/staff/programs/<code>")
@allow(*STAFF)
def program(code: str):
    return _program_page(service.get_program(db.session, code), {}, {})


def _program_page(program, errors, form, status=200):
    today = clock.today()
    catalog = service.catalog(db.session)
    current = catalog.version_on(program.code, today)
    resolved = {v.id: v for v in catalog.programs[program.code].versions}
    versions = [(v, resolved[v.rule_version_id], _status_of(resolved[v.rule_version_id], catalog, today))
                for v in reversed(program.versions)]
    sizes = range(1, 9)
    limits = []
    if current is not None:
        for test in current.limit_tests:
            limits.append((test, [test.limit_for(max(size, current.count_min_size)) for size in sizes]))
    return render_template("eligibility/program.html", program=program, current=current, versions=versions,
                           limits=limits, sizes=sizes, history=service.history(db.session, program),
                           statuses=VERSION_STATUS, language=language(), errors=errors, form=form,
                           can_change=current_user.role in MANAGERS), status


@bp.post("/staff/programs/<code>/switch")
@allow(*MANAGERS)
def switch(code: str):
    program = service.get_program(db.session, code)
    enabled = request.form.get("enabled") == "1"
    reason = request.form.get("reason", "").strip()
    if not reason:
        return _program_page(program, {"reason": [_("Say why the program is switched on or off.")]},
                             request.form, 422)
    try:
        service.set_enabled(db.session, program, enabled, reason)
    except AssistError as exc:
        db.session.rollback()
        return _program_page(program, {"reason": [exc.message]}, request.form, 422)
    flash(_("%(program)s is switched on.", program=program.code) if enabled
          else _("%(program)s is switched off: the screener and new applications no longer offer it.",
                 program=program.code), "success")
    return redirect(url_for("eligibility.program", code=program.code))


def _version_form_defaults(program) -> dict:
    latest = program.versions[-1]
    return {"label": "", "effective_from": "", "effective_to": "", "source": latest.source, "note": "",
            "rules": json.dumps(definitions.to_file_rules(latest.rules), indent=2, ensure_ascii=False)}


@bp.get("/staff/programs/<code>/versions/new")
@allow(*MANAGERS)
def new_version(code: str):
    program = service.get_program(db.session, code)
    return render_template("eligibility/new_version.html", program=program, form=_version_form_defaults(program),
                           errors={}, base=program.versions[-1])


@bp.post("/staff/programs/<code>/versions/new")
@allow(*MANAGERS)
def create_version(code: str):
    program = service.get_program(db.session, code)
    form = {k: request.form.get(k, "").strip() for k in ("label", "effective_from", "effective_to", "source", "note",
                                                          "rules")}
    errors: dict[str, list[str]] = {}
    try:
        rules = json.loads(form["rules"] or "{}")
    except json.JSONDecodeError as exc:
        errors["rules"] = [_("The rules are not valid JSON: line %(line)s, column %(column)s.", line=exc.lineno,
                             column=exc.colno)]
        rules = None
    if not form["note"]:
        errors["note"] = [_("Say why the rules change.")]
    if rules is not None:
        fields = {"label": form["label"], "effective_from": form["effective_from"],
                  "effective_to": form["effective_to"] or None, "source": form["source"], "note": form["note"]}
        try:
            version = definitions.parse_version(fields, rules)
        except DefinitionError as exc:
            for problem in exc.problems:
                name, _sep, message = problem.partition(": ")
                target = name if name in fields else "rules"
                errors.setdefault(target, []).append(message if target == name else problem)
        else:
            if not errors:
                try:
                    row = service.add_version(db.session, program, version)
                except AssistError as exc:
                    errors = exc.fields or {"rules": [exc.message]}
                else:
                    flash(_("Version %(id)s is saved. It takes effect on %(date)s.", id=row.rule_version_id,
                            date=row.effective_from.isoformat()), "success")
                    return redirect(url_for("eligibility.program", code=program.code))
    return render_template("eligibility/new_version.html", program=program, form=form, errors=errors,
                           base=program.versions[-1]), 422


def init_eligibility(app) -> None:
    from core.cli import after_upgrade
    from core.nav import register_nav
    from eligibility.cli import apply_programs_setting

    after_upgrade(app, apply_programs_setting)
    app.jinja_env.globals["version_status_labels"] = VERSION_STATUS
    register_nav(app, "eligibility.screen_form", _l("Could I qualify?"), ("anonymous", "customer"), order=5)
    register_nav(app, "eligibility.programs", _l("Programs"), STAFF, order=50, group="programs")
