"""Rebate programs as stored data: loading definitions, new versions, switching on and off, product
lists, and the quote with what the database knows about a signed-in customer's home.

Each function takes the caller's session and flushes; the request or command commits once.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from accounts.models import Account
from core import audit, clock
from core.audit import current_actor
from core.errors import Invalid, NotFound
from eligibility.enrolled import enrolled_programs
from rebates import definitions, rules
from rebates.definitions import DefinitionError
from rebates.models import ProductList, ProductListModel, ProductListVersion, RebateProgram, RebateProgramVersion


@dataclass
class LoadReport:
    programs_added: list[str] = field(default_factory=list)
    programs_updated: list[str] = field(default_factory=list)
    versions_added: list[str] = field(default_factory=list)
    versions_unchanged: int = 0

    def as_dict(self) -> dict:
        return {"programs_added": self.programs_added, "programs_updated": self.programs_updated,
                "versions_added": self.versions_added, "versions_unchanged": self.versions_unchanged}


def _dates(version: dict) -> tuple[date, date | None]:
    start = version["effective_from"]
    end = version["effective_to"]
    start = date.fromisoformat(start) if isinstance(start, str) else start
    end = date.fromisoformat(end) if isinstance(end, str) else end
    return start, end


def _same_version(row: RebateProgramVersion, version: dict) -> bool:
    return ((row.effective_from, row.effective_to) == _dates(version) and row.label == version["label"]
            and row.measures == version["measures"] and row.source == version["source"])


def _overlap_problem(rows: list[RebateProgramVersion], added: list[dict], version: dict) -> str | None:
    """Which stored or already-accepted version the new one's dates overlap, if any."""
    start, end = _dates(version)
    others = [((r.effective_from, r.effective_to), f"v{r.number}") for r in rows] + \
             [(_dates(v), v["label"]) for v in added]
    for span, name in others:
        if rules.overlaps([span, (start, end)]):
            until = span[1].isoformat() if span[1] else _("open")
            return f"its dates overlap {name} ({span[0].isoformat()} to {until}); give the new version dates " \
                   "that do not overlap the old ones"
    return None


def load_definitions(session: Session, parsed: dict) -> LoadReport:
    """Add or update rebate programs; a changed version comes in as a new one with new dates.

    Loading the same file twice changes nothing. A changed version whose dates overlap a stored
    one is refused, and then nothing of the file is applied.
    """
    actor = current_actor()
    now = clock.now()
    report = LoadReport()
    programs = {p.code: p for p in session.scalars(select(RebateProgram).options(selectinload(RebateProgram.versions)))}
    problems: list[str] = []
    new_versions: dict[str, list[dict]] = {}
    for i, spec in enumerate(parsed["programs"]):
        rows = list(programs[spec["code"]].versions) if spec["code"] in programs else []
        accepted: list[dict] = []
        for j, version in enumerate(spec["versions"]):
            if any(_same_version(row, version) for row in rows):
                continue
            problem = _overlap_problem(rows, accepted, version)
            if problem:
                problems.append(f"programs[{i}].versions[{j}]: {problem}")
            accepted.append(version)
        new_versions[spec["code"]] = accepted
    if problems:
        raise DefinitionError(problems)

    for spec in parsed["programs"]:
        program = programs.get(spec["code"])
        attributes = {"names": spec["name"], "descriptions": spec["description"], "example": spec["example"],
                      "fiscal_year_starts": spec["fiscal_year_starts"], "tax_reportable": spec["tax_reportable"]}
        if program is None:
            program = RebateProgram(code=spec["code"], enabled=not spec["example"], created_at=now, updated_at=now,
                                    **attributes)
            program.versions = []
            session.add(program)
            report.programs_added.append(program.code)
            audit.record(session, "rebate_program.created", obj=program, object_id=spec["code"],
                         details={"names": spec["name"], "example": spec["example"]})
        elif any(getattr(program, k) != v for k, v in attributes.items()):
            for key, value in attributes.items():
                setattr(program, key, value)
            program.updated_at = now
            report.programs_updated.append(program.code)
            audit.record(session, "rebate_program.updated", obj=program, object_id=program.code,
                         reason="definitions loaded from a file")
        for version in spec["versions"]:
            if version not in new_versions[spec["code"]]:
                report.versions_unchanged += 1
                continue
            row = _add_version(session, program, version, actor, now)
            report.versions_added.append(row.rule_version_id)
    session.flush()
    return report


