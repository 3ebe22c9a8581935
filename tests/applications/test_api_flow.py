"""An application through the API: draft, documents, submit, determinations, flags, decisions, notices."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from core.outbox import OutboxMessage
from applications.models import Application
from eligibility.enrollments.models import Enrollment
from tests.applications.helpers import family, make_world, transcript
from tests.factories import api_headers, link, make_account, make_user


@pytest.fixture
def world(app, db_session, clock):
    return make_world(app, db_session, clock)


def test_a_draft_is_created_for_a_linked_account(world):
    response = world.start(("CARE", "FERA"))
    assert response.status_code == 201
    body = response.json
    assert body["status"] == "draft" and body["programs"] == ["CARE", "FERA"] and body["number"] is None
    assert body["household"]["members"][0]["incomes"][0]["amount_cents"] == 300_000
    assert set(body) >= {"id", "status", "account_number", "programs", "household", "determinations",
                         "notices", "documents", "version"}


def test_a_master_metered_tenant_is_told_what_to_do(world, db_session):
    building = make_account(db_session, meter_type="master")
    link(db_session, world.customer, building)
    response = world.start(account=building)
    assert response.status_code == 422 and "landlord" in response.json["error"]["message"]


def test_only_the_customer_of_record_may_apply(world, db_session):
    other = make_account(db_session)
    response = world.start(account=other)
    assert response.status_code == 422 and "account_number" in response.json["error"]["fields"]


def test_an_upload_answers_with_the_parse_result_when_parsed_inline(world):
    application_id = world.start().json["id"]
    response = world.upload(application_id)
    assert response.status_code == 201
    body = response.json
    assert body["status"] == "parsed" and body["document_type"] == "tax_return_transcript"
    assert body["amounts_cents"]["adjusted_gross_income"] == 3_600_000 and isinstance(body["id"], int)


def test_submitting_gives_a_number_a_receipt_and_a_preliminary_determination(world, db_session):
    body = world.submitted(("CARE", "FERA"))
    assert body["status"] == "submitted" and body["number"].startswith("A2026-")
    assert body["submitted_on"] == "2026-11-23"
    care = next(d for d in body["determinations"] if d["program"] == "CARE")
    assert care["eligible"] is True and care["rule_version"] == "CARE.v3" and care["income_basis"] == "documented"
    assert care["explanation"].startswith("Your household of 3 earns $36,000 a year.")
    assert world.flags(body["id"]) == []
    assert [n["kind"] for n in body["notices"]] == ["receipt"]
    mail = db_session.scalar(select(OutboxMessage).where(OutboxMessage.to_address == world.customer.email)
                             .order_by(OutboxMessage.id.desc()))
    assert body["number"] in mail.subject


def test_the_documented_income_decides_and_a_mismatch_is_flagged(world):
    created = world.start(household=family(income="2000.00"))  # $24,000 declared
    application_id = created.json["id"]
    world.upload(application_id, transcript(agi_cents=5_000_000))  # $50,000 documented
    body = world.submit(application_id).json
    assert world.flags(application_id) == ["income_mismatch"]
    care = body["determinations"][0]
    assert care["income_cents"] == 5_000_000 and care["eligible"] is True  # 3 people: limit $54,640


@pytest.mark.parametrize("upload, household, categorical, expected", [
    (None, None, (), "missing_document"),
    (dict(year=2021), None, (), "stale_tax_year"),
    (dict(last4="9999"), None, (), "ssn_mismatch"),
    (dict(name="MARIA GARC"), None, (), "name_mismatch"),
    ("none-for-snap", None, ("SNAP",), "missing_document"),
])
def test_flags_are_raised_and_never_block(world, upload, household, categorical, expected):
    application_id = world.start(household=household, categorical=categorical).json["id"]
    if isinstance(upload, dict):
        world.upload(application_id, transcript(**upload))
    elif upload == "none-for-snap":
        world.upload(application_id)
    body = world.submit(application_id).json
    assert expected in world.flags(application_id)
    assert world.decide(application_id, decision="approve").status_code == 200


def test_the_same_transcript_on_another_application_is_flagged(world, db_session):
    first = world.submitted()
    other_customer = make_user(db_session, "customer")
    other_account = make_account(db_session)
    link(db_session, other_customer, other_account)
    headers = api_headers(world.app, other_customer)
    second = world.start(account=other_account, headers=headers).json["id"]
    world.upload(second, transcript(agi_cents=3_600_001), headers=headers)  # another file, same tracking number
    assert world.submit(second, headers=headers).status_code == 200
    reused = [f for f in world.staff_view(second)["flags"] if f["code"] == "document_reused"]
    assert reused and first["number"] in reused[0]["message"]


def test_approval_enrolls_for_the_program_period_and_tells_the_customer(world, db_session):
    body = world.submitted()
    response = world.decide(body["id"], decision="approve", note="Transcript matches")
    assert response.status_code == 200
    assert response.json["status"] == "approved" and response.json["determinations"][0]["status"] == "approved"
    enrollment = db_session.scalar(select(Enrollment).where(Enrollment.application_id == body["id"]))
    assert (enrollment.certified_from, enrollment.certified_to) == (date(2026, 11, 23), date(2028, 11, 22))
    assert enrollment.rule_version == "CARE.v3" and enrollment.status == "active"
    assert [n["kind"] for n in response.json["notices"]] == ["receipt", "approval"]
    approval = db_session.get(Application, body["id"]).notices[-1]
    assert "November 22, 2028" in approval.body and "35% off electric charges" in approval.body
    again = world.submitted()
    assert "already_enrolled" in world.flags(again["id"])


def test_a_second_decision_on_the_same_program_gets_409(world):
    body = world.submitted()
    stale_version = body["version"]
    assert world.decide(body["id"], decision="approve").status_code == 200
    late = world.decide(body["id"], decision="deny", reason="over_income", version=stale_version)
    assert late.status_code == 409 and "Someone else changed this application first" in late.json["error"]["message"]
    assert world.decide(body["id"], decision="deny", reason="over_income").status_code == 409


def test_another_csr_cannot_decide_a_claimed_application(world, db_session):
    body = world.submitted()
    world.app.test_client().post(f"/api/v1/applications/{body['id']}/claim", headers=world.csr_headers)
    other = api_headers(world.app, make_user(db_session, "csr"))
    assert world.decide(body["id"], headers=other, decision="approve").status_code == 409


def test_a_denial_gives_the_reason_the_explanation_and_the_appeal(world, db_session):
    created = world.start(household=family(income="9000.00"))
    world.upload(created.json["id"], transcript(agi_cents=10_800_000))
    body = world.submit(created.json["id"]).json
    assert body["determinations"][0]["eligible"] is False
    response = world.decide(body["id"], decision="deny", reason="over_income")
    assert response.json["status"] == "denied"
    notice = db_session.get(Application, body["id"]).notices[-1]
    assert notice.kind == "denial" and "over the program's limit" in notice.body
    assert "That is $53,360 over the limit." in notice.body and "appeal within 30 days" in notice.body
    appeal = world.app.test_client().post(f"/api/v1/applications/{body['id']}/appeal",
                                          json={"reason": "My hours were cut in October"},
                                          headers=world.customer_headers)
    assert appeal.status_code == 200 and appeal.json["status"] == "appealed"
    assert world.app.test_client().post(f"/api/v1/applications/{body['id']}/appeal-decision",
                                        json={"outcome": "overturned", "note": "x"},
                                        headers=world.csr_headers).status_code == 403
    decided = world.app.test_client().post(f"/api/v1/applications/{body['id']}/appeal-decision",
                                           json={"outcome": "overturned", "note": "New pay stubs show $2,900 a month"},
                                           headers=world.manager_headers)
    assert decided.status_code == 200 and decided.json["status"] == "approved"
    assert decided.json["notices"][-1]["kind"] == "appeal_outcome"
    outcome = db_session.get(Application, body["id"]).notices[-1]
    assert outcome.kind == "appeal_outcome" and "New pay stubs show $2,900 a month" in outcome.body
    assert db_session.scalar(select(Enrollment).where(Enrollment.application_id == body["id"])) is not None


def test_a_denial_needs_a_reason_from_the_list(world):
    body = world.submitted()
    response = world.decide(body["id"], decision="deny", reason="because")
    assert response.status_code == 422 and "reason" in response.json["error"]["fields"]


def test_a_request_for_information_is_answered_by_upload(world, db_session):
    body = world.submitted()
    response = world.decide(body["id"], decision="request_info", checklist=["Page 2 of your tax transcript"])
    assert response.json["status"] == "needs_info" and response.json["info_due_on"] == "2027-01-07"
    assert response.json["notices"][-1]["kind"] == "info_request"
    world.upload(body["id"], transcript(agi_cents=3_600_000, tracking="100012345679"), name="page2.pdf")
    application = db_session.get(Application, body["id"])
    db_session.refresh(application)
    assert application.status == "in_review" and application.customer_responded


def test_past_the_due_date_the_application_is_closed_with_a_notice(world, db_session, clock):
    from datetime import timedelta

    from applications import service as lifecycle
    from eligibility.assistance import service

    body = world.submitted()
    world.decide(body["id"], decision="request_info", checklist=["Proof of SNAP"])
    clock.advance(timedelta(days=46))
    assert lifecycle.close_overdue(db_session) == 1
    application = db_session.get(Application, body["id"])
    assert application.status == "closed" and application.notices[-1].kind == "closure"


def test_the_customer_can_withdraw(world):
    body = world.submitted()
    response = world.app.test_client().post(f"/api/v1/applications/{body['id']}/withdraw",
                                            json={"reason": "Moving away"}, headers=world.customer_headers)
    assert response.json["status"] == "withdrawn" and response.json["notices"][-1]["kind"] == "withdrawal"
    assert world.decide(body["id"], decision="approve").status_code == 409


def test_a_customer_cannot_touch_another_customers_application(world, db_session):
    body = world.submitted()
    stranger = make_user(db_session, "customer")
    headers = api_headers(world.app, stranger)
    client = world.app.test_client()
    assert world.get(body["id"], headers=headers).status_code == 404
    assert world.upload(body["id"], headers=headers).status_code == 404
    assert world.submit(body["id"], headers=headers).status_code == 404
    assert world.decide(body["id"], headers=headers, decision="approve").status_code == 403
    assert client.post(f"/api/v1/applications/{body['id']}/withdraw", json={}, headers=headers).status_code == 404
    assert world.get(body["id"]).status_code == 200


def test_the_queue_pages_oldest_first_with_filters(world, clock):
    from datetime import timedelta

    ids = []
    for _ in range(5):
        ids.append(world.submitted(("CARE",) if len(ids) % 2 else ("CARE", "FERA"))["id"])
        clock.advance(timedelta(minutes=5))
    client = world.app.test_client()
    seen, after = [], None
    while True:
        url = "/api/v1/review/queue?limit=2" + (f"&after={after}" if after else "")
        page = client.get(url, headers=world.csr_headers).json
        seen += [item["id"] for item in page["items"]]
        after = page["next"]
        if not after:
            break
    assert [i for i in seen if i in ids] == ids
    fera = client.get("/api/v1/review/queue?program=FERA", headers=world.csr_headers).json["items"]
    assert {item["id"] for item in fera} & set(ids) == {ids[0], ids[2], ids[4]}
    world.app.test_client().post(f"/api/v1/applications/{ids[1]}/claim", headers=world.csr_headers)
    mine = client.get("/api/v1/review/queue?mine=1", headers=world.csr_headers).json["items"]
    assert [item["id"] for item in mine] == [ids[1]]
    assert client.get("/api/v1/review/queue", headers=world.customer_headers).status_code == 403


def test_purge_removes_old_files_and_keeps_the_figures(world, db_session, clock):
    import json
    from datetime import timedelta

    from documents.models import Document

    body = world.submitted()
    world.decide(body["id"], decision="approve")
    application = db_session.get(Application, body["id"])
    document_id = application.attachments[0].document_id
    runner = world.app.test_cli_runner()
    assert json.loads(runner.invoke(args=["documents", "purge", "--days", "365"]).output)["purged"] == 0
    clock.advance(timedelta(days=366))
    assert json.loads(runner.invoke(args=["documents", "purge"]).output)["purged"] == 1
    document = db_session.get(Document, document_id)
    db_session.refresh(document)
    assert document.storage_name is None and document.purged_at is not None
    assert document.parse_result["amounts_cents"]["adjusted_gross_income"] == 3_600_000


def test_a_document_read_after_submission_updates_the_determination(world, db_session):
    from documents import service as documents_service
    from documents.models import Document

    application_id = world.start(household=family(income="1000.00")).json["id"]
    document_id = world.upload(application_id, transcript(agi_cents=4_000_000)).json["id"]
    document = db_session.get(Document, document_id)
    document.status, document.parse_result = "stored", None  # as if a worker has not read it yet
    db_session.flush()
    body = world.submit(application_id).json
    assert body["determinations"][0]["income_basis"] == "declared" and world.flags(application_id) == []
    documents_service.parse_document(document_id)  # the worker claims the document ...
    db_session.commit()  # ... and, once that commits, reads it
    after = world.get(application_id).json
    assert after["determinations"][0]["income_basis"] == "documented"
    assert after["determinations"][0]["income_cents"] == 4_000_000
    assert "income_mismatch" in world.flags(application_id)


def test_a_compression_bomb_uploaded_through_the_route_ends_in_review(world, app, monkeypatch):
    from tests.documents import fixtures as fx

    monkeypatch.setitem(app.config, "PARSE_TIME_LIMIT", 2.0)
    application_id = world.start().json["id"]
    response = world.upload(application_id, fx.compression_bomb(64), name="bomb.pdf")
    assert response.status_code == 201
    assert response.json["status"] == "needs_review"
    assert response.json["problems"][0]["code"] in ("timeout", "memory_limit", "parser_crash")
    assert world.get(application_id).status_code == 200  # the web process carries on
    assert world.upload(application_id).json["status"] == "parsed"


def test_a_csr_corrects_a_parsed_figure_with_a_reason_kept_beside_the_original(world, db_session):
    from documents.models import Document

    body = world.submitted()
    document_id = body["documents"][0]["id"]
    client = world.app.test_client()
    url = f"/api/v1/applications/{body['id']}/documents/{document_id}/corrections"
    refused = client.post(url, json={"field": "adjusted_gross_income", "amount": "30000.00", "reason": ""},
                          headers=world.csr_headers)
    assert refused.status_code == 422
    response = client.post(url, json={"field": "adjusted_gross_income", "amount": "60000.00",
                                      "reason": "Page 2 shows a second W-2"}, headers=world.csr_headers)
    assert response.status_code == 200
    assert response.json["determinations"][0]["income_cents"] == 6_000_000
    document = db_session.get(Document, document_id)
    db_session.refresh(document)
    assert document.parse_result["amounts_cents"]["adjusted_gross_income"] == 3_600_000
    assert document.corrections["adjusted_gross_income"]["original_cents"] == 3_600_000
    assert client.post(url, json={"field": "x", "amount": "1.00", "reason": "r"},
                       headers=world.customer_headers).status_code == 403


def test_applications_can_be_assigned_to_another_csr(world, db_session):
    body = world.submitted()
    other = make_user(db_session, "csr")
    response = world.app.test_client().post(f"/api/v1/applications/{body['id']}/assign", json={"email": other.email},
                                            headers=world.manager_headers)
    assert response.status_code == 200 and response.json["assigned_to"] == other.id
    assert world.decide(body["id"], decision="approve").status_code == 409  # not the assignee
    assert world.decide(body["id"], headers=api_headers(world.app, other), decision="approve").status_code == 200


def test_refused_transitions_say_why(world, db_session):
    client = world.app.test_client()
    body = world.submitted()
    url = f"/api/v1/applications/{body['id']}"
    assert world.submit(body["id"]).status_code == 409  # twice
    assert client.post(f"{url}/appeal", json={"reason": "x"}, headers=world.customer_headers).status_code == 409
    assert client.post(f"{url}/reopen", json={"reason": "x"}, headers=world.csr_headers).status_code == 409
    assert client.patch(url, json={"categorical": ["SNAP"]}, headers=world.customer_headers).status_code == 409
    assert client.post(f"{url}/appeal-decision", json={"outcome": "upheld", "note": "n"},
                       headers=world.manager_headers).status_code == 409
    assert client.post(f"{url}/withdraw", json={}, headers=world.customer_headers).status_code == 200
    for response in (client.post(f"{url}/withdraw", json={}, headers=world.customer_headers),
                     world.upload(body["id"]), world.decide(body["id"], decision="request_info", checklist=["x"])):
        assert response.status_code == 409 and response.json["error"]["message"]
    history = db_session.get(Application, body["id"]).events
    assert [e.action for e in history] == ["started", "submitted", "withdrawn"]
