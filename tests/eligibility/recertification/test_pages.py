"""The pages: a renewal confirms or changes each fact, the CSR's worklist, the manager's months, My programs."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from applications.models import Application
from eligibility.assistance.models import AssistanceApplication
from notices.models import Notice
from tests.conftest import login, post_form
from tests.factories import make_enrollment, make_user
from tests.eligibility.recertification.test_cycle import extend_care, recert
from tests.applications.helpers import make_world


@pytest.fixture
def world(app, db_session, clock, tmp_path):
    extend_care(app, tmp_path)
    world = make_world(app, db_session, clock)
    world.enrollment = make_enrollment(db_session, account=world.account, applicant=world.customer,
                                       certified_from=date(2026, 11, 23))          # to 2028-11-22
    clock.freeze(datetime(2028, 11, 1, 18, tzinfo=timezone.utc))
    recert(app, "2028-11-01")                                                       # the 30-day reminder
    return world


def test_a_renewal_asks_to_confirm_or_change_each_person(world, client, db_session):
    login(client, world.customer.email)
    page = f"/programs/{world.enrollment.id}/recertify"
    started = post_form(client, page, token_from=page)
    household = started.location
    shown = client.get(household).get_data(as_text=True)
    assert 'value="Rosa Diaz"' in shown and 'name="confirm-0"' in shown
    form = {"rows": "3", "name-0": "Rosa Diaz", "age-0": "41", "relationship-0": "self", "amount-0": "2500.00",
            "frequency-0": "monthly", "kind-0": "wages"}
    refused = post_form(client, household, form, token_from=household)
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "Confirm that what we have for Rosa Diaz is still right" in text and 'aria-invalid="true"' in text
    assert post_form(client, household, {**form, "confirm-0": "yes"}, token_from=household).status_code == 302
    changed = post_form(client, household, {**form, "amount-0": "2650.00"}, token_from=household)
    assert changed.status_code == 302                    # a changed fact needs no tick
    application = db_session.scalar(select(Application).join(AssistanceApplication).where(AssistanceApplication.purpose == "recertification"))
    db_session.refresh(application)
    assert application.assistance.household["members"][0]["incomes"][0]["amount_cents"] == 265_000
    assert post_form(client, page, token_from=page).location == household   # the same renewal, not a second one


def test_the_csr_worklist_and_the_manager_month_view(world, app, db_session):
    staff = app.test_client()
    login(staff, world.csr.email)
    due = staff.get("/staff/recertification?view=due30").get_data(as_text=True)
    assert world.account.number in due and "Due in 30 days (1)" in due
    assert world.account.number in staff.get("/staff/recertification?view=nonresponders").get_data(as_text=True)
    assert world.account.number not in staff.get("/staff/recertification?view=grace").get_data(as_text=True)
    assert staff.get("/staff/recertification/months").status_code == 403
    manager = app.test_client()
    login(manager, world.manager.email)
    months = manager.get("/staff/recertification/months?year=2028").get_data(as_text=True)
    assert "2028-11" in months and "30 days: 1" in months


def test_my_programs_offers_the_renewal_and_the_letters_and_keeps_them_private(world, client, db_session):
    login(client, world.customer.email)
    page = client.get("/programs/mine").get_data(as_text=True)
    assert f"/programs/{world.enrollment.id}/recertify" in page and "Time to renew" in page
    letter = db_session.scalar(select(Notice).where(Notice.enrollment_id == world.enrollment.id))
    assert "in 21 days" in client.get(f"/programs/letters/{letter.id}").get_data(as_text=True)
    stranger = world.app.test_client()
    login(stranger, make_user(db_session, "customer").email)
    assert stranger.get(f"/programs/letters/{letter.id}").status_code == 404
    assert stranger.get(f"/programs/{world.enrollment.id}/recertify").status_code == 404


def test_the_api_refuses_a_renewal_that_confirms_nobody_with_the_pages_message(world, app, client, db_session):
    """One rule: sent over the API without `confirmed_members`, the renewal is a 422 naming that field
    with the message the page gives by the person's tick box; confirmed, it is sent."""
    import html

    from tests.factories import api_headers

    login(client, world.customer.email)
    page = f"/programs/{world.enrollment.id}/recertify"
    household = post_form(client, page, token_from=page).location
    form = {"rows": "3", "name-0": "Rosa Diaz", "age-0": "41", "relationship-0": "self", "amount-0": "2500.00",
            "frequency-0": "monthly", "kind-0": "wages"}
    on_page = post_form(client, household, form, token_from=household).get_data(as_text=True)
    message = "Confirm that what we have for Rosa Diaz is still right, or change it."
    assert message in html.unescape(on_page)
    application = db_session.scalar(select(Application).join(AssistanceApplication).where(
        AssistanceApplication.purpose == "recertification"))
    headers = api_headers(app, world.customer)
    api = app.test_client()
    refused = api.post(f"/api/v1/applications/{application.id}/submit", json={"signature": "Rosa Diaz"},
                       headers=headers)
    assert refused.status_code == 422
    assert refused.json["error"]["fields"] == {"confirmed_members": [message]}
    db_session.refresh(application)
    assert application.status == "draft"
    sent = api.post(f"/api/v1/applications/{application.id}/submit",
                    json={"signature": "Rosa Diaz", "confirmed_members": [0]}, headers=headers)
    assert sent.status_code == 200 and sent.json["status"] == "submitted"


def test_the_renewal_confirmation_is_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").json
    body = spec["paths"]["/applications/{id}/submit"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    name = body["$ref"].rsplit("/", 1)[-1]
    schema = spec["components"]["schemas"][name]["properties"]["confirmed_members"]
    assert schema["type"] == "array" and schema["items"]["type"] == "integer"


def test_the_submit_step_checks_the_confirmation_the_household_step_recorded(world, app, client, db_session):
    """Going straight to the last step skips nobody's confirmation: the renewal is refused there until
    the household step recorded it, and then the API needs no `confirmed_members` either."""
    import html

    login(client, world.customer.email)
    page = f"/programs/{world.enrollment.id}/recertify"
    household = post_form(client, page, token_from=page).location
    application = db_session.scalar(select(Application).join(AssistanceApplication).where(
        AssistanceApplication.purpose == "recertification"))
    review = f"/applications/{application.id}/review"
    skipped = post_form(client, review, {"signature": "Rosa Diaz", "send_without": "yes"}, token_from=review)
    assert skipped.status_code == 422
    assert "Confirm that what we have for Rosa Diaz is still right, or change it." in html.unescape(
        skipped.get_data(as_text=True))
    db_session.refresh(application)
    assert application.status == "draft"
    form = {"rows": "3", "name-0": "Rosa Diaz", "age-0": "41", "relationship-0": "self", "amount-0": "2500.00",
            "frequency-0": "monthly", "kind-0": "wages", "confirm-0": "yes"}
    assert post_form(client, household, form, token_from=household).status_code == 302
    db_session.refresh(application)
    assert application.assistance.confirmed_members == [0]
    sent = post_form(client, review, {"signature": "Rosa Diaz", "send_without": "yes"}, token_from=review)
    assert sent.status_code == 302, sent.get_data(as_text=True)
    db_session.refresh(application)
    assert application.status == "submitted"
