"""Letters and decision pages say what a customer can read: numbers as people write them, the message
apart from the internal note, the utility's letterhead, the letter's own language, names not codes."""
from __future__ import annotations

import html
import json
import re
from datetime import date

import pytest
from sqlalchemy import select

from eligibility import service as programs_service
from eligibility.assistance.models import ApplicationProgram
from eligibility.enrollments.models import Enrollment
from notices.models import Notice
from tests.applications.helpers import family, make_world
from tests.conftest import login, post_form


@pytest.fixture
def world(app, db_session, clock):
    return make_world(app, db_session, clock)


def _letter(db_session, application_id: int, kind: str) -> Notice:
    return db_session.scalars(select(Notice).where(Notice.application_id == application_id,
                                                   Notice.kind == kind)).one()


def test_an_approval_letter_writes_percentages_as_people_do(world, db_session):
    body = world.submitted()
    assert world.decide(body["id"], decision="approve", program="CARE").status_code == 200
    letter = _letter(db_session, body["id"], "approval")
    assert "35% off electric charges, 20% off gas charges" in letter.body
    assert "E+" not in letter.body


def test_the_program_page_and_the_new_version_form_write_200_not_2e2(app, client, db_session, world):
    login(client, world.manager.email)
    page = client.get("/staff/programs/CARE").get_data(as_text=True)
    assert "200% of" in page and "E+" not in page
    form = client.get("/staff/programs/CARE/versions/new").get_data(as_text=True)
    rules = json.loads(html.unescape(re.search(r'<textarea[^>]*id="rules"[^>]*>(.*?)</textarea>', form, re.S).group(1)))
    assert rules["limit"]["percent"] == "200" and rules["benefit"]["percent"] == {"electric": "35", "gas": "20"}


def test_loading_the_shipped_programs_again_adds_no_version_for_percentages_stored_as_exponents(db_session):
    from eligibility import definitions
    from eligibility.models import ProgramVersion

    for parsed in definitions.shipped():
        assert programs_service.load_definitions(db_session, parsed).versions_added == []
    care = next(p for parsed in definitions.shipped() for p in parsed["programs"] if p["code"] == "CARE")
    shipped = care["versions"][-1]
    assert shipped["rules"]["benefit"]["percent"]["gas"] == "20" and shipped["rules"]["limit"]["percent"] == "200"
    # A database loaded before the fix holds "2E+1" and "2E+2": the same file read again is the same version.
    old = {**shipped["rules"], "benefit": {"kind": "percent_of_charges", "percent": {"electric": "35", "gas": "2E+1"}},
           "limit": {**shipped["rules"]["limit"], "percent": "2E+2"}}
    row = ProgramVersion(label=shipped["label"], effective_from=shipped["effective_from"],
                         effective_to=shipped["effective_to"], rules=old, source=shipped["source"])
    assert programs_service._same_version(row, shipped)
    assert definitions.to_file_rules(old)["benefit"]["percent"] == {"electric": "35", "gas": "20"}


def test_a_denial_letter_carries_the_message_never_the_internal_note_nor_you_qualify(world, db_session):
    body = world.submitted()
    response = world.decide(body["id"], decision="deny", program="CARE", reason="no_proof",
                            note="Supervisor says the landlord lied", message="Please call us to finish your file.")
    assert response.status_code == 200, response.json
    ap = db_session.scalars(select(ApplicationProgram).where(ApplicationProgram.application_id == body["id"])).one()
    assert ap.note == "Supervisor says the landlord lied" and ap.reason_code == "no_proof"
    letter = _letter(db_session, body["id"], "denial").body
    assert "Please call us to finish your file." in letter
    assert "landlord" not in letter and "You qualify" not in letter
    assert "not approved" in _letter(db_session, body["id"], "denial").subject


def test_an_approval_letter_tells_the_benefit_of_the_version_in_effect_on_the_start(world, db_session):
    from eligibility import definitions

    program = programs_service.get_program(db_session, "CARE")
    rules = definitions.to_file_rules(program.versions[-1].rules)
    rules["benefit"]["percent"]["electric"] = "30"
    version = definitions.parse_version({"label": "2027-28", "effective_from": "2027-06-01", "source": "test",
                                         "note": "a newer version, not yet in effect"}, rules)
    programs_service.add_version(db_session, program, version)
    body = world.submitted()
    assert world.decide(body["id"], decision="approve", program="CARE").status_code == 200
    enrollment = db_session.scalars(select(Enrollment).where(Enrollment.application_id == body["id"])).one()
    assert enrollment.certified_from == date(2026, 11, 23)
    letter = _letter(db_session, body["id"], "approval").body
    assert "35% off electric charges" in letter and "30%" not in letter


def _staff_page(app, db_session, world, application_id):
    staff = app.test_client()
    login(staff, world.csr.email)
    page = staff.get(f"/staff/applications/{application_id}").get_data(as_text=True)
    return staff, page


def test_the_decision_form_preselects_nothing_and_labels_the_customers_message(app, db_session, world):
    body = world.submitted()
    staff, page = _staff_page(app, db_session, world, body["id"])
    form = page[page.index('action="/staff/applications/%d/decision"' % body["id"]):]
    form = form[:form.index("</form>")]
    assert 'name="decision"' in form and "checked" not in form
    assert "Message to the customer" in form and "never to the customer" in form
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    response = post_form(staff, f"/staff/applications/{body['id']}/decision", {"program": "CARE", "version": version},
                         token_from=f"/staff/applications/{body['id']}")
    assert response.status_code == 422 and 'id="decision-error-1"' in response.get_data(as_text=True)
    ap = db_session.scalars(select(ApplicationProgram).where(ApplicationProgram.application_id == body["id"])).one()
    assert ap.status == "pending"


