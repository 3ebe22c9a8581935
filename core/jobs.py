"""One small job interface for background work (document parsing, notices, large exports).

`enqueue(func, ...)` hands the job over when the caller's transaction commits, so a job never
sees data that was rolled back. With `REDIS_URL` set the job goes to RQ and a worker process
(`flask --app app worker`) runs it; otherwise it runs in this process right after the commit.
Either way a job runs in its own app context and session, and its changes commit when it returns.

Every queue the app uses is named here (`QUEUES`); `flask worker` with no `--queue` serves them all.
If Redis cannot take a job when the transaction commits, the commit stands and the failure is
logged: the area owning the job re-queues it (documents: the parse reconciliation; mail: `outbox
send`). The worker runs jobs in its own process (no fork per job), so what it keeps warm (the
parser pool) serves every job, and it hands over the app's periodic jobs (`every`) on schedule.
"""
from __future__ import annotations

import importlib
import logging
import os
from typing import Any, Callable

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from core.database import db
from core.unit_of_work import unit_of_work

log = logging.getLogger(__name__)

DEFAULT_QUEUE = "assist"      # notices, exports and anything without a queue of its own
MAIL_QUEUE = "mail"           # outgoing mail (core.outbox)
DOCUMENTS_QUEUE = "documents"  # parsing uploads (documents.service)
# Every queue the app uses, in the order a worker serves them (mail first: sign-in codes wait on it).
QUEUES = (MAIL_QUEUE, DOCUMENTS_QUEUE, DEFAULT_QUEUE)
DEFAULT_TIMEOUT = 600
# How often a worker looks whether a periodic job is due (RQ's maintenance interval).
PERIODIC_CHECK_SECONDS = 30
_PERIODIC = "assist.periodic_jobs"
_WORKER_START = "assist.worker_start"
_PENDING = "assist.pending_jobs"

# Set by `flask worker` before it starts, so forked work horses reuse the configured app.
_worker_app: Flask | None = None
_worker_pid: int | None = None


def job_path(func: Callable) -> str:
    if "<locals>" in func.__qualname__:
        raise ValueError("jobs must be module-level functions so a worker can import them")
    return f"{func.__module__}:{func.__qualname__}"


def _resolve(path: str) -> Callable:
    module, _, name = path.partition(":")
    target: Any = importlib.import_module(module)
    for part in name.split("."):
        target = getattr(target, part)
    return target


def enqueue(func: Callable, *args: Any, queue: str = DEFAULT_QUEUE, timeout: int = DEFAULT_TIMEOUT,
            session: Session | None = None, **kwargs: Any) -> None:
    """Run `func(*args, **kwargs)` in the background once the current transaction commits."""
    session = db.session() if session is None or session is db.session else session
    app = current_app._get_current_object()
    if not session.in_transaction():
        session.begin()  # so a rollback before any SQL still drops the job
    session.info.setdefault(_PENDING, []).append((app, queue, timeout, job_path(func), args, kwargs))


def dispatch_now(app: Flask, func: Callable, *args: Any, queue: str = DEFAULT_QUEUE,
                 timeout: int = DEFAULT_TIMEOUT, **kwargs: Any) -> None:
    """Hand a job over immediately (for callers with no transaction of their own)."""
    _dispatch(app, queue, timeout, job_path(func), args, kwargs)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    for app, queue, timeout, path, args, kwargs in pending or ():
        _dispatch(app, queue, timeout, path, args, kwargs)


def every(app: Flask, seconds: int, func: Callable, *, queue: str = DEFAULT_QUEUE) -> None:
    """Have the workers enqueue `func()` about every `seconds` (once per interval across all workers)."""
    app.extensions.setdefault(_PERIODIC, []).append((job_path(func), int(seconds), queue))


def on_worker_start(app: Flask, func: Callable[[Flask], None]) -> None:
    """Call `func(app)` once when `flask worker` starts, before the first job (e.g. to warm a pool)."""
    app.extensions.setdefault(_WORKER_START, []).append(func)


