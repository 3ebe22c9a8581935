"""The CSR's pages for a rebate application: the queue row, the rebate panel (items with their quote,
explanation and files, the flags, the history), and a decision for less than the quote."""
from __future__ import annotations

import re

from sqlalchemy import select

from tests.conftest import login, post_form
from tests.rebates.test_applications import TOILET, start, submitted, world  # noqa: F401 - the fixture


def test_the_queue_and_the_rebate_panel_show_the_items_files_flags_and_history(world, client):  # noqa: F811
    first = submitted(world, items=[dict(TOILET, quantity=1)])
    second = submitted(world, items=[dict(TOILET, quantity=2, invoice_number="INV-2")])
    login(client, world.csr.email)
    queue = client.get("/staff/queue?kind=rebate").get_data(as_text=True)
    assert first["number"] in queue and second["number"] in queue and "EXAMPLE-WATER" in queue
    page = client.get(f"/staff/applications/{second['id']}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for words in ("Rebate", "High-efficiency toilet", "for 1 of 2 units", "EXAMPLE-WATER.v3", "Limit reached",
                  "Already applied", "Credit on the bill", "Open the file (this is recorded)",
                  "Rebates already counted for this home", "Amount to approve, in dollars"):
        assert words in text, words
    assert "/staff/documents/" in text
    account_page = client.get(f"/staff/accounts/{world.account.number}").get_data(as_text=True)
    assert second["number"] in account_page and "Example water-saving rebates" in account_page


def test_a_csr_approves_for_less_with_a_reason_on_the_page_and_never_more(world, client, db_session):  # noqa: F811
    from accounts.models import LedgerEntry

    body = submitted(world)
    login(client, world.csr.email)
    path = f"/staff/applications/{body['id']}"
    version = re.search(r'name="version" value="(\d+)"', client.get(path).get_data(as_text=True)).group(1)
    over = post_form(client, f"{path}/decision", {"decision": "approve", "amount": "500.00", "version": version},
                     token_from=path)
    assert over.status_code == 422 and "cannot be more than the quote" in over.get_data(as_text=True)
    no_reason = post_form(client, f"{path}/decision", {"decision": "approve", "amount": "90.00", "version": version},
                          token_from=path)
    assert no_reason.status_code == 422 and "Say why the rebate is less than the quote." in no_reason.get_data(as_text=True)
    done = post_form(client, f"{path}/decision", {"decision": "approve", "amount": "90.00", "version": version,
                                                  "message": "One toilet was installed."}, token_from=path)
    assert done.status_code == 302
    entries = list(db_session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "rebate",
                                                                LedgerEntry.account_id == world.account.id)))
    assert [e.amount_cents for e in entries] == [9000]
    assert world.staff_view(body["id"])["approved_cents"] == 9000


def test_the_customer_sees_their_rebate_application_and_another_customer_gets_404(world, client, db_session):  # noqa: F811
    from tests.factories import make_user

    body = submitted(world)
    login(client, world.customer.email)
    page = client.get(f"/applications/{body['id']}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for words in ("Quote", "$189.00", "so the rebate is $189.00", "receipt.pdf",
                  "We received your application"):
        assert words in text, words
    assert "Limit reached" not in text and "Receipt missing" not in text  # no flags for the customer
    listing = client.get("/applications")
    assert listing.status_code == 200 and body["number"] in listing.get_data(as_text=True)
    assert "Example water-saving rebates" in listing.get_data(as_text=True)
    other = make_user(db_session, "customer")
    db_session.flush()
    stranger = world.app.test_client()
    login(stranger, other.email)
    assert stranger.get(f"/applications/{body['id']}").status_code == 404
