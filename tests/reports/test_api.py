"""The reports API: the workbook as a job (progress, download, encrypted at rest, removed after
retention), the Summary's figures as JSON, and who may ask."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from core.audit import AuditRecord
from tests.factories import api_headers, make_user
from tests.reports.seed import seed
from tests.reports.test_workbook import _table

BODY = {"from": "2026-01-01", "to": "2026-06-30", "programs": ["CARE", "FERA"]}


@pytest.fixture
def world(db_session):
    return seed(db_session)


@pytest.fixture
def manager(db_session):
    return make_user(db_session, "manager")


def _post(app, headers, body=BODY):
    return app.test_client().post("/api/v1/reports/participation", json=body, headers=headers)


def test_the_job_builds_the_workbook_reports_progress_and_the_file_downloads(app, db_session, world, manager):
    from reports.models import ReportJob

    headers = api_headers(app, manager)
    created = _post(app, headers)
    assert created.status_code == 202, created.json
    assert created.json["status_url"] == f"/api/v1/reports/jobs/{created.json['job']}"
    status = app.test_client().get(created.json["status_url"], headers=headers)
    assert status.status_code == 200
    assert status.json["status"] == "done" and status.json["progress"]["percent"] == 100
    assert status.json["progress"]["rows_written"] > 10 and status.json["progress"]["sheet"] == "Definitions"
    download = app.test_client().get(status.json["download_url"], headers=headers)
    assert download.status_code == 200 and download.mimetype.endswith("spreadsheetml.sheet")
    wb = load_workbook(io.BytesIO(download.data))
    assert "Summary" in wb.sheetnames
    # Encrypted at rest: the stored file is not the workbook.
    job = db_session.scalar(select(ReportJob).where(ReportJob.token == created.json["job"]))
    from reports import service

    stored = service._file(job.storage_name).read_bytes()
    assert b"PK" not in stored[:8] and b"xl/worksheets" not in stored
    # Someone else's job is not found; the requester got an email.
    other = api_headers(app, make_user(db_session, "manager"))
    assert app.test_client().get(created.json["status_url"], headers=other).status_code == 404
    assert app.test_client().get(status.json["download_url"], headers=other).status_code == 404
    from core.outbox import OutboxMessage

    assert db_session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "report.ready",
                                                         OutboxMessage.to_address == manager.email))
    actions = set(db_session.scalars(select(AuditRecord.action).where(AuditRecord.action.like("report.exported.%"))))
    assert {"report.exported.participation", "report.exported.participation.download"} <= actions


def test_the_file_is_removed_after_the_retention_period(app, db_session, world, manager, clock):
    from reports import service
    from reports.models import ReportJob

    headers = api_headers(app, manager)
    token = _post(app, headers).json["job"]
    job = db_session.scalar(select(ReportJob).where(ReportJob.token == token))
    path = service._file(job.storage_name)
    assert path.exists()
    clock.freeze(clock.now() + service.retention() + timedelta(minutes=1))
    result = app.test_cli_runner().invoke(args=["reports", "purge"])
    assert result.exit_code == 0 and '"removed": 1' in result.output
    assert not path.exists()
    headers = api_headers(app, manager)  # three days on: a new sign-in
    status = app.test_client().get(f"/api/v1/reports/jobs/{token}", headers=headers).json
    assert status["download_url"] is None
    assert app.test_client().get(f"/api/v1/reports/jobs/{token}/download", headers=headers).status_code == 404


def test_same_parameters_give_the_same_numbers(app, db_session, world, manager):
    headers = api_headers(app, manager)
    books = []
    for _ in range(2):
        status = app.test_client().get(_post(app, headers).json["status_url"], headers=headers).json
        data = app.test_client().get(status["download_url"], headers=headers).data
        wb = load_workbook(io.BytesIO(data))
        books.append({name: [list(r) for r in wb[name].iter_rows(min_row=5, values_only=True)] for name in wb.sheetnames})
    assert books[0] == books[1]


def test_the_summary_json_matches_the_summary_sheet(app, db_session, world, manager, tmp_path):
    from reports import queries, workbook

    headers = api_headers(app, manager)
    response = app.test_client().get("/api/v1/reports/summary?from=2026-01-01&to=2026-06-30&program=CARE&program=FERA",
                                     headers=headers)
    assert response.status_code == 200, response.json
    body = response.json
    assert set(body) == {"from", "to", "programs"} and body["from"] == "2026-01-01"
    assert set(body["programs"][0]) == {"program", "enrolled_start", "enrolled_end", "new", "recertified", "ended",
                                        "removed", "received", "approved", "denied", "pending",
                                        "median_days_to_decision", "benefits_cents", "rebates_cents"}
    path = tmp_path / "p.xlsx"
    workbook.build(db_session, path, period=queries.Period(*[__import__("datetime").date.fromisoformat(d)
                                                             for d in ("2026-01-01", "2026-06-30")]),
                   programs=queries.programs(db_session, ["CARE", "FERA"]), secret="s")
    sheet = {r["Program"]: r for r in _table(load_workbook(path)["Summary"])[1]}
    for p in body["programs"]:
        row = sheet[p["program"]]
        assert (p["enrolled_start"], p["enrolled_end"], p["new"], p["ended"], p["received"], p["approved"],
                p["denied"], p["pending"]) == (row["Enrolled at start"], row["Enrolled at end"], row["New: total"],
                                               row["Ended: total"], row["Applications received"], row["Approved"],
                                               row["Denied"], row["Pending at end"])
        assert p["benefits_cents"] == round(row["Benefits credited ($)"] * 100)
    care = next(p for p in body["programs"] if p["program"] == "CARE")
    assert (care["denied"], care["median_days_to_decision"], care["benefits_cents"]) == (3, 6.5, 3250)


@pytest.mark.parametrize("query, field", [("from=2026-13-01&to=2026-06-30", "from"), ("to=2026-06-30", "from"),
                                          ("from=2026-07-01&to=2026-06-30", "to"),
                                          ("from=2026-01-01&to=2026-06-30&program=NOPE", "programs")])
def test_bad_parameters_are_422_naming_the_field(app, db_session, manager, query, field):
    response = app.test_client().get(f"/api/v1/reports/summary?{query}", headers=api_headers(app, manager))
    assert response.status_code == 422 and field in response.json["error"]["fields"]


def test_a_manager_of_one_program_sees_only_it(app, db_session, world, manager):
    from reports import queries, service

    service.assign_manager(db_session, queries.programs(db_session, ["CARE"])[0].id, "CARE", manager.id)
    headers = api_headers(app, manager)
    every = app.test_client().get("/api/v1/reports/summary?from=2026-01-01&to=2026-06-30", headers=headers).json
    assert [p["program"] for p in every["programs"]] == ["CARE"]
    fera = app.test_client().get("/api/v1/reports/summary?from=2026-01-01&to=2026-06-30&program=FERA", headers=headers)
    assert fera.status_code == 403
    assert _post(app, headers).status_code == 403
    # Identified rows: the manager of CARE may have them for CARE; a manager of nothing may not.
    assert _post(app, headers, {**BODY, "programs": ["CARE"], "identified": True}).status_code == 202
    everyone = api_headers(app, make_user(db_session, "manager"))
    refused = _post(app, everyone, {**BODY, "identified": True})
    assert refused.status_code == 403 and "identified" in refused.json["error"]["fields"]


@pytest.mark.parametrize("role", ["csr", "customer"])
def test_csrs_and_customers_get_403(app, db_session, world, role):
    headers = api_headers(app, make_user(db_session, role))
    assert app.test_client().get("/api/v1/reports/summary?from=2026-01-01&to=2026-06-30",
                                 headers=headers).status_code == 403
    assert _post(app, headers).status_code == 403


def test_the_openapi_document_lists_the_reports_endpoints(app, db_session):
    spec = app.test_client().get("/api/v1/openapi.json").json
    assert {"/reports/participation", "/reports/jobs/{token}", "/reports/summary"} <= set(spec["paths"])
    assert "202" in spec["paths"]["/reports/participation"]["post"]["responses"]


def test_a_running_job_shows_its_progress(app, db_session, world, manager, monkeypatch, tmp_path):
    """While the workbook is written, each step's rows and sheet reach the status (through Redis)."""
    import redis

    from core import clock as clock_module
    from reports import queries, service, workbook
    from reports.models import ReportJob
    from tests.conftest import TEST_REDIS_URL

    monkeypatch.setitem(app.config, "REDIS_URL", TEST_REDIS_URL)
    app.extensions.pop("assist.redis", None)
    monkeypatch.setattr(workbook, "PROGRESS_EVERY", 1)
    job = ReportJob(token="t" * 32, report="participation", parameters=BODY | {"identified": False}, status="running",
                    progress={}, requested_by_id=manager.id, created_at=clock_module.now(), notified=False)
    db_session.add(job)
    db_session.flush()
    headers = api_headers(app, manager)
    seen = []

    def progress(p):
        service._report_progress(job.token, p)
        seen.append(app.test_client().get(f"/api/v1/reports/jobs/{job.token}", headers=headers).json)

    try:
        workbook.build(db_session, tmp_path / "p.xlsx", period=queries.Period(*[__import__("datetime").date(2026, m, d)
                                                                                for m, d in ((1, 1), (6, 30))]),
                       programs=queries.programs(db_session, ["CARE"]), secret="s", progress=progress)
    finally:
        redis.Redis.from_url(TEST_REDIS_URL).delete(service.PROGRESS_KEY.format(job.token))
        app.extensions.pop("assist.redis", None)
    assert all(s["status"] == "running" and s["download_url"] is None for s in seen)
    rows = [s["progress"]["rows_written"] for s in seen]
    assert rows == sorted(rows) and rows[-1] > rows[0]
    assert {"Summary", "Applications", "Definitions"} <= {s["progress"]["sheet"] for s in seen}
    assert all(0 <= s["progress"]["percent"] <= 99 for s in seen)


def test_the_reports_page_builds_and_offers_the_workbook(client, db_session, world, manager):
    from tests.conftest import login, post_form

    login(client, manager.email)
    response = post_form(client, "/staff/reports/participation", {"from": "2026-01-01", "to": "2026-06-30",
                                                                  "programs": "CARE"}, token_from="/staff/reports")
    assert response.status_code == 302
    page = client.get("/staff/reports").get_data(as_text=True)
    assert "Download (.xlsx)" in page and "ready" in page
    import re

    link = re.search(r'href="(/staff/reports/[0-9a-f]+/download)"', page).group(1)
    assert load_workbook(io.BytesIO(client.get(link).data))["Summary"]["A4"].value == "Programs: CARE"
    bad = post_form(client, "/staff/reports/participation", {"from": "2026-07-01", "to": "2026-06-30"},
                    token_from="/staff/reports")
    assert bad.status_code == 422 and 'href="#to"' in bad.get_data(as_text=True)
