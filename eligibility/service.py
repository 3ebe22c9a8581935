"""Programs as stored data: loading definitions, new versions, switching programs on and off,
and building the catalog the pure rules decide with.

Each function takes the caller's session and flushes; the request or command commits once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from core import audit, clock
from core.audit import current_actor
from core.errors import Invalid, NotFound
from eligibility import definitions
from eligibility.definitions import DefinitionError
from eligibility.models import GuidelineTable, Program, ProgramVersion
from eligibility.rules import Catalog, Determination, Household, ProgramRules


@dataclass
class LoadReport:
    guidelines_added: list[str] = field(default_factory=list)
    programs_added: list[str] = field(default_factory=list)
    programs_updated: list[str] = field(default_factory=list)
    versions_added: list[str] = field(default_factory=list)
    versions_unchanged: int = 0

    def as_dict(self) -> dict:
        return {"guidelines_added": self.guidelines_added, "programs_added": self.programs_added,
                "programs_updated": self.programs_updated, "versions_added": self.versions_added,
                "versions_unchanged": self.versions_unchanged}


def _same_version(row: ProgramVersion, version: dict) -> bool:
    return (row.label == version["label"] and row.effective_from == version["effective_from"]
            and row.effective_to == version["effective_to"]
            and definitions.canonical(definitions.with_defaults(row.rules))
            == definitions.canonical(definitions.with_defaults(version["rules"]))
            and row.source == version["source"])


def _guideline_fields(table: dict) -> dict:
    return {k: table[k] for k in ("name", "kind", "region", "year", "period", "amounts_cents", "per_added_cents",
                                  "effective_from", "source")}


def load_definitions(session: Session, parsed: dict) -> LoadReport:
    """Add a utility's guideline tables and programs; a changed version comes in as a new one.

    Loading the same file twice changes nothing. A guideline table is reference data: one with
    the same code and different numbers is refused (give the new table a new code).
    """
    actor = current_actor()
    now = clock.now()
    report = LoadReport()
    problems: list[str] = []
    tables = {t.code: t for t in session.scalars(select(GuidelineTable))}
    for table in parsed["guidelines"]:
        existing = tables.get(table["code"])
        if existing is None:
            row = GuidelineTable(code=table["code"], loaded_at=now, loaded_by_label=actor.label,
                                 **_guideline_fields(table))
            session.add(row)
            tables[row.code] = row
            report.guidelines_added.append(row.code)
        elif {k: getattr(existing, k) for k in _guideline_fields(table)} != _guideline_fields(table):
            problems.append(f"guidelines: {table['code']} is already loaded with different figures; "
                            "give the new table a new code")
    programs = {p.code: p for p in session.scalars(select(Program).options(selectinload(Program.versions)))}
    codes_known = set(programs) | {p["code"] for p in parsed["programs"]}
    for program in parsed["programs"]:
        for version in program["versions"]:
            guideline_codes, program_codes = definitions.references(version["rules"])
            problems += [f"programs: {program['code']} {version['label']}: guideline table {c} is not loaded"
                         for c in sorted(guideline_codes - set(tables))]
            problems += [f"programs: {program['code']} {version['label']}: program {c} is not defined"
                         for c in sorted(program_codes - codes_known)]
    if problems:
        raise DefinitionError(problems)

    for spec in parsed["programs"]:
        program = programs.get(spec["code"])
        attributes = {"kind": spec["kind"], "names": spec["name"], "descriptions": spec["description"],
                      "services": spec["services"], "example": spec["example"],
                      "service_area": spec["service_area"]}
        if program is None:
            program = Program(code=spec["code"], enabled=allowed(spec["code"]), created_at=now, updated_at=now,
                              **attributes)
            program.versions = []
            session.add(program)
            report.programs_added.append(program.code)
            audit.record(session, "program.created", obj=program, object_id=spec["code"],
                         details={"names": spec["name"]})
        elif any(getattr(program, k) != v for k, v in attributes.items()):
            for key, value in attributes.items():
                setattr(program, key, value)
            program.updated_at = now
            report.programs_updated.append(program.code)
            audit.record(session, "program.updated", obj=program, object_id=program.code,
                         reason="definitions loaded from a file")
        for version in spec["versions"]:
            if any(_same_version(row, version) for row in program.versions):
                report.versions_unchanged += 1
                continue
            row = _add_version(session, program, version, actor, now)
            report.versions_added.append(definitions.version_id(program.code, row.number))
    session.flush()
    return report


def _add_version(session: Session, program: Program, version: dict, actor, now) -> ProgramVersion:
    number = max((v.number for v in program.versions), default=0) + 1
    row = ProgramVersion(number=number, label=version["label"], effective_from=version["effective_from"],
                         effective_to=version["effective_to"], rules=version["rules"], source=version["source"],
                         note=version.get("note", ""), created_at=now, created_by_id=actor.user_id,
                         created_by_label=actor.label)
    program.versions.append(row)
    session.flush()
    audit.record(session, "program.version_added", obj=row,
                 object_id=definitions.version_id(program.code, number), reason=version.get("note") or None,
                 details={"program": program.code, "label": row.label,
                          "effective_from": row.effective_from.isoformat(),
                          "effective_to": row.effective_to.isoformat() if row.effective_to else None})
    return row


def get_program(session: Session, code: str) -> Program:
    program = session.scalar(select(Program).where(Program.code == (code or "").strip().upper())
                             .options(selectinload(Program.versions)))
    if program is None:
        raise NotFound(_("No such program."))
    return program


def list_programs(session: Session, *, versions: bool = True) -> list[Program]:
    """Every program by code; `versions=False` for a page that shows only codes and names (the
    queue's filter), which then skips loading every rule version."""
    query = select(Program).order_by(Program.code)
    if versions:
        query = query.options(selectinload(Program.versions))
    return list(session.scalars(query))


def add_version(session: Session, program: Program, version: dict) -> ProgramVersion:
    """A manager's new version, made from a copy of the current one; the rules were checked."""
    guideline_codes, program_codes = definitions.references(version["rules"])
    known_tables = set(session.scalars(select(GuidelineTable.code)))
    known_programs = set(session.scalars(select(Program.code)))
    missing = sorted(guideline_codes - known_tables)
    if missing:
        raise Invalid(_("Guideline table %(code)s is not loaded.", code=missing[0]))
    if program_codes - known_programs:
        raise Invalid(_("Program %(code)s does not exist.", code=sorted(program_codes - known_programs)[0]))
    if any(_same_version(row, version) for row in program.versions):
        raise Invalid(_("This version is the same as one the program already has."))
    if not (version.get("note") or "").strip():
        raise Invalid(_("Say why the rules change."), fields={"note": [_("Say why the rules change.")]})
    if version["effective_from"] < clock.today():
        message = _("A new version cannot start in the past: decisions already made used the rules then in effect.")
        raise Invalid(message, fields={"effective_from": [message]})
    return _add_version(session, program, version, current_actor(), clock.now())


# --- Which programs this deployment runs ------------------------------------------------------

def allowed(code: str) -> bool:
    """Whether the deployment's ASSIST_PROGRAMS setting lets the program be switched on (unset: every one)."""
    codes = current_app.config.get("ASSIST_PROGRAMS")
    return codes is None or code in codes


def examples_public() -> bool:
    """The demo's example programs reach the public only in the demo (ASSIST_DEMO); staff always see them."""
    return bool(current_app.config.get("ASSIST_DEMO"))


def apply_programs_setting(session: Session) -> list[str]:
    """Switch off every program ASSIST_PROGRAMS leaves out (run by `db upgrade`); the codes switched off.

    It never switches a program on: one a manager switched off stays off.
    """
    if current_app.config.get("ASSIST_PROGRAMS") is None:
        return []
    switched = []
    for program in list_programs(session):
        if program.enabled and not allowed(program.code):
            set_enabled(session, program, False, "not in the ASSIST_PROGRAMS setting")
            switched.append(program.code)
    return switched


def set_enabled(session: Session, program: Program, enabled: bool, reason: str) -> None:
    if enabled and not allowed(program.code):
        message = _("%(program)s is not among the programs this deployment runs (the ASSIST_PROGRAMS setting).",
                    program=program.code)
        raise Invalid(message, fields={"enabled": [message]})
    if program.enabled == enabled:
        return
    program.enabled = enabled
    program.updated_at = clock.now()
    audit.record(session, "program.switched_on" if enabled else "program.switched_off", obj=program,
                 object_id=program.code, reason=reason or None)
    session.flush()


def history(session: Session, program: Program) -> list[audit.AuditRecord]:
    """Who changed what about the program, newest first."""
    ids = [program.code] + [definitions.version_id(program.code, v.number) for v in program.versions]
    return list(session.scalars(select(audit.AuditRecord)
                                .where(audit.AuditRecord.object_type.in_(("programs", "program_versions")),
                                       audit.AuditRecord.object_id.in_(ids))
                                .order_by(audit.AuditRecord.occurred_at.desc(), audit.AuditRecord.id.desc())))


def guideline_tables(session: Session) -> dict[str, dict]:
    return {t.code: t.as_rules_table() for t in session.scalars(select(GuidelineTable))}


def catalog(session: Session, *, programs: list[Program] | None = None) -> Catalog:
    """Every program with every version, resolved into the pure rules."""
    tables = guideline_tables(session)
    rows = programs if programs is not None else list_programs(session)
    return Catalog(ProgramRules(
        code=p.code, enabled=p.enabled, example=p.example,
        versions=tuple(definitions.rule_version(p.code, v.number, v.effective_from, v.effective_to, v.rules, tables,
                                                v.label, p.service_area) for v in p.versions)) for p in rows)


@dataclass
class Screening:
    program: Program
    determination: Determination


def screen(session: Session, household: Household, categorical: list[str], on: date,
           zip_code: str | None) -> list[Screening]:
    """Every program open on the day that serves the ZIP code, with the likely answer for this household.

    The public asks this, so the demo's example programs are left out outside the demo.
    """
    rows = list_programs(session)
    by_code = {p.code: p for p in rows}
    decisions = catalog(session, programs=rows).screen(household, categorical, on, zip_code,
                                                       examples=examples_public())
    return [Screening(by_code[d.program], d) for d in decisions]


def offered(session: Session, on: date, zip_code: str | None, *, public: bool) -> list[Program]:
    """The programs a household at `zip_code` can apply for on the day: switched on, with rules in
    effect, serving the ZIP code; `public` (a customer) leaves the example programs out outside the demo.
    Real programs come first."""
    rows = list_programs(session)
    codes = set(catalog(session, programs=rows).open_programs(on, zip_code,
                                                              examples=not public or examples_public()))
    chosen = [p for p in rows if p.code in codes]
    return [p for p in chosen if not p.example] + [p for p in chosen if p.example]


def is_open(session: Session, code: str, on: date, *, public: bool) -> bool:
    """Switched on with rules on the day, wherever it is offered."""
    return code in catalog(session).open_programs(on, examples=not public or examples_public())


def version_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ProgramVersion)) or 0
