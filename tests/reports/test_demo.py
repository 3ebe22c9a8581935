"""The demo's data are test records: no report counts them; the demo's own dashboard shows them, saying so."""
from __future__ import annotations

from sqlalchemy import func, select


def test_demo_data_are_test_records_kept_out_of_reports(app, db_session, monkeypatch):
    from accounts.models import Account
    from applications.models import Application
    from reports import queries
    from tests.conftest import login
    from tests.factories import make_user

    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert db_session.scalar(select(func.count()).select_from(Account).where(Account.test_record.is_(False))) == 0
    assert db_session.scalar(select(func.count()).select_from(Application)
                             .where(Application.test_record.is_(False))) == 0
    programs = queries.programs(db_session)
    today = app.extensions["assist.clock"].today()
    period = queries.Period(today.replace(month=1, day=1), today)
    assert sum(r.received for r in queries.figures(db_session, programs, period).summary) == 0
    with queries.including_test_records():
        assert sum(r.received for r in queries.figures(db_session, programs, period).summary) >= 3

    manager = make_user(db_session, "manager")
    client = app.test_client()
    login(client, manager.email)
    monkeypatch.setitem(app.config, "ASSIST_DEMO", True)
    page = client.get("/staff/dashboard").get_data(as_text=True)
    assert "includes the demo&#39;s test records" in page or "includes the demo's test records" in page
    csv = client.get("/staff/dashboard/programs.csv").get_data(as_text=True)
    assert any(line.split(",")[6] not in ("0", "Applications waiting") for line in csv.splitlines())
    monkeypatch.setitem(app.config, "ASSIST_DEMO", False)
    page = client.get("/staff/dashboard").get_data(as_text=True)
    assert "test records" not in page
