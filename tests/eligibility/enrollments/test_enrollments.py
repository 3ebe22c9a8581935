"""Enrollments after approval: history, the account's enrollments over the API, ending them."""
from __future__ import annotations

from sqlalchemy import select

from applications.models import Application
from eligibility.enrollments.models import Enrollment
from tests.accounts.test_imports import ACCOUNT_HEADER, write_csv
from tests.applications.helpers import make_world
from tests.conftest import login, post_form
from tests.factories import api_headers, make_user

import pytest


@pytest.fixture
def world(app, db_session, clock):
    return make_world(app, db_session, clock)


def _approved(world, db_session) -> Enrollment:
    body = world.submitted()
    world.decide(body["id"], decision="approve")
    return db_session.scalar(select(Enrollment).where(Enrollment.application_id == body["id"]))


def test_the_account_enrollments_api_shows_status_dates_and_history(world, db_session):
    enrollment = _approved(world, db_session)
    client = world.app.test_client()
    url = f"/api/v1/accounts/{world.account.number}/enrollments"
    body = client.get(url, headers=world.customer_headers).json
    (row,) = body["enrollments"]
    assert row["program"] == "CARE" and row["status"] == "active"
    assert (row["certified_on"], row["expires_on"]) == ("2026-11-23", "2028-11-22")
    assert row["history"][0]["status"] == "active" and "Approved on application" in row["history"][0]["reason"]
    assert client.get(url, headers=world.csr_headers).status_code == 200
    stranger = api_headers(world.app, make_user(db_session, "customer"))
    assert client.get(url, headers=stranger).status_code == 404
    assert enrollment.history


def test_a_csr_ends_an_enrollment_with_a_reason_and_the_customer_is_told(world, app, db_session):
    enrollment = _approved(world, db_session)
    staff = app.test_client()
    login(staff, world.csr.email)
    page = f"/staff/accounts/{world.account.number}/enrollments"
    refused = post_form(staff, page, {"enrollment_id": str(enrollment.id), "status": "removed", "end_reason": ""},
                        token_from=page)
    assert refused.status_code == 422
    done = post_form(staff, page, {"enrollment_id": str(enrollment.id), "status": "removed",
                                   "end_reason": "Verification showed income over the limit"}, token_from=page)
    assert done.status_code == 302
    db_session.refresh(enrollment)
    assert enrollment.status == "removed" and enrollment.ended_on.isoformat() == "2026-11-23"
    assert [h.to_status for h in enrollment.history] == ["active", "removed"]
    notice = db_session.get(Application, enrollment.application_id).notices[-1]
    assert notice.kind == "enrollment_ended" and "Verification showed income over the limit" in notice.body
    assert "appeal" in notice.body
    again = world.submitted()  # no longer enrolled: no flag
    assert "already_enrolled" not in world.flags(again["id"])


def test_an_account_closed_by_an_import_ends_its_enrollments(world, app, db_session, tmp_path):
    enrollment = _approved(world, db_session)
    account = world.account
    row = [account.number, account.customer_name, account.service_address, account.city, account.zip,
           account.services, "closed", account.meter_type, "84.17"]
    result = app.test_cli_runner().invoke(args=["accounts", "import",
                                                str(write_csv(tmp_path / "close.csv", ACCOUNT_HEADER, [row]))])
    assert result.exit_code == 0, result.output
    db_session.refresh(enrollment)
    assert enrollment.status == "ended" and enrollment.end_reason == "The account was closed."
    assert db_session.get(Application, enrollment.application_id).notices[-1].kind == "enrollment_ended"


def test_the_customer_sees_their_programs(world, client, db_session):
    _approved(world, db_session)
    login(client, world.customer.email)
    page = client.get("/programs/mine").get_data(as_text=True)
    assert "California Alternate Rates for Energy (CARE)" in page and "active" in page
