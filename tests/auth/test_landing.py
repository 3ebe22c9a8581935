"""After sign-in each person lands on their work: staff on the queue, not the public home page;
a `next` page asked for before sign-in still wins."""
from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, post_form
from tests.factories import make_user


@pytest.mark.parametrize("role, landing", [("csr", "/staff/queue"), ("manager", "/staff/dashboard"),
                                           ("admin", "/staff/overview"), ("customer", "/")])
def test_each_role_lands_on_its_work_after_sign_in(client, db_session, role, landing):
    user = make_user(db_session, role)
    response = post_form(client, "/login", {"email": user.email, "password": PASSWORD}, token_from="/login")
    assert response.status_code == 302 and response.location == landing
    assert client.get("/login").location == landing  # already signed in


def test_the_page_asked_for_before_sign_in_still_wins(client, db_session):
    user = make_user(db_session, "manager")
    response = post_form(client, "/login", {"email": user.email, "password": PASSWORD, "next": "/staff/audit"},
                         token_from="/login")
    assert response.location == "/staff/audit"