def _add_version(session: Session, program: RebateProgram, version: dict, actor, now) -> RebateProgramVersion:
    start, end = _dates(version)
    number = max((v.number for v in program.versions), default=0) + 1
    row = RebateProgramVersion(number=number, label=version["label"], effective_from=start, effective_to=end,
                               measures=version["measures"], source=version["source"], note=version.get("note", ""),
                               created_at=now, created_by_id=actor.user_id, created_by_label=actor.label)
    program.versions.append(row)
    session.flush()
    audit.record(session, "rebate_program.version_added", obj=row,
                 object_id=definitions.version_id(program.code, number), reason=version.get("note") or None,
                 details={"program": program.code, "label": row.label, "effective_from": start.isoformat(),
                          "effective_to": end.isoformat() if end else None})
    return row


def add_version(session: Session, program: RebateProgram, version: dict) -> RebateProgramVersion:
    """A manager's new version (page or API): never starting in the past, never overlapping, with a reason."""
    start, _end = _dates(version)
    if start < clock.today():
        message = _("A new version cannot start in the past; choose %(date)s or later.", date=clock.today().isoformat())
        raise Invalid(message, fields={"effective_from": [message]})
    if any(_same_version(row, version) for row in program.versions):
        raise Invalid(_("This version is the same as one the program already has."))
    problem = _overlap_problem(list(program.versions), [], version)
    if problem:
        message = _("Its dates overlap a version the program already has; versions are never changed, so give "
                    "dates after the current version's.")
        raise Invalid(message, fields={"effective_from": [message]})
    if not (version.get("note") or "").strip():
        raise Invalid(_("Say why the rules change."), fields={"note": [_("Say why the rules change.")]})
    return _add_version(session, program, version, current_actor(), clock.now())


def current_version(program: RebateProgram, on: date) -> RebateProgramVersion | None:
    """The version in effect on the day, or else the latest one (what a new version starts from)."""
    built = build_program(program)
    for version in built.versions:
        if version.covers(on):
            return next(v for v in program.versions if v.number == version.number)
    return program.versions[-1] if program.versions else None


def get_program(session: Session, code: str) -> RebateProgram:
    program = session.scalar(select(RebateProgram).where(RebateProgram.code == (code or "").strip().upper())
                             .options(selectinload(RebateProgram.versions)))
    if program is None:
        raise NotFound(_("No such rebate program."))
    return program


def list_programs(session: Session) -> list[RebateProgram]:
    return list(session.scalars(select(RebateProgram).options(selectinload(RebateProgram.versions))
                                .order_by(RebateProgram.code)))


def quotable(session: Session) -> list[RebateProgram]:
    """The programs switched on, real ones first: what the estimate page and the API offer."""
    rows = [p for p in list_programs(session) if p.enabled and p.versions]
    return [p for p in rows if not p.example] + [p for p in rows if p.example]


def set_enabled(session: Session, program: RebateProgram, enabled: bool, reason: str) -> None:
    if program.enabled == enabled:
        return
    program.enabled = enabled
    program.updated_at = clock.now()
    audit.record(session, "rebate_program.switched_on" if enabled else "rebate_program.switched_off", obj=program,
                 object_id=program.code, reason=reason or None)
    session.flush()


def build_program(program: RebateProgram) -> rules.Program:
    """The stored versions as the pure rules (built once per request; quoting items then parses nothing)."""
    return rules.Program.of(program.code, (
        definitions.build_version(program.code, v.number, v.effective_from, v.effective_to, v.measures, v.label,
                                  v.source) for v in program.versions),
        definitions.fiscal_year_starts(program.fiscal_year_starts))


