"""Whose claim it is, what a customer's reply shows, and the version an API caller may send."""
from __future__ import annotations

import pytest

from applications.models import Application
from tests.applications.helpers import make_world, transcript
from tests.conftest import login, post_form
from tests.factories import api_headers, link, make_account, make_user

STALE = "Someone else changed this application first. Reload it to see their change."


@pytest.fixture
def world(app, db_session, clock):
    return make_world(app, db_session, clock)


def _post(world, application_id, action, headers, **body):
    return world.app.test_client().post(f"/api/v1/applications/{application_id}/{action}", json=body,
                                        headers=headers)


# --- claims ------------------------------------------------------------------------------------

def test_a_csr_cannot_release_or_reassign_another_csrs_claim(world, db_session):
    body = world.submitted()
    assert _post(world, body["id"], "claim", world.csr_headers).status_code == 200
    other = make_user(db_session, "csr")
    other_headers = api_headers(world.app, other)
    released = _post(world, body["id"], "release", other_headers)
    assert released.status_code == 403 and "Ask them, or a manager" in released.json["error"]["message"]
    taken = _post(world, body["id"], "assign", other_headers, email=other.email)
    assert taken.status_code == 403
    assert world.staff_view(body["id"])["assigned_to"] == world.csr.id
    # the claimant hands it on, and a manager may move anyone's claim
    assert _post(world, body["id"], "assign", world.csr_headers, email=other.email).json["assigned_to"] == other.id
    assert _post(world, body["id"], "release", world.manager_headers).json["assigned_to"] is None


def test_on_the_page_a_csr_cannot_release_another_csrs_claim_but_a_manager_can(app, world, db_session):
    body = world.submitted()
    assert _post(world, body["id"], "claim", world.csr_headers).status_code == 200
    page = f"/staff/applications/{body['id']}"
    version = str(world.staff_view(body["id"])["version"])
    other = app.test_client()
    login(other, make_user(db_session, "csr").email)
    refused = post_form(other, f"{page}/release", {"version": version}, token_from=page)
    assert refused.status_code == 403 and "Ask them, or a manager" in refused.get_data(as_text=True)
    moved = post_form(other, f"{page}/assign", {"version": version, "user_id": str(world.manager.id)}, token_from=page)
    assert moved.status_code == 403
    assert db_session.get(Application, body["id"]).assigned_to_id == world.csr.id
    manager = app.test_client()
    login(manager, world.manager.email)
    assert post_form(manager, f"{page}/release", {"version": version}, token_from=page).status_code == 302
    db_session.expire_all()
    assert db_session.get(Application, body["id"]).assigned_to_id is None


# --- the version an API caller sends -----------------------------------------------------------

def test_an_old_version_is_a_409_with_the_stale_form_message_and_no_version_is_no_check(world, db_session):
    body = world.submitted()
    old = world.staff_view(body["id"])["version"]
    assert _post(world, body["id"], "notes", world.csr_headers, note="first look").status_code == 200
    for action, extra in (("notes", {"note": "second look"}), ("claim", {}), ("decision", {"decision": "approve"})):
        stale = _post(world, body["id"], action, world.csr_headers, version=old, **extra)
        assert stale.status_code == 409 and stale.json["error"]["message"] == STALE, (action, stale.json)
    assert _post(world, body["id"], "notes", world.csr_headers, note="no version, no check").status_code == 200
    current = world.staff_view(body["id"])["version"]
    assert _post(world, body["id"], "notes", world.csr_headers, note="current", version=current).status_code == 200
    withdrawn = world.app.test_client().post(f"/api/v1/applications/{body['id']}/withdraw",
                                             json={"version": old}, headers=world.customer_headers)
    assert withdrawn.status_code == 409 and withdrawn.json["error"]["message"] == STALE
    events = [e.action for e in db_session.get(Application, body["id"]).events]
    assert events.count("note") == 3 and "approved" not in events and "withdrawn" not in events


def test_a_version_that_is_not_a_number_is_a_422(world):
    body = world.submitted()
    for action, extra in (("notes", {"note": "x"}), ("claim", {}), ("decision", {"decision": "approve"})):
        response = _post(world, body["id"], action, world.csr_headers, version="7", **extra)
        assert response.status_code == 422 and "version" in response.json["error"]["fields"], action


# --- the customer's view -----------------------------------------------------------------------

CUSTOMER_FIELDS = {"id", "number", "kind", "status", "account_number", "programs", "household", "categorical",
                   "determinations", "notices", "documents", "submitted_on", "info_due_on", "info_checklist",
                   "version"}


def test_a_customers_reply_has_its_own_shape_without_flags_assignment_or_staff_ids(world, db_session):
    first = world.submitted()
    # another household sends the same transcript: staff see a flag naming the first application
    other_customer, other_account = make_user(db_session, "customer"), make_account(db_session)
    link(db_session, other_customer, other_account)
    headers = api_headers(world.app, other_customer)
    second = world.start(account=other_account, headers=headers).json["id"]
    world.upload(second, transcript(agi_cents=3_600_001), headers=headers)
    submitted = world.submit(second, headers=headers)
    assert _post(world, second, "claim", world.csr_headers).status_code == 200
    assert _post(world, second, "notes", world.csr_headers, note=f"staff only, see {first['number']}").status_code == 200

    staff = world.staff_view(second)
    assert any(first["number"] in f["message"] for f in staff["flags"]) and staff["assigned_to"] == world.csr.id
    assert staff["kind"] == "assistance"

    client = world.app.test_client()
    replies = [submitted.json, client.get(f"/api/v1/applications/{second}", headers=headers).json,
               client.post(f"/api/v1/applications/{second}/withdraw", json={}, headers=headers).json]
    for reply in replies:
        assert set(reply) == CUSTOMER_FIELDS, set(reply) ^ CUSTOMER_FIELDS
        assert reply["kind"] == "assistance" and first["number"] not in str(reply)
        assert str(world.csr.id) not in {str(v) for v in _values(reply, "assigned_to", "decided_by", "actor_id")}
        assert {d["status"] for d in reply["documents"]} <= {"stored", "parsing", "parsed", "needs_review", "rejected"}
        assert set(reply["documents"][0]) == {"id", "requirement", "status", "filename"}
        assert set(reply["notices"][0]) == {"kind", "sent_at", "language", "subject"}
    assert replies[-1]["status"] == "withdrawn"  # codes, as for staff
    assert replies[0]["determinations"][0]["status"] == "pending"


def _values(data, *names):
    """Every value under any of `names`, anywhere in a reply."""
    found = []
    if isinstance(data, dict):
        for key, value in data.items():
            if key in names:
                found.append(value)
            found.extend(_values(value, *names))
    elif isinstance(data, list):
        for item in data:
            found.extend(_values(item, *names))
    return found

