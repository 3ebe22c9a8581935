"""Parsing in the background never gets lost: the documented worker serves the documents queue, a
reader killed mid-file is read again, a worker lost with its job and an upload while Redis is down
are caught by the reconciliation, and the worker keeps its parser pool warm across jobs."""
from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.audit import AuditRecord
from documents.models import Document
from tests.conftest import (ROOT, TEST_DOCUMENT_KEY, TEST_REDIS_URL, TEST_SECRET_KEY, csrf_token, login,
                            test_config)
from tests.documents import fixtures as fx
from tests.factories import make_user

REDIS_URL = TEST_REDIS_URL
UNREACHABLE_REDIS = "redis://127.0.0.1:9/0"  # nothing listens on the discard port


def _transcript(agi: int) -> bytes:
    return fx.render(fx.tax_return_transcript(fx.Taxpayer(), {"wages": agi, "adjusted_gross_income": agi},
                                              fx.Style("legacy")))


# --- helpers for a real worker on a database of the test's own --------------------------------

def _clear_redis() -> None:
    from redis import Redis
    from rq import Queue

    from core import jobs

    redis = Redis.from_url(REDIS_URL)
    for name in jobs.QUEUES:
        Queue(name, connection=redis).empty()
    for key in redis.scan_iter("assist:periodic:*"):
        redis.delete(key)
    redis.close()


def _app(url: str, **extra):
    from app import create_app

    return create_app(test_config(url, REDIS_URL=REDIS_URL, **extra))


def _dispose(app) -> None:
    from core.database import db

    db.engine(app).dispose()
    conn = app.extensions.pop("assist.redis", None)
    if conn is not None:
        conn.close()


def _upload(app, data: bytes, name: str) -> int:
    from core.database import db
    from documents import service

    with app.app_context():
        user = make_user(db.session, "customer")
        document_id = service.upload(db.session, owner=user, uploaded_by=user, data=data, filename=name).document.id
        db.session.commit()
    return document_id


def _state(app, document_id: int) -> tuple[str, int, dict | None]:
    from core.database import db

    with app.app_context():
        document = db.session.get(Document, document_id)
        return document.status, document.parse_attempts, document.parse_result


def _worker(url: str, *args: str, **popen) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": REDIS_URL, "SECRET_KEY": TEST_SECRET_KEY,
           "DOCUMENT_KEY": TEST_DOCUMENT_KEY, "ASSIST_ENV": "test", "UPLOAD_DIR": test_config(url)["UPLOAD_DIR"]}
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "worker", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **popen)


def _burst(url: str) -> str:
    process = _worker(url, "--burst")
    output, _ = process.communicate(timeout=180)
    assert process.returncode == 0, output[-3000:]
    return output


# --- item 2: the documented worker serves every queue ------------------------------------------

def test_the_documented_worker_reads_an_uploaded_transcript(fresh_database_url):
    _clear_redis()
    app = _app(fresh_database_url)
    try:
        document_id = _upload(app, _transcript(3_121_250), "transcript.pdf")
        assert _state(app, document_id)[0] == "stored"  # queued, not read in the web process
        output = _burst(fresh_database_url)  # `flask --app app worker`, as the README says, with no --queue
        status, attempts, result = _state(app, document_id)
        assert (status, attempts) == ("parsed", 1), (result["problems"], output[-3000:])
        assert result["amounts_cents"]["adjusted_gross_income"] == 3_121_250
    finally:
        _dispose(app)


def test_every_queue_the_code_names_is_served_by_the_default_worker():
    from core import jobs

    named = set()
    for path in ROOT.glob("*/**/*.py"):
        if ".venv" in path.parts or "tests" in path.parts or "node_modules" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        named |= set(re.findall(r"""queue\s*=\s*["']([\w-]+)["']""", text))
        named |= {getattr(jobs, name) for name in re.findall(r"queue\s*=\s*jobs\.([A-Z_]+)", text)}
    assert {"mail", "documents"} <= named <= set(jobs.QUEUES)
    assert "documents" in jobs.QUEUES


# --- item 17: the parser pool stays warm in the worker -----------------------------------------

