"""Two submissions at the same moment that together would overspend: one is held, the other waits.

On a database of its own: two processes, and two connections in one process.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import date

from sqlalchemy import create_engine, text

from tests.conftest import ROOT, TEST_DOCUMENT_KEY, TEST_SECRET_KEY, test_config


def _setup(url: str) -> list[int]:
    from app import create_app
    from core.audit import Actor, acting_as
    from core.database import db
    from rebates import budgets
    from tests.rebates.helpers import make_application, make_program

    app = create_app(test_config(url))
    with app.app_context():
        acting_as(Actor(label="test"))
        session = db.session()
        program = make_program(session)
        budgets.set_budget(session, program, 2027, 10_000, "test")
        ids = [make_application(session).id for _ in range(2)]
        session.commit()
    db.engine(app).dispose()
    return ids


def _outcome(url: str) -> tuple[int, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        held = conn.execute(text("SELECT coalesce(sum(amount_cents), 0) FROM rebate_budget_entries "
                                 "WHERE kind = 'hold'")).scalar()
        waiting = conn.execute(text("SELECT count(*) FROM rebate_waitlist WHERE state = 'waiting'")).scalar()
    engine.dispose()
    return held, waiting


def test_two_processes_never_overspend(fresh_database_url, tmp_path):
    ids = _setup(fresh_database_url)
    go = tmp_path / "go"
    env = {**os.environ, "DATABASE_URL": fresh_database_url, "SECRET_KEY": TEST_SECRET_KEY,
           "DOCUMENT_KEY": TEST_DOCUMENT_KEY, "ASSIST_ENV": "test", "REDIS_URL": "", "MAIL_SERVER": "",
           "PYTHONPATH": str(ROOT)}
    workers = [subprocess.Popen([sys.executable, "-m", "tests.rebates.hold_worker", fresh_database_url, str(go),
                                 str(application_id), "6000"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for application_id in ids]
    import time

    time.sleep(3)   # both are started and waiting for the go file (a start-up slower than this only serializes them)
    go.write_text("go")
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert sorted(r["status"] for r in results) == ["held", "waitlisted"]
    assert [r["position"] for r in results if r["status"] == "waitlisted"] == [1]
    assert _outcome(fresh_database_url) == (6_000, 1)


def test_two_connections_never_overspend(fresh_database_url):
    """Two connections at once (row lock on PostgreSQL; on SQLite the second writer waits for the first)."""
    from app import create_app
    from core.audit import Actor, acting_as
    from core.database import db
    from rebates import budgets, service

    ids = _setup(fresh_database_url)
    app = create_app(test_config(fresh_database_url))
    barrier, results, errors = threading.Barrier(2), {}, []

    def submit(application_id: int) -> None:
        try:
            with app.app_context():
                acting_as(Actor(label=f"thread {application_id}"))
                session = db.session()
                program = service.get_program(session, "TEST-WATER")
                session.commit()
                barrier.wait(timeout=10)
                results[application_id] = budgets.hold(session, application_id, program, date(2026, 8, 1), 6_000)
                session.commit()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=submit, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    db.engine(app).dispose()
    assert errors == []
    assert sorted(r.status for r in results.values()) == ["held", "waitlisted"]
    assert _outcome(fresh_database_url) == (6_000, 1)
