"""Demo applications waiting in the CSR queue, from demo customers with linked accounts."""
from __future__ import annotations

import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.models import Account, AccountLink
from auth import service as auth_service
from core import clock
from eligibility import service as programs_service
from applications import service as lifecycle
from eligibility.assistance import service
from applications.models import Application

HOUSEHOLDS = (
    ("Luis Hernandez", [{"name": "Luis Hernandez", "age": 44, "incomes": [{"kind": "wages", "amount_cents": 310_000,
                                                                         "frequency": "monthly"}]},
                        {"name": "Rosa Hernandez", "age": 41, "incomes": []},
                        {"name": "Ana Hernandez", "age": 12, "incomes": []}], []),
    ("Mei Chen", [{"name": "Mei Chen", "age": 71, "incomes": [{"kind": "social_security", "amount_cents": 152_000,
                                                               "frequency": "monthly"}]}], ["MEDICAID"]),
    ("James Smith", [{"name": "James Smith", "age": 35, "incomes": [{"kind": "wages", "amount_cents": 160_000,
                                                                     "frequency": "biweekly"}]},
                     {"name": "Kim Smith", "age": 6, "incomes": []}], []),
)


def load(session: Session, echo, options: dict) -> None:
    if session.scalar(select(func.count()).select_from(Application)):
        echo("  applications: already there")
        return
    accounts = list(session.scalars(select(Account).where(Account.status == "active",
                                                          Account.meter_type == "individual",
                                                          ~Account.id.in_(select(AccountLink.account_id)))
                                    .order_by(Account.number.desc()).limit(len(HOUSEHOLDS))))
    numbers = []
    for (name, members, categorical), account in zip(HOUSEHOLDS, accounts):
        email = f"{name.split()[0].lower()}@example.com"
        user = auth_service.create_user(session, email=email, password="demo-" + secrets.token_urlsafe(12),
                                        role="customer", confirmed=True, full_name=name)
        session.add(AccountLink(user_id=user.id, account_id=account.id, linked_at=clock.now(), method="staff"))
        session.flush()
        offered = [p.code for p in programs_service.offered(session, clock.today(), account.zip, public=True)]
        if not offered:
            continue
        program = "CARE" if "CARE" in offered else offered[0]  # what the account's area offers
        application = service.start(session, user=user, applicant=user, account_number=account.number,
                                    program_codes=[program], household={"members": members}, categorical=categorical)
        lifecycle.submit(session, user, application, name)
        numbers.append(application.number)
    echo(f"  applications waiting in the CSR queue: {', '.join(numbers)}")
