"""Every route declares its roles; walk the whole URL map with every role and with nobody."""
from __future__ import annotations

import pytest

from core.access import ANONYMOUS, ROLES, allowed_roles
from tests.conftest import login
from tests.factories import make_user

PLACEHOLDERS = {"int": "1", "string": "x", "path": "x", "default": "x"}


def _routes(app):
    import re

    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        url = re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", lambda m: PLACEHOLDERS.get(m.group(1) or "default", "x"),
                     rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, url


def test_every_view_declares_its_roles(app):
    undeclared = [endpoint for endpoint, view in app.view_functions.items()
                  if endpoint != "static" and allowed_roles(view) is None]
    assert undeclared == []


@pytest.mark.parametrize("who", [ANONYMOUS, *ROLES])
def test_role_walk_over_every_route(app, client, db_session, who):
    if who != ANONYMOUS:
        login(client, make_user(db_session, who).email)
    problems = []
    for endpoint, method, url in _routes(app):
        if endpoint == "auth.logout":
            continue  # would end the walk's own session
        allowed = who in allowed_roles(app.view_functions[endpoint])
        response = client.open(url, method=method, headers={"Accept": "text/html"})
        status = response.status_code
        if status >= 500:
            problems.append(f"{method} {url}: {status}")
        elif not allowed:
            refused = status in (401, 403) or (who == ANONYMOUS and status == 302 and "/login" in response.location)
            if not refused:
                problems.append(f"{method} {url} as {who}: {status}, expected a refusal")
        elif status in (401, 403):
            problems.append(f"{method} {url} as {who}: refused with {status} but the role is allowed")
    assert problems == []
