"""The right programs for the right utility: service areas everywhere, programs switched on per
deployment, the demo's example program kept to the demo."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from core.audit import AuditRecord
from eligibility import definitions, service
from eligibility.models import Program
from tests.conftest import login, post_form
from tests.eligibility.helpers import household, shipped_catalog
from tests.factories import api_headers, link, make_account, make_user

MARCH_2026 = datetime(2026, 3, 10, 18, 0, tzinfo=timezone.utc)
ALAMEDA, LOS_ANGELES, SEATTLE, RENO = "94501", "90012", "98118", "89501"
CALIFORNIA = {"CARE", "FERA", "LIHEAP-CA"}


@pytest.fixture
def march(clock):
    clock.freeze(MARCH_2026)
    return clock


def _one_person(income="1500.00"):
    return {"members": [{"age": 40, "incomes": [{"kind": "wages", "amount": income, "frequency": "monthly"}]}]}


@pytest.mark.parametrize("zip_code, offered", [
    (ALAMEDA, CALIFORNIA),
    (LOS_ANGELES, CALIFORNIA | {"EZSAVE"}),
    ("91405", CALIFORNIA | {"EZSAVE"}),      # Van Nuys, in the city of Los Angeles
    ("96161", CALIFORNIA),                   # Truckee: the last California prefix
    (SEATTLE, {"SEATTLE-UDP"}),
    ("98004", set()),                        # Bellevue: Washington, but not Seattle
    (RENO, set()),
])
def test_each_program_is_offered_only_in_its_service_area(zip_code, offered):
    catalog = shipped_catalog(with_example=False)
    assert set(catalog.open_programs(date(2026, 3, 1), zip_code)) == offered
    for code in ("CARE", "EZSAVE", "SEATTLE-UDP"):
        result = catalog.determine(code, household(1, 100), (), date(2026, 3, 1), zip_code=zip_code)
        assert ("outside_service_area" in result.reasons) == (code not in offered)


def test_the_migrations_give_the_shipped_programs_their_areas(db_session):
    areas = {p.code: p.service_area for p in db_session.scalars(select(Program))}
    assert {code: areas[code]["states"] for code in CALIFORNIA} == {code: ["CA"] for code in CALIFORNIA}
    assert LOS_ANGELES in areas["EZSAVE"]["zips"] and ALAMEDA not in areas["EZSAVE"]["zips"]
    assert areas["SEATTLE-UDP"] is None  # its rule version carries Seattle's ZIP codes
    # Loading the shipped file again changes nothing: the areas are the same data.
    report = service.load_definitions(db_session, definitions.read_file(definitions.DATA / "programs.json"))
    assert report.programs_updated == [] and report.versions_added == []


def test_the_screener_api_never_offers_a_program_outside_its_area(client, march):
    def offered(zip_code):
        body = client.post("/api/v1/eligibility/screen", json={"zip": zip_code, "household": _one_person()})
        assert body.status_code == 200
        return {p["program"] for p in body.get_json()["programs"]}

    assert offered(ALAMEDA) == CALIFORNIA  # no EZ-SAVE for Alameda, no Seattle program
    assert offered(LOS_ANGELES) == CALIFORNIA | {"EZSAVE"}
    assert offered(SEATTLE) == {"SEATTLE-UDP"}
    assert offered(RENO) == set()


def test_the_screener_page_says_when_no_program_serves_the_zip(client, march):
    response = post_form(client, "/screen", {"zip": RENO, "rows": "2", "age-0": "40", "amount-0": "1500",
                                             "action": "check"}, token_from="/screen")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "None of our programs serves ZIP code 89501" in body and "likely yes" not in body
    alameda = post_form(client, "/screen", {"zip": ALAMEDA, "rows": "2", "age-0": "40", "amount-0": "1500",
                                            "action": "check"}, token_from="/screen").get_data(as_text=True)
    assert "EZ-SAVE" not in alameda and "Seattle" not in alameda and "(CARE)" in alameda


@pytest.fixture
def alameda_customer(client, db_session, march):
    user = make_user(db_session, "customer")
    account = make_account(db_session, zip_code=ALAMEDA)
    link(db_session, user, account)
    return user, account


def test_an_application_cannot_ask_for_a_program_outside_the_accounts_area(app, client, db_session,
                                                                          alameda_customer):
    user, account = alameda_customer
    headers = api_headers(app, user)
    refused = client.post("/api/v1/applications", headers=headers,
                          json={"account_number": account.number, "programs": ["CARE", "EZSAVE"],
                                "household": {"members": [{"name": "Rosa Diaz", "age": 40, "incomes": []}]}})
    assert refused.status_code == 422
    assert "EZSAVE is not offered at this account's address (ZIP code 94501)." in refused.get_json()["error"]["fields"]["programs"]
    made = client.post("/api/v1/applications", headers=headers,
                       json={"account_number": account.number, "programs": ["CARE"],
                             "household": {"members": [{"name": "Rosa Diaz", "age": 40, "incomes": []}]}})
    assert made.status_code == 201
    changed = client.patch(f"/api/v1/applications/{made.get_json()['id']}", headers=headers,
                           json={"programs": ["CARE", "SEATTLE-UDP"]})
    assert changed.status_code == 422 and "programs" in changed.get_json()["error"]["fields"]


def test_the_apply_page_offers_only_the_programs_of_the_accounts_area(client, alameda_customer):
    user, account = alameda_customer
    login(client, user.email)
    body = client.get("/apply").get_data(as_text=True)
    assert 'value="CARE"' in body and 'value="LIHEAP-CA"' in body
    assert 'value="EZSAVE"' not in body and 'value="SEATTLE-UDP"' not in body
    refused = post_form(client, "/apply", {"account_number": account.number, "programs": ["EZSAVE"]},
                        token_from="/apply")
    assert refused.status_code == 422 and "EZSAVE is not offered at this account" in refused.get_data(as_text=True)


@pytest.fixture
def example_program(db_session):
    service.load_definitions(db_session, definitions.example())
    return service.get_program(db_session, "EXAMPLE-TIERED")


def test_the_example_program_is_never_shown_to_the_public_outside_the_demo(app, client, db_session, march,
                                                                          example_program, monkeypatch):
    monkeypatch.setitem(app.config, "ASSIST_DEMO", False)
    body = client.post("/api/v1/eligibility/screen", json={"zip": ALAMEDA, "household": _one_person()}).get_json()
    assert "EXAMPLE-TIERED" not in {p["program"] for p in body["programs"]}
    user = make_user(db_session, "customer")
    account = make_account(db_session)
    link(db_session, user, account)
    login(client, user.email)
    assert 'value="EXAMPLE-TIERED"' not in client.get("/apply").get_data(as_text=True)
    refused = post_form(client, "/apply", {"account_number": account.number, "programs": ["EXAMPLE-TIERED"]},
                        token_from="/apply")
    assert refused.status_code == 422 and "EXAMPLE-TIERED is not open for applications." in refused.get_data(as_text=True)
    # In the demo (ASSIST_DEMO, as `make run` sets it) the public can try it.
    monkeypatch.setitem(app.config, "ASSIST_DEMO", True)
    body = client.post("/api/v1/eligibility/screen", json={"zip": ALAMEDA, "household": _one_person()}).get_json()
    assert "EXAMPLE-TIERED" in {p["program"] for p in body["programs"]}


def test_the_setting_switches_off_what_the_utility_does_not_run(app, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "ASSIST_PROGRAMS", ("CARE", "FERA", "LIHEAP-CA"))
    assert service.apply_programs_setting(db_session) == ["EZSAVE", "SEATTLE-UDP"]
    enabled = {p.code: p.enabled for p in db_session.scalars(select(Program))}
    assert enabled == {"CARE": True, "FERA": True, "LIHEAP-CA": True, "EZSAVE": False, "SEATTLE-UDP": False}
    records = db_session.scalars(select(AuditRecord).where(AuditRecord.action == "program.switched_off")).all()
    assert {r.object_id for r in records} == {"EZSAVE", "SEATTLE-UDP"}
    assert {r.reason for r in records} == {"not in the ASSIST_PROGRAMS setting"}
    with pytest.raises(Exception, match="ASSIST_PROGRAMS"):
        service.set_enabled(db_session, service.get_program(db_session, "EZSAVE"), True, "try")
    assert service.apply_programs_setting(db_session) == []  # twice changes nothing


def _programs(app, *args):
    return app.test_cli_runner().invoke(args=["programs", *args])


def test_programs_enable_and_disable_switch_a_program_with_a_record(app, db_session, monkeypatch):
    result = _programs(app, "disable", "ezsave", "--reason", "LADWP programs are not ours")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"program": "EZSAVE", "enabled": False}
    db_session.expire_all()
    assert not service.get_program(db_session, "EZSAVE").enabled
    record = db_session.scalars(select(AuditRecord).where(AuditRecord.action == "program.switched_off",
                                                          AuditRecord.object_id == "EZSAVE")).one()
    assert record.reason == "LADWP programs are not ours" and record.actor_label == "cli: programs disable"
    assert json.loads(_programs(app, "enable", "EZSAVE").stdout) == {"program": "EZSAVE", "enabled": True}
    monkeypatch.setitem(app.config, "ASSIST_PROGRAMS", ("CARE",))
    refused = _programs(app, "enable", "FERA")
    assert refused.exit_code != 0 and "ASSIST_PROGRAMS" in refused.output
    assert _programs(app, "enable", "NOPE").exit_code != 0


def test_db_upgrade_applies_the_setting_and_without_it_every_program_is_on(fresh_owner_database_url):
    from app import create_app
    from core.database import db
    from tests.conftest import test_config

    def enabled(app):
        with app.app_context():
            return {p.code: p.enabled for p in db.session.scalars(select(Program))}

    everything = create_app(test_config(fresh_owner_database_url))
    assert all(enabled(everything).values())  # after `db upgrade` with no setting, as before
    db.engine(everything).dispose()
    app = create_app(test_config(fresh_owner_database_url, ASSIST_PROGRAMS=("SEATTLE-UDP",)))
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert enabled(app) == {"CARE": False, "FERA": False, "EZSAVE": False, "LIHEAP-CA": False, "SEATTLE-UDP": True}
    db.engine(app).dispose()
