"""Print runs: letters for households nobody can email are taken for printing, each exactly once."""
from __future__ import annotations

import csv
import json

import pytest
from sqlalchemy import select

from core.audit import AuditRecord
from eligibility.enrollments.models import Enrollment
from notices.models import Notice
from tests.applications.helpers import make_world
from tests.conftest import login, post_form
from tests.factories import make_account


@pytest.fixture
def world(app, db_session, clock, tmp_path):
    """Three households without a login enrolled from an agency's file, and one whose customer signs in."""
    world = make_world(app, db_session, clock)
    world.posted = [make_account(db_session, zip_code=zip_code, customer_name=name)
                    for zip_code, name in (("94502", "Ana Ruiz"), ("94501", "Li Wei"), ("94501", "Sam Cole"))]
    path = tmp_path / "snap.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["account_number", "program", "categorical_program", "agency_reference"])
        for n, account in enumerate([world.account, *world.posted]):
            writer.writerow([account.number, "CARE", "SNAP", f"CF-{n}"])
    result = app.test_cli_runner().invoke(args=["enrollments", "auto", str(path)])
    assert result.exit_code == 0, result.output
    return world


def waiting(db_session) -> list[Notice]:
    return list(db_session.scalars(select(Notice).where(Notice.delivery == "post", Notice.print_run_id.is_(None))))


def test_a_print_run_takes_every_post_letter_once_in_zip_order(world, client, db_session):
    assert len(waiting(db_session)) == 3
    login(client, world.csr.email)
    page = client.get("/staff/letters").get_data(as_text=True)
    assert "3 letters are waiting" in page and "Automatic enrollment: 3" in page

    started = post_form(client, "/staff/letters/runs", token_from="/staff/letters")
    assert started.status_code == 302
    run_page = client.get(started.headers["Location"]).get_data(as_text=True)
    names = [run_page.index(name) for name in ("Li Wei", "Sam Cole", "Ana Ruiz")]
    assert names == sorted(names)                           # 94501 before 94502, then by account
    assert "Rosa Diaz" not in run_page                      # her letter went by email
    assert "/enrollments/opt-out/" in run_page and "3 letters, taken" in run_page
    assert waiting(db_session) == []

    again = post_form(client, "/staff/letters/runs", token_from="/staff/letters", follow_redirects=True)
    assert "No letters are waiting to be printed." in again.get_data(as_text=True)
    runs = db_session.scalars(select(AuditRecord).where(AuditRecord.action == "letters.print_run")).all()
    assert len(runs) == 1 and runs[0].details["letters"] == 3 and runs[0].actor_id == world.csr.id


def test_letters_written_after_a_run_wait_for_the_next_one(world, app, db_session, tmp_path):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["letters", "print", "--out", str(tmp_path / "run1.html")])
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["letters"] == 3
    written = (tmp_path / "run1.html").read_text()
    assert written.count('<article class="assist-letter"') == 3 and "Li Wei" in written

    enrollment = db_session.scalar(select(Enrollment).where(Enrollment.account_id == world.posted[0].id))
    from eligibility.enrollments import service as enrollments

    with app.test_request_context():
        enrollments.end(db_session, enrollment, "ended", "Moved out of the service area.")
    db_session.flush()
    second = runner.invoke(args=["letters", "print"])
    assert json.loads(second.output)["letters"] == 1
    nothing = runner.invoke(args=["letters", "print"])
    assert nothing.exit_code == 0 and "No letters are waiting to be printed." in nothing.output

    reprint = runner.invoke(args=["letters", "print", "--run", str(json.loads(first.output)["print_run"]),
                                  "--out", str(tmp_path / "again.html")])
    assert reprint.exit_code == 0 and (tmp_path / "again.html").read_text().count('<article class="assist-letter"') == 3


def test_customers_cannot_see_or_start_print_runs(world, client, db_session):
    login(client, world.customer.email)
    assert client.get("/staff/letters").status_code == 403
    assert post_form(client, "/staff/letters/runs", token_from="/").status_code == 403
    assert len(waiting(db_session)) == 3
