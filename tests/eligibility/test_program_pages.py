"""Managers keep rules current on pages: a new version from the current one, history, switching off."""
from __future__ import annotations

import html
import json
import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from core.audit import AuditRecord
from eligibility import service
from tests.conftest import login, post_form
from tests.factories import make_user

NOV_2026 = datetime(2026, 11, 23, 18, 0, tzinfo=timezone.utc)


@pytest.fixture
def manager(client, db_session, clock):
    clock.freeze(NOV_2026)
    user = make_user(db_session, "manager")
    login(client, user.email)
    return user


def _new_version_form(client, code="CARE") -> dict:
    """The rules box as the page fills it: the current version, in dollars."""
    page = client.get(f"/staff/programs/{code}/versions/new").get_data(as_text=True)
    match = re.search(r'<textarea[^>]*id="rules"[^>]*>(.*?)</textarea>', page, re.S)
    return json.loads(html.unescape(match.group(1)))


def test_staff_see_programs_and_the_limits_in_effect(client, db_session, clock):
    clock.freeze(NOV_2026)
    login(client, make_user(db_session, "csr").email)
    listing = client.get("/staff/programs").get_data(as_text=True)
    assert "CARE.v3" in listing and "SEATTLE-UDP" in listing
    page = client.get("/staff/programs/CARE").get_data(as_text=True)
    assert "$54,640.00" in page  # 3 people, 2026-27
    assert "Make a new version" not in page  # CSRs read; managers change


def test_a_csr_cannot_make_versions_or_switch_programs(client, db_session):
    login(client, make_user(db_session, "csr").email)
    assert client.get("/staff/programs/CARE/versions/new").status_code == 403
    response = post_form(client, "/staff/programs/CARE/switch", {"enabled": "0", "reason": "x"},
                         token_from="/staff/programs")
    assert response.status_code == 403
    assert service.get_program(db_session, "CARE").enabled


def test_a_manager_makes_a_new_version_from_the_current_one(client, db_session, manager):
    rules = _new_version_form(client)
    rules["benefit"]["percent"]["electric"] = "32.5"
    response = post_form(client, "/staff/programs/CARE/versions/new", {
        "label": "2026-27 rev", "effective_from": "2027-01-01", "effective_to": "2027-05-31",
        "source": "CPUC resolution (test)", "note": "Electric discount lowered by the commission",
        "rules": json.dumps(rules)}, token_from="/staff/programs/CARE/versions/new")
    assert response.status_code == 302, response.get_data(as_text=True)
    program = service.get_program(db_session, "CARE")
    newest = program.versions[-1]
    assert newest.number == 4 and newest.rules["benefit"]["percent"]["electric"] == "32.5"
    assert newest.created_by_id == manager.id and newest.created_by_label == manager.email
    earlier = [v.rules["benefit"]["percent"]["electric"] for v in program.versions[:-1]]
    assert earlier == ["35", "35", "35"]  # versions already saved did not change
    page = client.get("/staff/programs/CARE").get_data(as_text=True)
    assert "CARE.v4" in page and "Electric discount lowered by the commission" in page and "upcoming" in page
    record = db_session.scalar(select(AuditRecord).where(AuditRecord.object_id == "CARE.v4"))
    assert record.actor_id == manager.id and record.reason == "Electric discount lowered by the commission"


def test_a_new_version_cannot_start_in_the_past(client, db_session, manager):
    response = post_form(client, "/staff/programs/CARE/versions/new", {
        "label": "x", "effective_from": "2026-01-01", "source": "s", "note": "why",
        "rules": json.dumps(_new_version_form(client))}, token_from="/staff/programs/CARE/versions/new")
    assert response.status_code == 422
    assert 'id="effective_from-error-1"' in response.get_data(as_text=True)
    assert len(service.get_program(db_session, "CARE").versions) == 3


def test_the_rule_against_past_versions_holds_outside_the_page_too(app, db_session, manager):
    """The service refuses it, so no caller (page, command, a future API) can add a version in the past."""
    from core.errors import Invalid
    from eligibility import definitions

    program = service.get_program(db_session, "CARE")
    rules = definitions.to_file_rules(program.versions[-1].rules)
    version = definitions.parse_version({"label": "x", "effective_from": "2026-01-01", "source": "s", "note": "why"},
                                        rules)
    with app.test_request_context("/"), pytest.raises(Invalid) as refused:
        service.add_version(db_session, program, version)
    assert "effective_from" in refused.value.fields
    assert len(service.get_program(db_session, "CARE").versions) == 3


@pytest.mark.parametrize("rules_text, message", [
    ('{"limit": ', "The rules are not valid JSON"),
    (None, "limit.percent: A percentage is between 0 and 1000."),
])
def test_bad_rules_are_shown_by_the_field_and_kept(client, db_session, manager, rules_text, message):
    if rules_text is None:
        rules = _new_version_form(client)
        rules["limit"]["percent"] = "-5"
        rules_text = json.dumps(rules)
    response = post_form(client, "/staff/programs/CARE/versions/new", {
        "label": "x", "effective_from": "2027-01-01", "source": "s", "note": "why", "rules": rules_text},
        token_from="/staff/programs/CARE/versions/new")
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and message in body and 'href="#rules"' in body
    assert "limit" in body  # the text stays in the box


def test_a_manager_switches_a_program_off_with_a_reason(client, db_session, manager):
    refused = post_form(client, "/staff/programs/FERA/switch", {"enabled": "0", "reason": ""},
                        token_from="/staff/programs/FERA")
    assert refused.status_code == 422 and service.get_program(db_session, "FERA").enabled
    response = post_form(client, "/staff/programs/FERA/switch", {"enabled": "0", "reason": "Not offered here"},
                         token_from="/staff/programs/FERA")
    assert response.status_code == 302
    assert not service.get_program(db_session, "FERA").enabled
    page = client.get("/staff/programs/FERA").get_data(as_text=True)
    assert "program.switched_off" in page and "Not offered here" in page
