"""The customer's way through on the pages (issue 13, §3): appeal of one program, an information
request answered in several uploads, Continue that sends the chosen file, sending with a document
missing, and a file over the size limit."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from applications import service as lifecycle
from eligibility.assistance import rules, service
from applications.models import Application, ApplicationEvent
from eligibility.enrollments.models import Enrollment
from tests.applications.helpers import make_world, transcript
from tests.conftest import csrf_token, login, post_form
from tests.factories import make_user


@pytest.fixture
def world(app, db_session, clock):
    return make_world(app, db_session, clock)


@pytest.fixture
def page(app, world):
    """The customer's browser, signed in."""
    client = app.test_client()
    login(client, world.customer.email)
    return client


def _upload(client, application_id, files, action="upload", path=None):
    """The upload form as the browser sends it (encoded in memory: a large body does not spool to a file)."""
    from werkzeug.datastructures import FileStorage, MultiDict
    from werkzeug.test import encode_multipart

    token = csrf_token(client, path or f"/applications/{application_id}")
    fields = MultiDict({"csrf_token": token, "requirement": "income", "action": action})
    for data, name in files:
        fields.add("file", FileStorage(io.BytesIO(data), filename=name, content_type="application/pdf"))
    boundary, body = encode_multipart(fields)
    return client.post(f"/applications/{application_id}/documents", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def _events(db_session, application_id) -> list[str]:
    return list(db_session.scalars(select(ApplicationEvent.action).where(
        ApplicationEvent.application_id == application_id).order_by(ApplicationEvent.id)))


def _reload(db_session, application_id) -> Application:
    application = db_session.get(Application, application_id)
    db_session.refresh(application)
    return application


# --- appeals per program -------------------------------------------------------------------------

def test_approved_for_one_program_and_denied_for_another_the_denial_can_be_appealed(world, page, db_session):
    body = world.submitted(("CARE", "FERA"))
    assert world.decide(body["id"], decision="approve", program="CARE").status_code == 200
    denied = world.decide(body["id"], decision="deny", program="FERA", reason="over_income")
    assert denied.json["status"] == "approved"  # what it was: the appeal form used to show only for "denied"
    letter = denied.json["notices"][-1]
    assert letter["kind"] == "denial"

    status = page.get(f"/applications/{body['id']}").get_data(as_text=True)
    assert 'id="reason-FERA"' in status and 'id="reason-CARE"' not in status  # only the denial is appealable

    empty = post_form(page, f"/applications/{body['id']}/appeal", {"program": "FERA", "reason": " "},
                      token_from=f"/applications/{body['id']}")
    assert empty.status_code == 422 and 'id="reason-FERA-error-1"' in empty.get_data(as_text=True)
    sent = post_form(page, f"/applications/{body['id']}/appeal",
                     {"program": "FERA", "reason": "We are four at home now, not three"},
                     token_from=f"/applications/{body['id']}")
    assert sent.status_code == 302
    application = _reload(db_session, body["id"])
    assert application.status == "appealed"
    assert {ap.program.code: ap.status for ap in application.programs} == {"CARE": "approved", "FERA": "denied"}
    care = db_session.scalar(select(Enrollment).where(Enrollment.application_id == body["id"]))
    assert care is not None and care.status == "active"  # the approval stands while the appeal is heard
    after = page.get(f"/applications/{body['id']}").get_data(as_text=True)
    assert "A manager is reviewing it." in after and 'id="reason-FERA"' not in after
    again = post_form(page, f"/applications/{body['id']}/appeal", {"program": "FERA", "reason": "again"},
                      token_from=f"/applications/{body['id']}")
    assert again.status_code == 409

    upheld = world.app.test_client().post(f"/api/v1/applications/{body['id']}/appeal-decision",
                                          json={"program": "FERA", "outcome": "upheld", "note": "Four at home, still over"},
                                          headers=world.manager_headers)
    assert upheld.status_code == 200 and upheld.json["status"] == "approved"
    assert "The denial was upheld." in page.get(f"/applications/{body['id']}").get_data(as_text=True)


def test_two_denials_appealed_stay_appealed_until_both_are_decided(world, page, db_session):
    body = world.submitted(("CARE", "FERA"))
    world.decide(body["id"], decision="deny", program="CARE", reason="over_income")
    world.decide(body["id"], decision="deny", program="FERA", reason="over_income")
    for code in ("CARE", "FERA"):
        response = post_form(page, f"/applications/{body['id']}/appeal", {"program": code, "reason": "New job ended"},
                             token_from=f"/applications/{body['id']}")
        assert response.status_code == 302
    decide = world.app.test_client().post
    first = decide(f"/api/v1/applications/{body['id']}/appeal-decision",
                   json={"program": "CARE", "outcome": "overturned", "note": "Income fell"}, headers=world.manager_headers)
    assert first.status_code == 200 and first.json["status"] == "appealed"  # FERA's appeal is still open
    second = decide(f"/api/v1/applications/{body['id']}/appeal-decision",
                    json={"program": "FERA", "outcome": "upheld", "note": "Not eligible"}, headers=world.manager_headers)
    assert second.status_code == 200 and second.json["status"] == "approved"


def test_a_denial_can_be_appealed_while_another_program_waits_and_the_csr_still_decides_it(world, page, db_session):
    body = world.submitted(("CARE", "FERA"))
    world.decide(body["id"], decision="deny", program="FERA", reason="over_income")
    sent = post_form(page, f"/applications/{body['id']}/appeal", {"program": "FERA", "reason": "We are four"},
                     token_from=f"/applications/{body['id']}")
    assert sent.status_code == 302
    assert _reload(db_session, body["id"]).status == "in_review"  # CARE is still the CSR's to decide
    approved = world.decide(body["id"], decision="approve", program="CARE")
    assert approved.status_code == 200 and approved.json["status"] == "appealed"


def test_another_customer_cannot_appeal(app, world, db_session):
    body = world.submitted(("CARE",))
    world.decide(body["id"], decision="deny", program="CARE", reason="over_income")
    other = app.test_client()
    login(other, make_user(db_session, "customer").email)
    response = post_form(other, f"/applications/{body['id']}/appeal", {"program": "CARE", "reason": "mine"},
                         token_from="/applications")
    assert response.status_code == 404
    assert _reload(db_session, body["id"]).status == "denied"


# --- an information request answered in several uploads -----------------------------------------

def test_an_information_request_is_answered_in_several_uploads_until_the_customer_is_done(app, world, page,
                                                                                          db_session, clock):
    body = world.submitted(("CARE",))
    asked = world.decide(body["id"], decision="request_info",
                         checklist=["Page 2 of your tax transcript", "Your spouse's last pay stub"])
    assert asked.json["status"] == "needs_info"
    clock.advance(timedelta(minutes=5))
    nothing = _upload(page, body["id"], [], action="finish")
    assert nothing.status_code == 422 and "Upload at least one file" in nothing.get_data(as_text=True)

    first = _upload(page, body["id"], [(transcript(tracking="100012345601"), "page2.pdf")])
    assert first.status_code == 302
    application = _reload(db_session, body["id"])
    assert application.status == "needs_info" and not application.customer_responded
    status = page.get(f"/applications/{body['id']}").get_data(as_text=True)
    assert "page2.pdf" in status and 'value="finish"' in status  # the form stays for the next item

    csr = app.test_client()
    login(csr, world.csr.email)
    staff_page = csr.get(f"/staff/applications/{body['id']}").get_data(as_text=True)
    assert "The customer uploaded page2.pdf." in staff_page  # the CSR sees each arrival

    clock.advance(timedelta(minutes=5))
    last = _upload(page, body["id"], [(transcript(tracking="100012345602"), "paystub.pdf")], action="finish")
    assert last.status_code == 302
    application = _reload(db_session, body["id"])
    assert application.status == "in_review" and application.customer_responded
    assert _events(db_session, body["id"])[-3:] == ["document_received", "document_received", "customer_responded"]
    done = page.get(f"/applications/{body['id']}").get_data(as_text=True)
    assert 'value="finish"' not in done


def test_a_request_answered_in_part_by_the_due_date_goes_to_a_csr_and_is_not_closed(world, page, db_session, clock):
    body = world.submitted(("CARE",))
    world.decide(body["id"], decision="request_info", checklist=["Page 2", "Pay stub"])
    clock.advance(timedelta(minutes=10))
    _upload(page, body["id"], [(transcript(tracking="100012345603"), "page2.pdf")])
    clock.advance(timedelta(days=46))
    assert lifecycle.close_overdue(db_session) == 0
    application = _reload(db_session, body["id"])
    assert application.status == "in_review" and application.customer_responded


# --- the documents step ---------------------------------------------------------------------------

def _draft(world) -> int:
    created = world.start(("CARE",))
    assert created.status_code == 201
    return created.json["id"]


def test_continue_sends_the_file_that_was_chosen(world, page, db_session):
    application_id = _draft(world)
    path = f"/applications/{application_id}/documents"
    response = _upload(page, application_id, [(transcript(), "chosen.pdf")], action="continue", path=path)
    assert response.status_code == 302 and response.location.endswith(f"/applications/{application_id}/review")
    assert [a.document.original_filename for a in _reload(db_session, application_id).attachments] == ["chosen.pdf"]
    nothing_chosen = _upload(page, application_id, [], action="continue", path=path)
    assert nothing_chosen.status_code == 302 and nothing_chosen.location.endswith("/review")


def test_sending_without_proof_of_income_is_told_and_confirmed_on_the_page_but_not_over_the_api(world, page,
                                                                                                db_session):
    application_id = _draft(world)
    review = f"/applications/{application_id}/review"
    shown = page.get(review).get_data(as_text=True)
    assert "proof of income: an IRS tax transcript" in shown and 'id="send_without"' in shown
    refused = post_form(page, review, {"signature": "Zach T Woo"}, token_from=review)
    assert refused.status_code == 422 and _reload(db_session, application_id).status == "draft"
    sent = post_form(page, review, {"signature": "Zach T Woo", "send_without": "yes"}, token_from=review)
    assert sent.status_code == 302
    note = db_session.scalar(select(ApplicationEvent.note).where(ApplicationEvent.application_id == application_id,
                                                                 ApplicationEvent.action == "submitted"))
    assert "sent without: proof of income" in note
    assert "missing_document" in world.flags(application_id)  # the staff view names what is missing

    over_api = _draft(world)
    assert world.submit(over_api).status_code == 200  # the API sends as asked, as before


def test_with_every_document_there_is_nothing_to_confirm(world, page):
    application_id = _draft(world)
    world.upload(application_id)
    shown = page.get(f"/applications/{application_id}/review").get_data(as_text=True)
    assert 'id="send_without"' not in shown


@pytest.mark.parametrize("categorical,requirements,missing", [
    ([], [], ["income"]),
    ([], ["income"], []),
    (["SNAP"], [], ["categorical"]),
    (["SNAP"], ["income"], ["categorical"]),
    (["SNAP"], ["categorical"], []),
    ([], ["other"], ["income"]),
])
def test_what_an_application_lacks(categorical, requirements, missing):
    assert rules.missing_documents(categorical, requirements) == missing


# --- a file over the size limit -----------------------------------------------------------------

def _too_big(app, monkeypatch, mb: int = 1) -> bytes:
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", mb * 1024 * 1024)
    monkeypatch.setitem(app.config, "MAX_UPLOAD_MB", mb)
    return b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024)


