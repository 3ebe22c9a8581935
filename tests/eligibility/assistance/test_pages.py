"""The application on pages, without JavaScript: each step saves the draft; the CSR decides on the page."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from applications.models import Application
from eligibility.enrollments.models import Enrollment
from tests.applications.helpers import TODAY, transcript
from tests.conftest import csrf_token, login, post_form
from tests.factories import link, make_account, make_user


@pytest.fixture
def customer(client, db_session, clock):
    clock.freeze(TODAY)
    user = make_user(db_session, "customer")
    account = make_account(db_session)
    link(db_session, user, account)
    login(client, user.email)
    return user, account


def _apply(client, account, programs=("CARE",)) -> int:
    response = post_form(client, "/apply", {"account_number": account.number, "programs": list(programs)},
                         token_from="/apply")
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    return int(re.search(r"/applications/(\d+)/household", response.location).group(1))


def _household(client, application_id, **extra):
    data = {"rows": "3", "name-0": "Zach T Woo", "age-0": "41", "relationship-0": "self", "ssn_last4-0": "1234",
            "amount-0": "3000", "frequency-0": "monthly", "kind-0": "wages", "name-1": "Leo Woo", "age-1": "8",
            "action": "save", **extra}
    return post_form(client, f"/applications/{application_id}/household", data,
                     token_from=f"/applications/{application_id}/household")


def _upload(client, application_id, files, requirement="income"):
    token = csrf_token(client, f"/applications/{application_id}/documents")
    return client.post(f"/applications/{application_id}/documents",
                       data={"csrf_token": token, "requirement": requirement,
                             "file": [(io.BytesIO(data), name) for data, name in files]},
                       content_type="multipart/form-data")


def test_a_customer_applies_step_by_step_and_every_step_is_saved(client, db_session, customer):
    user, account = customer
    application_id = _apply(client, account)
    assert _household(client, application_id).status_code == 302
    saved = db_session.get(Application, application_id)
    assert [m["name"] for m in saved.assistance.household["members"]] == ["Zach T Woo", "Leo Woo"]
    assert saved.assistance.household["members"][0]["incomes"] == [{"kind": "wages", "amount_cents": 300_000,
                                                         "frequency": "monthly"}]
    response = post_form(client, f"/applications/{application_id}/enrollments", {"categorical": ["SNAP"]},
                         token_from=f"/applications/{application_id}/enrollments")
    assert response.status_code == 302
    response = _upload(client, application_id, [(transcript(), "page1.pdf"), (transcript(tracking="100012345999"),
                                                                             "page2.pdf")])
    assert response.status_code == 302
    assert len(db_session.get(Application, application_id).attachments) == 2
    review = client.get(f"/applications/{application_id}/review").get_data(as_text=True)
    assert "Zach T Woo" in review and "page2.pdf" in review
    refused = post_form(client, f"/applications/{application_id}/review", {"signature": ""},
                        token_from=f"/applications/{application_id}/review")
    assert refused.status_code == 422 and 'id="signature-error-1"' in refused.get_data(as_text=True)
    # SNAP was claimed and no proof of it came: the customer is told what is missing and confirms.
    unconfirmed = post_form(client, f"/applications/{application_id}/review", {"signature": "Zach T Woo"},
                            token_from=f"/applications/{application_id}/review")
    told = unconfirmed.get_data(as_text=True)
    assert unconfirmed.status_code == 422 and 'id="send_without-error-1"' in told
    assert "proof that your household gets" in told and db_session.get(Application, application_id).status == "draft"
    sent = post_form(client, f"/applications/{application_id}/review", {"signature": "Zach T Woo",
                                                                         "send_without": "yes"},
                     token_from=f"/applications/{application_id}/review")
    assert sent.status_code == 302
    status = client.get(sent.location).get_data(as_text=True)
    number = db_session.get(Application, application_id).number
    assert number in status and "We received your application" in status


def test_a_bad_file_among_good_ones_keeps_the_good_ones(client, db_session, customer):
    _user, account = customer
    application_id = _apply(client, account)
    response = _upload(client, application_id, [(transcript(), "good.pdf"), (b"MZ not a pdf", "bad.pdf")])
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "bad.pdf" in body
    assert [a.document.original_filename for a in db_session.get(Application, application_id).attachments] == ["good.pdf"]


def test_a_master_metered_tenant_is_told_what_to_do_on_the_page(client, db_session, customer):
    user, _account = customer
    building = make_account(db_session, meter_type="master")
    link(db_session, user, building)
    response = post_form(client, "/apply", {"account_number": building.number, "programs": ["CARE"]},
                         token_from="/apply")
    assert response.status_code == 422 and "landlord" in response.get_data(as_text=True)


def test_a_csr_approves_on_the_page_and_a_stale_form_gets_409(app, client, db_session, customer):
    _user, account = customer
    application_id = _apply(client, account)
    _household(client, application_id)
    _upload(client, application_id, [(transcript(), "t.pdf")])
    post_form(client, f"/applications/{application_id}/review", {"signature": "Zach T Woo"},
              token_from=f"/applications/{application_id}/review")
    staff = app.test_client()
    login(staff, make_user(db_session, "csr").email)
    queue = staff.get("/staff/queue").get_data(as_text=True)
    number = db_session.get(Application, application_id).number
    assert number in queue
    page = staff.get(f"/staff/applications/{application_id}").get_data(as_text=True)
    assert "$36,000.00" in page and "Your household of 2 earns $36,000 a year." in page
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    response = post_form(staff, f"/staff/applications/{application_id}/decision",
                         {"decision": "approve", "program": "CARE", "version": version, "note": "ok"},
                         token_from=f"/staff/applications/{application_id}")
    assert response.status_code == 302
    assert db_session.scalar(select(Enrollment).where(Enrollment.application_id == application_id))
    stale = post_form(staff, f"/staff/applications/{application_id}/decision",
                      {"decision": "deny", "program": "CARE", "reason": "over_income", "version": version},
                      token_from=f"/staff/applications/{application_id}")
    assert stale.status_code == 409 and "Someone else changed this application first" in stale.get_data(as_text=True)
    status = client.get(f"/applications/{application_id}").get_data(as_text=True)
    assert "You are approved for California Alternate Rates for Energy (CARE)" in status


def test_customer_b_cannot_open_customer_as_application_pages(app, client, db_session, customer):
    _user, account = customer
    application_id = _apply(client, account)
    other = app.test_client()
    login(other, make_user(db_session, "customer").email)
    for path in ("household", "enrollments", "documents", "review"):
        assert other.get(f"/applications/{application_id}/{path}").status_code == 404
    assert other.get(f"/applications/{application_id}").status_code == 404
    assert _upload(other, application_id, [(transcript(), "t.pdf")]).status_code == 404


def test_the_customer_reads_and_prints_a_notice_in_spanish(app, client, db_session, customer):
    user, account = customer
    user.language = "es"
    application_id = _apply(client, account)
    _household(client, application_id)
    _upload(client, application_id, [(transcript(), "t.pdf")])
    post_form(client, f"/applications/{application_id}/review", {"signature": "Zach T Woo"},
              token_from=f"/applications/{application_id}/review")
    notice = db_session.get(Application, application_id).notices[0]
    assert notice.language == "es" and notice.subject.startswith("Recibimos su solicitud")
    letter = client.get(f"/applications/{application_id}/notices/{notice.id}").get_data(as_text=True)
    assert "Recibimos su solicitud el 23 de noviembre de 2026" in letter


def test_managers_keep_the_denial_reasons_and_csrs_cannot(app, client, db_session):
    from applications.models import DenialReason

    csr = app.test_client()
    login(csr, make_user(db_session, "csr").email)
    assert csr.get("/staff/denial-reasons").status_code == 403
    login(client, make_user(db_session, "manager").email)
    refused = post_form(client, "/staff/denial-reasons", {"code": "Bad Code!", "label_en": "x", "label_es": ""},
                        token_from="/staff/denial-reasons")
    assert refused.status_code == 422 and 'id="label_es-error-1"' in refused.get_data(as_text=True)
    added = post_form(client, "/staff/denial-reasons", {"code": "income_not_verified",
                                                        "label_en": "We could not verify the income",
                                                        "label_es": "No pudimos verificar los ingresos"},
                      token_from="/staff/denial-reasons")
    assert added.status_code == 302
    reason = db_session.scalar(select(DenialReason).where(DenialReason.code == "income_not_verified"))
    assert reason.active and reason.labels["es"] == "No pudimos verificar los ingresos"
    post_form(client, "/staff/denial-reasons", {"action": "toggle", "id": str(reason.id)},
              token_from="/staff/denial-reasons")
    db_session.refresh(reason)
    assert not reason.active


def test_a_csr_adds_notes_assigns_and_reopens_a_closed_application(app, client, db_session, customer, clock):
    from datetime import timedelta

    from applications import service as lifecycle
    from eligibility.assistance import service

    _user, account = customer
    application_id = _apply(client, account)
    _household(client, application_id)
    _upload(client, application_id, [(transcript(), "t.pdf")])
    post_form(client, f"/applications/{application_id}/review", {"signature": "Zach T Woo"},
              token_from=f"/applications/{application_id}/review")
    staff = app.test_client()
    login(staff, make_user(db_session, "csr").email)
    page = f"/staff/applications/{application_id}"
    empty = post_form(staff, f"{page}/notes", {"note_text": " "}, token_from=page)
    assert empty.status_code == 422 and 'id="note_text-error-1"' in empty.get_data(as_text=True)
    post_form(staff, f"{page}/notes", {"note_text": "Called the customer; page 2 is coming"}, token_from=page)
    other = make_user(db_session, "csr")
    post_form(staff, f"{page}/assign", {"user_id": str(other.id)}, token_from=page)
    application = db_session.get(Application, application_id)
    assert application.assigned_to_id == other.id
    assert "Called the customer; page 2 is coming" in staff.get(page).get_data(as_text=True)
    lifecycle.decide(db_session, other, application, decision="request_info", checklist=["Page 2"])
    clock.advance(timedelta(days=46))
    lifecycle.close_overdue(db_session)
    staff = app.test_client()  # 46 days later: a new sign-in
    login(staff, other.email)
    response = post_form(staff, f"{page}/reopen", {"reopen_reason": "The customer called; the file is in the mail"},
                         token_from=page)
    assert response.status_code == 302
    db_session.refresh(application)
    assert application.status == "in_review"
