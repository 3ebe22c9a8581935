"""One commit point: a request commits once when its view has answered, or rolls back.

Views parse, call a service (which flushes), and render; they do not commit. A response below 400
commits what the request changed (with its audit records, its outbox messages and the jobs queued
after commit); a refusal (4xx), an error (5xx) or an exception rolls it all back. Commands and
jobs use `unit_of_work()` the same way: one commit at the end, a rollback on error.
"""
from __future__ import annotations

from contextlib import contextmanager
from functools import wraps

from flask import Flask

from core.database import db


def init_unit_of_work(app: Flask) -> None:
    @app.after_request
    def _commit_or_roll_back(response):
        session = db.session()
        if response.status_code < 400:
            try:
                session.commit()
            except Exception:
                session.rollback()
                raise
        else:
            session.rollback()
        return response

    @app.teardown_request
    def _roll_back_on_error(exc):
        if exc is not None:
            db.session.rollback()


@contextmanager
def unit_of_work(session=None):
    """Commit once when the block ends, roll back if it raises (commands and jobs)."""
    session = session or db.session()
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    session.commit()


def committing(function):
    """`unit_of_work` around a command or job function."""
    @wraps(function)
    def run(*args, **kwargs):
        with unit_of_work():
            return function(*args, **kwargs)
    return run
