"""`rebates load`: validated whole, named by place, nothing applied when one is wrong, idempotent."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DatabaseError

from rebates import definitions
from rebates.models import RebateProgram, RebateProgramVersion
from tests.rebates.helpers import changed, example_document, small_program, write


def _load(app, path):
    return app.test_cli_runner().invoke(args=["rebates", "load", path])


def _versions(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(RebateProgramVersion))


def test_the_shipped_example_parses_and_is_marked_as_an_example():
    parsed = definitions.example()
    program = parsed["programs"][0]
    assert program["example"] is True
    codes = {m["code"] for m in program["versions"][0]["measures"]}
    assert {"TOILET", "CLOTHES_WASHER", "SMART_CONTROLLER", "ROTATING_NOZZLE", "RAIN_BARREL", "CISTERN", "TURF",
            "POOL_COVER"} <= codes
    assert all(v["source"] for v in program["versions"])


def test_loading_twice_changes_nothing_and_an_example_stays_off(app, db_session, tmp_path):
    path = write(tmp_path, example_document())
    first = _load(app, path)
    assert first.exit_code == 0, first.output
    assert '"versions_added": ["EXAMPLE-WATER.v1", "EXAMPLE-WATER.v2", "EXAMPLE-WATER.v3"]' in first.stdout
    again = _load(app, path)
    assert again.exit_code == 0
    assert '"versions_added": []' in again.stdout and '"versions_unchanged": 3' in again.stdout
    program = db_session.scalar(select(RebateProgram).where(RebateProgram.code == "EXAMPLE-WATER"))
    assert program.example and not program.enabled


def test_a_real_program_is_switched_on(app, db_session, tmp_path):
    assert _load(app, write(tmp_path, small_program())).exit_code == 0
    assert db_session.scalar(select(RebateProgram.enabled).where(RebateProgram.code == "TEST-WATER")) is True


def test_a_changed_version_with_new_dates_is_added_after_the_old(app, db_session, tmp_path):
    assert _load(app, write(tmp_path, small_program())).exit_code == 0
    document = small_program()
    document["programs"][0]["versions"].append({
        "label": "2027", "effective_from": "2027-01-01", "source": "test",
        "measures": [dict(document["programs"][0]["versions"][0]["measures"][0],
                          amount={"kind": "per_unit", "amount": "75.00"})]})
    result = _load(app, write(tmp_path, document))
    assert result.exit_code == 0, result.output
    assert '"versions_added": ["TEST-WATER.v2"]' in result.stdout


def test_a_changed_version_overlapping_the_old_is_refused(app, db_session, tmp_path):
    assert _load(app, write(tmp_path, small_program())).exit_code == 0
    document = changed(small_program(), lambda d: d["programs"][0]["versions"][0]["measures"][0]["amount"].update(
        amount="90.00"))
    before = _versions(db_session)
    result = _load(app, write(tmp_path, document))
    assert result.exit_code == 1
    assert "programs[0].versions[0]: its dates overlap v1 (2026-01-01 to open)" in result.stderr
    assert _versions(db_session) == before


def _bad(path_edit):
    return changed(example_document(), path_edit)


def _measure(d, i=0):
    return d["programs"][0]["versions"][0]["measures"][i]


BAD = [
    (lambda d: _measure(d)["amount"].update(kind="per_banana"),
     'programs[0].versions[0].measures[0].amount.kind: unknown kind "per_banana"'),
    (lambda d: _measure(d, 1)["amount"].update(amount=85),
     "programs[0].versions[0].measures[1].amount.amount: 85 is not dollars as text"),
    (lambda d: _measure(d).update(unit="acre"), 'programs[0].versions[0].measures[0].unit: unknown unit "acre"'),
    (lambda d: _measure(d).update(dated_by="delivered_on"), "programs[0].versions[0].measures[0].dated_by: unknown date"),
    (lambda d: _measure(d)["limits"][0].update(scope="street"),
     'programs[0].versions[0].measures[0].limits[0].scope: unknown scope "street"'),
    (lambda d: _measure(d)["limits"][0].update(max_amount="10.00"),
     "programs[0].versions[0].measures[0].limits[0]: give either max_units or max_amount"),
    (lambda d: _measure(d)["limits"][0].update(fiscal_year=True),
     "programs[0].versions[0].measures[0].limits[0]: give either years or fiscal_year, not both"),
    (lambda d: _measure(d)["limits"][0].update(measures=["PONY"]),
     "programs[0].versions[0].measures[0].limits[0].measures[0]: PONY is not a measure of this version"),
    (lambda d: _measure(d, 3).update(quantity={"min": 1.5}),
     "programs[0].versions[0].measures[3].quantity.min: 1.5 is not a whole number"),
    (lambda d: _measure(d, 3).update(quantity={"min": 20, "max": 10}),
     "programs[0].versions[0].measures[3].quantity: min 20 is above max 10"),
    (lambda d: _measure(d).update(colour="white"), "programs[0].versions[0].measures[0].colour: unknown field"),
    (lambda d: _measure(d).pop("amount"), "programs[0].versions[0].measures[0].amount: missing"),
    (lambda d: _measure(d).update(apply_by="2026-02-30"), 'programs[0].versions[0].measures[0].apply_by: "2026-02-30" is not a date'),
    (lambda d: _measure(d)["conditions"][0].update(min="abc"),
     'programs[0].versions[0].measures[0].conditions[0].min: "abc" is not a decimal'),
    (lambda d: _measure(d).update(percent_of_cost_cap="2000"),
     'programs[0].versions[0].measures[0].percent_of_cost_cap: "2000" is over 1000 percent'),
    (lambda d: _measure(d, 5)["amount"]["bands"][0].update(min="600"),
     "programs[0].versions[0].measures[5].amount.bands[0]: min 600 is above max 499"),
    (lambda d: d["programs"][0]["versions"][0]["measures"].append(_measure(d)),
     "programs[0].versions[0].measures: TOILET appears more than once"),
    (lambda d: d["programs"][0]["versions"][1].update(effective_from="2026-03-31"),
     "programs[0].versions[1]: its dates overlap another version of the program"),
    (lambda d: d["programs"][0]["versions"][0].update(effective_to="2025-06-01"),
     "programs[0].versions[0].effective_to: 2025-06-01 is before effective_from 2025-07-01"),
    (lambda d: d["programs"][0].update(fiscal_year_starts="13-01"),
     'programs[0].fiscal_year_starts: "13-01" is not a month and day'),
    (lambda d: d["programs"][0].update(code="water rebates"), 'programs[0].code: "water rebates" is not a code'),
    (lambda d: d["programs"].append(d["programs"][0]), "programs: EXAMPLE-WATER appears more than once"),
    (lambda d: d["programs"][0]["name"].pop("es"), "programs[0].name.es: missing"),
]


@pytest.mark.parametrize("edit,problem", BAD, ids=[p.split(":")[0] + str(i) for i, (_e, p) in enumerate(BAD)])
def test_a_bad_definition_is_refused_whole_with_where_and_why(app, db_session, tmp_path, edit, problem):
    before = _versions(db_session)
    result = _load(app, write(tmp_path, _bad(edit)))
    assert result.exit_code == 1
    assert problem in result.stderr
    assert "nothing from the file was loaded" in result.stderr
    assert _versions(db_session) == before


def test_every_problem_is_named_at_once():
    document = _bad(lambda d: (_measure(d)["amount"].update(kind="per_banana"), _measure(d, 1).update(unit="acre")))
    with pytest.raises(definitions.DefinitionError) as caught:
        definitions.parse(document)
    assert len(caught.value.problems) == 2


def test_a_file_that_is_not_json_says_where(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"programs": [}')
    with pytest.raises(definitions.DefinitionError, match="x.json is not JSON: line 1"):
        definitions.read_file(path)


def test_rule_versions_cannot_be_edited_or_deleted(app, db_session, tmp_path):
    assert _load(app, write(tmp_path, small_program())).exit_code == 0
    version_id = db_session.scalar(select(RebateProgramVersion.id).limit(1))
    with pytest.raises(DatabaseError):
        with db_session.begin_nested():
            db_session.execute(update(RebateProgramVersion).where(RebateProgramVersion.id == version_id)
                               .values(label="changed"))
    with pytest.raises(DatabaseError):
        with db_session.begin_nested():
            db_session.execute(text("DELETE FROM rebate_program_versions"))


def test_stored_versions_build_the_same_rules_as_the_file(app, db_session, tmp_path):
    from rebates import service

    assert _load(app, write(tmp_path, example_document())).exit_code == 0
    program = service.get_program(db_session, "EXAMPLE-WATER")
    built = service.build_program(program)
    assert [v.id for v in built.versions] == ["EXAMPLE-WATER.v1", "EXAMPLE-WATER.v2", "EXAMPLE-WATER.v3"]
    assert built.versions[1].measures["TURF"].amount.per_unit == 500


def test_a_parsed_version_parses_again_to_itself():
    """The stored form (every default filled in) is what the new-version page starts from."""
    for version in definitions.example()["programs"][0]["versions"]:
        assert definitions.parse_version(version) == version
