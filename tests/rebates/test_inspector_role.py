"""The inspector role: their day list and inspections only, the documents of the applications they
inspect only, nothing of the office's."""
from __future__ import annotations

import io
from datetime import date

import pytest
from PIL import Image

from applications.models import ApplicationDocument
from core import clock as clock_module
from documents import service as documents
from rebates import inspections
from rebates.inspection_models import Inspection
from tests.conftest import login, post_form
from tests.factories import api_headers, make_user
from tests.rebates.test_inspections import TODAY, _booked, _slot, make_application

DAY = "2026-12-03"


def _png(colour=(10, 120, 10)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), colour).save(out, "PNG")
    return out.getvalue()


def _attached(session, application, colour):
    """A file the applicant attached to their application."""
    from auth.models import User

    owner = session.get(User, application.applicant_id)
    document = documents.upload(session, owner=owner, uploaded_by=owner, data=_png(colour), filename="bill.png").document
    session.add(ApplicationDocument(application_id=application.id, document_id=document.id, requirement="other",
                                    added_at=clock_module.now(), added_by_id=owner.id))
    session.flush()
    return document


@pytest.fixture
def two_inspections(db_session, clock):
    clock.freeze(TODAY)
    ines, otto = make_user(db_session, "inspector"), make_user(db_session, "inspector")
    ines.full_name = "Inés Vega"
    mine = _booked(db_session, _slot(db_session, zip_code="94501"), make_application(db_session))
    theirs = _booked(db_session, _slot(db_session, zip_code="94502"), make_application(db_session))
    inspections.assign(db_session, mine, ines.id)
    inspections.assign(db_session, theirs, otto.id)
    return ines, mine, theirs


def test_an_inspector_lands_on_their_day_list_and_sees_only_their_inspections(client, db_session, two_inspections):
    ines, mine, theirs = two_inspections
    assert login(client, ines.email).location == "/staff/inspections"
    page = client.get(f"/staff/inspections?day={DAY}").get_data(as_text=True)
    assert f"Application {mine.application_id}," in page and f"Application {theirs.application_id}," not in page
    assert "My inspections" in page and "Casework" not in page and "Queue" not in page
    assert client.get(f"/staff/inspections/{mine.id}").status_code == 200
    assert client.get(f"/staff/inspections/{theirs.id}").status_code == 404
    refused = post_form(client, f"/staff/inspections/{theirs.id}", {"result": "pass", "version": str(theirs.version)},
                        token_from="/staff/inspections")
    assert refused.status_code == 404 and db_session.get(Inspection, theirs.id).status == "scheduled"


