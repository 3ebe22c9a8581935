"""A rebate application on its program's budget: the submission's quote held (or the application in
line for funds), approval committing and paying once, release on denial, withdrawal and closure,
the line served in order, and the customer told at each step."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from applications.models import Application
from notices.models import Notice
from rebates import budgets
from rebates.models import RebatePayment
from tests.rebates.helpers import make_application
from tests.rebates.test_applications import TOILET, start, submitted, upload, world  # noqa: F401  (fixture)

ONE = dict(TOILET, quantity=1)  # $189.00
ADDRESS = {"name": "Zach Woo", "line1": "1 Main St", "city": "Oakland", "state": "CA", "zip": "94610"}


def _program(db_session):
    from rebates import service

    return service.get_program(db_session, "EXAMPLE-WATER")


def _figures(db_session) -> dict:
    program = _program(db_session)
    year = budgets.fiscal_year_of(program, _today(db_session))
    return next(b for b in budgets.overview(db_session) if b["program"] == program.code and b["fiscal_year"] == year)


def _today(db_session):
    from core import clock

    return clock.today()


def _leave_only(db_session, cents: int) -> Application:
    """Another customer's approved-sized hold takes all but `cents` of this year's budget."""
    program = _program(db_session)
    other = make_application(db_session)
    available = _figures(db_session)["available_cents"]
    budgets.hold(db_session, other.id, program, _today(db_session), available - cents)
    other.status = "approved"  # a bare row, out of the queue
    db_session.flush()
    return other


def _kinds(db_session, application_id) -> list[str]:
    return [n.kind for n in db_session.scalars(select(Notice).where(Notice.application_id == application_id)
                                               .order_by(Notice.id))]


def test_submission_holds_the_quote_and_approval_for_less_gives_the_rest_back(world, db_session):
    before = _figures(db_session)
    body = submitted(world)
    assert body["status"] == "submitted" and body["hold_cents"] == 18900 and body["waitlist_position"] is None
    assert _figures(db_session)["held_cents"] == before["held_cents"] + 18900
    approved = world.decide(body["id"], decision="approve", amount="100.00", reason="One toilet was not installed")
    assert approved.status_code == 200, approved.json
    after = _figures(db_session)
    assert (after["held_cents"], after["committed_cents"]) == (before["held_cents"], before["committed_cents"] + 10000)
    assert after["available_cents"] == before["available_cents"] - 10000
    assert approved.json["hold_cents"] == 0
    assert approved.json["payment"]["method"] == "bill_credit" and approved.json["payment"]["status"] == "pending"


def test_when_the_budget_cannot_cover_it_the_application_waits_in_line_and_is_told_its_place(world, db_session):
    _leave_only(db_session, 5000)
    first = submitted(world, items=[dict(ONE)])
    second = submitted(world, items=[dict(ONE, invoice_number="INV-2")])
    assert (first["status"], first["waitlist_position"], first["hold_cents"]) == ("waitlisted", 1, 0)
    assert (second["status"], second["waitlist_position"]) == ("waitlisted", 2)
    assert _kinds(db_session, first["id"]) == ["receipt", "waitlisted"]
    letter = db_session.scalar(select(Notice).where(Notice.application_id == first["id"], Notice.kind == "waitlisted"))
    assert "number 1 in line" in letter.body and "$189.00" in letter.body
    # waiting for funds is not staff work: the queue leaves it out, the status filter finds it
    client = world.app.test_client()
    waiting = client.get("/api/v1/review/queue", headers=world.csr_headers).json["items"]
    assert first["id"] not in [row["id"] for row in waiting]
    listed = client.get("/api/v1/review/queue?status=waitlisted", headers=world.csr_headers).json["items"]
    assert [row["id"] for row in listed] == [first["id"], second["id"]]
    assert world.decide(first["id"], decision="approve").status_code == 409
    assert _figures(db_session)["waitlisted"] == 2


def test_a_raised_budget_takes_the_line_in_order_while_it_fits(world, db_session, app):
    _leave_only(db_session, 5000)
    first = submitted(world, items=[dict(ONE)])
    second = submitted(world, items=[dict(ONE, invoice_number="INV-2")])
    figures = _figures(db_session)
    raise_to = figures["amount_cents"] + 18900 - 5000  # room for the first only
    result = app.test_cli_runner().invoke(args=["rebates", "budget", "--program", "EXAMPLE-WATER", "--fiscal-year",
                                                str(figures["fiscal_year"]), "--amount", f"{raise_to / 100:.2f}",
                                                "--reason", "mid-year top-up"])
    assert result.exit_code == 0, result.output
    db_session.expire_all()
    one, two = world.get(first["id"]).json, world.get(second["id"]).json
    assert (one["status"], one["hold_cents"], one["waitlist_position"]) == ("submitted", 18900, None)
    assert (two["status"], two["waitlist_position"]) == ("waitlisted", 1)
    assert _kinds(db_session, first["id"]) == ["receipt", "waitlisted", "waitlist_offer"]
    offer = db_session.scalar(select(Notice).where(Notice.application_id == first["id"], Notice.kind == "waitlist_offer"))
    assert "$189.00 is now reserved" in offer.body
    events = [e.action for e in db_session.get(Application, first["id"]).events]
    assert events[-1] == "taken_off_waitlist"


def test_a_denial_releases_the_money_to_the_next_in_line(world, db_session):
    _leave_only(db_session, 25000)
    held = submitted(world, items=[dict(ONE)])                              # $189.00 fits
    waiting = submitted(world, items=[dict(ONE, invoice_number="INV-2")])   # $189.00 more does not
    assert (held["status"], waiting["status"]) == ("submitted", "waitlisted")
    before = _figures(db_session)["available_cents"]
    assert world.decide(held["id"], decision="deny", reason="not_installed").status_code == 200
    assert world.get(waiting["id"]).json["status"] == "submitted"
    assert world.get(waiting["id"]).json["hold_cents"] == 18900
    assert _figures(db_session)["available_cents"] == before
    assert _figures(db_session)["waitlisted"] == 0


def test_withdrawal_leaves_the_line_or_gives_the_hold_back(world, db_session):
    _leave_only(db_session, 25000)
    held = submitted(world, items=[dict(ONE)])
    waiting = submitted(world, items=[dict(ONE, invoice_number="INV-2")])
    client = world.app.test_client()
    gone = client.post(f"/api/v1/applications/{waiting['id']}/withdraw", headers=world.customer_headers, json={})
    assert gone.status_code == 200 and gone.json["status"] == "withdrawn"
    assert _figures(db_session)["waitlisted"] == 0
    available = _figures(db_session)["available_cents"]
    assert client.post(f"/api/v1/applications/{held['id']}/withdraw", headers=world.customer_headers,
                       json={}).status_code == 200
    assert _figures(db_session)["available_cents"] == available + 18900


def test_closing_an_unanswered_application_releases_its_hold(world, db_session, clock):
    from applications import service as lifecycle

    body = submitted(world)
    before = _figures(db_session)["held_cents"]
    assert world.decide(body["id"], decision="request_info", checklist=["A photo"]).status_code == 200
    from core import clock as utility_clock

    clock.freeze(utility_clock.now() + timedelta(days=60))
    assert lifecycle.close_overdue(db_session) == 1
    db_session.expire_all()
    assert db_session.get(Application, body["id"]).status == "closed"  # (the API token has expired by now)
    assert _figures(db_session)["held_cents"] == before - 18900


def test_an_overturned_appeal_commits_once_though_the_denial_released_the_hold(world, db_session):
    body = submitted(world)
    committed = _figures(db_session)["committed_cents"]
    assert world.decide(body["id"], decision="deny", reason="not_installed").status_code == 200
    client = world.app.test_client()
    assert client.post(f"/api/v1/applications/{body['id']}/appeal", headers=world.customer_headers,
                       json={"reason": "It is installed."}).status_code == 200
    assert client.post(f"/api/v1/applications/{body['id']}/appeal-decision", headers=world.manager_headers,
                       json={"outcome": "overturned", "note": "Photo shows it."}).status_code == 200
    figures = _figures(db_session)
    assert figures["committed_cents"] == committed + 18900
    assert budgets.held_cents(db_session, body["id"]) == 0


def test_a_check_is_paid_when_accounts_payable_issues_it_and_the_customer_is_told(world, db_session, app, tmp_path):
    body = submitted(world, payment={"method": "check", "mailing_address": ADDRESS})
    approved = world.decide(body["id"], decision="approve")
    assert approved.status_code == 200
    assert approved.json["payment"] == {"method": "check", "status": "pending", "reference": None, "paid_on": None,
                                        "mailing_address": ADDRESS | {"line2": None}}
    exported = app.test_cli_runner().invoke(args=["rebates", "payments", "export", "--out", str(tmp_path)])
    assert exported.exit_code == 0, exported.output
    batch = json.loads(exported.stdout)
    assert (batch["payments"], batch["amount_cents"]) == (1, 18900)
    payment = db_session.scalar(select(RebatePayment).where(RebatePayment.application_id == body["id"]))
    ack = tmp_path / "ack.csv"
    ack.write_text(f"payment_id,status,check_number,reason\n{payment.id},issued,100777,\n")
    result = app.test_cli_runner().invoke(args=["rebates", "payments", "ack", str(batch["batch"]), str(ack)])
    assert result.exit_code == 0, result.output
    db_session.expire_all()
    view = world.get(body["id"]).json
    assert (view["payment"]["status"], view["payment"]["reference"]) == ("paid", "100777")
    assert _figures(db_session)["paid_cents"] >= 18900
    letter = db_session.scalar(select(Notice).where(Notice.application_id == body["id"], Notice.kind == "rebate_paid"))
    assert "check number 100777" in letter.body and "$189.00" in letter.body


def test_a_bill_credit_accepted_by_billing_is_paid_once_and_the_letter_is_in_spanish(world, db_session):
    from accounts import rules as ledger_rules, service as ledger

    world.customer.language = "es"
    db_session.flush()
    body = submitted(world)
    approved = world.decide(body["id"], decision="approve").json
    # approving again, as an overturned appeal or a retry would, posts nothing more
    from rebates import applying

    application = db_session.get(Application, body["id"])
    applying.grant(db_session, application, application.rebate)
    assert db_session.scalars(select(RebatePayment).where(RebatePayment.application_id == body["id"])).all().__len__() == 1
    batch = ledger.export_credits(db_session, [list(column) for column in ledger_rules.DEFAULT_LAYOUT])
    ledger.acknowledge(db_session, batch, [(2, {"entry_id": approved["payment"]["reference"], "status": "accepted"})])
    view = world.get(body["id"]).json
    assert view["payment"]["status"] == "paid" and view["payment"]["paid_on"] == _today(db_session).isoformat()
    letter = db_session.scalar(select(Notice).where(Notice.application_id == body["id"], Notice.kind == "rebate_paid"))
    assert letter.language == "es" and "se acreditó a su factura" in letter.body


# --- the customer's page -------------------------------------------------------------------------

def test_the_customer_page_shows_the_place_in_line_then_how_it_was_paid(world, db_session, client):
    from accounts import rules as ledger_rules, service as ledger
    from tests.conftest import login

    _leave_only(db_session, 5000)
    body = submitted(world, items=[dict(ONE)])
    login(client, world.customer.email)
    page = client.get(f"/applications/{body['id']}").get_data(as_text=True)
    assert "on the waiting list for funds" in page and "number 1 on the waiting list" in page
    assert "Withdraw my application" in page
    program = _program(db_session)
    figures = _figures(db_session)
    budgets.set_budget(db_session, program, figures["fiscal_year"], figures["amount_cents"] + 18900, "top-up")
    approved = world.decide(body["id"], decision="approve")
    assert approved.status_code == 200, approved.json
    page = client.get(f"/applications/{body['id']}").get_data(as_text=True)
    assert "On its way" in page
    batch = ledger.export_credits(db_session, [list(column) for column in ledger_rules.DEFAULT_LAYOUT])
    ledger.acknowledge(db_session, batch, [(2, {"entry_id": approved.json["payment"]["reference"], "status": "accepted"})])
    page = client.get(f"/applications/{body['id']}").get_data(as_text=True)
    assert "Credited to your bill on" in page


def test_an_information_request_is_answered_on_the_status_page(world, db_session, client):
    import io

    from tests.conftest import csrf_token, login
    from tests.rebates.test_applications import _pdf

    body = submitted(world)
    assert world.decide(body["id"], decision="request_info", checklist=["A photo of the installed toilet"]).status_code == 200
    login(client, world.customer.email)
    path = f"/applications/{body['id']}"
    page = client.get(path).get_data(as_text=True)
    assert "A photo of the installed toilet" in page and "Send this file" in page
    empty = client.post(f"/rebates/applications/{body['id']}/documents",
                        data={"csrf_token": csrf_token(client, path), "item": "0", "requirement": "photo"},
                        content_type="multipart/form-data")
    assert empty.status_code == 422 and 'id="file-error"' in empty.get_data(as_text=True)
    sent = client.post(f"/rebates/applications/{body['id']}/documents", data={
        "csrf_token": csrf_token(client, path), "item": "0", "requirement": "photo",
        "file": (io.BytesIO(_pdf("the-photo")), "photo.pdf")}, content_type="multipart/form-data")
    assert sent.status_code == 302
    view = world.get(body["id"]).json
    assert view["status"] == "in_review"
    assert [d["requirement"] for d in view["items"][0]["documents"]] == ["receipt", "photo"]


def test_the_openapi_document_declares_the_rebate_request_beside_the_assistance_one(client):
    spec = client.get("/api/v1/openapi.json").json
    create = spec["paths"]["/applications"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    names = [ref["$ref"].rsplit("/", 1)[-1] for ref in create["anyOf"]]
    assert names[0].startswith("Application") and any(name.startswith("RebateApplication") for name in names)
    rebate = spec["components"]["schemas"][next(n for n in names if n.startswith("RebateApplication"))]
    assert {"kind", "account_number", "program", "items", "payment", "applicant"} <= set(rebate["properties"])
    change = spec["paths"]["/applications/{id}"]["patch"]["requestBody"]["content"]["application/json"]["schema"]
    assert len(change["anyOf"]) == 2


def test_the_review_panel_shows_the_budget_hold_and_the_place_in_line(world, db_session, client):
    from tests.conftest import login

    held = submitted(world, items=[dict(ONE)])
    _leave_only(db_session, 5000)
    waiting = submitted(world, items=[dict(ONE, invoice_number="INV-2")])
    login(client, world.csr.email)
    page = client.get(f"/staff/applications/{held['id']}").get_data(as_text=True)
    assert "$189.00 held on the program&#39;s budget" in page or "$189.00 held on the program's budget" in page
    page = client.get(f"/staff/applications/{waiting['id']}").get_data(as_text=True)
    assert "on the waiting list for funds: number 1 in line" in page
    assert world.decide(held["id"], decision="approve").status_code == 200
    page = client.get(f"/staff/applications/{held['id']}").get_data(as_text=True).replace("&#39;", "'")
    assert "$189.00 committed on the program's budget" in page


def test_a_claim_is_not_approved_before_its_required_inspection_passed(world, db_session):
    from rebates import inspections

    body = submitted(world)
    inspection = inspections.request_inspection(db_session, body["id"], "claim", "post", "rule: always")
    refused = world.decide(body["id"], decision="approve")
    assert refused.status_code == 409
    assert "post-inspection has not passed yet" in refused.json["error"]["message"]
    assert world.get(body["id"]).json["status"] == "submitted"
    assert db_session.scalars(select(RebatePayment).where(RebatePayment.application_id == body["id"])).all() == []
    inspection.status, inspection.result = "completed", "pass"  # recorded by the inspector
    db_session.flush()
    assert world.decide(body["id"], decision="approve").status_code == 200


def test_a_waiting_application_can_be_denied_but_not_approved(world, db_session):
    _leave_only(db_session, 5000)
    body = submitted(world, items=[dict(ONE)])
    assert body["status"] == "waitlisted"
    assert world.decide(body["id"], decision="approve").status_code == 409
    assert world.decide(body["id"], decision="request_info", checklist=["A photo"]).status_code == 409
    denied = world.decide(body["id"], decision="deny", reason="duplicate_receipt")
    assert denied.status_code == 200, denied.json
    assert denied.json["status"] == "denied" and denied.json["waitlist_position"] is None
    assert _figures(db_session)["waitlisted"] == 0
    assert _kinds(db_session, body["id"]) == ["receipt", "waitlisted", "denial"]
