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


def make_enrollment(session, *, account, applicant, program: str = "CARE", certified_from=None, months: int = 24,
                    household: dict | None = None, status: str = "active"):
    """An approved application and the enrollment its approval made, as the review leaves them."""
    from datetime import timedelta

    from sqlalchemy import select

    from core import clock
    from applications.models import Application
    from eligibility.assistance.models import ApplicationProgram, AssistanceApplication
    from eligibility.enrollments.models import Enrollment
    from eligibility.models import Program
    from eligibility.recertification.rules import add_months

    start = certified_from or clock.today()
    program_row = session.scalar(select(Program).where(Program.code == program))
    now = clock.now()
    application = Application(account_id=account.id, applicant_id=applicant.id, started_by_id=applicant.id,
                              kind="assistance", status="approved", language=applicant.language, submitted_at=now,
                              submitted_on=start, created_at=now, updated_at=now)
    application.assistance = AssistanceApplication(household=household or {"members": [
        {"age": 41, "name": "Rosa Diaz", "incomes": [
            {"kind": "wages", "amount_cents": 250_000, "frequency": "monthly"}]}]}, categorical=[])
    application.programs = [ApplicationProgram(program_id=program_row.id, status="approved")]
    session.add(application)
    session.flush()
    application.number = f"A{start.year}-{application.id:07d}"
    enrollment = Enrollment(account_id=account.id, program_id=program_row.id, application_id=application.id,
                            status=status, certified_from=start, enrolled_from=start,
                            certified_to=add_months(start, months) - timedelta(days=1), household_type="standard",
                            rule_version=f"{program}.v1", created_at=now)
    session.add(enrollment)
    session.flush()
    return enrollment
