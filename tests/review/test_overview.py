"""The manager's overview: what waits for staff, for approval and for the post, each linked to its list."""
from __future__ import annotations

import re

from tests.applications.helpers import make_world
from tests.conftest import login


def _figure(page: str, label: str) -> int:
    match = re.search(re.escape(label) + r'</a></th><td class="text-right">(\d+)</td>', page)
    assert match, label
    return int(match.group(1))


def test_the_overview_counts_what_is_waiting(app, client, db_session, clock):
    world = make_world(app, db_session, clock)
    login(client, world.manager.email)
    before = client.get("/staff/overview").get_data(as_text=True)
    world.submitted()
    world.submitted(account=None)  # a second application on the same account
    page = client.get("/staff/overview").get_data(as_text=True)
    assert _figure(page, "Applications waiting for staff") == _figure(before, "Applications waiting for staff") + 2
    assert _figure(page, "Of them, nobody assigned") == _figure(before, "Of them, nobody assigned") + 2
    assert 'href="/staff/queue"' in page and 'href="/staff/adjustments"' in page


def test_only_managers_and_admins_see_the_overview(app, client, db_session, clock):
    world = make_world(app, db_session, clock)
    login(client, world.csr.email)
    assert client.get("/staff/overview").status_code == 403
