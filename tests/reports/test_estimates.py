"""`flask reports eligible-estimates load FILE`: checked like other loads, all or nothing."""
from __future__ import annotations

import json

from sqlalchemy import select

from reports.models import EligibleEstimate


def _load(app, tmp_path, data):
    path = tmp_path / "estimates.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return app.test_cli_runner().invoke(args=["reports", "eligible-estimates", "load", str(path)])


GOOD = {"source": "ACS 2023 5-year, households at or below 200% FPL (utility's estimate)", "estimates": [
    {"program": "CARE", "zip": "94501", "year": 2026, "households": 4210},
    {"program": "CARE", "zip": "94502", "year": 2026, "households": 1180}]}


def test_a_file_loads_and_a_second_load_replaces(app, db_session, tmp_path):
    first = _load(app, tmp_path, GOOD)
    assert first.exit_code == 0, first.output
    assert json.loads(first.output) == {"added": 2, "replaced": 0, "source": GOOD["source"]}
    again = _load(app, tmp_path, {**GOOD, "estimates": [{**GOOD["estimates"][0], "households": 4300}]})
    assert json.loads(again.output)["replaced"] == 1
    values = sorted(db_session.scalars(select(EligibleEstimate.households)))
    assert values == [1180, 4300]


def test_every_problem_is_named_and_nothing_loads(app, db_session, tmp_path):
    bad = {"source": "x", "estimates": [{"program": "CARE", "zip": "9450", "year": 2026, "households": -1},
                                        {"program": "NOPE", "zip": "94501", "year": 2026, "households": 3}]}
    result = _load(app, tmp_path, bad)
    assert result.exit_code != 0
    assert "estimates.0.zip" in result.output and "estimates.0.households" in result.output
    assert "source" in result.output and "nothing from the file was loaded" in result.output
    unknown = _load(app, tmp_path, {**GOOD, "estimates": [{**GOOD["estimates"][0], "program": "NOPE"}]})
    assert unknown.exit_code != 0 and "no such program NOPE" in unknown.output
    twice = _load(app, tmp_path, {**GOOD, "estimates": GOOD["estimates"] * 2})
    assert twice.exit_code != 0 and "appears more than once" in twice.output
    assert _load(app, tmp_path, "{not json").exit_code != 0
    assert db_session.scalars(select(EligibleEstimate)).all() == []