def test_denying_an_eligible_program_on_the_page_asks_first_and_the_api_does_not(app, db_session, world):
    body = world.submitted()
    staff, page = _staff_page(app, db_session, world, body["id"])
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    url, token_from = f"/staff/applications/{body['id']}/decision", f"/staff/applications/{body['id']}"
    form = {"decision": "deny", "program": "CARE", "reason": "no_proof", "version": version,
            "message": "Send the lease, please."}
    asked = post_form(staff, url, form, token_from=token_from)
    text = asked.get_data(as_text=True)
    assert asked.status_code == 422 and 'name="confirm_deny"' in text and "found the household eligible" in text
    assert "Send the lease, please." in text  # what the CSR wrote stays in the form
    ap = db_session.scalars(select(ApplicationProgram).where(ApplicationProgram.application_id == body["id"])).one()
    assert ap.status == "pending"
    confirmed = post_form(staff, url, {**form, "confirm_deny": "1"}, token_from=token_from)
    assert confirmed.status_code == 302
    db_session.expire_all()
    assert db_session.get(ApplicationProgram, ap.id).status == "denied"
    other = world.submitted(account=None)
    assert world.decide(other["id"], decision="deny", program="CARE", reason="no_proof").status_code == 200


def test_a_letter_looks_like_a_letter(app, client, db_session, world):
    body = world.submitted()
    world.decide(body["id"], decision="approve", program="CARE")
    letter = _letter(db_session, body["id"], "approval")
    login(client, world.customer.email)
    page = client.get(f"/applications/{body['id']}/notices/{letter.id}").get_data(as_text=True)
    article = page[page.index('<article class="assist-letter"'):page.index("</article>")]
    for part in ("Assist Demo Utility", "PO Box 1000", "Phone: 1-800-555-0100", "Hours: Monday to Friday",
                 "November 23, 2026", world.account.customer_name, world.account.service_address,
                 "Dear ", "Sincerely,", "You are approved for"):
        assert part in article, part
    assert "assist-pre" not in article and "monospace" not in page


def test_letterhead_settings_come_from_the_environment():
    from core.config import letter_settings

    values = letter_settings({"UTILITY_NAME": "Sierra Water", "UTILITY_ADDRESS": "1 Dam Rd|Truckee, CA 96161",
                              "UTILITY_PHONE": "530-555-0199", "UTILITY_HOURS": "Mon-Thu 7-6",
                              "UTILITY_WEB": "https://water.example.org"})
    assert values["UTILITY_NAME"] == "Sierra Water" and values["UTILITY_ADDRESS"] == "1 Dam Rd\nTruckee, CA 96161"
    assert values["UTILITY_HOURS"] == "Mon-Thu 7-6" and values["UTILITY_WEB"] == "https://water.example.org"
    assert letter_settings({})["UTILITY_NAME"] == "Assist Demo Utility"


def test_a_spanish_letter_reads_in_spanish_for_an_english_speaking_csr(app, db_session, world):
    world.customer.language = "es"
    db_session.flush()
    body = world.submitted()
    world.decide(body["id"], decision="deny", program="CARE", reason="no_proof")
    letter = _letter(db_session, body["id"], "denial")
    assert letter.language == "es"
    assert "No se presentó el comprobante de ingresos o de inscripción" in letter.body  # the reason staff chose
    staff = app.test_client()
    login(staff, world.csr.email)
    page = staff.get(f"/applications/{body['id']}/notices/{letter.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    article = text[text.index('<article class="assist-letter"'):text.index("</article>")]
    assert 'lang="es"' in article and "noviembre de 2026" in article
    assert "Atentamente," in article and "Teléfono:" in article and "Horario:" in article
    assert "Sincerely" not in article and "Phone:" not in article


def test_an_enrollment_ended_by_the_daily_job_is_explained_in_the_letters_language(app, db_session):
    from flask_babel import force_locale

    from eligibility.enrollments import wording as notices

    program = programs_service.get_program(db_session, "CARE")
    with app.test_request_context("/"), force_locale("es"):
        subject, body = notices.render_enrollment(
            "enrollment_ended", "es", program=program, account="1001", ended_on=date(2026, 11, 23),
            reason="No proof of income was received for post-enrollment verification.",
            reason_code="verification_missing", status="removed")
    assert "No recibimos el comprobante de ingresos" in body and "No proof" not in body
    assert "Programa de Tarifas Alternativas" in subject or program.name("es") in subject


def test_customers_see_program_names_not_codes(app, client, db_session, world):
    body = world.submitted(("CARE", "FERA"))
    login(client, world.customer.email)
    status = client.get(f"/applications/{body['id']}").get_data(as_text=True)
    programs = status[status.index("<h2>Programs</h2>"):]
    programs = programs[:programs.index("</ul>")]
    care, fera = (programs_service.get_program(db_session, code).name("en") for code in ("CARE", "FERA"))
    assert html.escape(care) in programs and html.escape(fera) in programs
    assert "<li>CARE:" not in programs and "<li>FERA:" not in programs
    mine = client.get("/applications").get_data(as_text=True)
    assert html.escape(fera) in mine and ">CARE, FERA<" not in mine
