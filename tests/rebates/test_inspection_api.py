"""The inspection API: staff request, the customer books their own (another customer gets 404),
staff record the result; a stale version is 409 and bad input names the field."""
from __future__ import annotations

from datetime import date, time

from rebates import inspections
from tests.factories import api_headers, make_user
from tests.rebates.test_inspections import TODAY, make_application


def test_request_book_and_record_a_pass(app, client, db_session, clock):
    clock.freeze(TODAY)
    customer = make_user(db_session, "customer")
    application = make_application(db_session, customer)
    slot = inspections.add_slot(db_session, date(2026, 12, 3), time(9), time(11), 1, "94501")
    staff = api_headers(app, make_user(db_session, "csr"))
    mine = api_headers(app, customer)

    created = client.post("/api/v1/inspections", headers=staff,
                          json={"application_id": application.id, "stage": "claim", "kind": "post", "reason": "always"})
    assert created.status_code == 201, created.json
    inspection_id = created.json["id"]
    assert client.post("/api/v1/inspections", headers=mine, json={}).status_code == 403
    bad = client.post("/api/v1/inspections", headers=staff, json={"application_id": application.id, "stage": "soon",
                                                                   "kind": "post", "reason": "x"})
    assert bad.status_code == 422 and "stage" in bad.get_data(as_text=True)

    other = api_headers(app, make_user(db_session, "customer"))
    assert client.post(f"/api/v1/inspections/{inspection_id}/schedule", headers=other,
                       json={"slot_id": slot.id}).status_code == 404
    assert client.get("/api/v1/inspections", headers=other).json["inspections"] == []

    booked = client.post(f"/api/v1/inspections/{inspection_id}/schedule", headers=mine, json={"slot_id": slot.id})
    assert booked.status_code == 200 and booked.json["status"] == "scheduled"
    assert [i["id"] for i in client.get("/api/v1/inspections", headers=mine).json["inspections"]] == [inspection_id]

    stale = client.post(f"/api/v1/inspections/{inspection_id}/complete", headers=staff,
                        json={"result": "pass", "version": booked.json["version"] - 1})
    assert stale.status_code == 409
    wrong = client.post(f"/api/v1/inspections/{inspection_id}/complete", headers=staff,
                        json={"result": "fail", "version": booked.json["version"]})
    assert wrong.status_code == 422 and "findings" in wrong.get_data(as_text=True)
    done = client.post(f"/api/v1/inspections/{inspection_id}/complete", headers=staff,
                       json={"result": "pass", "measured_area": "1250.5", "version": booked.json["version"]})
    assert done.status_code == 200 and done.json["result"] == "pass" and done.json["measured_area"] == "1250.50"
    assert inspections.approval_blocked(db_session, application.id) is None
    day = client.get("/api/v1/inspections?day=2026-12-03&zip=94501", headers=staff)
    assert [i["id"] for i in day.json["inspections"]] == [inspection_id]
    assert client.get("/api/v1/inspections?day=soon", headers=staff).status_code == 422


def test_the_openapi_document_lists_the_inspection_routes(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"/inspections", "/inspections/{inspection_id}/schedule",
            "/inspections/{inspection_id}/complete"} <= set(paths)


def test_the_commands_publish_a_slot_and_remind_once(app, db_session, clock):
    clock.freeze(TODAY)
    runner = app.test_cli_runner()
    bad = runner.invoke(args=["inspections", "slots", "--day", "2026-12-02", "--window", "11:00-09:00"])
    assert bad.exit_code == 2 and "ends" in bad.output
    made = runner.invoke(args=["inspections", "slots", "--day", "2026-12-02", "--window", "09:00-11:00",
                               "--capacity", "3", "--zip", "94501"])
    assert made.exit_code == 0, made.output
    slot_id = int(made.stdout.split('"slot_id": ')[1].split(",")[0])
    inspection = inspections.request_inspection(db_session, make_application(db_session).id, "claim", "pre", "always")
    inspections.schedule(db_session, inspection, slot_id=slot_id)
    first = runner.invoke(args=["inspections", "remind"])
    again = runner.invoke(args=["inspections", "remind"])
    assert '"reminders_sent": 1' in first.stdout and '"reminders_sent": 0' in again.stdout
    assert runner.invoke(args=["inspections", "overdue"]).stdout.strip() == "[]"
