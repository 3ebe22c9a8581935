"""The customer's way through: from the screener to an application with the household carried
over, one draft per account, several incomes a person, confirmations before withdrawing or
deactivating, where a customer stands after signing in, and the pages every footer links to."""
from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from applications.models import Application
from tests.applications.helpers import TODAY, make_world
from tests.conftest import login, post_form
from tests.factories import link, make_account, make_user

SCREENED = {"zip": "94501", "rows": "2", "age-0": "38", "amount-0": "2000", "frequency-0": "monthly",
            "kind-0": "wages", "incomes-0": "2", "amount-0-1": "400", "frequency-0-1": "monthly",
            "kind-0-1": "child_support", "age-1": "9", "categorical": ["WIC"], "action": "check"}


@pytest.fixture
def customer(client, db_session, clock):
    clock.freeze(TODAY)
    user = make_user(db_session, "customer")
    account = make_account(db_session)
    link(db_session, user, account)
    login(client, user.email)
    return user, account


def _apply_links(body: str) -> dict[str, str]:
    return {m.group(2): unescape(m.group(1))
            for m in re.finditer(r'href="(/apply\?programs=([A-Z-]+)&amp;screened=[^"]+)"', body)}


def test_the_screener_adds_incomes_and_counts_them_all(client, clock):
    clock.freeze(TODAY)
    added = post_form(client, "/screen", {**SCREENED, "incomes-0": "1", "action": "income-0"}, token_from="/screen")
    body = added.get_data(as_text=True)
    assert 'id="amount-0-1"' in body and 'id="kind-0-1"' in body and 'id="amount-1-1"' not in body
    result = post_form(client, "/screen", SCREENED, token_from="/screen").get_data(as_text=True)
    # $2,000 of wages and $400 of child support a month: $28,800 a year for the household of 2.
    assert "Your household of 2 earns $28,800 a year." in result


def test_every_likely_yes_links_to_apply_with_the_household(client, db_session, customer):
    user, account = customer
    body = post_form(client, "/screen", SCREENED, token_from="/screen").get_data(as_text=True)
    links = _apply_links(body)
    likely_yes = set(re.findall(r'id="program-([A-Z-]+)">[^<]*:\s*<span class="assist-yes"', body))
    assert likely_yes and set(links) == likely_yes  # a link for each "likely yes", none for a "likely no"
    page = client.get(links["CARE"]).get_data(as_text=True)
    assert "We brought over the people and incomes" in page and 'id="program-CARE" type="checkbox"' in page
    assert re.search(r'id="program-CARE" type="checkbox" name="programs" value="CARE" checked', page)
    token = re.search(r'name="screened" value="([^"]+)"', page).group(1)
    response = post_form(client, "/apply", {"account_number": account.number, "programs": ["CARE"],
                                            "screened": token}, token_from="/apply")
    assert response.status_code == 302
    application = db_session.scalars(select(Application).where(Application.applicant_id == user.id)).one()
    members = application.assistance.household["members"]
    assert [m["age"] for m in members] == [38, 9] and application.assistance.categorical == ["WIC"]
    assert members[0]["incomes"] == [{"kind": "wages", "amount_cents": 200_000, "frequency": "monthly"},
                                     {"kind": "child_support", "amount_cents": 40_000, "frequency": "monthly"}]
    household = client.get(response.location).get_data(as_text=True)
    assert 'value="2000.00"' in household and 'value="400.00"' in household  # both incomes, ready to check
    assert 'id="name-0"' in household  # names are still to give


def test_an_altered_screener_link_carries_nothing(client, db_session, customer):
    user, account = customer
    response = post_form(client, "/apply", {"account_number": account.number, "programs": ["CARE"],
                                            "screened": "not-a-real-token"}, token_from="/apply")
    assert response.status_code == 302
    application = db_session.scalars(select(Application).where(Application.applicant_id == user.id)).one()
    assert application.assistance.household["members"] == []


