"""The schema: migrations reach head and match the models; audit rows cannot be rewritten;
several processes can write to SQLite at once."""
from __future__ import annotations

import multiprocessing

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import DBAPIError


def test_migrated_database_matches_the_models(app, database_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from app import import_all_models
    from core.database import db

    with db.engine(app).connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, import_all_models())
        head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert diff == []
    from alembic.script import ScriptDirectory

    from core.cli import alembic_config

    assert head == ScriptDirectory.from_config(alembic_config(app)).get_current_head()


def test_migrations_go_down_and_up_again(fresh_owner_database_url):
    from alembic import command

    from app import create_app
    from core.cli import alembic_config
    from tests.conftest import test_config

    app = create_app(test_config(fresh_owner_database_url))
    cfg = alembic_config(app)
    command.downgrade(cfg, "base")
    command.upgrade(cfg, "head")
    from core.database import db

    with db.engine(app).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_records")).scalar() == 0
    db.engine(app).dispose()


def _audit_row(session):
    from core import audit

    entry = audit.record(session, "test.changed", object_type="thing", object_id=1, reason="because")
    session.flush()
    return entry


@pytest.mark.parametrize("statement", [
    "UPDATE audit_records SET reason = 'rewritten' WHERE id = :id",
    "DELETE FROM audit_records WHERE id = :id",
])
def test_audit_records_refuse_update_and_delete(db_session, statement):
    entry = _audit_row(db_session)
    savepoint = db_session.begin_nested()
    with pytest.raises(DBAPIError, match="append-only|permission denied"):
        db_session.execute(text(statement), {"id": entry.id})
    savepoint.rollback()
    reason = db_session.execute(text("SELECT reason FROM audit_records WHERE id = :id"), {"id": entry.id}).scalar()
    assert reason == "because"


def test_audit_record_through_the_orm_cannot_be_edited(db_session):
    entry = _audit_row(db_session)
    savepoint = db_session.begin_nested()
    entry.reason = "edited"
    with pytest.raises(DBAPIError, match="append-only|permission denied"):
        db_session.flush()
    savepoint.rollback()


def _writer(url: str, worker: int, rows: int) -> None:
    from datetime import datetime, timezone

    from sqlalchemy.orm import Session

    from core.audit import AuditRecord
    from core.database import make_engine

    engine = make_engine(url)
    for n in range(rows):
        with Session(engine) as session:
            # Read, then write: the pattern that fails with "database is locked" under deferred locking.
            session.scalar(select(func.count()).select_from(AuditRecord))
            session.add(AuditRecord(occurred_at=datetime.now(timezone.utc), actor_label=f"worker {worker}",
                                    action="test.concurrent", details={"n": n}))
            session.commit()
    engine.dispose()


def test_several_processes_write_at_once_without_lock_errors(fresh_database_url):
    workers, rows = 4, 40
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(fresh_database_url, w, rows)) for w in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * workers
    engine = create_engine(fresh_database_url)
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM audit_records WHERE action = 'test.concurrent'")).scalar()
    engine.dispose()
    assert count == workers * rows


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(tmp_path):
    from core.database import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'settings.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    engine.dispose()