def test_the_nav_entry_is_in_spanish(client, db_session, two_inspections):
    ines, _mine, _theirs = two_inspections
    ines.language = "es"
    login(client, ines.email)
    page = client.get(f"/staff/inspections?day={DAY}", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Mis inspecciones" in page


def test_an_inspector_records_a_pass_with_a_photo_from_the_camera(client, db_session, two_inspections):
    ines, mine, _theirs = two_inspections
    login(client, ines.email)
    response = post_form(client, f"/staff/inspections/{mine.id}",
                         {"result": "pass", "findings": "Turf gone, drip installed.", "version": str(mine.version),
                          "photos": (io.BytesIO(_png()), "yard.png")},
                         token_from=f"/staff/inspections/{mine.id}", content_type="multipart/form-data")
    assert response.status_code == 302
    done = db_session.get(Inspection, mine.id)
    assert done.status == "completed" and done.result == "pass"
    assert len(inspections.photos_of(db_session, done)) == 1


def test_an_inspector_opens_only_the_documents_of_the_applications_they_inspect(client, db_session, two_inspections):
    from applications.models import Application

    ines, mine, theirs = two_inspections
    own = _attached(db_session, db_session.get(Application, mine.application_id), (200, 10, 10))
    other = _attached(db_session, db_session.get(Application, theirs.application_id), (10, 10, 200))
    login(client, ines.email)
    page = client.get(f"/staff/inspections/{mine.id}").get_data(as_text=True)
    assert f"/staff/inspections/{mine.id}/documents/{own.id}" in page and f"/documents/{other.id}" not in page
    opened = client.get(f"/staff/inspections/{mine.id}/documents/{own.id}")
    assert opened.status_code == 200 and opened.data == _png((200, 10, 10))
    assert client.get(f"/staff/inspections/{mine.id}/documents/{other.id}").status_code == 404
    assert client.get(f"/staff/inspections/{theirs.id}/documents/{other.id}").status_code == 404
    for path in (f"/staff/documents/{own.id}/file?reason=x", f"/staff/documents/{other.id}",
                 f"/documents/{other.id}/file"):
        assert client.get(path).status_code in (403, 404), path


def test_an_inspector_is_refused_the_office(client, db_session, two_inspections):
    ines, mine, _theirs = two_inspections
    login(client, ines.email)
    for path in ("/staff/queue", "/staff/overview", f"/staff/applications/{mine.application_id}", "/staff/accounts",
                 "/staff/dashboard", "/staff/reports", "/admin/users", "/staff/outbox", "/documents",
                 "/staff/recertification"):
        assert client.get(path).status_code in (403, 404), path
    assigned = post_form(client, f"/staff/inspections/{mine.id}/inspector", {"inspector_id": str(ines.id)},
                         token_from="/staff/inspections")
    assert assigned.status_code == 403


def test_the_office_gives_an_inspection_to_an_inspector_and_keeps_every_inspection(client, db_session, two_inspections):
    ines, mine, theirs = two_inspections
    csr = make_user(db_session, "csr")
    login(client, csr.email)
    page = client.get(f"/staff/inspections?day={DAY}").get_data(as_text=True)
    assert f"Application {mine.application_id}," in page and f"Application {theirs.application_id}," in page
    form = client.get(f"/staff/inspections/{theirs.id}").get_data(as_text=True)
    assert "Inés Vega" in form
    moved = post_form(client, f"/staff/inspections/{theirs.id}/inspector", {"inspector_id": str(ines.id)},
                      token_from=f"/staff/inspections/{theirs.id}")
    assert moved.status_code == 302 and db_session.get(Inspection, theirs.id).inspector_id == ines.id
    refused = post_form(client, f"/staff/inspections/{theirs.id}/inspector", {"inspector_id": str(csr.id)},
                        token_from=f"/staff/inspections/{theirs.id}")
    assert refused.status_code == 422 and "Choose one of the inspectors." in refused.get_data(as_text=True)


def test_the_api_gives_an_inspector_their_day_and_their_results_only(app, db_session, two_inspections):
    ines, mine, theirs = two_inspections
    api = app.test_client()
    headers = api_headers(app, ines)
    listed = api.get(f"/api/v1/inspections?day={DAY}", headers=headers)
    assert listed.status_code == 200 and [i["id"] for i in listed.json["inspections"]] == [mine.id]
    assert api.get("/api/v1/inspections", headers=headers).status_code == 422
    assert api.get(f"/api/v1/inspections?application_id={theirs.application_id}&day={DAY}",
                   headers=headers).json["inspections"] == [{**listed.json["inspections"][0]}]
    assert api.post(f"/api/v1/inspections/{theirs.id}/complete", json={"result": "pass"},
                    headers=headers).status_code == 404
    done = api.post(f"/api/v1/inspections/{mine.id}/complete", json={"result": "fail", "findings": "Dead turf."},
                    headers=headers)
    assert done.status_code == 200 and done.json["result"] == "fail"
    assert api.post("/api/v1/inspections", json={"application_id": mine.application_id, "stage": "claim",
                                                  "kind": "quality", "reason": "x"}, headers=headers).status_code == 403
    assert api.get("/api/v1/accounts", headers=headers).status_code == 403
    assert api.get(f"/api/v1/applications/{mine.application_id}", headers=headers).status_code == 403


def test_another_day_shows_none(db_session, two_inspections):
    ines, _mine, _theirs = two_inspections
    assert inspections.day_list(db_session, date(2026, 12, 4), inspector_id=ines.id) == []
