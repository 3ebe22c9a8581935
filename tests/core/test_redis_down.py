"""Redis unreachable: the app starts and serves, rate limits fall back to memory (and say so),
and the health check names the dependency that is down. Redis up: health counts the workers."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import ROOT, TEST_DOCUMENT_KEY, TEST_REDIS_URL, TEST_SECRET_KEY

UNREACHABLE = "redis://127.0.0.1:1/0"  # nothing listens on port 1

SCRIPT = textwrap.dedent(r"""
    import json, re, sys
    from app import create_app
    from core.database import db
    from tests.factories import make_user

    url, redis_url = sys.argv[1], sys.argv[2]
    app = create_app({"ASSIST_ENV": "test", "DATABASE_URL": url, "REDIS_URL": redis_url,
                      "RATELIMIT_STORAGE_URI": redis_url, "SERVER_NAME": "assist.test",
                      "BASE_URL": "https://assist.test", "MAIL_SERVER": None})
    with app.app_context():
        email = make_user(db.session(), "customer").email
        db.session.commit()
    client = app.test_client()
    out = {}
    household = {"members": [{"age": 40, "incomes": [{"kind": "wages", "amount": "1000.00",
                                                     "frequency": "monthly"}]}]}
    out["api_login"] = client.post("/api/v1/auth/login",
                                   json={"email": email, "password": "correct horse battery staple"}).status_code
    out["api_screen"] = client.post("/api/v1/eligibility/screen",
                                    json={"zip": "94501", "household": household}).status_code
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    out["login_page"] = page.status_code
    out["form_login"] = client.post("/login", data={"email": email, "password": "correct horse battery staple",
                                                    "csrf_token": token}).status_code
    out["screen_page"] = client.get("/screen").status_code
    wrong = [client.post("/api/v1/auth/login", json={"email": "x" + email, "password": "wrong password here"})
             .status_code for _ in range(35)]
    out["still_limited"] = 429 in wrong and 500 not in wrong
    health = client.get("/api/v1/health")
    out["health"] = [health.status_code, health.get_json()]
    print("RESULT " + json.dumps(out))
""")


def test_the_app_starts_and_serves_with_redis_unreachable(fresh_database_url):
    env = {**os.environ, "ASSIST_ENV": "test", "SECRET_KEY": TEST_SECRET_KEY, "DOCUMENT_KEY": TEST_DOCUMENT_KEY,
           "PYTHONPATH": str(ROOT)}
    env.pop("REDIS_URL", None)
    done = subprocess.run([sys.executable, "-c", SCRIPT, fresh_database_url, UNREACHABLE], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    out = json.loads(lines[-1][len("RESULT "):])
    assert out["api_login"] == 200
    assert out["api_screen"] == 200
    assert out["login_page"] == 200 and out["form_login"] == 302
    assert out["screen_page"] == 200
    assert out["still_limited"], "limits are still counted, in memory, while Redis is down"
    status, body = out["health"]
    assert status == 503
    assert body["status"] == "degraded" and body["database"] == "ok"
    assert body["redis"] == "unavailable" and body["workers"] == "unknown"
    assert "Rate limit storage unreachable - falling back to in-memory storage" in done.stderr


def test_health_reports_each_dependency_and_recent_workers(app, client, monkeypatch):
    redis = pytest.importorskip("redis")
    from rq import Queue, Worker

    conn = redis.Redis.from_url(TEST_REDIS_URL)
    try:
        conn.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis server for tests")
    body = client.get("/api/v1/health").get_json()
    assert body["redis"] == "not_configured" and body["workers"] == "not_configured"
    assert body["status"] == "ok"

    monkeypatch.setitem(app.config, "REDIS_URL", TEST_REDIS_URL)
    app.extensions.pop("assist.health_redis", None)
    try:
        for worker in Worker.all(connection=conn):
            worker.register_death()
        response = client.get("/api/v1/health")
        assert response.status_code == 503
        assert response.json["redis"] == "ok" and response.json["workers"] == "none_seen"
        worker = Worker([Queue("assist", connection=conn)], connection=conn, name="health-test-worker")
        worker.register_birth()
        worker.heartbeat()
        try:
            response = client.get("/api/v1/health")
            assert response.status_code == 200, response.json
            assert response.json["workers"] == "ok" and response.json["workers_seen"] == 1
        finally:
            worker.register_death()
    finally:
        app.extensions.pop("assist.health_redis", None)
