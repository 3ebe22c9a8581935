"""Run by the concurrency test as its own process: wait for the go file, hold, commit, print JSON."""
from __future__ import annotations

import json
import sys
import time
from datetime import date
from pathlib import Path


def main(url: str, go: str, application_id: int, cents: int) -> None:
    from app import create_app
    from core.audit import Actor, acting_as
    from core.database import db
    from rebates import budgets, service
    from tests.conftest import test_config

    app = create_app(test_config(url))
    with app.app_context():
        acting_as(Actor(label=f"worker {application_id}"))
        session = db.session()
        program = service.get_program(session, "TEST-WATER")
        session.commit()
        while not Path(go).exists():
            time.sleep(0.01)
        result = budgets.hold(session, application_id, program, date(2026, 8, 1), cents)
        time.sleep(0.2)   # keep the transaction open: the other process must wait for it, not read around it
        session.commit()
        print(json.dumps({"application": application_id, "status": result.status, "position": result.position}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