def test_a_file_over_the_limit_returns_to_the_documents_step_with_the_error_by_the_field(app, world, page, db_session,
                                                                                        monkeypatch):
    application_id = _draft(world)
    before = dict(_reload(db_session, application_id).assistance.household)
    data = _too_big(app, monkeypatch)
    response = _upload(page, application_id, [(data, "big.pdf")], path=f"/applications/{application_id}/documents")
    body = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "Proof of income and benefits" in body  # the same step, not an error page
    assert "The file is 2 MB; the largest we accept is 1 MB." in body
    assert 'id="file-error-1"' in body and 'aria-describedby="file-hint file-error-1"' in body
    assert 'aria-invalid="true"' in body
    application = _reload(db_session, application_id)
    assert application.assistance.household == before and application.status == "draft" and application.attachments == []


def test_a_file_over_the_limit_answering_a_request_returns_to_the_application_page(app, world, page, monkeypatch):
    body = world.submitted(("CARE",))
    world.decide(body["id"], decision="request_info", checklist=["Page 2"])
    data = _too_big(app, monkeypatch)
    response = _upload(page, body["id"], [(data, "big.pdf")])
    text = response.get_data(as_text=True)
    assert response.status_code == 413 and "Please send us by" in text and 'id="file-error-1"' in text