def test_the_application_keeps_several_incomes_a_person(client, db_session, customer):
    user, account = customer
    application_id = int(re.search(r"/applications/(\d+)/", post_form(
        client, "/apply", {"account_number": account.number, "programs": ["CARE"]}, token_from="/apply").location
                                   ).group(1))
    path = f"/applications/{application_id}/household"
    form = {"rows": "2", "name-0": "Rosa Diaz", "age-0": "41", "relationship-0": "self", "amount-0": "2500",
            "frequency-0": "monthly", "kind-0": "wages", "incomes-0": "1", "name-1": "Leo Diaz", "age-1": "8"}
    more = post_form(client, path, {**form, "action": "income-0"}, token_from=path).get_data(as_text=True)
    assert 'id="amount-0-1"' in more and 'value="Rosa Diaz"' in more  # nothing typed is lost
    saved = post_form(client, path, {**form, "incomes-0": "2", "amount-0-1": "350", "frequency-0-1": "monthly",
                                     "kind-0-1": "child_support", "action": "save"}, token_from=path)
    assert saved.status_code == 302
    application = db_session.get(Application, application_id)
    assert application.assistance.household["members"][0]["incomes"] == [
        {"kind": "wages", "amount_cents": 250_000, "frequency": "monthly"},
        {"kind": "child_support", "amount_cents": 35_000, "frequency": "monthly"}]
    bad = post_form(client, path, {**form, "incomes-0": "2", "amount-0-1": "lots", "action": "save"}, token_from=path)
    body = bad.get_data(as_text=True)
    assert bad.status_code == 422 and 'href="#amount-0-1"' in body and 'aria-describedby="amount-0-1-error-1"' in body


def test_start_resumes_the_open_draft_of_the_same_account(client, db_session, customer):
    user, account = customer
    first = post_form(client, "/apply", {"account_number": account.number, "programs": ["CARE"]}, token_from="/apply")
    assert "You have an application in progress" in client.get("/apply").get_data(as_text=True)
    again = post_form(client, "/apply", {"account_number": account.number, "programs": ["FERA"]},
                      token_from="/apply")
    assert again.location == first.location
    drafts = db_session.scalars(select(Application).where(Application.applicant_id == user.id)).all()
    assert len(drafts) == 1
    assert {ap.program.code for ap in drafts[0].programs} == {"CARE", "FERA"}
    assert "You already had an application in progress" in client.get(again.location).get_data(as_text=True)


def test_another_customers_draft_on_the_same_account_is_never_resumed(app, db_session, customer):
    user, account = customer
    other = make_user(db_session, "customer")
    link(db_session, other, account)
    theirs = app.test_client()
    login(theirs, other.email)
    made = post_form(theirs, "/apply", {"account_number": account.number, "programs": ["CARE"]}, token_from="/apply")
    mine = app.test_client()
    login(mine, user.email)
    assert "You have an application in progress" not in mine.get("/apply").get_data(as_text=True)
    own = post_form(mine, "/apply", {"account_number": account.number, "programs": ["CARE"]}, token_from="/apply")
    assert own.location != made.location
    assert db_session.scalar(select(func.count()).select_from(Application)
                             .where(Application.account_id == account.id)) == 2


def test_withdraw_asks_for_confirmation_and_says_what_happens(app, client, db_session, clock):
    world = make_world(app, db_session, clock)
    application = world.submitted()
    login(client, world.customer.email)
    path = f"/applications/{application['id']}"
    asked = post_form(client, f"{path}/withdraw", {"withdraw_reason": "moved"}, token_from=path)
    body = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Withdraw your application?" in body
    assert "We stop reviewing it for: California Alternate Rates for Energy (CARE)." in body
    assert 'value="moved"' in body and "No, keep my application" in body
    assert db_session.get(Application, application["id"]).status == "submitted"
    done = post_form(client, f"{path}/withdraw", {"withdraw_reason": "moved", "confirm": "yes"}, token_from=path)
    assert done.status_code == 302
    db_session.expire_all()
    assert db_session.get(Application, application["id"]).status == "withdrawn"


def test_deactivate_asks_for_confirmation_and_says_what_happens(client, db_session):
    admin, user = make_user(db_session, "admin"), make_user(db_session, "csr")
    login(client, admin.email)
    asked = post_form(client, f"/admin/users/{user.id}", {"action": "deactivate", "reason": "left"},
                      token_from="/admin/users")
    body = asked.get_data(as_text=True)
    assert asked.status_code == 200 and f"Deactivate {user.email}?" in body and "signed out everywhere" in body
    db_session.expire_all()
    assert db_session.get(type(user), user.id).active
    post_form(client, f"/admin/users/{user.id}", {"action": "deactivate", "reason": "left", "confirm": "yes"},
              token_from="/admin/users")
    db_session.expire_all()
    assert not db_session.get(type(user), user.id).active


