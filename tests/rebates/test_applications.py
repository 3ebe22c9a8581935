"""Rebate applications on the one lifecycle: drafts with their quote, files per item, submission with
its flags, the history that counts other open applications, and decisions that pay once."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from core.audit import Actor, acting_as
from tests.applications.helpers import make_world
from tests.factories import api_headers, link, make_account, make_user

TOILET = {"measure": "TOILET", "quantity": 2, "model": "EC-0800-W", "purchased_on": "2026-11-01", "price": "189.00",
          "tax": "15.00", "attributes": {"replaced_gpf": "3.5"}, "retailer": "Home Depot", "invoice_number": "INV-1"}


@pytest.fixture
def world(app, db_session, clock):
    from rebates import demo

    acting_as(Actor(label="test"))
    demo.load(db_session, lambda *_: None, {})
    return make_world(app, db_session, clock)


def start(world, items=None, headers=None, **extra):
    body = {"kind": "rebate", "account_number": world.account.number, "program": "EXAMPLE-WATER",
            "items": items if items is not None else [dict(TOILET)], **extra}
    return world.app.test_client().post("/api/v1/applications", json=body, headers=headers or world.customer_headers)


def upload(world, application_id, requirement="receipt", item="0", data=None, name="receipt.pdf",
           headers=None):
    return world.app.test_client().post(
        f"/api/v1/applications/{application_id}/documents", headers=headers or world.customer_headers,
        data={"file": (io.BytesIO(data if data is not None else _pdf(f"default-{application_id}")), name), "requirement": requirement, "item": item},
        content_type="multipart/form-data")


def submitted(world, items=None, receipt=True, **extra) -> dict:
    created = start(world, items, **extra)
    assert created.status_code == 201, created.json
    application_id = created.json["id"]
    if receipt:
        for index in range(len(created.json["items"])):
            response = upload(world, application_id, item=str(index), data=_pdf(f"{application_id}-{index}"))
            assert response.status_code == 201, response.json
    response = world.submit(application_id)
    assert response.status_code == 200, response.json
    return response.json


def _pdf(tag: str) -> bytes:
    """A small PDF whose bytes (and so its hash) depend only on `tag`."""
    return (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% receipt " + tag.encode() +
            b"\ntrailer << /Root 1 0 R >>\n%%EOF\n")


def test_a_draft_carries_its_quote_and_the_issue_shape(world):
    response = start(world)
    assert response.status_code == 201, response.json
    body = response.json
    assert (body["kind"], body["status"], body["program"], body["quote_cents"]) == ("rebate", "draft", "EXAMPLE-WATER",
                                                                                    18900)
    item = body["items"][0]
    assert (item["measure"], item["quantity"], item["counted_quantity"], item["amount_cents"], item["reasons"],
            item["rule_version"]) == ("TOILET", 2, 2, 18900, [], "EXAMPLE-WATER.v3")
    assert "so the rebate is $189.00" in item["explanation"]
    assert "flags" not in body and "assigned_to" not in body
    assert body["payment"]["method"] == "bill_credit"
    staff = world.staff_view(body["id"])
    assert staff["flags"] == [] and staff["assigned_to"] is None and staff["kind"] == "rebate"


def test_an_assistance_reply_says_its_kind(world):
    response = world.start()
    assert response.status_code == 201, response.json
    assert response.json["kind"] == "assistance" and "household" in response.json


def test_a_draft_is_changed_and_requoted_then_refused_once_submitted(world):
    application_id = start(world).json["id"]
    changed = world.app.test_client().patch(f"/api/v1/applications/{application_id}", headers=world.customer_headers,
                                            json={"items": [dict(TOILET, quantity=1, price="150.00")]})
    assert changed.status_code == 200, changed.json
    assert changed.json["quote_cents"] == 15000 and changed.json["items"][0]["quantity"] == 1
    check = world.app.test_client().patch(
        f"/api/v1/applications/{application_id}", headers=world.customer_headers,
        json={"payment": {"method": "check"}})
    assert check.status_code == 422 and "payment.mailing_address" in check.json["error"]["fields"]
    address = {"name": "Zach Woo", "line1": "1 Main St", "city": "Oakland", "state": "CA", "zip": "94610"}
    check = world.app.test_client().patch(f"/api/v1/applications/{application_id}", headers=world.customer_headers,
                                          json={"payment": {"method": "check", "mailing_address": address}})
    assert check.status_code == 200 and check.json["payment"]["method"] == "check"
    stale = world.app.test_client().patch(f"/api/v1/applications/{application_id}", headers=world.customer_headers,
                                          json={"items": [dict(TOILET)], "version": 1})
    assert stale.status_code == 409
    assert upload(world, application_id).status_code == 201
    assert world.submit(application_id).status_code == 200
    late = world.app.test_client().patch(f"/api/v1/applications/{application_id}", headers=world.customer_headers,
                                         json={"items": [dict(TOILET)]})
    assert late.status_code == 409


@pytest.mark.parametrize("body,field", [
    ({"program": "NOPE"}, "program"),
    ({"items": []}, "items"),
    ({"items": [dict(TOILET, price=12.5)]}, "items.0.price"),
    ({"payment": {"method": "cash"}}, "payment.method"),
    ({"applicant": {"role": "landlord"}}, "applicant.role"),
])
def test_bad_input_is_a_422_naming_the_field(world, body, field):
    response = start(world, **body) if "items" not in body else start(world, items=body["items"])
    assert response.status_code == 422, response.json
    assert field in response.json["error"]["fields"]


def test_another_customers_application_is_not_found_and_their_account_refused(world, db_session):
    application_id = start(world).json["id"]
    stranger = make_user(db_session, "customer")
    db_session.flush()
    headers = api_headers(world.app, stranger)
    assert world.get(application_id, headers=headers).status_code == 404
    assert start(world, headers=headers).status_code == 422


def test_staff_start_one_for_a_customer_marked_assisted(world, db_session):
    from applications.models import Application

    response = start(world, headers=world.csr_headers, applicant_email=world.customer.email)
    assert response.status_code == 201, response.json
    assert db_session.get(Application, response.json["id"]).assisted is True
    assert start(world, headers=world.csr_headers).status_code == 422


def test_files_belong_to_an_item_and_a_bad_item_is_refused(world):
    application_id = start(world, items=[dict(TOILET, quantity=1), dict(TOILET, quantity=1, invoice_number="INV-2")]).json["id"]
    assert upload(world, application_id, item="1").status_code == 201
    assert upload(world, application_id, requirement="photo", item="1", data=_pdf("photo")).status_code == 201
    assert upload(world, application_id, item="5").status_code == 422
    assert upload(world, application_id, requirement="income").status_code == 422
    body = world.get(application_id).json
    assert [d["requirement"] for d in body["items"][1]["documents"]] == ["receipt", "photo"]
    assert body["items"][0]["documents"] == []


def test_submission_requotes_and_flags_what_the_reviewer_should_see(world):
    body = submitted(world, items=[dict(TOILET), dict(TOILET, measure="CLOTHES_WASHER", quantity=1, model=None,
                                                        purchased_on="2026-01-01", invoice_number="INV-9",
                                                        attributes={})],
                     applicant={"role": "tenant", "owner_name": "Lee Landlord"})
    assert body["status"] == "submitted" and body["number"].startswith("A2026-")
    assert body["items"][1]["amount_cents"] == 0 and body["items"][1]["reasons"] == ["late_application"]
    codes = world.flags(body["id"])
    assert "late_application" in codes and "tenant_without_consent" in codes
    assert "receipt_missing" not in codes
    assert [n["kind"] for n in body["notices"]] == ["receipt"]


def test_receipt_missing_and_conditions_are_flagged(world):
    body = submitted(world, items=[dict(TOILET, attributes={"replaced_gpf": "1.2"})], receipt=False)
    codes = world.flags(body["id"])
    assert "receipt_missing" in codes and "condition_not_met" in codes


def test_the_same_invoice_or_file_on_another_application_is_a_duplicate_receipt(world, db_session):
    first = submitted(world)
    second = submitted(world, items=[dict(TOILET, quantity=1)])
    assert "duplicate_receipt" in world.flags(second["id"])
    # the same file, another customer and invoice
    other = make_user(db_session, "customer")
    account = make_account(db_session)
    link(db_session, other, account)
    db_session.flush()
    headers = api_headers(world.app, other)
    created = world.app.test_client().post("/api/v1/applications", headers=headers, json={
        "kind": "rebate", "account_number": account.number, "program": "EXAMPLE-WATER",
        "items": [dict(TOILET, invoice_number="OTHER-7")]})
    assert created.status_code == 201, created.json
    assert upload(world, created.json["id"], data=_pdf(f"{first['id']}-0"), headers=headers).status_code == 201
    assert world.submit(created.json["id"], headers=headers).status_code == 200
    assert "duplicate_receipt" in world.flags(created.json["id"])


def test_two_open_applications_cannot_both_take_the_homes_last_units(world):
    first = submitted(world, items=[dict(TOILET, quantity=1)])
    assert first["quote_cents"] == 18900
    second = submitted(world, items=[dict(TOILET, quantity=2, invoice_number="INV-2")])
    assert second["items"][0]["counted_quantity"] == 1
    assert "limit_reached" in world.flags(second["id"]) and "already_applied" in world.flags(second["id"])
    third = submitted(world, items=[dict(TOILET, quantity=1, invoice_number="INV-3")])
    assert third["quote_cents"] == 0 and third["items"][0]["reasons"] == ["limit_reached"]
    # a withdrawn application no longer counts
    client = world.app.test_client()
    assert client.post(f"/api/v1/applications/{first['id']}/withdraw", headers=world.customer_headers,
                       json={"reason": "changed my mind"}).status_code == 200
    draft = start(world, items=[dict(TOILET, quantity=1, invoice_number="INV-4")]).json
    assert draft["items"][0]["counted_quantity"] == 1  # the second still holds one unit of the two; the third none


def test_a_draft_does_not_count_in_the_history(world):
    start(world)
    second = start(world, items=[dict(TOILET, invoice_number="INV-2")]).json
    assert second["items"][0]["counted_quantity"] == 2


def _ledger(db_session, account):
    from accounts.models import LedgerEntry

    return list(db_session.scalars(select(LedgerEntry).where(LedgerEntry.account_id == account.id,
                                                             LedgerEntry.kind == "rebate")))


def test_approving_the_quote_posts_one_bill_credit_and_a_second_decision_is_409(world, db_session):
    body = submitted(world)
    response = world.decide(body["id"], decision="approve", version=body["version"])
    assert response.status_code == 200, response.json
    assert (response.json["status"], response.json["approved_cents"]) == ("approved", 18900)
    entries = _ledger(db_session, world.account)
    assert [(e.amount_cents, e.idempotency_key) for e in entries] == [(18900, f"rebate:application:{body['id']}")]
    assert response.json["payment"]["reference"] == str(entries[0].id)
    assert world.decide(body["id"], decision="approve").status_code == 409
    assert world.decide(body["id"], decision="approve", version=body["version"]).status_code == 409
    assert len(_ledger(db_session, world.account)) == 1
    assert [n["kind"] for n in response.json["notices"]] == ["receipt", "approval"]


def test_more_than_the_quote_is_refused_and_less_needs_a_reason(world, db_session):
    body = submitted(world)
    over = world.decide(body["id"], decision="approve", amount="189.01")
    assert over.status_code == 422 and "amount" in over.json["error"]["fields"]
    no_reason = world.decide(body["id"], decision="approve", amount="100.00")
    assert no_reason.status_code == 422 and "reason" in no_reason.json["error"]["fields"]
    less = world.decide(body["id"], decision="approve", amount="100.00", reason="One toilet was not installed")
    assert less.status_code == 200, less.json
    assert less.json["approved_cents"] == 10000
    assert [e.amount_cents for e in _ledger(db_session, world.account)] == [10000]


def test_a_check_payment_posts_no_credit(world, db_session):
    address = {"name": "Zach Woo", "line1": "1 Main St", "city": "Oakland", "state": "CA", "zip": "94610"}
    body = submitted(world, payment={"method": "check", "mailing_address": address})
    assert world.decide(body["id"], decision="approve").status_code == 200
    assert _ledger(db_session, world.account) == []


def test_deny_with_a_rebate_reason_then_appeal(world):
    body = submitted(world)
    assert world.decide(body["id"], decision="deny", reason="over_income").status_code == 422  # an assistance reason
    denied = world.decide(body["id"], decision="deny", reason="not_installed", message="Send a photo next time.")
    assert denied.status_code == 200, denied.json
    assert denied.json["status"] == "denied" and denied.json["decision"]["reason"] == "not_installed"
    assert world.decide(body["id"], decision="deny", reason="not_installed").status_code == 409
    appeal = world.app.test_client().post(f"/api/v1/applications/{body['id']}/appeal", headers=world.customer_headers,
                                          json={"reason": "It is installed; here is a photo."})
    assert appeal.status_code == 200, appeal.json
    assert appeal.json["status"] == "appealed"


def test_the_rebate_denial_reasons_ship_in_both_languages(world, db_session):
    from applications import service as lifecycle

    reasons = {r.code: r.labels for r in lifecycle.denial_reasons(db_session, kind="rebate")}
    assert set(reasons) == {"duplicate_receipt", "incomplete", "not_eligible", "not_installed", "no_response",
                            "funds_exhausted"}
    assert all(labels["en"] and labels["es"] for labels in reasons.values())


def test_request_information_claim_release_assign_and_notes(world):
    body = submitted(world)
    client = world.app.test_client()
    claimed = client.post(f"/api/v1/applications/{body['id']}/claim", headers=world.csr_headers, json={})
    assert claimed.status_code == 200 and claimed.json["status"] == "in_review"
    assert claimed.json["assigned_to"] == world.csr.id
    assert client.post(f"/api/v1/applications/{body['id']}/claim", headers=world.manager_headers,
                       json={}).status_code == 409
    assert client.post(f"/api/v1/applications/{body['id']}/release", headers=world.csr_headers,
                       json={}).status_code == 200
    assigned = client.post(f"/api/v1/applications/{body['id']}/assign", headers=world.manager_headers,
                           json={"email": world.csr.email})
    assert assigned.status_code == 200 and assigned.json["assigned_to"] == world.csr.id
    assert client.post(f"/api/v1/applications/{body['id']}/notes", headers=world.csr_headers,
                       json={"note": "Called the customer"}).status_code == 200
    asked = world.decide(body["id"], decision="request_info", checklist=["A photo of the installed toilet"])
    assert asked.status_code == 200 and asked.json["status"] == "needs_info"
    assert asked.json["info_checklist"] == ["A photo of the installed toilet"]
    assert upload(world, body["id"], requirement="photo", data=_pdf("answer")).status_code == 201
    assert world.get(body["id"]).json["status"] == "in_review"


def test_the_queue_lists_rebates_by_kind_and_program(world):
    rebate = submitted(world)
    world.submitted()
    client = world.app.test_client()
    rebates = client.get("/api/v1/review/queue?kind=rebate", headers=world.csr_headers).json["items"]
    assert [row["id"] for row in rebates] == [rebate["id"]]
    everything = client.get("/api/v1/review/queue", headers=world.csr_headers).json["items"]
    assert {row["kind"] for row in everything} == {"rebate", "assistance"}
    by_program = client.get("/api/v1/review/queue?program=EXAMPLE-WATER", headers=world.csr_headers).json["items"]
    assert [row["id"] for row in by_program] == [rebate["id"]]


def test_withdrawing_a_draft_and_a_submitted_application(world):
    client = world.app.test_client()
    draft = start(world).json
    response = client.post(f"/api/v1/applications/{draft['id']}/withdraw", headers=world.customer_headers,
                           json={"reason": "not now"})
    assert response.status_code == 200 and response.json["status"] == "withdrawn"
    body = submitted(world)
    response = client.post(f"/api/v1/applications/{body['id']}/withdraw", headers=world.customer_headers, json={})
    assert response.status_code == 200 and response.json["decision"]["status"] == "withdrawn"
    assert world.decide(body["id"], decision="approve").status_code == 409


def _notices(db_session, application_id):
    from notices.models import Notice

    return list(db_session.scalars(select(Notice).where(Notice.application_id == application_id).order_by(Notice.id)))


def test_the_letters_are_in_the_customers_language(world, db_session):
    world.customer.language = "es"
    db_session.flush()
    body = submitted(world)
    less = world.decide(body["id"], decision="approve", amount="90.00", reason="solo un inodoro",
                        message="Solo se instaló un inodoro.")
    assert less.status_code == 200, less.json
    receipt, approval = _notices(db_session, body["id"])
    assert (receipt.kind, receipt.language, approval.kind, approval.language) == ("receipt", "es", "approval", "es")
    assert "un reembolso de $90.00 como crédito en su factura" in approval.body
    assert "menos que los $189.00 calculados" in approval.body
    assert "Inodoro de alta eficiencia" in approval.body  # the explanation of the item
    assert "Solo se instaló un inodoro." in approval.body


def test_the_denial_and_information_letters_name_the_rebate_reason(world, db_session):
    body = submitted(world)
    assert world.decide(body["id"], decision="request_info", checklist=["The receipt, readable"]).status_code == 200
    assert upload(world, body["id"], data=_pdf("readable")).status_code == 201
    assert world.decide(body["id"], decision="deny", reason="duplicate_receipt").status_code == 200
    kinds = [(n.kind, n.body) for n in _notices(db_session, body["id"])]
    assert [k for k, _ in kinds] == ["receipt", "info_request", "denial"]
    assert "The receipt, readable" in kinds[1][1]
    assert "The receipt was already used for another rebate" in kinds[2][1] and "appeal" in kinds[2][1]


def test_the_credit_is_posted_once_per_application(world, db_session):
    from applications.models import Application
    from rebates import applying

    body = submitted(world)
    assert world.decide(body["id"], decision="approve").status_code == 200
    application = db_session.get(Application, body["id"])
    applying.grant(db_session, application, application.rebate)  # again, as an overturned appeal would
    assert [e.amount_cents for e in _ledger(db_session, world.account)] == [18900]


def test_a_bill_credit_is_sent_then_paid_or_refused_as_the_billing_system_says(world, db_session):
    from accounts import rules as ledger_rules, service as ledger

    body = submitted(world)
    approved = world.decide(body["id"], decision="approve").json
    assert approved["payment"]["status"] == "pending"
    batch = ledger.export_credits(db_session, [list(column) for column in ledger_rules.DEFAULT_LAYOUT])
    assert world.get(body["id"]).json["payment"]["status"] == "sent"
    entry_id = approved["payment"]["reference"]
    ledger.acknowledge(db_session, batch, [(2, {"entry_id": entry_id, "status": "rejected", "reason": "closed"})])
    assert world.get(body["id"]).json["payment"]["status"] == "refused"
    ledger.acknowledge(db_session, batch, [(2, {"entry_id": entry_id, "status": "accepted"})])
    assert world.get(body["id"]).json["payment"]["status"] == "paid"


def test_the_same_address_under_another_account_is_flagged_with_links(world, db_session, client):
    from tests.conftest import login

    first = submitted(world)
    other = make_user(db_session, "customer")
    account = make_account(db_session)  # the same service address, another account
    link(db_session, other, account)
    db_session.flush()
    headers = api_headers(world.app, other)
    created = world.app.test_client().post("/api/v1/applications", headers=headers, json={
        "kind": "rebate", "account_number": account.number, "program": "EXAMPLE-WATER",
        "items": [dict(TOILET, invoice_number="NEW-OWNER-1")]})
    assert world.submit(created.json["id"], headers=headers).status_code == 200
    flags = {f["code"]: f for f in world.staff_view(created.json["id"])["flags"]}
    assert flags["same_address_other_account"]["details"]["accounts"] == [world.account.number]
    assert flags["same_address_other_account"]["details"]["applications"] == [first["id"]]
    login(client, world.csr.email)
    page = client.get(f"/staff/applications/{created.json['id']}").get_data(as_text=True)
    assert f"/staff/applications/{first['id']}" in page and "Same address, another account" in page


def test_an_overturned_appeal_approves_the_quote_and_credits_it_once(world, db_session):
    body = submitted(world)
    assert world.decide(body["id"], decision="deny", reason="not_installed").status_code == 200
    client = world.app.test_client()
    assert client.post(f"/api/v1/applications/{body['id']}/appeal", headers=world.customer_headers,
                       json={"reason": "It is installed."}).status_code == 200
    assert client.post(f"/api/v1/applications/{body['id']}/appeal-decision", headers=world.csr_headers,
                       json={"outcome": "overturned", "note": "Photo shows it."}).status_code == 403
    overturned = client.post(f"/api/v1/applications/{body['id']}/appeal-decision", headers=world.manager_headers,
                             json={"outcome": "overturned", "note": "The photo shows it installed."})
    assert overturned.status_code == 200, overturned.json
    assert (overturned.json["status"], overturned.json["approved_cents"]) == ("approved", 18900)
    assert [e.amount_cents for e in _ledger(db_session, world.account)] == [18900]
    again = client.post(f"/api/v1/applications/{body['id']}/appeal-decision", headers=world.manager_headers,
                        json={"outcome": "overturned", "note": "again"})
    assert again.status_code == 409
    assert [n["kind"] for n in overturned.json["notices"]] == ["receipt", "denial", "appeal_outcome"]