def test_the_oversize_page_is_in_spanish_and_shows_nothing_to_another_customer(app, world, page, db_session,
                                                                               monkeypatch):
    application_id = _draft(world)
    data = _too_big(app, monkeypatch)
    world.customer.language = "es"
    db_session.flush()
    spanish = _upload(page, application_id, [(data, "grande.pdf")], path=f"/applications/{application_id}/documents")
    assert "El archivo pesa 2 MB; lo máximo que aceptamos es 1 MB." in spanish.get_data(as_text=True)
    other = app.test_client()
    login(other, make_user(db_session, "customer").email)
    response = _upload(other, application_id, [(data, "big.pdf")], path="/applications")
    assert response.status_code == 413 and "Proof of income and benefits" not in response.get_data(as_text=True)


def test_the_file_field_speaks_the_page_language(world, page, db_session):
    application_id = _draft(world)
    world.customer.language = "es"
    db_session.flush()
    body = page.get(f"/applications/{application_id}/documents").get_data(as_text=True)
    for words in ('data-text-choose="Elegir archivos"', 'data-text-drag="o arrástrelos aquí"',
                  'data-text-none="Todavía no eligió ningún archivo."', "de hasta 15 MB en un envío"):
        assert words in body
    assert "usa-file-input" not in body  # USWDS's control writes English words of its own
