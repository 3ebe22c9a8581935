"""Two staff acting on one application at once, on a database of its own with real commits.

On PostgreSQL the two requests really overlap: both have read the application (the same version)
before either changes it, held together by a barrier. SQLite serialises writers, so there the two
run one after the other. Either way one wins, the other gets 409 with what a stale form says, and
nothing is a 500.
"""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.applications.helpers import TODAY, family
from tests.conftest import csrf_token, fresh_database, login, test_config
from tests.factories import api_headers, link, make_account, make_user

STALE = "Someone else changed this application first. Reload it to see their change."


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from app import create_app
    from core.database import db

    for url in fresh_database(tmp_path_factory.mktemp("race")):
        app = create_app(test_config(url))
        app.extensions["assist.clock"].freeze(TODAY)
        with app.app_context():
            session = db.session()
            customer = make_user(session, "customer")
            csrs = [make_user(session, "csr"), make_user(session, "csr")]
            session.commit()
        world = {"app": app, "url": url, "customer": customer, "csrs": csrs,
                 "customer_headers": api_headers(app, customer),
                 "csr_headers": [api_headers(app, csr) for csr in csrs]}
        yield world
        db.engine(app).dispose()


def _submitted(world) -> dict:
    """A submitted application on an account of its own (an approval enrolls the account)."""
    from core.database import db

    with world["app"].app_context():
        session = db.session()
        account = make_account(session)
        link(session, world["customer"], account)
        number = account.number
        session.commit()
    client = world["app"].test_client()
    created = client.post("/api/v1/applications", headers=world["customer_headers"], json={
        "account_number": number, "programs": ["CARE"], "household": family(), "categorical": []})
    assert created.status_code == 201, created.json
    submitted = client.post(f"/api/v1/applications/{created.json['id']}/submit", headers=world["customer_headers"],
                            json={"signature": "Zach T Woo"})
    assert submitted.status_code == 200, submitted.json
    return submitted.json


class _Rendezvous:
    """Holds the first two reads of an application until both have happened (PostgreSQL only)."""

    def __init__(self, parties: int) -> None:
        self.barrier = threading.Barrier(parties) if parties else None
        self.left = parties
        self.lock = threading.Lock()

    def wait(self) -> None:
        with self.lock:
            if not self.left:
                return
            self.left -= 1
        try:
            self.barrier.wait(timeout=10)
        except threading.BrokenBarrierError:
            pass


def _api(path, body):
    def send(world, index, application):
        return world["app"].test_client().post(path.format(id=application["id"]), json=body(application),
                                               headers=world["csr_headers"][index])
    return send


def _page(path, form):
    """A CSR's browser: signed in, the form's CSRF token read from the page before the race starts."""
    def prepare(world, index, application):
        client = world["app"].test_client()
        login(client, world["csrs"][index].email)
        token = csrf_token(client, f"/staff/applications/{application['id']}")

        def send():
            return client.post(path.format(id=application["id"]),
                               data={"csrf_token": token, **form(application, index)})
        return send
    prepare.page = True
    return prepare


def _versioned(extra):
    return lambda application: {**extra, "version": application["version"]}


SCENARIOS = {
    "two approvals": (_api("/api/v1/applications/{id}/decision", _versioned({"decision": "approve"})), (200, 409)),
    "two approvals without a version": (_api("/api/v1/applications/{id}/decision", lambda a: {"decision": "approve"}),
                                        (200, 409)),
    "two information requests": (_api("/api/v1/applications/{id}/decision", _versioned(
        {"decision": "request_info", "checklist": ["Your 2025 tax transcript"]})), (200, 409)),
    "two claims on the page": (_page("/staff/applications/{id}/claim",
                                     lambda a, i: {"version": str(a["version"])}), (302, 409)),
    "two decisions on the page": (_page("/staff/applications/{id}/decision", lambda a, i: {
        "version": str(a["version"]), "decision": "approve", "program": "CARE"}), (302, 409)),
    "two notes on the page": (_page("/staff/applications/{id}/notes",
                                    lambda a, i: {"note_text": f"note from CSR {i}"}), (302, 302)),
    "two notes over the API": (_api("/api/v1/applications/{id}/notes", lambda a: {"note": "seen"}), (200, 200)),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_two_staff_at_once_get_one_success_and_one_409(world, scenario, monkeypatch):
    from applications import service as lifecycle
    from eligibility.assistance import service
    from applications.models import Application, ApplicationEvent

    action, expected = SCENARIOS[scenario]
    application = _submitted(world)
    if getattr(action, "page", False):
        senders = [action(world, i, application) for i in range(2)]
    else:
        senders = [lambda i=i: action(world, i, application) for i in range(2)]
    world["app"].extensions["assist.clock"].advance(timedelta(minutes=1))  # so `updated_at` really changes
    parallel = world["url"].startswith("postgresql")
    rendezvous = _Rendezvous(2 if parallel else 0)
    original = lifecycle.get_for

    def get_for_then_wait(*args, **kwargs):
        found = original(*args, **kwargs)
        rendezvous.wait()
        return found

    monkeypatch.setattr(lifecycle, "get_for", get_for_then_wait)
    results: list = [None, None]

    def run(i):
        try:
            response = senders[i]()
            results[i] = (response.status_code, response.get_data(as_text=True))
        except Exception as exc:  # noqa: BLE001 - a 500 surfaces here in testing mode
            results[i] = (500, repr(exc))

    if parallel:
        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    else:
        run(0)
        run(1)
    monkeypatch.undo()

    assert sorted(code for code, _body in results) == sorted(expected), results
    if 409 in expected and scenario != "two approvals without a version":
        _code, body = next(r for r in results if r[0] == 409)
        assert STALE in body.replace("&#39;", "'"), body  # what a stale form says

    from core.database import db

    with world["app"].app_context():
        session = db.session()
        row = session.get(Application, application["id"])
        events = session.scalars(select(ApplicationEvent.action).where(
            ApplicationEvent.application_id == row.id)).all()
        if scenario.startswith("two notes"):
            assert events.count("note") == 2  # notes carry no version: both are kept
        else:
            assert row.version > application["version"]
            assert events.count("approved") + events.count("information_requested") <= 1
            assert events.count("claimed") <= 1
