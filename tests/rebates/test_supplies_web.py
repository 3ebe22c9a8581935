"""Free supplies over the API and on the pages: customers see only their own, staff keep the stock."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core.outbox import OutboxMessage
from rebates import supplies
from rebates.supply_models import SupplyOrder
from tests.conftest import login, post_form
from tests.factories import api_headers, link, make_account, make_user
from tests.rebates.supply_helpers import item, load


@pytest.fixture
def home(db_session):
    load(db_session, item("KIT", stock=3, quantity=1), item("TABS", stock=50, quantity=2, months=12),
         item("CARE-KIT", who=["CARE"]))
    customer = make_user(db_session, language="es")
    account = make_account(db_session)
    link(db_session, customer, account)
    return customer, account


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_a_customer_sees_what_they_may_order_without_exact_stock(app, client, db_session, home):
    customer, account = home
    body = client.get("/api/v1/supplies", headers=api_headers(app, customer)).json
    assert body["account_number"] == account.number
    rows = {r["supply"]: r for r in body["supplies"]}
    assert set(rows) == {"KIT", "TABS"}                       # not the CARE-only kit
    assert rows["KIT"]["available"] is True and "stock" not in rows["KIT"]
    assert rows["TABS"]["limit"] == {"quantity": 2, "months": 12} and rows["TABS"]["left_for_home"] == 2
    staff = make_user(db_session, "csr")
    staff_rows = client.get(f"/api/v1/supplies?account={account.number}", headers=api_headers(app, staff)).json
    assert {r["supply"]: r["stock"] for r in staff_rows["supplies"]}["KIT"] == 3


def test_a_customer_orders_and_another_customer_gets_404(app, client, db_session, home):
    customer, account = home
    headers = api_headers(app, customer)
    response = client.post("/api/v1/supply-orders", headers=headers,
                           json={"account_number": account.number, "items": [{"supply": "KIT", "quantity": 1}]})
    assert response.status_code == 201, response.json
    order = response.json
    assert order["status"] == "open" and order["items"][0]["supply"] == "KIT" and order["channel"] == "online"
    assert client.get(f"/api/v1/supply-orders/{order['id']}", headers=headers).status_code == 200
    stranger = make_user(db_session)
    theirs = api_headers(app, stranger)
    assert client.get(f"/api/v1/supply-orders/{order['id']}", headers=theirs).status_code == 404
    refused = client.post("/api/v1/supply-orders", headers=theirs,
                          json={"account_number": account.number, "items": [{"supply": "TABS", "quantity": 1}]})
    assert refused.status_code == 404


def test_the_api_refuses_a_limit_with_422_and_no_stock_with_409(app, client, db_session, home):
    customer, account = home
    headers = api_headers(app, customer)
    over = client.post("/api/v1/supply-orders", headers=headers,
                       json={"account_number": account.number, "items": [{"supply": "TABS", "quantity": 3}]})
    assert over.status_code == 422 and "items.0.quantity" in over.json["error"]["fields"]
    bad = client.post("/api/v1/supply-orders", headers=headers,
                      json={"account_number": account.number, "items": [{"supply": "KIT", "quantity": "two"}]})
    assert bad.status_code == 422
    staff = make_user(db_session, "csr")
    for n in range(3):
        other = make_account(db_session, zip_code=f"9470{n}")
        assert client.post("/api/v1/supply-orders", headers=api_headers(app, staff),
                           json={"account_number": other.number, "channel": "counter",
                                 "items": [{"supply": "KIT", "quantity": 1}]}).status_code == 201
    gone = client.post("/api/v1/supply-orders", headers=headers,
                       json={"account_number": account.number, "items": [{"supply": "KIT", "quantity": 1}]})
    assert gone.status_code == 409


def test_staff_order_by_phone_for_a_customer_who_is_told_when_it_ships(app, client, db_session, home):
    customer, account = home
    staff = make_user(db_session, "csr")
    response = client.post("/api/v1/supply-orders", headers=api_headers(app, staff),
                           json={"account_number": account.number, "applicant_email": customer.email,
                                 "items": [{"supply": "TABS", "quantity": 2}]})
    assert response.status_code == 201 and response.json["channel"] == "phone"
    unknown = client.post("/api/v1/supply-orders", headers=api_headers(app, staff),
                          json={"account_number": account.number, "applicant_email": "nobody@example.com",
                                "items": [{"supply": "KIT", "quantity": 1}]})
    assert unknown.status_code == 422 and "applicant_email" in unknown.json["error"]["fields"]
    from core.audit import Actor, acting_as

    acting_as(Actor(label="test"))
    supplies.mark_shipped(db_session, supplies.start_batch(db_session))
    message = db_session.scalar(select(OutboxMessage).where(OutboxMessage.to_address == customer.email))
    assert message.language == "es" and "camino" in message.subject


def test_the_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert "get" in paths["/supplies"] and "post" in paths["/supply-orders"]
    assert "409" in paths["/supply-orders"]["post"]["responses"]


def test_a_customer_orders_on_the_page_in_spanish_without_javascript(client, db_session, home):
    customer, account = home
    login(client, customer.email)
    es = {"Accept-Language": "es"}
    page = text_of(client.get("/supplies", headers=es))
    assert "Suministros gratuitos para ahorrar agua" in page and 'for="qty-KIT"' in page
    wrong = post_form(client, "/supplies", {"account": account.number, "qty-TABS": "5"}, token_from="/supplies",
                      headers=es)
    assert wrong.status_code == 422 and 'id="qty-TABS-error-1"' in text_of(wrong)
    done = post_form(client, "/supplies", {"account": account.number, "qty-KIT": "1", "qty-TABS": "2"},
                     token_from="/supplies", headers=es, follow_redirects=True)
    page = text_of(done)
    placed = db_session.scalar(select(SupplyOrder).where(SupplyOrder.account_id == account.id))
    assert f"Pedido {placed.number}" in page and placed.language == "es"
    cancelled = post_form(client, f"/supplies/orders/{placed.id}/cancel", token_from="/supplies", headers=es,
                          follow_redirects=True)
    assert "cancelado" in text_of(cancelled)


def test_another_customer_cannot_cancel_an_order(client, db_session, home):
    customer, account = home
    from core.audit import Actor, acting_as

    acting_as(Actor(label="test"))
    placed = supplies.place_order(db_session, account, [{"supply": "KIT", "quantity": 1}], channel="online")
    stranger = make_user(db_session)
    login(client, stranger.email)
    assert post_form(client, f"/supplies/orders/{placed.id}/cancel", token_from="/supplies").status_code == 404


def test_staff_receive_stock_pack_a_batch_and_print_labels(client, db_session, home):
    customer, account = home
    from core.audit import Actor, acting_as

    acting_as(Actor(label="test"))
    supplies.place_order(db_session, account, [{"supply": "KIT", "quantity": 1}], channel="online", customer=customer)
    staff = make_user(db_session, "manager")
    login(client, staff.email)
    assert "KIT" in text_of(client.get("/staff/supplies"))
    post_form(client, "/staff/supplies/KIT/stock", {"action": "receive", "quantity": "10", "reason": "PO 1"},
              token_from="/staff/supplies")
    assert supplies.get_item(db_session, "KIT").stock == 12
    packed = post_form(client, "/staff/supplies/batches", token_from="/staff/supplies")
    assert packed.status_code == 302
    page = text_of(client.get(packed.headers["Location"]))
    assert account.service_address in page and "Address labels" in page
    customer_client_page = client.get("/staff/supplies")
    assert customer_client_page.status_code == 200
    login(client, customer.email)
    assert client.get("/staff/supplies").status_code in (403, 404)


def test_a_csr_orders_by_phone_and_hands_over_at_the_counter(client, db_session, home):
    customer, account = home
    staff = make_user(db_session, "csr")
    login(client, staff.email)
    page = f"/staff/supplies/orders/new?account={account.number}"
    assert 'for="qty-TABS"' in text_of(client.get(page))
    assert client.get("/staff/supplies/orders/new?account=NOPE").status_code == 404
    unknown = post_form(client, "/staff/supplies/orders/new", {"account": account.number, "qty-TABS": "1",
                                                               "channel": "phone", "email": "nobody@example.com"},
                        token_from=page)
    assert unknown.status_code == 422 and 'id="email-error-1"' in text_of(unknown)
    phone = post_form(client, "/staff/supplies/orders/new", {"account": account.number, "qty-TABS": "1",
                                                             "channel": "phone", "email": customer.email},
                      token_from=page)
    assert phone.status_code == 302
    counter = post_form(client, "/staff/supplies/orders/new", {"account": account.number, "qty-KIT": "1",
                                                               "channel": "counter"}, token_from=page)
    assert counter.status_code == 302
    orders = {o.channel: o for o in db_session.scalars(select(SupplyOrder).where(SupplyOrder.account_id == account.id))}
    assert orders["phone"].status == "open" and orders["phone"].customer_id == customer.id
    assert orders["counter"].status == "handed_over"
    over = post_form(client, "/staff/supplies/orders/new", {"account": account.number, "qty-KIT": "1",
                                                            "channel": "counter"}, token_from=page)
    assert over.status_code == 422 and 'id="qty-KIT-error-1"' in text_of(over)
