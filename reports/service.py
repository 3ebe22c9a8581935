"""Who sees which programs, what a report request is, and the background job that builds a workbook.

Writes only the reports area's own records (report jobs, estimates, program managers) and the
audit log; each change flushes, the caller commits. A workbook is kept encrypted with the
DOCUMENT_KEY in chunks (so a large file is never whole in memory) and removed after
`REPORT_RETENTION_HOURS`.
"""
from __future__ import annotations

import json
import os
import secrets
import struct
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Iterator

from flask import current_app, url_for
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core import audit, clock, crypto, jobs
from core.errors import Forbidden, Invalid, NotFound
from reports import queries
from reports.models import EligibleEstimate, ProgramManager, ReportJob

DEFAULT_RETENTION_HOURS = 72
MAX_PERIOD_DAYS = 5 * 366 + 1
CHUNK_BYTES = 1 << 20  # encrypted a mebibyte at a time
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PROGRESS_KEY = "assist:report-progress:{}"


# ---------------------------------------------------------------------------------------------
# Who sees what


def managed_program_ids(session: Session, user) -> set[int]:
    return set(session.scalars(select(ProgramManager.program_id).where(ProgramManager.user_id == user.id)))


def visible_programs(session: Session, user) -> list[queries.ProgramRow]:
    """Admins (and commands, user None) see every program; a manager the programs they manage, or every
    program when they manage none; anyone else none."""
    every = queries.programs(session)
    if user is None or user.role == "admin":
        return every
    if user.role != "manager":
        return []
    mine = managed_program_ids(session, user)
    return [p for p in every if p.id in mine] if mine else every


def may_identify(session: Session, user, programs: list[queries.ProgramRow]) -> bool:
    """Identified rows: admins and commands, and a manager assigned to every program in the report."""
    if user is None or user.role == "admin":
        return True
    if user.role != "manager" or not programs:
        return False
    return {p.id for p in programs} <= managed_program_ids(session, user)


@dataclass(frozen=True)
class ReportRequest:
    period: queries.Period
    programs: list[queries.ProgramRow]
    identified: bool = False

    @classmethod
    def parse(cls, session: Session, start: date | None, end: date | None, codes: list[str] | None, *,
              identified: bool = False, user=None) -> "ReportRequest":
        """Check a request against what `user` may see: bad dates and unknown programs are 422 naming the
        field, a program or identified rows the user may not have are 403."""
        problems: dict[str, list[str]] = {}
        if start is None:
            problems["from"] = [_("Give the first day of the period.")]
        if end is None:
            problems["to"] = [_("Give the last day of the period.")]
        if start and end and end < start:
            problems["to"] = [_("The period ends before it starts.")]
        elif start and end and (end - start).days > MAX_PERIOD_DAYS:
            problems["to"] = [_("A report covers at most five years.")]
        visible = visible_programs(session, user)
        if codes:
            known = {p.code for p in queries.programs(session)}
            unknown = sorted(set(codes) - known)
            if unknown:
                problems["programs"] = [_("No such program: %(codes)s.", codes=", ".join(unknown))]
        if problems:
            raise Invalid(_("Some fields are missing or not valid."), fields=problems)
        if codes:
            allowed = {p.code for p in visible}
            if set(codes) - allowed:
                raise Forbidden(_("You do not report on that program."), fields={"programs": [
                    _("You do not report on that program.")]})
            chosen = [p for p in visible if p.code in set(codes)]
        else:
            chosen = visible
        if not chosen:
            raise Forbidden(_("You do not report on any program."))
        if identified and not may_identify(session, user, chosen):
            raise Forbidden(_("Identified rows are for the managers of these programs."),
                            fields={"identified": [_("Identified rows are for the managers of these programs.")]})
        return cls(queries.Period(start, end), chosen, identified)

    def parameters(self) -> dict:
        return {"from": self.period.start.isoformat(), "to": self.period.end.isoformat(),
                "programs": [p.code for p in self.programs], "identified": self.identified}

    @classmethod
    def from_parameters(cls, session: Session, parameters: dict) -> "ReportRequest":
        return cls(queries.Period(date.fromisoformat(parameters["from"]), date.fromisoformat(parameters["to"])),
                   queries.programs(session, parameters["programs"]), bool(parameters.get("identified")))


