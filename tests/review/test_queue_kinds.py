"""The queue across kinds: narrowed to one kind on the page and over the API alike; an unknown kind is
a 422 that names the field."""
from __future__ import annotations

import pytest

from tests.applications.helpers import make_world
from tests.conftest import login


@pytest.fixture
def world(app, db_session, clock):
    return make_world(app, db_session, clock)


def test_the_queue_lists_one_kind_on_the_page_and_over_the_api(world, client):
    submitted = world.submitted()
    api = world.app.test_client()
    everything = api.get("/api/v1/review/queue", headers=world.csr_headers).json["items"]
    assistance = api.get("/api/v1/review/queue?kind=assistance", headers=world.csr_headers).json["items"]
    assert [a["id"] for a in assistance] == [a["id"] for a in everything] == [submitted["id"]]
    assert {a["kind"] for a in assistance} == {"assistance"}

    login(client, world.csr.email)
    page = client.get("/staff/queue?kind=assistance").get_data(as_text=True)
    assert submitted["number"] in page and 'id="kind"' in page and "Kind of application" in page


def test_an_unknown_kind_is_refused_naming_the_field(world, client):
    refused = world.app.test_client().get("/api/v1/review/queue?kind=nonsense", headers=world.csr_headers)
    assert refused.status_code == 422 and "kind" in refused.json["error"]["fields"]
    login(client, world.csr.email)
    assert client.get("/staff/queue?kind=nonsense").status_code == 422


def test_the_application_page_shows_the_frame_and_the_assistance_panel(world, client):
    submitted = world.submitted()
    login(client, world.csr.email)
    page = client.get(f"/staff/applications/{submitted['id']}").get_data(as_text=True)
    # The frame: status, assignment, decision, history; the panel: household and determinations.
    for text in ("Assign to", "Decide", "History", "Household", "Preliminary determination", "Zach T Woo"):
        assert text in page