def product_lists(session: Session, codes: set[str], models: set[str] | None = None) -> dict[str, rules.ProductList]:
    """The lists as the pure rules see them; with `models` (normalized), only those rows are read,
    so a quote never loads a whole WaterSense list."""
    out: dict[str, rules.ProductList] = {}
    if not codes:
        return out
    lists = session.scalars(select(ProductList).where(ProductList.code.in_(sorted(codes)))
                            .options(selectinload(ProductList.versions)))
    for plist in lists:
        versions = []
        for version in sorted(plist.versions, key=lambda v: (v.effective_from, v.number)):
            query = select(ProductListModel).where(ProductListModel.version_id == version.id)
            if models is not None:
                query = query.where(ProductListModel.normalized.in_(sorted(models)))
            rows = {m.normalized: {k: Decimal(v) for k, v in m.attributes.items()} for m in session.scalars(query)}
            versions.append((version.effective_from, rows))
        out[plist.code] = rules.ProductList(plist.code, tuple(versions))
    return out


def referenced_lists(program: RebateProgram) -> set[str]:
    return {m["qualified_products"] for v in program.versions for m in v.measures if m.get("qualified_products")}


# --- The quote --------------------------------------------------------------------------------

class QuoteRefused(Invalid):
    """A request naming something that does not exist; the message starts with the field."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}", fields={field_name: [message]})
        self.field = field_name


def find_quotable(session: Session, code: str) -> RebateProgram:
    program = session.scalar(select(RebateProgram).where(RebateProgram.code == (code or "").strip().upper())
                             .options(selectinload(RebateProgram.versions)))
    if program is None:
        raise QuoteRefused("program", f"no rebate program {code}")
    if not program.enabled:
        raise QuoteRefused("program", f"rebate program {program.code} is switched off (no quotes or applications)")
    return program


_ABBREVIATIONS = {"STREET": "ST", "AVENUE": "AVE", "ROAD": "RD", "DRIVE": "DR", "BOULEVARD": "BLVD", "LANE": "LN",
                  "COURT": "CT", "PLACE": "PL", "NORTH": "N", "SOUTH": "S", "EAST": "E", "WEST": "W",
                  "APARTMENT": "APT", "SUITE": "STE", "TERRACE": "TER", "PARKWAY": "PKWY", "HIGHWAY": "HWY"}


def premise_of(account: Account) -> str:
    """The account's normalized service address: limits per home follow it across owners and accounts."""
    words = re.sub(r"[^A-Z0-9 ]", " ", f"{account.service_address} {account.zip[:5]}".upper()).split()
    return " ".join(_ABBREVIATIONS.get(word, word) for word in words)


def history(session: Session, program: RebateProgram, *, premise: str | None, account: str | None,
            customer: str | None, exclude_application: int | None = None) -> list[rules.Past]:
    """Units and amounts already rebated on the premise, account or customer, for the limits.

    The counted items of the premise's, account's and customer's other rebate applications in the
    program (never the one being quoted, `exclude_application`) that are approved (paid or not) or
    submitted and not yet decided, each item as a `rules.Past`: two open applications cannot both
    take the last unit a home may have.
    """
    from sqlalchemy import and_, or_

    from applications.models import Application
    from rebates.applications import UNDECIDED, RebateApplication, RebateItem

    who = []
    if premise:
        who.append(RebateApplication.premise == premise)
    if account:
        who.append(Account.number == account)
    if customer and str(customer).isdigit():
        who.append(Application.applicant_id == int(customer))
    if not who:
        return []
    query = (select(RebateItem, RebateApplication.premise, Account.number, Application.applicant_id)
             .join(RebateApplication, RebateApplication.application_id == RebateItem.application_id)
             .join(Application, Application.id == RebateApplication.application_id)
             .join(Account, Account.id == Application.account_id)
             .where(RebateApplication.program_id == program.id, RebateItem.counted_quantity > 0, or_(*who),
                    or_(RebateApplication.status == "approved",
                        and_(RebateApplication.status == "pending", Application.status.in_(UNDECIDED))))
             .order_by(RebateItem.id))
    if exclude_application is not None:
        query = query.where(Application.id != exclude_application)
    built = build_program(program) if program.versions else None
    out = []
    for item, item_premise, number, applicant_id in session.execute(query):
        dated_by = built.measure_dated_by(item.measure) if built else "purchased_on"
        out.append(rules.past_item(item.measure, item.counted_quantity, item.amount_cents, item.purchased_on,
                                   item.installed_on, dated_by, item_premise, number, str(applicant_id)))
    return out


@dataclass
class Filled:
    """What the database added to a request for a signed-in customer."""

    account: Account | None = None
    enrolled_in: frozenset[str] = frozenset()