def record_export(session: Session, report: str, parameters: dict, **details) -> None:
    """Every export is an audit record: who, which report, which parameters."""
    audit.record(session, f"report.exported.{report}", object_type="report", object_id=report,
                 details={"parameters": parameters, **details})


# ---------------------------------------------------------------------------------------------
# Program managers (assigned on the program's page)


def managers_of(session: Session, program_id: int) -> list:
    from auth.models import User

    return list(session.scalars(select(User).join(ProgramManager, ProgramManager.user_id == User.id)
                                .where(ProgramManager.program_id == program_id).order_by(User.email)))


def assignable_managers(session: Session) -> list:
    from auth.models import User

    return list(session.scalars(select(User).where(User.role == "manager", User.active.is_(True)).order_by(User.email)))


def assign_manager(session: Session, program_id: int, program_code: str, user_id: int) -> None:
    from auth.models import User

    user = session.get(User, user_id)
    if user is None or user.role != "manager":
        raise Invalid(_("Choose a manager."), fields={"user_id": [_("Choose a manager.")]})
    if session.scalar(select(ProgramManager.id).where(ProgramManager.program_id == program_id,
                                                      ProgramManager.user_id == user_id)):
        return
    session.add(ProgramManager(program_id=program_id, user_id=user_id, assigned_at=clock.now(),
                               assigned_by_label=audit.current_actor().label))
    audit.record(session, "program.manager_assigned", object_type="programs", object_id=program_id,
                 details={"program": program_code, "manager": user.email})
    session.flush()


def unassign_manager(session: Session, program_id: int, program_code: str, user_id: int) -> None:
    from auth.models import User

    done = session.execute(delete(ProgramManager).where(ProgramManager.program_id == program_id,
                                                        ProgramManager.user_id == user_id))
    if done.rowcount:
        user = session.get(User, user_id)
        audit.record(session, "program.manager_unassigned", object_type="programs", object_id=program_id,
                     details={"program": program_code, "manager": user.email if user else user_id})
    session.flush()


# ---------------------------------------------------------------------------------------------
# Eligible-population estimates: `flask reports eligible-estimates load FILE`


class EstimatesError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class EstimateIn(Schema):
    program = fields.String(required=True, validate=validate.Length(min=1, max=40))
    zip = fields.String(required=True, validate=validate.Regexp(r"^\d{5}$", error="a five-digit ZIP code"))
    year = fields.Integer(required=True, strict=True, validate=validate.Range(min=2000, max=2100))
    households = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=100_000_000))


class EstimatesFile(Schema):
    source = fields.String(required=True, validate=validate.Length(min=3, max=2000))
    estimates = fields.List(fields.Nested(EstimateIn), required=True, validate=validate.Length(min=1))


def _flatten(messages, where: str = "") -> list[str]:
    if isinstance(messages, dict):
        return [p for key, value in messages.items() for p in _flatten(value, f"{where}.{key}" if where else str(key))]
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [f"{where}: {m}" for m in messages]
    return [f"{where}: {messages}"]


