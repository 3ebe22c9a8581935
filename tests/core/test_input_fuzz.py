"""Hostile input on every route, as every role: bad values are 400/404/422, never a 500.

The walk takes every rule of the URL map, signed in as each role that may use it (and anonymous),
and sends hostile values in the path parameters, in every query and form field the views and
templates name, and in JSON bodies. Real ids from the demo data stand in for the other path
parameters, so the hostile value reaches the code behind the lookup.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from core.access import ANONYMOUS, ROLES, allowed_roles
from tests.conftest import ROOT, csrf_token, login

HOSTILE_TEXT = ["a\x00b", "99999999999999999999999", "-1", "²", "٣", "1e309", "2026-02-30", " 7", "0x10",
                "x" * 3000]
HOSTILE_JSON = ["a\x00b", "\ud800", 10**30, 1e308, [], None, "x" * 3000]
HOSTILE_INT_PATH = ["99999999999999999999999", "9223372036854775808", "%D9%A3"]
HOSTILE_TEXT_PATH = ["a%00b", "%ED%A0%80", "x" * 600, "%E2%80%AE"]
SKIP = {"static", "auth.logout"}  # logging out ends the walk's own session


def _field_names() -> list[str]:
    """Every field name a view reads or a template sends."""
    names: set[str] = set()
    pattern = re.compile(r"""(?:args|form|values|data|filters|row)\.get(?:list)?\(\s*["']([A-Za-z_][\w\-]*)["']""")
    for path in ROOT.glob("*/**/*.py"):
        if path.parts[len(ROOT.parts)] in ("tests", "benchmarks", "migrations", ".venv", "node_modules"):
            continue
        text = path.read_text()
        names.update(pattern.findall(text))
        for group in re.findall(r"for k(?:ey)? in \(([^)]*)\)", text):
            names.update(re.findall(r"""["'](\w+)["']""", group))
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        names.update(re.findall(r'name="([A-Za-z_][\w\-]*)"', text))
        names.update(f"{name}-0" for name in re.findall(r'name="([A-Za-z_]\w*)-\{\{', text))
    names.discard("csrf_token")
    return sorted(names)


def _world(session):
    """The demo data, and one real value for each kind of path parameter."""
    import importlib

    from accounts.models import Account, AdjustmentRequest, LedgerEntry
    from auth.models import User
    from core.outbox import OutboxMessage
    from documents.models import Document
    from applications.models import Application
    from eligibility.enrollments.models import Enrollment
    from notices.models import Notice
    from eligibility.models import Program

    passwords: dict[str, str] = {}

    def echo(line: str = "") -> None:
        match = re.search(r"(\S+@\S+)\s+password: (\S+)", line)
        if match:
            passwords[match.group(1)] = match.group(2)

    from core.audit import Actor, acting_as

    acting_as(Actor(label="test: fuzz"))
    from app import DEMO_LOADERS

    for name in DEMO_LOADERS:
        importlib.import_module(name).load(session, echo, {"scale_accounts": 0})
    session.flush()

    def first(model, *where):
        return session.scalar(select(model.id).where(*where).order_by(model.id).limit(1)) or 1

    customer = session.scalar(select(User).where(User.role == "customer").order_by(User.id))
    application = session.scalar(select(Application).where(Application.applicant_id == customer.id)
                                 .order_by(Application.id))
    values = {
        "application_id": application.id if application else first(Application),
        "document_id": first(Document), "notice_id": first(Notice), "enrollment_id": first(Enrollment),
        "entry_id": first(LedgerEntry), "request_id": first(AdjustmentRequest), "message_id": first(OutboxMessage),
        "user_id": customer.id, "page": 1,
        "number": session.scalar(select(Account.number).order_by(Account.id).limit(1)),
        "code": session.scalar(select(Program.code).order_by(Program.id).limit(1)),
        "token": "not-a-token",
    }
    return passwords, values


def _role_emails(passwords: dict[str, str]) -> dict[str, tuple[str, str]]:
    out = {}
    for email, password in passwords.items():
        for role in ROLES:
            if email.startswith(role):
                out.setdefault(role, (email, password))
    return out


def _requests(app, values: dict, fields: list[str], who: str):
    """(method, url, kwargs) for the hostile requests on each route `who` may use.

    A route several roles may use gets each hostile value once, from one of them in turn, so the
    walk over every role sends every value to every route without sending it five times.
    """
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP:
            continue
        view = app.view_functions[rule.endpoint]
        allowed = [role for role in (ANONYMOUS, *ROLES) if role in (allowed_roles(view) or ())]
        if who not in allowed:
            continue
        turn = allowed.index(who)
        params = list(rule.arguments)
        converters = {name: type(conv).__name__ for name, conv in rule._converters.items()}

        def build(override: dict[str, str]) -> str:
            url = rule.rule
            for name in params:
                value = override.get(name, str(values.get(name, 1)))
                url = re.sub(r"<(?:[^:<>]+:)?" + name + ">", value, url)
            return url

        def mine(items: list) -> list:
            return [item for index, item in enumerate(items) if index % len(allowed) == turn]

        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for name in params:
                bad = HOSTILE_INT_PATH if converters[name] == "IdConverter" else HOSTILE_TEXT_PATH
                for value in mine(bad):
                    yield method, build({name: value}), {}
            base = build({})
            for value in mine(HOSTILE_TEXT):
                query = {name: value for name in fields}
                if method == "GET":
                    yield method, base, {"query_string": query}
                elif base.startswith("/api/"):
                    yield method, base, {"query_string": query, "json": {name: value for name in fields}}
                else:
                    yield method, base, {"data": dict(query), "form": True}
            if method != "GET":
                for value in mine(HOSTILE_JSON):
                    yield method, base, {"json": {name: value for name in fields}}


@pytest.mark.parametrize("who", [ANONYMOUS, *ROLES])
def test_no_hostile_value_on_any_route_is_a_server_error(app, client, db_session, who):
    passwords, values = _world(db_session)
    fields = _field_names()
    assert len(fields) > 40, fields  # the walk found the forms
    if who != ANONYMOUS:
        email, password = _role_emails(passwords)[who]
        login(client, email, password)
    token = csrf_token(client, "/")
    problems, count = [], 0
    from core.extensions import limiter

    limiter.enabled = False
    try:
        for method, url, kwargs in _requests(app, values, fields, who):
            if kwargs.pop("form", False):
                kwargs["data"]["csrf_token"] = token
            headers = {"Accept": "text/html", "X-CSRFToken": token}
            count += 1
            shown = {k: (v if not isinstance(v, dict) else "{...}") for k, v in kwargs.items()}
            try:
                response = client.open(url, method=method, headers=headers, **kwargs)
            except Exception as exc:  # noqa: BLE001 - the test app propagates what would be a 500
                problems.append(f"{method} {url[:120]} {str(shown)[:160]}: {type(exc).__name__}: {str(exc)[:200]}")
                db_session.rollback() if not db_session.is_active else None
                continue
            if response.status_code >= 500:
                body = response.get_data(as_text=True)
                problems.append(f"{method} {url[:120]} {str(shown)[:160]}: {response.status_code} {body[:80]!r}")
            response.close()
    finally:
        limiter.enabled = True
    print(f"{who}: {count} requests")
    assert count > 50
    assert problems == [], f"{len(problems)} of {count} requests were server errors:\n" + "\n".join(problems[:40])
