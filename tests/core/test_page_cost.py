"""Under load (issue 12): what a page costs stays small, and the savings never mix up languages.

The request's catalogue is cached per request and per locale (`core.i18n`), dates are formatted
through a cache keyed by language and time zone, and the navigation's links are worked out once
per role: each test here would catch a page in the wrong language or a page that went back to
many statements.
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask import render_template_string
from flask_babel import force_locale, gettext, lazy_gettext, refresh

from tests.review.test_list_queries import add_applications, counted
from tests.conftest import login, post_form
from tests.factories import link, make_account, make_user


def test_a_spanish_page_after_an_english_one_in_the_same_worker_is_spanish(client, db_session):
    # The test client runs every request on this one thread, as a sync worker does.
    english = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    spanish = client.get("/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    again = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'lang="en"' in english and "Contact us" in english and "Contáctenos" not in english
    assert 'lang="es"' in spanish and "Contáctenos" in spanish and "Inicio" in spanish and "Contact us" not in spanish
    assert again == english


def test_a_customer_who_chose_spanish_gets_spanish_after_an_english_customer(app, client, db_session):
    english = make_user(db_session, "customer", language="en")
    spanish = make_user(db_session, "customer", language="es")
    login(client, english.email)
    assert "Sign out" in client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    post_form(client, "/logout")
    other = app.test_client()
    login(other, spanish.email)
    page = other.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Cerrar sesión" in page and "Sign out" not in page
    # and the menu's lazy labels (worked out once per role) follow each request's language
    assert ">Inicio<" in page
    assert ">Home<" in client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_force_locale_and_refresh_inside_a_request_change_the_catalogue(app):
    from core.i18n import format_instant

    moment = datetime(2026, 3, 5, 18, 30, tzinfo=timezone.utc)
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        label = lazy_gettext("Sign out")
        assert gettext("Sign out") == "Sign out" == str(label)
        assert render_template_string("{{ _('Sign out') }}") == "Sign out"
        english_date = format_instant(moment)
        with force_locale("es"):  # a letter in the household's language, inside a CSR's request
            assert gettext("Sign out") == "Cerrar sesión" == str(label)
            assert render_template_string("{{ _('Sign out') }}") == "Cerrar sesión"
            spanish_date = format_instant(moment)
        assert gettext("Sign out") == "Sign out" == str(label)
        assert format_instant(moment) == english_date
        from flask import g

        g.user_language = "es"  # the person changed their language during the request
        refresh()
        assert gettext("Sign out") == "Cerrar sesión"
    assert english_date != spanish_date and "mar" in spanish_date.lower() and "Mar" in english_date
    with app.test_request_context("/", headers={"Accept-Language": "es"}):
        assert format_instant(moment) == spanish_date and gettext("Home") == "Inicio"


def test_the_home_page_and_the_queue_run_a_few_statements(app, client, db_session):
    """The session row brings its user in the same statement; the menu costs none."""
    with counted(app) as anonymous:
        assert client.get("/").status_code == 200
    assert len(anonymous) <= 1, anonymous

    customer = make_user(db_session, "customer")
    account = make_account(db_session)
    link(db_session, customer, account)
    add_applications(db_session, customer, account, 60)
    login(client, customer.email)
    with counted(app) as home:
        assert client.get("/").status_code == 200
    # the session with its user, the accounts, their applications with programs, the enrollments
    assert len(home) <= 5, home
    assert not any("FROM users" in s and "user_sessions" not in s for s in home), "the user is loaded apart"

    post_form(client, "/logout")
    csr = make_user(db_session, "csr")
    login(client, csr.email)
    with counted(app) as queue:
        page = client.get("/staff/queue")
    assert page.status_code == 200 and page.get_data(as_text=True).count('href="/staff/applications/') == 50
    assert len(queue) <= 5, queue  # the program filter loads no rule versions


def test_the_program_list_for_names_only_skips_the_rule_versions(app, db_session):
    from eligibility.service import list_programs

    with counted(app) as light:
        programs = list_programs(db_session, versions=False)
    assert len(light) == 1 and "CARE" in [p.code for p in programs] and programs[0].name("es")
    db_session.expire_all()
    with counted(app) as full:
        list_programs(db_session)
    assert len(full) == 2 and any("program_versions" in s for s in full)
