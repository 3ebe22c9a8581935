"""Background jobs: after the commit, in process without Redis, through RQ workers with it."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import create_engine, select, text

from tests.conftest import ROOT, TEST_DOCUMENT_KEY, TEST_REDIS_URL, TEST_SECRET_KEY, test_config
from tests.core import jobs_support

REDIS_URL = TEST_REDIS_URL


def _markers(session, marker):
    from core.audit import AuditRecord

    return session.scalars(select(AuditRecord).where(AuditRecord.action == "test.job_ran",
                                                     AuditRecord.object_id == marker)).all()


def test_a_job_runs_in_process_after_the_commit(app, db_session):
    from core import jobs

    marker = uuid.uuid4().hex
    jobs.enqueue(jobs_support.record_marker, marker, note="inline")
    assert _markers(db_session, marker) == []  # not before the commit
    db_session.commit()
    rows = _markers(db_session, marker)
    assert len(rows) == 1 and rows[0].reason == "inline"


def test_a_rolled_back_transaction_runs_no_job(app, db_session):
    from core import jobs

    marker = uuid.uuid4().hex
    jobs.enqueue(jobs_support.record_marker, marker)
    db_session.rollback()
    db_session.commit()
    assert _markers(db_session, marker) == []


def test_jobs_must_be_importable_functions(app, db_session):
    from core import jobs

    def local():
        return None

    with pytest.raises(ValueError, match="module-level"):
        jobs.enqueue(local)


def test_a_job_runs_through_a_real_rq_worker(fresh_database_url):
    from redis import Redis
    from rq import Queue

    from app import create_app
    from core import jobs
    from core.database import db

    queue = f"test-{uuid.uuid4().hex[:8]}"
    marker = uuid.uuid4().hex
    app = create_app(test_config(fresh_database_url, REDIS_URL=REDIS_URL))
    with app.app_context():
        jobs.enqueue(jobs_support.record_marker, marker, note="via rq", queue=queue)
        db.session.commit()  # hands the job to Redis, not run here
    redis = Redis.from_url(REDIS_URL)
    assert Queue(queue, connection=redis).count == 1
    engine = create_engine(fresh_database_url)
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM audit_records WHERE object_id = :m"), {"m": marker}).scalar()
    assert count == 0

    env = {**os.environ, "DATABASE_URL": fresh_database_url, "REDIS_URL": REDIS_URL,
           "SECRET_KEY": TEST_SECRET_KEY, "DOCUMENT_KEY": TEST_DOCUMENT_KEY, "ASSIST_ENV": "test"}
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "worker", "--burst", "--queue", queue],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT reason, actor_label FROM audit_records WHERE object_id = :m"),
                            {"m": marker}).all()
    engine.dispose()
    assert rows == [("via rq", "system")]
    assert Queue(queue, connection=redis).count == 0
    redis.close()
    db.engine(app).dispose()
    jobs_conn = app.extensions.get("assist.redis")
    if jobs_conn is not None:
        jobs_conn.close()


def test_the_worker_command_needs_redis(app):
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code != 0
    assert "REDIS_URL is not set" in result.output
