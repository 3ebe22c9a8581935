"""Migration 0021 carries a populated database to the new house and back: the assistance columns
to their own table and back, notices to their account, on SQLite and PostgreSQL alike."""
from __future__ import annotations

import json

from sqlalchemy import text

from tests.factories import link, make_account, make_enrollment, make_user


def _populate(session):
    """An approved application with its enrollment, a verification request about that enrollment, an
    application letter, and a letter about the enrollment alone (as the daily job writes them)."""
    from applications.models import Application
    from core import clock
    from eligibility.assistance.models import ApplicationProgram, AssistanceApplication
    from notices.models import Notice

    customer = make_user(session, "customer")
    account = make_account(session, zip_code="94110")
    link(session, customer, account)
    other = make_account(session, zip_code="94501")
    enrollment = make_enrollment(session, account=account, applicant=customer)
    first = session.get(Application, enrollment.application_id)
    now = clock.now()
    verification = Application(account_id=account.id, applicant_id=customer.id, started_by_id=customer.id,
                               kind="assistance", status="needs_info", language="es", submitted_at=now,
                               submitted_on=now.date(), created_at=now, updated_at=now)
    verification.assistance = AssistanceApplication(household={"members": [{"age": 70, "name": "Ana"}]},
                                                    categorical=["SNAP"], purpose="verification",
                                                    enrollment_id=enrollment.id)
    verification.programs = [ApplicationProgram(program_id=enrollment.program_id, status="pending")]
    session.add(verification)
    session.flush()
    session.add_all([
        Notice(account_id=account.id, application_id=first.id, kind="approval", language="en", subject="s",
               body="b", created_at=now),
        Notice(account_id=account.id, enrollment_id=enrollment.id, kind="recert_reminder", language="es",
               subject="s", body="b", created_at=now, delivery="post")])
    session.flush()
    return {"first": first.id, "verification": verification.id, "enrollment": enrollment.id, "account": account.id,
            "other": other.id}


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def test_the_kinds_migration_carries_a_populated_database_down_and_up(fresh_owner_database_url):
    from alembic import command

    from app import create_app
    from core.cli import alembic_config
    from core.database import db
    from tests.conftest import test_config

    app = create_app(test_config(fresh_owner_database_url))
    with app.app_context():
        ids = _populate(db.session())
        db.session.commit()
    cfg = alembic_config(app)
    engine = db.engine(app)

    command.downgrade(cfg, "0020")
    with engine.connect() as conn:
        rows = {r.id: r for r in conn.execute(text(
            "SELECT id, household, categorical, purpose, enrollment_id FROM applications ORDER BY id"))}
        assert rows[ids["first"]].purpose == "new" and rows[ids["first"]].enrollment_id is None
        assert _json(rows[ids["first"]].household)["members"][0]["name"] == "Rosa Diaz"
        assert rows[ids["verification"]].purpose == "verification"
        assert rows[ids["verification"]].enrollment_id == ids["enrollment"]
        assert _json(rows[ids["verification"]].categorical) == ["SNAP"]
        assert conn.execute(text("SELECT count(*) FROM notices")).scalar() == 2
        tables = set(engine.dialect.get_table_names(conn))
        assert "assistance_applications" not in tables

    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        details = {r.application_id: r for r in conn.execute(text(
            "SELECT application_id, household, categorical, purpose, enrollment_id FROM assistance_applications"))}
        assert set(details) == {ids["first"], ids["verification"]}
        assert details[ids["verification"]].purpose == "verification"
        assert details[ids["verification"]].enrollment_id == ids["enrollment"]
        assert _json(details[ids["verification"]].household) == {"members": [{"age": 70, "name": "Ana"}]}
        assert {r.kind for r in conn.execute(text("SELECT kind FROM applications"))} == {"assistance"}
        # Both letters belong to the account: the application's, and the enrollment's for the other.
        assert [r.account_id for r in conn.execute(text("SELECT account_id FROM notices ORDER BY id"))] == \
            [ids["account"], ids["account"]]
        if engine.dialect.name == "sqlite":
            assert conn.execute(text("PRAGMA foreign_key_check")).fetchall() == []
            waiting = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'ix_applications_waiting'")).scalar()
            assert "WHERE" in waiting  # still the partial index the queue pages by
    with app.app_context():
        from applications.models import Application

        application = db.session.get(Application, ids["verification"])
        assert application.assistance.enrollment_id == ids["enrollment"] and application.programs
    engine.dispose()
