"""Two `recert run` processes at once, on a database of their own: every letter goes out exactly once."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, datetime, timezone

from sqlalchemy import create_engine, text

from tests.conftest import ROOT, TEST_DOCUMENT_KEY, TEST_SECRET_KEY, test_config


def test_two_concurrent_runs_send_each_notice_once(fresh_database_url):
    from app import create_app
    from core.database import db
    from tests.factories import link, make_account, make_enrollment, make_user

    app = create_app(test_config(fresh_database_url))
    app.extensions["assist.clock"].freeze(datetime(2026, 11, 20, 18, tzinfo=timezone.utc))
    with app.app_context():
        session = db.session()
        owner = make_user(session, "customer")
        for n in range(440):
            account = make_account(session)
            link(session, owner, account)
            # 180 expire on 2026-12-20 (the 30-day reminder is due on Dec 1); 60 lapsed past their grace;
            # 200 run to 2028 and stay active, for the verification draw
            start = date(2026, 6, 1) if n >= 240 else date(2024, 12, 21) if n % 4 else date(2024, 9, 1)
            make_enrollment(session, account=account, applicant=owner, certified_from=start)
        session.commit()
    db.engine(app).dispose()

    env = {**os.environ, "DATABASE_URL": fresh_database_url, "SECRET_KEY": TEST_SECRET_KEY,
           "DOCUMENT_KEY": TEST_DOCUMENT_KEY, "ASSIST_ENV": "test", "REDIS_URL": "", "MAIL_SERVER": ""}
    command = [sys.executable, "-m", "flask", "--app", "app", "recert", "run", "--on", "2026-12-01", "--json",
               "--seed", "both-runs"]
    runs = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    reports = []
    for run in runs:
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, err[-3000:]
        reports.append(json.loads(out.strip().splitlines()[-1]))
    assert sum(r["reminders_sent"] for r in reports) == 180
    assert sum(r["expired"] for r in reports) == 60
    assert all(r["errors"] == [] for r in reports)

    engine = create_engine(fresh_database_url)
    with engine.connect() as conn:
        repeated = conn.execute(text(
            "SELECT enrollment_id, kind, count(*) FROM notices GROUP BY enrollment_id, kind HAVING count(*) > 1")).all()
        letters = dict(conn.execute(text("SELECT kind, count(*) FROM notices GROUP BY kind")).all())
        draws = conn.execute(text("SELECT count(*), count(DISTINCT program_id), sum(selected) "
                                  "FROM verification_draws")).one()
        events = conn.execute(text("SELECT count(*) FROM enrollment_events")).scalar()
        mail = conn.execute(text("SELECT count(*) FROM outbox_messages")).scalar()
    engine.dispose()
    assert repeated == []
    assert letters["recert_reminder"] == 180 and letters["enrollment_expired"] == 60
    assert draws[0] == draws[1]                   # one draw per program this month, not one per process
    assert letters.get("verification_request", 0) == draws[2] == sum(r["verification_selected"] for r in reports)
    assert draws[2] > 0
    assert events == 240                          # one status change each: due, or expired
    assert mail == sum(letters.values())          # one email per letter
