"""Test data in one place: users of each role, ready to sign in."""
from __future__ import annotations

from tests.conftest import PASSWORD, random_email


def make_user(session, role: str = "customer", *, email: str | None = None, password: str = PASSWORD,
              confirmed: bool = True, language: str = "en", active: bool = True):
    from auth import service

    user = service.create_user(session, email=email or random_email(role), password=password, role=role,
                               confirmed=confirmed, language=language)
    if not active:
        user.active = False
    session.flush()
    return user


_account_counter = iter(range(10_000_000, 99_999_999))


def make_account(session, *, number: str | None = None, zip_code: str = "94501", last_bill_cents: int = 8417,
                 status: str = "active", meter_type: str = "individual", services: str = "electric;water",
                 customer_name: str = "Rosa Diaz", city: str = "Alameda"):
    from accounts.models import Account
    from core import clock

    account = Account(number=number or f"T{next(_account_counter)}", customer_name=customer_name,
                      service_address="1234 Park St", city=city, zip=zip_code, services=services, status=status,
                      meter_type=meter_type, last_bill_amount_cents=last_bill_cents, updated_at=clock.now())
    session.add(account)
    session.flush()
    return account


def link(session, user, account):
    from accounts.models import AccountLink
    from core import clock

    session.add(AccountLink(user_id=user.id, account_id=account.id, linked_at=clock.now(), method="staff"))
    session.flush()


def api_headers(app, user) -> dict:
    """A bearer token for the user, as a script would get one."""
    from tests.conftest import PASSWORD

    token = app.test_client().post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}).json["token"]
    return {"Authorization": f"Bearer {token}"}
