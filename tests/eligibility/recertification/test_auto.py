"""`enrollments auto FILE`: a partner agency's list enrolls accounts, with a letter and an opt-out link."""
from __future__ import annotations

import csv
import json
import re
from datetime import date

import pytest
from sqlalchemy import select

from eligibility.enrollments.models import Enrollment
from notices.models import Notice
from tests.applications.helpers import make_world
from tests.conftest import post_form
from tests.factories import make_account

HEADER = ["account_number", "program", "categorical_program", "agency_reference"]


@pytest.fixture
def world(app, db_session, clock):
    return make_world(app, db_session, clock)


def write(path, rows):
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def auto(app, path, *extra):
    return app.test_cli_runner().invoke(args=["enrollments", "auto", str(path), *extra])


def test_an_agency_file_enrolls_with_a_letter_and_the_auto_enrolled_period(world, app, db_session, tmp_path):
    seattle = make_account(db_session, zip_code="98101", city="Seattle")       # nobody has a login for it
    path = write(tmp_path / "snap.csv", [[world.account.number, "CARE", "SNAP", "CF-1001"],
                                         [seattle.number, "SEATTLE-UDP", "SNAP", "BF-2002"]])
    result = auto(app, path, "--agency", "County Social Services")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"rows": 2, "enrolled": 2, "already_enrolled": 0, "opted_out": 0}
    care = db_session.scalar(select(Enrollment).where(Enrollment.account_id == world.account.id))
    udp = db_session.scalar(select(Enrollment).where(Enrollment.account_id == seattle.id))
    assert (care.source, care.household_type, care.categorical, care.agency_reference) == (
        "auto", "auto_enrolled", "SNAP", "CF-1001")
    assert (care.certified_from, care.certified_to) == (date(2026, 11, 23), date(2028, 11, 22))   # CARE: 24 months
    assert udp.certified_to == date(2031, 11, 22)                        # Seattle: 5 years when auto-enrolled
    letter = db_session.scalar(select(Notice).where(Notice.enrollment_id == care.id))
    assert letter.kind == "auto_enrolled" and letter.delivery == "email"
    assert "County Social Services" in letter.body and "SNAP" in letter.body and "/enrollments/opt-out/" in letter.body
    posted = db_session.scalar(select(Notice).where(Notice.enrollment_id == udp.id))
    assert posted.delivery == "post" and posted.outbox_message_id is None   # no login: the letter is printed
    again = auto(app, path)
    assert json.loads(again.output) == {"rows": 2, "enrolled": 0, "already_enrolled": 2, "opted_out": 0}


def test_the_opt_out_link_ends_it_without_signing_in_and_a_later_file_respects_it(world, app, db_session, tmp_path):
    path = write(tmp_path / "snap.csv", [[world.account.number, "CARE", "SNAP", "CF-1001"]])
    assert auto(app, path).exit_code == 0
    enrollment = db_session.scalar(select(Enrollment).where(Enrollment.account_id == world.account.id))
    body = db_session.scalar(select(Notice).where(Notice.enrollment_id == enrollment.id)).body
    link = re.search(r"https?://\S+/enrollments/opt-out/\S+", body).group(0)
    page = link.split("://", 1)[1].split("/", 1)[1]
    client = app.test_client()
    assert client.get("/" + page).status_code == 200
    assert client.get("/enrollments/opt-out/forged.token").status_code == 404
    done = post_form(client, "/" + page, token_from="/" + page)
    assert done.status_code == 200 and "opted out" in done.get_data(as_text=True)
    db_session.refresh(enrollment)
    assert enrollment.status == "ended" and enrollment.opted_out_at is not None
    assert json.loads(auto(app, path).output)["opted_out"] == 1       # not enrolled again


def test_a_bad_file_enrolls_nobody_and_names_each_line(world, app, db_session, tmp_path):
    path = write(tmp_path / "bad.csv", [[world.account.number, "CARE", "SNAP", "CF-1"],
                                        ["NOPE", "CARE", "SNAP", "CF-2"],
                                        [world.account.number, "LIHEAP-CA", "BINGO", ""]])
    result = auto(app, path)
    assert result.exit_code == 1
    assert "line 3, account_number: no account 'NOPE'" in result.output
    assert "line 4, categorical_program" in result.output and "line 4, agency_reference" in result.output
    assert db_session.scalar(select(Enrollment).where(Enrollment.account_id == world.account.id)) is None