def test_the_worker_keeps_one_warm_parser_pool_for_all_its_jobs(fresh_database_url):
    from core import jobs
    from documents import isolation

    _clear_redis()
    if isolation._pool is not None:
        isolation._pool.close()
    app = _app(fresh_database_url, PARSE_WORKERS=1)
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        ids = [_upload(app, _transcript(1_000_000 + i), f"t{i}.pdf") for i in range(3)]
        jobs.start_worker(app, burst=True)  # in this process, so its pool can be looked at
        pool = isolation._pool
        assert pool is not None, "the jobs did not use the worker's pool"
        assert [_state(app, i)[0] for i in ids] == ["parsed"] * 3
        assert pool.served >= 3 and pool.spawned == 1  # one reader process started, reused by every job
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        jobs._worker_app = jobs._worker_pid = None
        if isolation._pool is not None:
            isolation._pool.close()
        _dispose(app)


# --- item 4: an interrupted parse is never lost --------------------------------------------------

def _kill_busy_readers(pool, times: int, stop: threading.Event) -> None:
    """SIGKILL the reader process in the middle of a file, `times` times (as an OOM kill would)."""
    killed = 0
    while killed < times and not stop.is_set():
        idle = {id(w) for w in list(pool._idle.queue)}
        busy = [w for w in list(pool._all) if id(w) not in idle and w.process.is_alive()]
        if not busy:
            time.sleep(0.005)
            continue
        time.sleep(0.3)  # well into the file (it takes about two seconds to read)
        os.kill(busy[0].process.pid, signal.SIGKILL)
        killed += 1
        while busy[0] in pool._all and not stop.is_set():
            time.sleep(0.005)


@pytest.fixture
def reader_pool(app, monkeypatch):
    from documents import isolation

    config = app.config
    pool = isolation.ParserPool(1, time_limit=config["PARSE_TIME_LIMIT"],
                                memory_limit=config["PARSE_MEMORY_MB"] * 1024 * 1024)
    pool.warm()
    monkeypatch.setattr(isolation, "_pool", pool)
    yield pool
    pool.close()


def _upload_while_killing(db_session, pool, times: int) -> Document:
    from documents import service

    user = make_user(db_session, "customer")
    stop = threading.Event()
    killer = threading.Thread(target=_kill_busy_readers, args=(pool, times, stop), daemon=True)
    killer.start()
    try:
        document = service.upload(db_session, owner=user, uploaded_by=user, data=fx.slow_transcript(),
                                  filename="slow.pdf").document
        db_session.commit()  # the parse runs in process after the commit
    finally:
        stop.set()
        killer.join(timeout=10)
    db_session.refresh(document)
    return document


def test_a_reader_killed_in_the_middle_of_a_file_is_read_again(app, db_session, reader_pool):
    document = _upload_while_killing(db_session, reader_pool, times=1)
    assert (document.status, document.parse_attempts) == ("parsed", 2)
    assert document.parse_result["amounts_cents"]["adjusted_gross_income"] == 3_121_250
    requeued = db_session.scalars(select(AuditRecord).where(AuditRecord.action == "document.parse_queued",
                                                            AuditRecord.object_id == str(document.id))).all()
    assert len(requeued) == 1 and "stopped" in requeued[0].reason


def test_a_reader_killed_on_every_attempt_ends_with_a_person_and_the_reason(app, db_session, reader_pool):
    document = _upload_while_killing(db_session, reader_pool, times=3)
    assert (document.status, document.parse_attempts) == ("needs_review", 3)
    codes = [p["code"] for p in document.parse_result["problems"]]
    assert codes == ["parse_interrupted", "parser_crash"]
    assert "3 times" in document.parse_result["problems"][0]["message"]
    assert document.parse_result["amounts_cents"] == {}