def _next_step(client) -> str:
    body = client.get("/").get_data(as_text=True)
    section = body[body.index('id="standing-heading"'):]
    return unescape(re.search(r'class="usa-button"[^>]*>([^<]+)</a>', section).group(1))


def test_after_sign_in_a_customer_sees_where_they_stand_and_the_next_step(client, db_session, clock):
    clock.freeze(TODAY)
    user = make_user(db_session, "customer")
    login(client, user.email)
    assert _next_step(client) == "Link an account"
    account = make_account(db_session)
    link(db_session, user, account)
    assert _next_step(client) == "Apply for help with your bill"
    post_form(client, "/apply", {"account_number": account.number, "programs": ["CARE"]}, token_from="/apply")
    assert _next_step(client) == "Finish your application"
    application = db_session.scalars(select(Application).where(Application.applicant_id == user.id)).one()
    application.status, application.number = "needs_info", "A-TEST-1"
    application.info_due_on = TODAY.date() + timedelta(days=20)
    db_session.flush()
    assert _next_step(client) == "Answer our request"
    assert "We need more information for application A-TEST-1 by December 13, 2026." in client.get("/").get_data(as_text=True)


def test_staff_and_visitors_see_no_standing(client, db_session):
    assert 'id="standing-heading"' not in client.get("/").get_data(as_text=True)
    login(client, make_user(db_session, "csr").email)
    assert 'id="standing-heading"' not in client.get("/").get_data(as_text=True)


def test_after_linking_an_account_the_customer_can_apply_for_help_with_this_bill(client, db_session, clock):
    clock.freeze(TODAY)
    user = make_user(db_session, "customer")
    account = make_account(db_session, last_bill_cents=8417)
    login(client, user.email)
    linked = post_form(client, "/accounts", {"account_number": account.number, "zip": account.zip,
                                             "last_bill_amount": "84.17"}, token_from="/accounts")
    assert linked.status_code == 302
    page = client.get(linked.location).get_data(as_text=True)
    assert f'href="/apply?account_number={account.number}">Apply for help with this bill</a>' in page
    start = client.get(f"/apply?account_number={account.number}").get_data(as_text=True)
    assert f'<option value="{account.number}" selected' in start


@pytest.mark.parametrize("path", ["/", "/screen", "/login", "/privacy", "/accessibility", "/contact"])
def test_every_page_links_the_privacy_accessibility_and_contact_pages(client, path):
    response = client.get(path)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    footer = body[body.index("<footer"):]
    for target in ('href="/privacy"', 'href="/accessibility"', 'href="/contact"'):
        assert target in footer


def test_the_contact_details_come_from_the_settings_in_the_page_language(app, client, monkeypatch):
    for key, value in {"UTILITY_NAME": "Alameda Municipal Power", "UTILITY_PHONE": "510-748-3900",
                       "UTILITY_HOURS": "Monday to Friday, 8 am to 5 pm",
                       "UTILITY_HOURS_ES": "De lunes a viernes, de 8 a 17 h",
                       "UTILITY_ADDRESS": "2000 Grand Street|Alameda, CA 94501"}.items():
        monkeypatch.setitem(app.config, key, value)
    body = client.get("/contact").get_data(as_text=True)
    assert "Alameda Municipal Power" in body and 'href="tel:510-748-3900"' in body
    assert "2000 Grand Street<br>Alameda, CA 94501" in body and "Monday to Friday, 8 am to 5 pm" in body
    privacy = client.get("/privacy").get_data(as_text=True)
    assert "deleted 365 days after" in privacy and "510-748-3900" in privacy
    post_form(client, "/language", {"language": "es", "next": "/contact"})
    spanish = client.get("/contact").get_data(as_text=True)
    assert "Contáctenos" in spanish and "De lunes a viernes, de 8 a 17 h" in spanish
    assert "Aviso de privacidad" in client.get("/privacy").get_data(as_text=True)
