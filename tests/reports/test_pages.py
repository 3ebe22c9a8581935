"""Who sees what: managers their programs (every program when they manage none), admins all, CSRs nothing;
the dashboard, its lists and CSVs; managers assigned on the program's page."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core.audit import AuditRecord
from tests.conftest import login, post_form
from tests.factories import make_user
from tests.reports.seed import seed

PAGES = ["/staff/dashboard", "/staff/dashboard/programs.csv", "/staff/dashboard/months.csv",
         "/staff/dashboard/pending.csv", "/staff/dashboard/list?figure=enrolled", "/staff/reports"]


@pytest.fixture
def world(db_session, clock):
    from datetime import datetime, timezone

    clock.freeze(datetime(2026, 5, 20, 18, 0, tzinfo=timezone.utc))
    return seed(db_session)


def _assign(db_session, manager, code):
    from reports import queries, service

    program = queries.programs(db_session, [code])[0]
    service.assign_manager(db_session, program.id, code, manager.id)
    db_session.flush()


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("role, status", [("csr", 403), ("customer", 403), ("manager", 200), ("admin", 200)])
def test_pages_by_role(client, db_session, world, path, role, status):
    user = make_user(db_session, role)
    login(client, user.email)
    assert client.get(path).status_code == status


def test_a_visitor_is_sent_to_sign_in(client, db_session, world):
    assert client.get("/staff/dashboard").status_code in (302, 401)


def test_a_manager_lands_on_the_dashboard(client, db_session, world):
    manager = make_user(db_session, "manager")
    response = login(client, manager.email)
    assert response.location == "/staff/dashboard"


def test_the_dashboard_shows_this_month_and_the_year_for_the_managers_programs(client, db_session, world):
    manager = make_user(db_session, "manager")
    _assign(db_session, manager, "CARE")
    login(client, manager.email)
    page = client.get("/staff/dashboard").get_data(as_text=True)
    assert "Programs: CARE." in page and "FERA" not in page
    assert "<svg" in page and "<title id=\"enrolled-chart-title\">" in page and "<desc" in page
    assert 'href="/staff/dashboard/list?figure=enrolled&amp;program=CARE"' in page
    csv = client.get("/staff/dashboard/programs.csv").get_data(as_text=True).splitlines()
    assert csv[0].startswith("Program,Enrolled today,New this month")
    # On May 20: one of the three old enrollments left (one expired in April, one removed on May 15) + Feb, Mar, Apr
    rows = [line.split(",") for line in csv[1:]]
    assert [r[0] for r in rows] == ["CARE"]
    listing = client.get("/staff/dashboard/list?figure=enrolled&program=CARE").get_data(as_text=True)
    assert listing.count('href="/staff/accounts/') == int(rows[0][1]) == 4
    assert "T00000TEST" not in listing
    assert client.get("/staff/dashboard/list?figure=enrolled&program=FERA").status_code == 404
    assert client.get("/staff/dashboard/nope.csv").status_code == 404
    record = db_session.scalars(select(AuditRecord).where(AuditRecord.action == "report.exported.dashboard.programs")).all()
    assert record and record[-1].details["parameters"]["programs"] == ["CARE"]


def test_a_manager_of_one_program_may_not_report_on_another(client, db_session, world):
    manager = make_user(db_session, "manager")
    _assign(db_session, manager, "CARE")
    login(client, manager.email)
    page = client.get("/staff/reports").get_data(as_text=True)
    assert 'value="CARE"' in page and 'value="FERA"' not in page
    response = post_form(client, "/staff/reports/participation", {"from": "2026-01-01", "to": "2026-06-30",
                                                                  "programs": "FERA"}, token_from="/staff/reports")
    assert response.status_code == 403


def test_admins_assign_managers_on_the_program_page(client, db_session, world):
    from reports import service

    admin, manager = make_user(db_session, "admin"), make_user(db_session, "manager")
    login(client, admin.email)
    page = client.get("/staff/programs/FERA").get_data(as_text=True)
    assert 'id="managers"' in page and manager.email in page
    response = post_form(client, "/staff/programs/FERA/managers", {"user_id": str(manager.id)},
                         token_from="/staff/programs/FERA")
    assert response.status_code == 302
    assert [p.code for p in service.visible_programs(db_session, manager)] == ["FERA"]
    assert db_session.scalars(select(AuditRecord).where(AuditRecord.action == "program.manager_assigned")).all()
    post_form(client, "/staff/programs/FERA/managers", {"user_id": str(manager.id), "action": "remove"},
              token_from="/staff/programs/FERA")
    assert len(service.visible_programs(db_session, manager)) > 1  # back to every program


def test_managers_may_not_assign_managers(client, db_session, world):
    manager = make_user(db_session, "manager")
    login(client, manager.email)
    page = client.get("/staff/programs/CARE").get_data(as_text=True)
    assert "Assign a manager" not in page
    response = post_form(client, "/staff/programs/CARE/managers", {"user_id": str(manager.id)},
                         token_from="/staff/programs/CARE")
    assert response.status_code == 403
