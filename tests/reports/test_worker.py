"""With REDIS_URL the workbook waits in the queue and the documented worker builds it."""
from __future__ import annotations

import io

from openpyxl import load_workbook


def test_the_worker_builds_the_queued_workbook(fresh_database_url):
    from core.database import db
    from tests.documents.test_parse_jobs import _app, _burst, _clear_redis, _dispose
    from tests.factories import api_headers, make_user
    from tests.reports.seed import seed

    _clear_redis()
    app = _app(fresh_database_url)
    try:
        with app.app_context():
            seed(db.session())
            manager = make_user(db.session(), "manager")
            db.session.commit()
            headers = api_headers(app, manager)
        created = app.test_client().post("/api/v1/reports/participation", headers=headers,
                                         json={"from": "2026-01-01", "to": "2026-06-30", "programs": ["CARE"]})
        assert created.status_code == 202, created.json
        waiting = app.test_client().get(created.json["status_url"], headers=headers).json
        assert waiting == {"status": "queued", "progress": {"sheet": "", "rows_written": 0, "percent": 0},
                           "download_url": None}
        _burst(fresh_database_url)  # `flask --app app worker --burst`
        done = app.test_client().get(created.json["status_url"], headers=headers).json
        assert done["status"] == "done" and done["progress"]["percent"] == 100
        data = app.test_client().get(done["download_url"], headers=headers).data
        summary = load_workbook(io.BytesIO(data))["Summary"]
        assert summary["A4"].value == "Programs: CARE"
    finally:
        _dispose(app)
