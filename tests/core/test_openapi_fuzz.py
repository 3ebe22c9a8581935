"""Schemathesis over the API, in process: every operation of /api/v1/openapi.json, a few examples
each, signed in with a bearer token of a role the operation allows. No 500, and every answer
matches the document (status codes, content types, response schemas)."""
from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.specs.openapi.checks import positive_data_acceptance  # noqa: E402

EXAMPLES_PER_OPERATION = 8


def _isolated(app):
    """Each request in its own app context, as in production (the test's session is shared)."""
    from flask.globals import _cv_app

    from core.database import db

    def wsgi(environ, start_response):
        outer = _cv_app.get(None)
        test_session = db.session() if outer is not None else None
        if test_session is not None:
            test_session.flush()
        token = _cv_app.set(None)
        try:
            return list(app(environ, start_response))
        finally:
            _cv_app.reset(token)
            if test_session is not None:
                test_session.expire_all()

    return wsgi


@pytest.fixture
def api_schema(app, db_session):
    from core.extensions import limiter

    limiter.enabled = False
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", _isolated(app))
    finally:
        limiter.enabled = True


@pytest.fixture
def tokens(app, db_session):
    from auth import service
    from tests.factories import make_account, make_user

    out = {}
    for role in ("customer", "csr", "manager", "admin"):
        user = make_user(db_session, role)
        out[role] = service.open_session(db_session, user, kind="api", ip="127.0.0.1", user_agent="schemathesis")[1]
    make_account(db_session)
    db_session.flush()
    return out


def test_the_api_keeps_to_its_openapi_document(api_schema, tokens):
    from hypothesis import given

    failures: list[str] = []
    operations = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1
        roles = operation.definition.raw.get("x-roles") or []
        role = next((r for r in ("customer", "csr", "manager", "admin") if r in roles), None)
        headers = {"Authorization": f"Bearer {tokens[role]}"} if role else {}

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            # A valid shape can still break a business rule (a wrong ZIP, a decided application):
            # those 422s are answers, so the check that every schema-valid request succeeds is off.
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collect every operation's failure
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:1500]}")
    assert operations >= 25
    assert failures == [], "\n\n".join(failures)
