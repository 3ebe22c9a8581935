"""Demo people: one per role, with passwords printed so a tester can sign in."""
from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from auth import service
from auth.models import User

DEMO_USERS = (
    ("customer@example.com", "customer", "Carmen Customer"),
    ("csr@example.com", "csr", "Casey Representative"),
    ("manager@example.com", "manager", "Morgan Manager"),
    ("admin@example.com", "admin", "Alex Admin"),
    ("inspector@example.com", "inspector", "Ines Inspector"),
)


def load(session: Session, echo, options: dict) -> None:
    for email, role, name in DEMO_USERS:
        if session.scalar(select(User).where(User.email == email)):
            echo(f"  {role:<9} {email} (already there)")
            continue
        password = "demo-" + secrets.token_urlsafe(9)
        service.create_user(session, email=email, password=password, role=role, confirmed=True, full_name=name)
        echo(f"  {role:<9} {email}  password: {password}")
