"""An inspector signs in like staff: two factors in production, then their day list."""
from __future__ import annotations

from datetime import datetime, timezone

from tests.auth.conftest import enrol
from tests.conftest import PASSWORD, post_form, random_email
from tests.factories import make_user


def test_an_inspector_sets_up_two_factor_in_production_then_lands_on_the_day_list(production_app, db_session, clock):
    clock.freeze(datetime(2026, 12, 1, 16, 0, tzinfo=timezone.utc))
    inspector = make_user(db_session, "inspector")
    browser = production_app.test_client()
    response = post_form(browser, "/login", {"email": inspector.email, "password": PASSWORD})
    assert response.location == "/account/two-factor"
    assert browser.get("/staff/inspections").location == "/account/two-factor"
    api = production_app.test_client().post("/api/v1/auth/login",
                                            json={"email": inspector.email, "password": PASSWORD})
    assert api.status_code == 403 and api.json["error"]["code"] == "two_factor_setup_required"
    enrol(browser, clock)
    assert browser.get("/staff/inspections").status_code == 200
    again = production_app.test_client()
    response = post_form(again, "/login", {"email": inspector.email, "password": PASSWORD})
    assert response.location.startswith("/login/verify")  # the code step, as for staff


def test_users_create_gives_the_inspector_role(app, db_session):
    from sqlalchemy import select

    from auth.models import User

    email = random_email("inspector")
    result = app.test_cli_runner().invoke(args=["users", "create", "--email", email, "--role", "inspector"],
                                          input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert f"created inspector {email}" in result.output
    assert db_session.scalar(select(User.role).where(User.email == email)) == "inspector"


def test_the_admin_page_offers_the_inspector_role(client, db_session):
    from tests.conftest import login

    login(client, make_user(db_session, "admin").email)
    assert '<option value="inspector"' in client.get("/admin/users").get_data(as_text=True)
