"""Two submissions for the same home at once, on a database of their own with real commits: the home
may have 2 toilets; each asks for 2; however the two overlap, together they count at most 2.

On PostgreSQL both requests reach the history query together unless the premise lock makes the
second wait (the rendezvous then times out and the first goes on alone); SQLite serialises writers.
"""
from __future__ import annotations

import io
import threading

import pytest

from tests.applications.helpers import TODAY
from tests.conftest import fresh_database, test_config
from tests.factories import api_headers, link, make_account, make_user
from tests.rebates.test_applications import TOILET, _pdf


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from app import create_app
    from core.audit import Actor, acting_as
    from core.database import db
    from rebates import demo

    for url in fresh_database(tmp_path_factory.mktemp("rebate-race")):
        app = create_app(test_config(url))
        app.extensions["assist.clock"].freeze(TODAY)
        with app.app_context():
            session = db.session()
            acting_as(Actor(label="test"))
            demo.load(session, lambda *_: None, {})
            customer = make_user(session, "customer")
            account = make_account(session)
            link(session, customer, account)
            session.commit()
            number = account.number
        yield {"app": app, "number": number, "headers": api_headers(app, customer)}
        db.engine(app).dispose()


def _draft(world, invoice: str) -> int:
    client = world["app"].test_client()
    created = client.post("/api/v1/applications", headers=world["headers"], json={
        "kind": "rebate", "account_number": world["number"], "program": "EXAMPLE-WATER",
        "items": [dict(TOILET, invoice_number=invoice)]})
    assert created.status_code == 201, created.json
    assert created.json["items"][0]["counted_quantity"] == 2  # drafts do not count against each other
    uploaded = client.post(f"/api/v1/applications/{created.json['id']}/documents", headers=world["headers"],
                           data={"file": (io.BytesIO(_pdf(invoice)), "receipt.pdf"), "requirement": "receipt"},
                           content_type="multipart/form-data")
    assert uploaded.status_code == 201, uploaded.json
    return created.json["id"]


def test_two_submissions_at_once_never_count_more_units_than_the_home_may_have(world, monkeypatch):
    from rebates import service

    ids = [_draft(world, "RACE-1"), _draft(world, "RACE-2")]
    barrier = threading.Barrier(2)
    original = service.history

    def history_after_rendezvous(*args, **kwargs):
        try:
            barrier.wait(timeout=3)
        except threading.BrokenBarrierError:
            pass
        return original(*args, **kwargs)

    monkeypatch.setattr(service, "history", history_after_rendezvous)
    replies: dict[int, object] = {}

    def submit(application_id: int) -> None:
        replies[application_id] = world["app"].test_client().post(
            f"/api/v1/applications/{application_id}/submit", headers=world["headers"], json={"signature": "Zach T Woo"})

    threads = [threading.Thread(target=submit, args=(application_id,)) for application_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(replies[i].status_code == 200 for i in ids), [replies[i].json for i in ids]
    counted = sorted(replies[i].json["items"][0]["counted_quantity"] for i in ids)
    assert counted == [0, 2]
    assert sorted(replies[i].json["quote_cents"] for i in ids) == [0, 18900]
