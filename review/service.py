"""The CSR workbench's own reads: who can be assigned, what the application page shows (the frame
every kind shares and the kind's panel), what the manager's overview counts. Changes go through
`applications.service`, which keeps the lifecycle and the denial reasons per kind."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from applications import kinds, service as lifecycle
from applications.models import WAITING_FOR_STAFF, Application
from core.access import STAFF
from eligibility.assistance.present import application_dicts


def staff_members(session: Session, limit: int = 500) -> list:
    """The active staff an application can be assigned to, by email."""
    from auth.models import User

    return list(session.scalars(select(User).where(User.role.in_(STAFF), User.active.is_(True))
                                .order_by(User.email).limit(limit)))


def page_context(session: Session, application: Application, language: str) -> dict:
    """What the application page shows: the common frame, and the panel of the application's kind."""
    kind = kinds.of(application)
    view = application_dicts(session, [application], language)[0]
    # The decision and appeal forms read the lines as determinations; a kind without them lists its lines.
    view.setdefault("determinations", [{"program": line.code, "status": line.status, "eligible": None}
                                       for line in lifecycle.lines(application)])
    return {"view": view,
            "account": lifecycle.account_of(session, application),
            "reasons": lifecycle.denial_reasons(session, kind=application.kind),
            "staff_members": staff_members(session), "kind": kind, "panel": kind.panel,
            **kind.panel_context(session, application, language)}


def kind_choices() -> list:
    """The kinds of application the queue can be narrowed to."""
    return kinds.all_kinds()


def count_applications(session: Session, *where) -> int:
    return session.scalar(select(func.count()).select_from(Application).where(*where)) or 0


def waiting_counts(session: Session) -> dict:
    """What waits for staff, for the manager's overview."""
    waiting = Application.status.in_(WAITING_FOR_STAFF)
    return {"waiting": count_applications(session, waiting),
            "unassigned": count_applications(session, waiting, Application.assigned_to_id.is_(None)),
            "appeals": count_applications(session, Application.status == "appealed"),
            "needs_info": count_applications(session, Application.status == "needs_info"),
            "oldest": session.scalar(select(func.min(Application.submitted_on)).where(waiting))}