def _lose_worker_mid_file(app, url: str) -> int:
    """Upload a slow file, start the documented worker and kill it (with its reader) while it reads.

    A machine can be fast or busy enough that a whole read falls between two looks at the document;
    then the same is tried again with a fresh upload, and a worker that ends on its own shows its log.
    """
    log = ""
    for strokes in (20_000, 40_000, 80_000):
        document_id = _upload(app, fx.slow_transcript(strokes), "slow.pdf")
        worker = _worker(url, start_new_session=True)
        try:
            deadline = time.monotonic() + 90
            while (state := _state(app, document_id)[0]) == "stored" and worker.poll() is None:
                assert time.monotonic() < deadline, "the worker never started the parse"
                time.sleep(0.02)
            if state == "parsing" and worker.poll() is None:
                time.sleep(0.3)
                os.killpg(worker.pid, signal.SIGKILL)  # the worker, its reader and the forkserver, mid-file
                worker.communicate(timeout=30)
                if _state(app, document_id)[0] == "parsing":
                    return document_id
        finally:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
            log = worker.communicate(timeout=30)[0] or ""
    raise AssertionError("the worker was never caught in the middle of a file:\n" + log[-3000:])


def test_a_worker_lost_with_its_job_is_caught_by_the_reconciliation(fresh_database_url):
    from core.database import db
    from documents import service

    _clear_redis()
    app = _app(fresh_database_url)
    try:
        document_id = _lose_worker_mid_file(app, fresh_database_url)
        assert _state(app, document_id)[:2] == ("parsing", 1)  # left behind by the lost worker
        _clear_redis()  # earlier tries' documents were read already; only the lost one waits

        clock = app.extensions["assist.clock"]
        with app.app_context():
            assert service.reconcile(db.session) == 0  # not yet past the few minutes
            db.session.commit()
            clock.freeze(clock.now() + timedelta(minutes=service.PARSE_RETRY_AFTER_MINUTES + 1))
            assert service.reconcile(db.session) == 1
            db.session.commit()
            assert service.reconcile(db.session) == 0  # idempotent: queued once
            db.session.commit()
        clock.unfreeze()
        _burst(fresh_database_url)
        status, attempts, result = _state(app, document_id)
        assert (status, attempts) == ("parsed", 2)
        assert result["amounts_cents"]["adjusted_gross_income"] == 3_121_250
    finally:
        app.extensions["assist.clock"].unfreeze()
        _dispose(app)


def _site_upload(client, data: bytes, name: str):
    token = csrf_token(client, "/documents")
    return client.post("/documents", data={"csrf_token": token, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_an_upload_while_redis_is_down_is_kept_and_read_later(app, client, db_session, clock, monkeypatch):
    customer = make_user(db_session, "customer")
    login(client, customer.email)
    first, second = _transcript(2_000_000), _transcript(2_500_000)

    monkeypatch.setitem(app.config, "REDIS_URL", UNREACHABLE_REDIS)
    monkeypatch.delitem(app.extensions, "assist.redis", raising=False)
    response = _site_upload(client, first, "first.pdf")
    assert response.status_code == 302  # not a 500: the file is stored
    assert _site_upload(client, second, "second.pdf").status_code == 302
    documents = list(db_session.scalars(select(Document).where(Document.owner_id == customer.id)
                                        .order_by(Document.id)))
    assert [d.status for d in documents] == ["stored", "stored"]
    assert "received, not read yet" in client.get("/documents").get_data(as_text=True)

    monkeypatch.setitem(app.config, "REDIS_URL", None)  # Redis is back (here: jobs run in process)
    app.extensions.pop("assist.redis", None)
    response = _site_upload(client, first, "first-again.pdf")  # the customer tries again
    assert "We already have this file" in client.get("/documents").get_data(as_text=True)
    for document in documents:
        db_session.refresh(document)
    assert [d.status for d in documents] == ["parsed", "stored"]  # the retry queued the parse

    runner = app.test_cli_runner()
    assert runner.invoke(args=["documents", "reconcile"]).output.strip() == '{"requeued": 0}'
    clock.freeze(clock.now() + timedelta(minutes=6))
    assert runner.invoke(args=["documents", "reconcile"]).output.strip() == '{"requeued": 1}'
    assert runner.invoke(args=["documents", "reconcile"]).output.strip() == '{"requeued": 0}'
    db_session.refresh(documents[1])
    assert documents[1].status == "parsed"
    assert documents[1].parse_result["amounts_cents"]["adjusted_gross_income"] == 2_500_000