def enqueue_due_periodic(app: Flask) -> list[str]:
    """Enqueue the periodic jobs whose interval has passed; a Redis key per job makes it once per interval
    however many workers ask. Returns the jobs enqueued."""
    conn = redis_connection(app)
    done = []
    for path, seconds, queue in app.extensions.get(_PERIODIC, ()):
        if conn.set(f"assist:periodic:{path}", "1", nx=True, ex=max(1, seconds)):
            _dispatch(app, queue, DEFAULT_TIMEOUT, path, (), {})
            done.append(path)
    return done


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction) -> None:
    if not previous_transaction.nested:
        session.info.pop(_PENDING, None)


def redis_connection(app: Flask):
    """A Redis client for the app's REDIS_URL, shared within the process (it is a pool)."""
    from redis import Redis

    conn = app.extensions.get("assist.redis")
    if conn is None:
        conn = Redis.from_url(app.config["REDIS_URL"])
        app.extensions["assist.redis"] = conn
    return conn


def _dispatch(app: Flask, queue: str, timeout: int, path: str, args: tuple, kwargs: dict) -> bool:
    """Hand the job over; False when Redis could not take it (logged, never raised: the caller has
    committed already and its owner re-queues the work)."""
    if app.config.get("REDIS_URL"):
        from redis.exceptions import RedisError
        from rq import Queue

        try:
            Queue(queue, connection=redis_connection(app)).enqueue(
                "core.jobs.run", path, list(args), kwargs, job_timeout=timeout,
                description=path, result_ttl=3600, failure_ttl=7 * 24 * 3600,
            )
        except (RedisError, OSError) as exc:
            log.error("job %s%r not handed to the queue %r: %s", path, tuple(args), queue, exc)
            return False
        return True
    try:
        _run_in_app(app, path, args, kwargs)
    except Exception:  # noqa: BLE001 - the request that enqueued it has committed already
        log.exception("in-process job %s failed", path)
        if app.config.get("JOBS_RAISE"):
            raise
    return True


def _run_in_app(app: Flask, path: str, args: tuple | list, kwargs: dict) -> Any:
    func = _resolve(path)
    with app.app_context():
        try:
            with unit_of_work():  # one commit when the job returns, nothing kept if it raises
                return func(*args, **kwargs)
        finally:
            db.session.remove()


def run(path: str, args: list, kwargs: dict) -> Any:
    """Entry point RQ calls in the worker: find the app, then run the job inside it."""
    global _worker_app, _worker_pid
    app = _worker_app
    if app is None:
        factory = _resolve(os.environ.get("ASSIST_APP_FACTORY", "app:create_app"))
        app = _worker_app = factory()
    if _worker_pid != os.getpid():
        db.dispose_after_fork(app)
        _worker_pid = os.getpid()
    return _run_in_app(app, path, args, kwargs)


def _worker_class():
    from rq import SimpleWorker

    class AssistWorker(SimpleWorker):
        """Runs each job in this process, so what the worker warmed at start (the parser pool, the
        database pool) serves every job; parsing itself stays in the pool's isolated processes."""

        def run_maintenance_tasks(self):
            super().run_maintenance_tasks()
            try:
                enqueue_due_periodic(_worker_app)
            except Exception:  # noqa: BLE001 - a periodic hand-over must never stop the worker
                log.exception("periodic jobs not enqueued")

    return AssistWorker


def start_worker(app: Flask, queues: list[str] | None = None, *, burst: bool = False) -> None:
    """Serve RQ queues with this app (what `flask --app app worker` does); all of `QUEUES` by default."""
    global _worker_app, _worker_pid
    from rq import Queue

    if not app.config.get("REDIS_URL"):
        raise RuntimeError("REDIS_URL is not set: without it jobs run inside the web process")
    _worker_app, _worker_pid = app, os.getpid()
    for hook in app.extensions.get(_WORKER_START, ()):
        hook(app)
    conn = redis_connection(app)
    worker = _worker_class()([Queue(name, connection=conn) for name in (queues or QUEUES)], connection=conn,
                             maintenance_interval=PERIODIC_CHECK_SECONDS,
                             worker_ttl=PERIODIC_CHECK_SECONDS + 15)
    worker.work(burst=burst, logging_level="INFO")
