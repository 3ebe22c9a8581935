"""The daily job (`recert run`): reminders, grace, expiry, the verification draw and its deadline.

It works in chunks, each one transaction: the chunk's enrollments are read again under a row
lock (`SELECT ... FOR UPDATE` on PostgreSQL; SQLite's `BEGIN IMMEDIATE` serializes writers), the
rules decide from what is read there, and every step is claimed by inserting its row: the
unique constraints let only one of two concurrent runs take a step, and only the run that took
it writes the letter. A second run for the same day finds everything taken and sends nothing.
Days that were missed are caught up from the dates alone: at most the latest reminder that has
come due, and the status the date calls for.
"""
from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Callable

from flask_babel import force_locale, gettext as _
from sqlalchemy import exists, select, text, update
from sqlalchemy.orm import Session

from accounts.models import Account
from core import audit, clock
from core.bulk import among, insert_new, insert_rows
from core.audit import current_actor
from core.web import external_url
from eligibility import service as programs_service
from applications.models import Application, ApplicationDocument, ApplicationEvent
from eligibility.assistance.models import RENEWAL_PENDING, ApplicationProgram, AssistanceApplication
from eligibility.enrollments.letters import Letters, recipients
from eligibility.enrollments.models import Enrollment, EnrollmentEvent
from eligibility.models import Program
from eligibility.recertification import rules
from eligibility.recertification.models import EnrollmentStep, VerificationDraw

CHUNK = 2_000
__all__ = ("RENEWAL_PENDING",)  # a renewal the customer has sent: no reminders, no expiry while staff decide


def _pending(purpose: str, *where):
    """The enrollments with an application of `purpose` the customer has sent and staff have not finished."""
    return (select(AssistanceApplication.enrollment_id)
            .join(Application, Application.id == AssistanceApplication.application_id)
            .where(AssistanceApplication.purpose == purpose, Application.status.in_(RENEWAL_PENDING), *where))
Progress = Callable[[str, int, int], None]


@dataclass
class RunReport:
    on: date
    reminders_sent: int = 0
    grace_started: int = 0
    expired: int = 0
    verification_selected: int = 0
    verification_removed: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"on": self.on.isoformat(), "reminders_sent": self.reminders_sent, "grace_started": self.grace_started,
                "expired": self.expired, "verification_selected": self.verification_selected,
                "verification_removed": self.verification_removed, "errors": self.errors}


@dataclass(frozen=True)
class Settings:
    """A program's recertification settings from the rule version in force on the day."""

    program: Program
    version: str
    reminder_days: tuple[int, ...]
    grace_days: int
    verification_rate: Decimal
    verification_days: int


def settings_on(session: Session, on: date) -> list[Settings]:
    catalog = programs_service.catalog(session)
    out = []
    for program in session.scalars(select(Program).order_by(Program.id)):
        version = catalog.version_on(program.code, on)
        if version is None:  # a program that has closed still sees its enrollments through
            rules_ = catalog.programs.get(program.code)
            earlier = [v for v in (rules_.versions if rules_ else ()) if v.effective_from <= on]
            if not earlier:
                continue
            version = max(earlier, key=lambda v: v.effective_from)
        out.append(Settings(program, version.id, tuple(sorted(version.reminder_days, reverse=True)),
                            version.grace_days, version.verification_rate, version.verification_days))
    return out


