"""`flask --app app eligibility check`: one line of JSON, or exit 2 with one line on stderr."""
from __future__ import annotations

import json

import pytest


def _check(app, *args):
    return app.test_cli_runner().invoke(args=["eligibility", "check", *args])


def test_check_prints_the_decision_as_one_line_of_json(app, db_session):
    result = _check(app, "--program", "CARE", "--household-size", "4", "--annual-income", "61200",
                    "--on", "2025-06-01")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0]) == {
        "program": "CARE", "on": "2025-06-01", "eligible": True, "tier": None, "limit_cents": 6430000,
        "income_cents": 6120000, "rule_version": "CARE.v2",
        "explanation": "Your household of 4 earns $61,200 a year. The limit for 4 people from June 1, 2025 is "
                       "$64,300. You qualify."}


def test_check_counts_categorical_enrollment(app, db_session):
    result = _check(app, "--program", "CARE", "--household-size", "2", "--annual-income", "99,000.00",
                    "--on", "2025-06-01", "--categorical", "snap,SSI")
    line = json.loads(result.stdout)
    assert line["eligible"] is True and "SNAP (CalFresh)" in line["explanation"]


def test_check_defaults_to_today(app, db_session, clock):
    from datetime import datetime, timezone

    clock.freeze(datetime(2026, 7, 2, 18, 0, tzinfo=timezone.utc))
    line = json.loads(_check(app, "--program", "EZSAVE", "--household-size", "3", "--annual-income", "1").stdout)
    assert line["on"] == "2026-07-02" and line["rule_version"] == "EZSAVE.v3" and line["limit_cents"] == 5464000


@pytest.mark.parametrize("args, message", [
    (["--program", "NOPE", "--household-size", "4", "--annual-income", "100"], "--program: no program 'NOPE'"),
    (["--program", "CARE", "--household-size", "four", "--annual-income", "100"], "--household-size"),
    (["--program", "CARE", "--household-size", "0", "--annual-income", "100"], "--household-size"),
    (["--program", "CARE", "--household-size", "4", "--annual-income", "12.345"], "--annual-income"),
    (["--program", "CARE", "--household-size", "4", "--annual-income", "-5"], "--annual-income"),
    (["--program", "CARE", "--household-size", "4", "--annual-income", "5", "--on", "2025-13-01"], "--on"),
    (["--program", "CARE", "--household-size", "4", "--annual-income", "5", "--categorical", "FOOD"], "--categorical"),
    (["--program", "SEATTLE-UDP", "--household-size", "4", "--annual-income", "5", "--on", "2020-01-01"], "--on"),
])
def test_bad_arguments_exit_2_with_one_line(app, db_session, args, message):
    result = _check(app, *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith(message)
