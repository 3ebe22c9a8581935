"""Programs as stored data: the shipped reference data, loading files, versions never edited."""
from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DatabaseError

from core.audit import AuditRecord
from eligibility import definitions, service
from eligibility.definitions import DefinitionError
from eligibility.models import GuidelineTable, Program, ProgramVersion
from tests.eligibility.helpers import household

SHIPPED = {"CARE": 3, "FERA": 3, "EZSAVE": 3, "LIHEAP-CA": 1, "SEATTLE-UDP": 1}


def test_the_migrations_ship_every_program_and_version_switched_on(db_session):
    programs = {p.code: p for p in db_session.scalars(select(Program))}
    for code, count in SHIPPED.items():
        assert programs[code].enabled and not programs[code].example
        assert len(programs[code].versions) == count
        assert all(v.source for v in programs[code].versions)
    codes = set(db_session.scalars(select(GuidelineTable.code)))
    assert {f"HHS-{y}-{r}" for y in (2024, 2025, 2026) for r in ("48", "AK", "HI")} <= codes
    alaska = db_session.scalar(select(GuidelineTable).where(GuidelineTable.code == "HHS-2025-AK"))
    assert (alaska.amounts_cents, alaska.per_added_cents) == ([1_955_000], 688_000)


def test_the_database_decides_like_the_files(db_session):
    catalog = service.catalog(db_session)
    result = catalog.determine("CARE", household(4, 6_430_000), (), date(2025, 6, 1))
    assert result.eligible and result.rule_version == "CARE.v2" and result.limit_cents == 6_430_000


def test_rule_versions_cannot_be_edited_or_deleted(db_session):
    version_id = db_session.scalar(select(ProgramVersion.id).limit(1))
    with pytest.raises(DatabaseError):
        with db_session.begin_nested():
            db_session.execute(update(ProgramVersion).where(ProgramVersion.id == version_id).values(label="changed"))
    with pytest.raises(DatabaseError):
        with db_session.begin_nested():
            db_session.execute(text("DELETE FROM guideline_tables"))


def _file(tmp_path, document) -> str:
    path = tmp_path / "programs.json"
    path.write_text(json.dumps(document))
    return str(path)


def _care_next_year() -> dict:
    document = json.loads((definitions.DATA / "programs.json").read_text())
    care = next(p for p in document["programs"] if p["code"] == "CARE")
    version = dict(care["versions"][-1], label="2027-28", effective_from="2027-06-01", effective_to="2028-05-31",
                   limit={"kind": "guideline_percent", "guideline": "HHS-2027-48", "percent": "200"})
    care["versions"] = [version]
    return {"guidelines": [{"code": "HHS-2027-48", "name": "HHS poverty guidelines 2027 (test figures)",
                            "kind": "poverty_guideline", "region": "48 states and DC", "year": 2027,
                            "period": "annual", "amounts": ["16300"], "per_added": "5800",
                            "effective_from": "2027-01-15", "source": "test"}],
            "programs": [care]}


def test_loading_a_file_adds_a_new_version_once(app, db_session, tmp_path):
    runner = app.test_cli_runner()
    path = _file(tmp_path, _care_next_year())
    first = runner.invoke(args=["programs", "load", path])
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["versions_added"] == ["CARE.v4"]
    again = runner.invoke(args=["programs", "load", path])
    assert json.loads(again.output)["versions_added"] == [] and json.loads(again.output)["versions_unchanged"] == 1
    result = service.catalog(db_session).determine("CARE", household(3), (), date(2027, 7, 1))
    assert result.rule_version == "CARE.v4" and result.limit_cents == 2 * (1_630_000 + 2 * 580_000)
    assert db_session.scalar(select(func.count()).select_from(AuditRecord)
                             .where(AuditRecord.action == "program.version_added",
                                    AuditRecord.object_id == "CARE.v4")) == 1


def test_a_guideline_table_is_not_reloaded_with_other_figures(app, db_session, tmp_path):
    document = json.loads((definitions.DATA / "hhs_poverty_guidelines.json").read_text())
    document["guidelines"] = [dict(document["guidelines"][0], per_added="1.00")]
    result = app.test_cli_runner().invoke(args=["programs", "load", _file(tmp_path, document)])
    assert result.exit_code == 1
    assert "already loaded with different figures" in result.output


@pytest.mark.parametrize("change, problem", [
    (lambda v: v.update(effective_to="2020-01-01"), "effective_to: The end date is before the start date."),
    (lambda v: v["limit"].update(guideline="HHS-1999-48"), "guideline table HHS-1999-48 is not loaded"),
    (lambda v: v.update(categorical=["SNAP", "FOOD"]), "categorical.1: Must be one of"),
    (lambda v: v["limit"].pop("percent"), "limit.percent: A guideline_percent limit needs percent."),
    (lambda v: v["benefit"].update(amount=12.345, kind="monthly_credit"), "benefit.amount"),
])
def test_a_bad_definition_is_refused_whole_with_where_and_why(app, db_session, tmp_path, change, problem):
    document = _care_next_year()
    document["guidelines"] = []
    document["programs"][0]["versions"][0]["limit"]["guideline"] = "HHS-2026-48"
    change(document["programs"][0]["versions"][0])
    before = db_session.scalar(select(func.count()).select_from(ProgramVersion))
    result = app.test_cli_runner().invoke(args=["programs", "load", _file(tmp_path, document)])
    assert result.exit_code == 1 and problem in result.output
    assert db_session.scalar(select(func.count()).select_from(ProgramVersion)) == before


def test_stored_rules_turn_back_into_the_same_rules():
    for document in definitions.shipped() + [definitions.example()]:
        for program in document["programs"]:
            for version in program["versions"]:
                fields = {k: version[k] for k in ("label", "source", "note")}
                fields.update(effective_from=version["effective_from"].isoformat(),
                              effective_to=version["effective_to"].isoformat() if version["effective_to"] else None)
                again = definitions.parse_version(fields, definitions.to_file_rules(version["rules"]))
                assert again["rules"] == version["rules"]


def test_a_file_that_is_not_json_says_where(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"programs": [')
    with pytest.raises(DefinitionError) as caught:
        definitions.read_file(path)
    assert "line 1" in str(caught.value)
