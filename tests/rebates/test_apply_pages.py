"""The customer applies for a rebate on the pages, without JavaScript: device, item with its quote,
another item, a receipt per item, payment, signature; the letter and the page in their language."""
from __future__ import annotations

import io
import re

from sqlalchemy import select

from tests.conftest import csrf_token, login, post_form
from tests.rebates.test_applications import _pdf, world  # noqa: F401 - the fixture

ITEM = {"device": "EXAMPLE-WATER:TOILET", "quantity": "1", "purchased_on": "2026-11-01", "model": "EC-0800-W",
        "attr-replaced_gpf": "3.5", "price": "189.00", "tax": "15.00", "retailer": "Home Depot",
        "invoice_number": "INV-77"}


def _draft_id(response) -> int:
    return int(re.search(r"/rebates/applications/(\d+)", response.headers["Location"]).group(1))


def test_a_customer_applies_for_two_items_with_receipts_and_is_told(world, client, db_session):  # noqa: F811
    from applications.models import Application

    login(client, world.customer.email)
    first = client.get("/rebates/apply?device=EXAMPLE-WATER:TOILET")
    assert first.status_code == 200 and 'name="attr-replaced_gpf"' in first.get_data(as_text=True)
    bad = post_form(client, "/rebates/apply", dict(ITEM, account=world.account.number, quantity="many"),
                    token_from="/rebates/apply")
    assert bad.status_code == 422 and "Give how many, as a whole number." in bad.get_data(as_text=True)
    created = post_form(client, "/rebates/apply", dict(ITEM, account=world.account.number),
                        token_from="/rebates/apply")
    assert created.status_code == 302, created.get_data(as_text=True)
    application_id = _draft_id(created)
    page = client.get(f"/rebates/applications/{application_id}").get_data(as_text=True)
    assert "$189.00" in page and "so the rebate is $189.00" in page
    path = f"/rebates/applications/{application_id}"
    added = post_form(client, f"{path}/items", dict(ITEM, invoice_number="INV-78", price="120.00"), token_from=path)
    assert added.status_code == 302
    for index in (0, 1):
        token = csrf_token(client, path)
        uploaded = client.post(f"{path}/documents", data={
            "csrf_token": token, "item": str(index), "requirement": "receipt",
            "file": (io.BytesIO(_pdf(f"page-{index}")), f"receipt-{index}.pdf")}, content_type="multipart/form-data")
        assert uploaded.status_code == 302, uploaded.get_data(as_text=True)
    unsigned = post_form(client, f"{path}/submit", {"method": "bill_credit", "role": "owner", "signature": ""},
                         token_from=path)
    assert unsigned.status_code == 422 and "Type your full name to sign." in unsigned.get_data(as_text=True)
    sent = post_form(client, f"{path}/submit", {"method": "bill_credit", "role": "owner", "signature": "Zach T Woo"},
                     token_from=path)
    assert sent.status_code == 302
    application = db_session.get(Application, application_id)
    db_session.refresh(application)
    assert application.status == "submitted" and application.rebate.quote_cents == 18900 + 12000
    assert "receipt_missing" not in [f.code for f in application.flags]
    status = client.get(f"/applications/{application_id}").get_data(as_text=True)
    assert application.number in status and "We received your application" in status


def test_the_apply_page_speaks_spanish_and_a_check_needs_an_address(world, client, db_session):  # noqa: F811
    world.customer.language = "es"
    db_session.flush()
    login(client, world.customer.email)
    created = post_form(client, "/rebates/apply", dict(ITEM, account=world.account.number), token_from="/rebates/apply")
    path = f"/rebates/applications/{_draft_id(created)}"
    page = client.get(path, headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Solicitar un reembolso" in page and "Firmar y enviar" in page and "Inodoro de alta eficiencia" in page
    refused = post_form(client, f"{path}/submit", {"method": "check", "role": "owner", "signature": "Zach T Woo"},
                        token_from=path)
    assert refused.status_code == 422


def test_another_customer_cannot_see_or_change_the_draft(world, client, db_session):  # noqa: F811
    from tests.factories import make_user

    login(client, world.customer.email)
    created = post_form(client, "/rebates/apply", dict(ITEM, account=world.account.number), token_from="/rebates/apply")
    path = f"/rebates/applications/{_draft_id(created)}"
    other = make_user(db_session, "customer")
    db_session.flush()
    stranger = world.app.test_client()
    login(stranger, other.email)
    assert stranger.get(path).status_code == 404
    assert post_form(stranger, f"{path}/items", ITEM, token_from="/rebates/apply").status_code == 404


def test_a_failed_upload_is_told_at_its_item_in_the_pages_language(world, client, db_session):  # noqa: F811
    """Walked in the browser: the file box spoke English on a Spanish page, and an error always
    showed at the first item."""
    login(client, world.customer.email)
    created = post_form(client, "/rebates/apply", dict(ITEM, account=world.account.number),
                        token_from="/rebates/apply")
    path = f"/rebates/applications/{_draft_id(created)}"
    post_form(client, f"{path}/items", dict(ITEM, invoice_number="INV-79"), token_from=path)
    post_form(client, "/language", {"language": "es", "next": "/"})
    page = client.get(path).get_data(as_text=True)
    assert 'data-text-choose="Elegir un archivo"' in page and 'id="file-0"' in page and 'id="file-1"' in page
    token = csrf_token(client, path)
    refused = client.post(f"{path}/documents", data={"csrf_token": token, "item": "1", "requirement": "receipt"},
                          content_type="multipart/form-data")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    ids = re.findall(r'id="(file-[^"]*)"', page)
    assert "file-1-error-1" in ids and "file-0-error-1" not in ids, ids
    assert 'aria-describedby="file-1-error-1"' in page
