"""The customer's booking page (their own only, two moves, the third refused with a message) and
the inspector's pages (staff only)."""
from __future__ import annotations

from datetime import date, time

from rebates import inspections
from tests.conftest import login, post_form
from tests.factories import make_user
from tests.rebates.test_inspections import TODAY, make_application


def test_a_customer_books_moves_twice_and_is_refused_the_third_time(client, db_session, clock):
    clock.freeze(TODAY)
    customer = make_user(db_session, "customer")
    inspection = inspections.request_inspection(db_session, make_application(db_session, customer).id, "claim",
                                                "post", "always")
    slots = [inspections.add_slot(db_session, date(2026, 12, d), time(9), time(11), 1) for d in (3, 4, 5, 6)]
    other = make_user(db_session, "customer")
    login(client, other.email)
    assert client.get(f"/inspections/{inspection.id}").status_code == 404
    owner = client.application.test_client()  # a browser of its own
    login(owner, customer.email)
    page = owner.get(f"/inspections/{inspection.id}")
    assert page.status_code == 200 and "Choose a time" in page.get_data(as_text=True)
    for slot in slots[:3]:
        done = post_form(owner, f"/inspections/{inspection.id}", {"slot_id": str(slot.id)},
                         token_from=f"/inspections/{inspection.id}")
        assert done.status_code == 302
    refused = post_form(owner, f"/inspections/{inspection.id}", {"slot_id": str(slots[3].id)},
                        token_from=f"/inspections/{inspection.id}")
    assert refused.status_code == 422
    assert "moved twice already" in refused.get_data(as_text=True)
    page = owner.get(f"/inspections/{inspection.id}").get_data(as_text=True)
    assert "2026-12-05, 09:00 to 11:00" in page and "You can change it 0 more times." in page


def test_the_inspector_pages_are_for_staff(client, db_session, clock):
    clock.freeze(TODAY)
    login(client, make_user(db_session, "customer").email)
    assert client.get("/staff/inspections").status_code in (403, 404)