def read_estimates(path: str | os.PathLike) -> dict:
    """The file, checked: every problem by its place (`estimates.3.zip: ...`); nothing half-loaded."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EstimatesError([f"not a JSON file: {exc}"]) from None
    if not isinstance(data, dict):
        raise EstimatesError(['the file must hold a JSON object with "source" and "estimates"'])
    try:
        parsed = EstimatesFile().load(data)
    except ValidationError as exc:
        raise EstimatesError(_flatten(exc.normalized_messages())) from None
    keys = [(e["program"], e["zip"], e["year"]) for e in parsed["estimates"]]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise EstimatesError([f"estimates: {p} {z} {y} appears more than once" for p, z, y in twice])
    return parsed


def load_estimates(session: Session, parsed: dict) -> dict:
    """Add or replace each (program, ZIP, year); unknown programs refuse the whole file."""
    by_code = {p.code: p.id for p in queries.programs(session)}
    unknown = sorted({e["program"] for e in parsed["estimates"]} - set(by_code))
    if unknown:
        raise EstimatesError([f"estimates: no such program {code}" for code in unknown])
    now, who = clock.now(), audit.current_actor().label
    added = replaced = 0
    for e in parsed["estimates"]:
        row = session.scalar(select(EligibleEstimate).where(EligibleEstimate.program_id == by_code[e["program"]],
                                                            EligibleEstimate.zip == e["zip"],
                                                            EligibleEstimate.year == e["year"]))
        if row is None:
            session.add(EligibleEstimate(program_id=by_code[e["program"]], zip=e["zip"], year=e["year"],
                                         households=e["households"], source=parsed["source"], loaded_at=now,
                                         loaded_by_label=who))
            added += 1
        else:
            row.households, row.source, row.loaded_at, row.loaded_by_label = e["households"], parsed["source"], now, who
            replaced += 1
    report = {"added": added, "replaced": replaced, "source": parsed["source"]}
    audit.record(session, "reports.estimates_loaded", object_type="eligible_estimates", details=report)
    session.flush()
    return report


# ---------------------------------------------------------------------------------------------
# Jobs: the workbook built in the background, kept encrypted, removed after the retention period


def retention() -> timedelta:
    return timedelta(hours=int(current_app.config.get("REPORT_RETENTION_HOURS") or DEFAULT_RETENTION_HOURS))


def start_participation(session: Session, user, request: ReportRequest) -> ReportJob:
    purge_expired(session)  # without workers (no REDIS_URL) nothing else would remove old files
    job = ReportJob(token=secrets.token_hex(16), report="participation", parameters=request.parameters(),
                    status="queued", progress={"sheet": "", "rows_written": 0, "percent": 0},
                    requested_by_id=user.id, created_at=clock.now(), notified=False)
    session.add(job)
    session.flush()
    record_export(session, "participation", request.parameters(), job=job.token)
    jobs.enqueue(build_participation, job.id, session=session)
    return job


def get_job(session: Session, token: str, user) -> ReportJob:
    """The requester's own job; anyone else's is 404, as is one whose file has been removed."""
    job = session.scalar(select(ReportJob).where(ReportJob.token == token))
    if job is None or job.requested_by_id != user.id:
        raise NotFound(_("No such report."))
    return job


def jobs_of(session: Session, user, limit: int = 20) -> list[ReportJob]:
    return list(session.scalars(select(ReportJob).where(ReportJob.requested_by_id == user.id)
                                .order_by(ReportJob.id.desc()).limit(limit)))


def _redis():
    if current_app.config.get("REDIS_URL"):
        return jobs.redis_connection(current_app)
    return None


def progress_of(job: ReportJob) -> dict:
    """The progress a running job last reported (Redis), or what the row holds."""
    if job.status == "running" and (conn := _redis()) is not None:
        try:
            raw = conn.get(PROGRESS_KEY.format(job.token))
        except Exception:  # noqa: BLE001 - progress is a nicety; the row still answers
            raw = None
        if raw:
            return json.loads(raw)
    return dict(job.progress or {})


def _report_progress(token: str, progress: dict) -> None:
    conn = _redis()
    if conn is not None:
        try:
            conn.set(PROGRESS_KEY.format(token), json.dumps(progress), ex=24 * 3600)
        except Exception:  # noqa: BLE001
            pass


def build_participation(job_id: int, max_rows: int | None = None) -> None:
    """The job: stream the rows into a temporary workbook, encrypt it chunk by chunk, and tell the requester."""
    from core.database import db
    from reports import workbook

    session = db.session()
    job = session.get(ReportJob, job_id)
    if job is None or job.status != "queued":
        return
    job.status, job.started_at = "running", clock.now()
    session.commit()
    request = ReportRequest.from_parameters(session, job.parameters)
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        try:
            result = workbook.build(session, path, period=request.period, programs=request.programs,
                                    secret=current_app.config["SECRET_KEY"], identified=request.identified,
                                    max_rows=max_rows or workbook.EXCEL_MAX_ROWS,
                                    progress=lambda p: _report_progress(job.token, p))
            name, size, digest = _store(Path(path))
        except Exception as exc:  # noqa: BLE001 - the requester sees "failed"; the log has the cause
            session.rollback()
            job = session.get(ReportJob, job_id)
            job.status, job.finished_at, job.error = "failed", clock.now(), type(exc).__name__
            session.commit()
            raise
    finally:
        os.unlink(path)
    job.status, job.finished_at = "done", clock.now()
    job.expires_at = job.finished_at + retention()
    job.storage_name, job.size_bytes, job.sha256 = name, size, digest
    job.progress = {"sheet": result.sheets[-1], "rows_written": result.rows, "percent": 100}
    _notify(session, job)


def _notify(session: Session, job: ReportJob) -> None:
    from auth.models import User
    from core.outbox import queue_message

    user = session.get(User, job.requested_by_id)
    if user is None or job.notified:
        return
    link = f"{current_app.config['BASE_URL'].rstrip('/')}/staff/reports"
    p = job.parameters
    queue_message(session, to=user.email, kind="report.ready", user_id=user.id, language=user.language,
                  subject=_("Your participation report is ready"),
                  body=_("The participation workbook for %(start)s to %(end)s (%(programs)s) is ready to download "
                         "until %(until)s: %(link)s",
                         start=p["from"], end=p["to"], programs=", ".join(p["programs"]),
                         until=job.expires_at.astimezone(clock.clock().tz).strftime("%Y-%m-%d %H:%M"), link=link))
    job.notified = True


def _root() -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / "reports"


def _file(name: str) -> Path:
    if not name or "/" in name or ".." in name:
        raise ValueError("not a storage name")
    return _root() / name


def _store(plain: Path) -> tuple[str, int, str]:
    """Encrypt `plain` a chunk at a time into the reports store: (name, plain size, sha256 of the plain file)."""
    import hashlib

    name = secrets.token_hex(20)
    target = _file(name)
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    digest, size = hashlib.sha256(), 0
    temporary = target.with_name(f".{name}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out, plain.open("rb") as src:
        while chunk := src.read(CHUNK_BYTES):
            digest.update(chunk)
            size += len(chunk)
            token = crypto.encrypt(chunk)
            out.write(struct.pack(">I", len(token)))
            out.write(token)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, target)
    return name, size, digest.hexdigest()


def read_file(job: ReportJob) -> Iterator[bytes]:
    """The plain workbook, a chunk at a time (the path and keys are taken now: the response streams later)."""
    path, keys = _file(job.storage_name), crypto.keyring()

    def chunks() -> Iterator[bytes]:
        with path.open("rb") as src:
            while header := src.read(4):
                (length,) = struct.unpack(">I", header)
                yield keys.decrypt(src.read(length))

    return chunks()


def downloadable(job: ReportJob) -> bool:
    return (job.status == "done" and job.storage_name is not None and job.expires_at is not None
            and job.expires_at > clock.now() and _file(job.storage_name).exists())


def status_of(job: ReportJob) -> dict:
    return {"job": job.token, "status": "done" if job.status == "expired" else job.status,
            "progress": progress_of(job), "expired": job.status == "expired" or (
                job.status == "done" and not downloadable(job)),
            "download_url": url_for("reports_api.download", token=job.token) if downloadable(job) else None}


def purge_expired(session: Session | None = None) -> int:
    """Remove the files of jobs past their retention; their rows stay, marked expired, for the record."""
    from core.database import db

    session = session or db.session()
    expired = list(session.scalars(select(ReportJob).where(ReportJob.status == "done",
                                                           ReportJob.expires_at <= clock.now())))
    for job in expired:
        if job.storage_name:
            try:
                _file(job.storage_name).unlink()
            except FileNotFoundError:
                pass
        job.status, job.storage_name = "expired", None
    session.flush()
    return len(expired)


def purge_job() -> None:
    """The periodic job (`core.jobs.every`)."""
    purge_expired()