class Run:
    def __init__(self, session: Session, on: date, *, seed: str | None = None, progress: Progress | None = None,
                 chunk: int = CHUNK) -> None:
        self.session, self.on, self.seed, self.chunk = session, on, seed, chunk
        self.progress = progress or (lambda phase, done, total: None)
        self.report = RunReport(on)
        self.postgres = session.get_bind().dialect.name == "postgresql"
        self._links: dict[str, str] = {}
        self._accounts: dict[int, str] = {}

    # --- plumbing ------------------------------------------------------------------------------

    def link(self, endpoint: str, **values) -> str:
        """Links differ only by id: build one per endpoint and put each id in."""
        key = endpoint + ":" + ",".join(sorted(values))
        pattern = self._links.get(key)
        if pattern is None:
            pattern = external_url(endpoint, **{k: 987654321 for k in values})
            self._links[key] = pattern
        for value in values.values():
            pattern = pattern.replace("987654321", str(value), 1)
        return pattern

    def account_numbers(self, account_ids: set[int]) -> dict[int, str]:
        missing = [a for a in account_ids if a not in self._accounts]
        for start in range(0, len(missing), 10_000):
            self._accounts.update(self.session.execute(
                select(Account.id, Account.number).where(among(self.session, Account.id, missing[start:start + 10_000]))).all())
        return self._accounts

    def locked(self, ids: list[int], *conditions) -> list:
        """The chunk's enrollments as they are now, locked until the chunk commits."""
        query = (select(Enrollment.id, Enrollment.status, Enrollment.certified_to, Enrollment.grace_ends_on,
                        Enrollment.account_id, Enrollment.application_id, Enrollment.program_id)
                 .where(among(self.session, Enrollment.id, ids), *conditions).order_by(Enrollment.id))
        if self.postgres:
            query = query.with_for_update()
        return list(self.session.execute(query))

    def _set(self, ids: list[int], **values) -> None:
        """The same change to many locked enrollments, in one statement."""
        if ids:
            self.session.execute(update(Enrollment).where(among(self.session, Enrollment.id, ids)).values(**values)
                                 .execution_options(synchronize_session=False))

    def chunks(self, phase: str, items: list):
        total = len(items)
        for start in range(0, total, self.chunk):
            yield items[start:start + self.chunk]
            self.progress(phase, min(total, start + self.chunk), total)

    def guarded(self, phase: str, work: Callable[[], None]) -> None:
        """One chunk, one transaction: a failure is reported and rolled back, and the next run retries it."""
        try:
            work()
            self.session.commit()
        except Exception as exc:  # noqa: BLE001 - reported in the run's errors; the chunk is retried next run
            self.session.rollback()
            self.report.errors.append(f"{phase}: {type(exc).__name__}: {exc}"[:500])

    def history(self, rows: list[tuple[int, str, str, str]]) -> None:
        """Status changes (enrollment id, from, to, why) as history and audit records."""
        if not rows:
            return
        actor, now = current_actor(), clock.now()
        insert_rows(self.session, EnrollmentEvent, [
            {"enrollment_id": eid, "occurred_at": now, "actor_id": actor.user_id, "actor_label": actor.label,
             "from_status": before, "to_status": after, "reason": why} for eid, before, after, why in rows])
        by_status: dict[str, list] = defaultdict(list)
        for eid, before, after, why in rows:
            by_status[after].append((eid, why, {"from": before, "to": after}))
        for after, items in by_status.items():
            audit.record_many(self.session, f"enrollment.{after}", "enrollments", items)

    def execute(self) -> RunReport:
        programs = settings_on(self.session, self.on)
        self.session.commit()  # reading the settings must not hold the write lock
        for setting in programs:
            self.expire_and_grace(setting)
            self.remind(setting)
        self.remove_unverified()
        for setting in programs:
            if setting.verification_rate > 0 and setting.program.enabled:
                self.draw(setting)
        return self.report

    # --- grace and expiry ----------------------------------------------------------------------

    def expire_and_grace(self, s: Settings) -> None:
        ids = list(self.session.scalars(
            select(Enrollment.id).where(Enrollment.program_id == s.program.id,
                                        Enrollment.status.in_(("active", "recertification_due", "in_grace")),
                                        Enrollment.certified_to < self.on).order_by(Enrollment.id)))
        self.session.commit()
        for chunk in self.chunks(f"{s.program.code} grace and expiry", ids):
            self.guarded(f"{s.program.code} grace and expiry", lambda chunk=chunk: self._expire_chunk(s, chunk))

    def _expire_chunk(self, s: Settings, ids: list[int]) -> None:
        rows = self.locked(ids, Enrollment.status.in_(("active", "recertification_due", "in_grace")),
                           Enrollment.certified_to < self.on)
        pending = set(self.session.scalars(_pending(
            "recertification", among(self.session, AssistanceApplication.enrollment_id, ids))))
        to_grace, to_expire = [], []
        for row in rows:
            grace_end = row.grace_ends_on or rules.grace_end(row.certified_to, s.grace_days)
            if self.on > grace_end:
                if row.id not in pending:  # a renewal waiting for staff keeps the benefit going
                    to_expire.append((row, grace_end))
            elif row.status != "in_grace":
                to_grace.append((row, grace_end))
        now = clock.now()
        for end, ids in _by_date(to_grace).items():
            self._set(ids, status="in_grace", grace_ends_on=end)
        for end, ids in _by_date(to_expire).items():
            self._set(ids, status="expired", grace_ends_on=end, ended_on=end + timedelta(days=1), ended_at=now,
                      end_reason="No renewal was received by the end of the grace period.")
        self.history([(row.id, row.status, "in_grace", f"Certification ended {row.certified_to}; benefit continues "
                                                        f"to {end} while the customer renews") for row, end in to_grace]
                     + [(row.id, row.status, "expired", f"No renewal by the end of the grace period ({end})")
                        for row, end in to_expire])
        numbers = self.account_numbers({row.account_id for row, _end in to_grace + to_expire})
        who = recipients(self.session, [row.id for row, _end in to_grace + to_expire])
        letters = Letters(self.session)
        for row, end in to_grace:
            letters.add("grace_started", account_id=row.account_id, enrollment_id=row.id, program=s.program, account=numbers[row.account_id],
                        recipient=who.get(row.id), application_id=row.application_id,
                        link=self.link("recertification.recertify", enrollment_id=row.id),
                        expires_on=row.certified_to, grace_ends_on=end)
        for row, end in to_expire:
            letters.add("enrollment_expired", account_id=row.account_id, enrollment_id=row.id, program=s.program,
                        account=numbers[row.account_id], recipient=who.get(row.id),
                        application_id=row.application_id, link=self.link("applications.start"),
                        grace_ends_on=end)
        letters.write()
        self.report.grace_started += len(to_grace)
        self.report.expired += len(to_expire)

    # --- reminders -----------------------------------------------------------------------------

    def remind(self, s: Settings) -> None:
        latest = self.on + timedelta(days=max(s.reminder_days))
        window = (Enrollment.program_id == s.program.id,
                  Enrollment.status.in_(("active", "recertification_due")),
                  Enrollment.certified_to >= self.on, Enrollment.certified_to <= latest)
        renewing = set(self.session.scalars(_pending("recertification")))
        candidates = [(eid, expires) for eid, expires in self.session.execute(
            select(Enrollment.id, Enrollment.certified_to).where(*window).order_by(Enrollment.id))
            if eid not in renewing]
        sent: dict[int, list[str]] = defaultdict(list)
        for eid, key in self.session.execute(
                select(EnrollmentStep.enrollment_id, EnrollmentStep.key)
                .join(Enrollment, Enrollment.id == EnrollmentStep.enrollment_id)
                .where(*window, EnrollmentStep.kind == "reminder")):
            sent[eid].append(key)
        self.session.commit()
        due = [eid for eid, expires in candidates
               if rules.reminder_due(expires, self.on, s.reminder_days, _sent_days(sent.get(eid, ()), expires))]
        for chunk in self.chunks(f"{s.program.code} reminders", due):
            self.guarded(f"{s.program.code} reminders", lambda chunk=chunk: self._remind_chunk(s, chunk))

    def _remind_chunk(self, s: Settings, ids: list[int]) -> None:
        rows = self.locked(ids, Enrollment.status.in_(("active", "recertification_due")))
        sent: dict[int, list[str]] = defaultdict(list)
        for eid, key in self.session.execute(select(EnrollmentStep.enrollment_id, EnrollmentStep.key).where(
                among(self.session, EnrollmentStep.enrollment_id, ids), EnrollmentStep.kind == "reminder")):
            sent[eid].append(key)
        due = {}
        for row in rows:
            days = rules.reminder_due(row.certified_to, self.on, s.reminder_days,
                                      _sent_days(sent.get(row.id, ()), row.certified_to))
            if days:
                due[row.id] = (row, days)
        if not due:
            return
        taken = self._claim("reminder", [(eid, f"{row.certified_to.isoformat()}:{days}", days)
                                         for eid, (row, days) in due.items()])
        chosen = [due[eid] for eid in sorted(taken)]
        newly_due = [row for row, _days in chosen if row.status == "active"]
        self._set([row.id for row in newly_due], status="recertification_due")
        self.history([(row.id, "active", "recertification_due", "Reminders to recertify have started")
                      for row in newly_due])
        audit.record_many(self.session, "enrollment.reminder_sent", "enrollments", [
            (row.id, None, {"days_before": days, "expires_on": row.certified_to.isoformat()}) for row, days in chosen])
        numbers = self.account_numbers({row.account_id for row, _days in chosen})
        who = recipients(self.session, [row.id for row, _days in chosen])
        letters = Letters(self.session)
        for row, days in chosen:
            letters.add("recert_reminder", account_id=row.account_id, enrollment_id=row.id, program=s.program, account=numbers[row.account_id],
                        recipient=who.get(row.id), application_id=row.application_id,
                        link=self.link("recertification.recertify", enrollment_id=row.id),
                        expires_on=row.certified_to, days=(row.certified_to - self.on).days)
        letters.write()
        self.report.reminders_sent += len(chosen)

    def _claim(self, kind: str, steps: list[tuple[int, str, int | None]]) -> set[int]:
        """Insert the (enrollment, key, days before) steps nobody has taken yet; the enrollments this run took."""
        if not steps:
            return set()
        now = clock.now()
        if self.postgres:  # one statement over arrays, however many steps
            return set(self.session.scalars(text(
                "INSERT INTO enrollment_steps (enrollment_id, kind, key, days_before, taken_on, created_at) "
                "SELECT e, :kind, k, d, :on, :now FROM unnest(CAST(:e AS bigint[]), CAST(:k AS text[]), "
                "CAST(:d AS integer[])) AS t(e, k, d) "
                "ON CONFLICT (enrollment_id, kind, key) DO NOTHING RETURNING enrollment_id"),
                {"kind": kind, "on": self.on, "now": now, "e": [s[0] for s in steps], "k": [s[1] for s in steps],
                 "d": [s[2] for s in steps]}))
        rows = [{"enrollment_id": e, "kind": kind, "key": k, "days_before": d, "taken_on": self.on, "created_at": now}
                for e, k, d in steps]
        return {eid for (eid,) in insert_new(self.session, EnrollmentStep, rows, ["enrollment_id", "kind", "key"],
                                             ["enrollment_id"])}

    # --- post-enrollment verification ----------------------------------------------------------

    def draw(self, s: Settings) -> None:
        """This month's draw for a program: made once (its seed recorded), completed by any run."""
        month = rules.month_of(self.on)
        seed = self.seed or secrets.token_hex(16)
        insert_new(self.session, VerificationDraw, [
            {"program_id": s.program.id, "month": month, "seed": seed, "rate_percent": str(s.verification_rate),
             "rule_version": s.version, "population": 0, "selected": 0, "drawn_on": self.on,
             "created_at": clock.now(), "actor_label": current_actor().label}], ["program_id", "month"], ["id"])
        self.session.commit()
        draw = self.session.scalar(select(VerificationDraw).where(VerificationDraw.program_id == s.program.id,
                                                                  VerificationDraw.month == month))
        if draw.completed_at is not None:
            return
        being_verified = set(self.session.scalars(_pending("verification")))
        population = [eid for eid in self.session.scalars(
            select(Enrollment.id).where(Enrollment.program_id == s.program.id, Enrollment.status == "active",
                                        Enrollment.source == "application", Enrollment.created_at <= draw.created_at)
            .order_by(Enrollment.id)) if eid not in being_verified]
        chosen = rules.select_for_verification(draw.seed, population, draw.rate_percent)
        self.session.commit()
        for chunk in self.chunks(f"{s.program.code} verification draw", chosen):
            self.guarded(f"{s.program.code} verification", lambda chunk=chunk: self._verify_chunk(s, draw, chunk))
        if not self.report.errors:
            self.session.execute(update(VerificationDraw).where(VerificationDraw.id == draw.id,
                                                                VerificationDraw.completed_at.is_(None))
                                 .values(completed_at=clock.now(), population=len(population), selected=len(chosen)))
            self.session.commit()

    def _verify_chunk(self, s: Settings, draw: VerificationDraw, ids: list[int]) -> None:
        rows = {row.id: row for row in self.locked(ids, Enrollment.status == "active")}
        taken = self._claim("verification", [(eid, draw.month, None) for eid in rows])
        chosen = [rows[eid] for eid in sorted(taken)]
        if not chosen:
            return
        last = {a.id: a for a in self.session.execute(
            select(Application.id, Application.applicant_id, AssistanceApplication.household,
                   AssistanceApplication.categorical, Application.language)
            .join(AssistanceApplication, AssistanceApplication.application_id == Application.id)
            .where(among(self.session, Application.id, [r.application_id for r in chosen])))}
        from auth.models import User

        languages = dict(self.session.execute(select(User.id, User.language).where(
            among(self.session, User.id, {a.applicant_id for a in last.values()}))).all())
        now, due_on = clock.now(), self.on + timedelta(days=s.verification_days)
        checklists = {}
        for language in ("en", "es"):
            with force_locale(language):
                checklists[language] = [_("Proof of your household's income: an IRS tax transcript, or recent pay "
                                          "stubs and benefit letters for everyone with income")]
        applications = []
        for row in chosen:
            previous = last[row.application_id]
            language = languages.get(previous.applicant_id) or previous.language or "en"
            applications.append({
                "number": f"V{self.on:%Y%m}-{row.id:08d}", "account_id": row.account_id,
                "applicant_id": previous.applicant_id, "started_by_id": previous.applicant_id, "assisted": False,
                "kind": "assistance", "status": "needs_info", "language": language, "submitted_at": now, "submitted_on": self.on, "info_due_on": due_on,
                "info_checklist": checklists.get(language, checklists["en"]), "customer_responded": False,
                "created_at": now, "updated_at": now, "version": 1})
        new_ids = insert_rows(self.session, Application, applications, return_ids=True)
        insert_rows(self.session, AssistanceApplication, [
            {"application_id": aid, "household": last[row.application_id].household,
             "categorical": last[row.application_id].categorical, "purpose": "verification", "enrollment_id": row.id}
            for row, aid in zip(chosen, new_ids)])
        insert_rows(self.session, ApplicationProgram, [
            {"application_id": aid, "program_id": s.program.id, "status": "pending", "income_basis": "documented"}
            for aid in new_ids])
        actor = current_actor()
        note = f"Chosen at random for post-enrollment verification ({draw.month}, {draw.rate_percent}%)"
        insert_rows(self.session, ApplicationEvent, [
            {"application_id": aid, "occurred_at": now, "actor_id": actor.user_id, "actor_label": actor.label,
             "action": "verification_requested", "from_status": None, "to_status": "needs_info",
             "program_code": s.program.code, "note": note} for aid in new_ids])
        audit.record_many(self.session, "enrollment.verification_requested", "enrollments", [
            (row.id, note, {"draw": draw.id, "seed": draw.seed, "application": aid, "due_on": due_on.isoformat()})
            for row, aid in zip(chosen, new_ids)])
        numbers = self.account_numbers({row.account_id for row in chosen})
        who = recipients(self.session, [row.id for row in chosen])
        letters = Letters(self.session)
        for row, aid in zip(chosen, new_ids):
            letters.add("verification_request", account_id=row.account_id, enrollment_id=row.id, program=s.program,
                        account=numbers[row.account_id], recipient=who.get(row.id), application_id=aid,
                        link=self.link("applications.status", application_id=aid), due_on=due_on)
        letters.write()
        self.report.verification_selected += len(chosen)

    def remove_unverified(self) -> None:
        """Asked for proof and gave none by the due date: the enrollment is removed, with a notice.

        Proof that came without the customer saying they were done goes to a CSR instead."""
        verifications = select(AssistanceApplication.application_id).where(
            AssistanceApplication.purpose == "verification")
        overdue = (Application.id.in_(verifications), Application.status == "needs_info",
                   Application.info_due_on < self.on)
        answered = list(self.session.scalars(select(Application.id).where(*overdue, _proof_came())
                                             .order_by(Application.id)))
        ids = list(self.session.scalars(select(Application.id).where(*overdue, ~_proof_came())
                                        .order_by(Application.id)))
        self.session.commit()
        for application_id in answered:
            self.guarded("verification deadline", lambda aid=application_id: self._hand_over(aid))
        for chunk in self.chunks("verification deadline", ids):
            self.guarded("verification deadline", lambda chunk=chunk: self._remove_chunk(chunk))

    def _hand_over(self, application_id: int) -> None:
        from applications import service as applications

        application = applications.lock(self.session, self.session.get(Application, application_id))
        if application.status == "needs_info":
            applications.hand_over_what_came(self.session, application)

    def _remove_chunk(self, ids: list[int]) -> None:
        query = select(Application.id, AssistanceApplication.enrollment_id, Application.info_due_on).join(
            AssistanceApplication, AssistanceApplication.application_id == Application.id).where(
            among(self.session, Application.id, ids), Application.status == "needs_info",
            ~_proof_came()).order_by(Application.id)
        if self.postgres:
            query = query.with_for_update(of=Application)
        overdue = list(self.session.execute(query))
        if not overdue:
            return
        now, actor = clock.now(), current_actor()
        self.session.execute(
            update(Application).where(among(self.session, Application.id, [a.id for a in overdue]))
            .values(status="closed", updated_at=now, version=Application.version + 1)
            .execution_options(synchronize_session=False))
        note_of = {a.id: f"No proof of income by {a.info_due_on.isoformat()}" for a in overdue}
        insert_rows(self.session, ApplicationEvent, [
            {"application_id": a.id, "occurred_at": now, "actor_id": actor.user_id, "actor_label": actor.label,
             "action": "closed", "from_status": "needs_info", "to_status": "closed", "program_code": None,
             "note": note_of[a.id]} for a in overdue])
        audit.record_many(self.session, "application.closed", "applications",
                          [(a.id, note_of[a.id], {"from": "needs_info", "to": "closed"}) for a in overdue])
        by_enrollment = {a.enrollment_id: a for a in overdue}
        rows = self.locked(list(by_enrollment), Enrollment.status.in_(("active", "recertification_due", "in_grace")))
        reason = "No proof of income was received for post-enrollment verification."
        self._set([row.id for row in rows], status="removed", ended_on=self.on, ended_at=now, end_reason=reason)
        self.history([(row.id, row.status, "removed", f"{reason} Due {by_enrollment[row.id].info_due_on}")
                      for row in rows])
        programs = {p.id: p for p in self.session.scalars(select(Program))}
        numbers = self.account_numbers({row.account_id for row in rows})
        who = recipients(self.session, [row.id for row in rows])
        letters = Letters(self.session)
        for row in rows:
            letters.add("enrollment_ended", account_id=row.account_id, enrollment_id=row.id, program=programs[row.program_id],
                        account=numbers[row.account_id], recipient=who.get(row.id),
                        application_id=by_enrollment[row.id].id, ended_on=self.on, reason=reason, reason_code="verification_missing",
                        status="removed")
        letters.write()
        self.report.verification_removed += len(rows)


def _proof_came():
    """A file was added to the verification request after it was made (its `submitted_at`)."""
    return exists().where(ApplicationDocument.application_id == Application.id,
                          ApplicationDocument.added_at > Application.submitted_at)


def _by_date(rows: list[tuple]) -> dict[date, list[int]]:
    """(row, date) pairs grouped by the date: one UPDATE per distinct date, not one per row."""
    out: dict[date, list[int]] = defaultdict(list)
    for row, day in rows:
        out[day].append(row.id)
    return out


def _sent_days(keys, expires: date) -> list[int]:
    """The reminder days already sent for this expiry, from step keys '<expiry>:<days>'."""
    prefix = expires.isoformat() + ":"
    return [int(k[len(prefix):]) for k in keys if k.startswith(prefix)]


def run(session: Session, on: date | None = None, **options) -> RunReport:
    return Run(session, on or clock.today(), **options).execute()
