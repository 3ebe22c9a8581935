"""One commit point: a command's or job's block commits once at its end and rolls back on error; a
request commits when its page answers and keeps nothing of a refused one."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.audit import AuditRecord


def _records(session, action: str) -> int:
    return session.scalar(select(func.count()).select_from(AuditRecord).where(AuditRecord.action == action))


def test_a_block_commits_once_at_its_end(app, db_session):
    from core import audit
    from core.unit_of_work import unit_of_work

    with unit_of_work(db_session):
        audit.record(db_session, "test.kept", object_type="thing", object_id=1)
    assert _records(db_session, "test.kept") == 1


def test_a_block_that_fails_keeps_nothing(app, db_session):
    from core import audit
    from core.unit_of_work import unit_of_work

    with pytest.raises(RuntimeError), unit_of_work(db_session):
        audit.record(db_session, "test.dropped", object_type="thing", object_id=1)
        db_session.flush()
        raise RuntimeError("the job failed")
    assert _records(db_session, "test.dropped") == 0


def test_a_refused_decision_on_the_page_changes_nothing(app, client, db_session, clock):
    """The page answers 422 naming the field, and nothing of the attempt is kept."""
    from applications.models import Application
    from tests.applications.helpers import make_world
    from tests.conftest import login, post_form

    world = make_world(app, db_session, clock)
    submitted = world.submitted()
    login(client, world.csr.email)
    page = f"/staff/applications/{submitted['id']}"
    refused = post_form(client, f"{page}/decision", {"decision": "deny", "program": "CARE", "reason": "",
                                                     "confirm_deny": "1"}, token_from=page)
    assert refused.status_code == 422 and 'id="reason-error-1"' in refused.get_data(as_text=True)
    application = db_session.get(Application, submitted["id"])
    db_session.refresh(application)
    assert application.status == "submitted" and application.assigned_to_id is None  # not even claimed
    assert [ap.status for ap in application.programs] == ["pending"]


def test_a_job_that_fails_leaves_nothing_half_written(app, db_session, monkeypatch):
    """The job runner commits once when a job returns; a job that raises after writing keeps none of it."""
    import uuid

    from core import jobs
    from tests.core import jobs_support

    monkeypatch.setitem(app.config, "JOBS_RAISE", False)  # as in production: the failure is logged
    failed, kept = uuid.uuid4().hex, uuid.uuid4().hex
    jobs.enqueue(jobs_support.write_then_fail, failed)
    jobs.enqueue(jobs_support.record_marker, kept)
    db_session.commit()  # both run in process after the commit
    markers = db_session.scalars(select(AuditRecord.object_id).where(AuditRecord.action == "test.job_ran",
                                                                     AuditRecord.object_id.in_([failed, kept])))
    assert list(markers) == [kept]