def fill_for_customer(session: Session, program: RebateProgram, data: dict, user, linked: list[Account]) -> Filled:
    """A signed-in customer naming one of their linked accounts: premise, account, customer,
    enrolled_in and history come from the database, not from the request."""
    number = (data.get("account") or "").strip()
    account = next((a for a in linked if a.number == number), None)
    if account is None:
        return Filled()
    data["premise"] = premise_of(account)
    data["account"] = account.number
    data["customer"] = str(user.id)
    enrolled = frozenset(enrolled_programs(session, account.id, data["applied_on"]))
    data["enrolled_in"] = sorted(enrolled)
    data["history"] = history(session, program, premise=data["premise"], account=account.number,
                              customer=data["customer"])
    return Filled(account, enrolled)


def to_request(program: RebateProgram, data: dict) -> rules.Request:
    """A loaded quote request (amounts in cents) as the pure rules' request."""
    built_history = []
    dated_by = {}
    for past in data.get("history") or ():
        if isinstance(past, rules.Past):
            built_history.append(past)
            continue
        measure = past["measure"]
        if measure not in dated_by:
            dated_by[measure] = build_program(program).measure_dated_by(measure) if program.versions else "purchased_on"
        built_history.append(rules.past_item(measure, past["quantity"], past["amount"], past["purchased_on"],
                                             past.get("installed_on"), dated_by[measure], past.get("premise"),
                                             past.get("account"), past.get("customer")))
    items = tuple(rules.Item(
        measure=i["measure"], quantity=i["quantity"], purchased_on=i["purchased_on"], installed_on=i.get("installed_on"),
        model=i.get("model"), price_cents=i.get("price", 0), tax_cents=i.get("tax", 0), labor_cents=i.get("labor", 0),
        delivery_cents=i.get("delivery", 0), discounts_cents=i.get("discounts", 0),
        attributes=i.get("attributes") or {}) for i in data["items"])
    return rules.Request(program=program.code, applied_on=data["applied_on"], items=items,
                         premise=data.get("premise"), account=data.get("account"), customer=data.get("customer"),
                         enrolled_in=frozenset(data.get("enrolled_in") or ()), reserved_cents=data.get("reserved"),
                         history=tuple(built_history))


def quote(session: Session, program: RebateProgram, data: dict) -> rules.Quote:
    built = build_program(program)
    request = to_request(program, data)
    models = {rules.normalize_model(item.model) for item in request.items if item.model}
    return rules.quote(built, request, product_lists(session, referenced_lists(program), models))


def measure_names(program: RebateProgram, language: str) -> dict[str, str]:
    names: dict[str, str] = {}
    for version in program.versions:
        for m in version.measures:
            names[m["code"]] = m["name"].get(language) or m["name"]["en"]
    return names


def answer(program: RebateProgram, result: rules.Quote, language: str) -> dict:
    """The quote as the API and the command print it."""
    from rebates import explain

    names = measure_names(program, language)
    return {"program": result.program, "applied_on": result.applied_on.isoformat(),
            "amount_cents": result.amount_cents,
            "items": [{"measure": i.measure, "quantity": i.quantity, "counted_quantity": i.counted_quantity,
                       "amount_cents": i.amount_cents, "eligible_cost_cents": i.eligible_cost_cents,
                       "rule_version": i.rule_version, "reasons": list(i.reasons),
                       "explanation": explain.render(i.trace, language, names.get(i.measure, i.measure), i.unit)}
                      for i in result.items]}


# --- Product lists ----------------------------------------------------------------------------

def get_list(session: Session, code: str) -> ProductList:
    plist = session.scalar(select(ProductList).where(ProductList.code == (code or "").strip().upper())
                           .options(selectinload(ProductList.versions)))
    if plist is None:
        raise NotFound(_("No such product list."))
    return plist


def all_lists(session: Session) -> list[ProductList]:
    return list(session.scalars(select(ProductList).options(selectinload(ProductList.versions)).order_by(ProductList.code)))


def list_models(session: Session, version: ProductListVersion, limit: int = 200) -> list[ProductListModel]:
    return list(session.scalars(select(ProductListModel).where(ProductListModel.version_id == version.id)
                                .order_by(ProductListModel.brand, ProductListModel.model_number).limit(limit)))
