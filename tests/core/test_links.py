"""Links in mail and letters come from BASE_URL, never from what the request says its host is."""
from __future__ import annotations

import re

from sqlalchemy import select

from tests.conftest import csrf_token
from tests.factories import make_user

HOSTILE_HEADERS = {"Host": "evil.example", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http",
                   "X-Forwarded-Prefix": "/phish", "Forwarded": "host=evil.example;proto=http"}


def _links(session, to: str) -> list[str]:
    from core.outbox import OutboxMessage

    message = session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == to)
                              .order_by(OutboxMessage.id.desc())).first()
    assert message is not None
    return re.findall(r"https?://[^\s\"'<>]+", message.body_text)


def test_a_reset_link_ignores_a_hostile_host_header(client, db_session):
    user = make_user(db_session)
    token = csrf_token(client, "/password/forgot")
    cookie = client.get_cookie("assist_session", domain="assist.test")
    client.set_cookie("assist_session", cookie.value, domain="evil.example")
    response = client.post("/password/forgot", data={"email": user.email, "csrf_token": token},
                           headers=HOSTILE_HEADERS)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    links = _links(db_session, user.email)
    assert links and all(link.startswith("https://assist.test/password/reset/") for link in links), links
    assert not any("evil" in link or "phish" in link for link in links)


def test_links_made_by_commands_use_base_url_with_its_path(app, db_session, monkeypatch):
    from core.web import external_url

    monkeypatch.setitem(app.config, "BASE_URL", "https://utility.example.org/assist")
    assert external_url("auth.reset_password", token="abc") == "https://utility.example.org/assist/password/reset/abc"
    with app.test_request_context("/", base_url="http://evil.example/phish"):
        assert external_url("auth.reset_password", token="abc") == \
            "https://utility.example.org/assist/password/reset/abc"
