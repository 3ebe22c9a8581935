"""Reports over the API: the workbook as a background job, its status and file, and the Summary's figures."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, jsonify, request, url_for
from flask_login import current_user

from core.access import allow
from core.api import documented, load_json
from core.database import db
from core.errors import Invalid, NotFound
from reports import queries, service
from reports.schemas import JobCreated, JobStatusOut, ParticipationIn, SummaryOut

bp = Blueprint("reports_api", __name__, url_prefix="/api/v1")
MANAGERS = ("manager", "admin")


@documented("/reports/participation", "post", summary="Build the participation workbook in the background; "
            "poll status_url", tags=["reports"], request=ParticipationIn, response=JobCreated, status=202,
            errors=(403, 422))
@bp.post("/reports/participation")
@allow(*MANAGERS)
def participation():
    data = load_json(ParticipationIn())
    req = service.ReportRequest.parse(db.session, data["start"], data["end"], data["programs"] or None,
                                      identified=data["identified"], user=current_user)
    job = service.start_participation(db.session, current_user, req)
    response = jsonify(JobCreated().dump({"job": job.token,
                                          "status_url": url_for("reports_api.job_status", token=job.token)}))
    response.status_code = 202
    return response


@documented("/reports/jobs/{token}", "get", summary="A report job's status, progress and (once done) its download",
            tags=["reports"], response=JobStatusOut, errors=(404,))
@bp.get("/reports/jobs/<token>")
@allow(*MANAGERS)
def job_status(token: str):
    status = service.status_of(service.get_job(db.session, token, current_user))
    return jsonify(JobStatusOut().dump(status))


@documented("/reports/jobs/{token}/download", "get", summary="The finished workbook (.xlsx), while it is kept",
            tags=["reports"], errors=(404,))
@bp.get("/reports/jobs/<token>/download")
@allow(*MANAGERS)
def download(token: str):
    return download_response(service.get_job(db.session, token, current_user))


def download_response(job) -> Response:
    if not service.downloadable(job):
        raise NotFound("The report is not ready, or its file has been removed.")
    p = job.parameters
    service.record_export(db.session, "participation.download", p, job=job.token)
    response = Response(service.read_file(job), mimetype=service.XLSX)
    response.headers["Content-Disposition"] = f'attachment; filename="participation-{p["from"]}-{p["to"]}.xlsx"'
    response.headers["Content-Length"] = str(job.size_bytes)
    response.headers["Cache-Control"] = "no-store"
    return response


SUMMARY_QUERY = {"from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"},
                 "program": {"type": "string", "maxLength": 40}}


def _date_arg(name: str) -> date | None:
    value = request.args.get(name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid("Some fields are missing or not valid.", fields={name: ["Give a date like 2026-06-30."]}) from None


def summary_json(req: service.ReportRequest) -> dict:
    figures = queries.figures(db.session, req.programs, req.period)
    return SummaryOut().dump({"start": req.period.start, "end": req.period.end, "programs": [
        {"program": r.program, "enrolled_start": r.enrolled_start, "enrolled_end": r.enrolled_end, "new": r.new,
         "recertified": r.recertified, "ended": r.ended, "removed": r.removed, "received": r.received,
         "approved": r.approved, "denied": r.denied, "pending": r.pending,
         "median_days_to_decision": r.median_days_to_decision, "benefits_cents": r.benefits_cents,
         "rebates_cents": r.rebates_cents} for r in figures.summary]})


@documented("/reports/summary", "get", summary="The Summary sheet's figures as JSON (repeat `program` for more)",
            tags=["reports"], response=SummaryOut, errors=(403, 422), query=SUMMARY_QUERY)
@bp.get("/reports/summary")
@allow(*MANAGERS)
def summary():
    req = service.ReportRequest.parse(db.session, _date_arg("from"), _date_arg("to"),
                                      request.args.getlist("program") or None, user=current_user)
    body = summary_json(req)
    service.record_export(db.session, "summary", req.parameters())
    return jsonify(body)
