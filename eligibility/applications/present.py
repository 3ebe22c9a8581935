"""An application as a plain dict: the one shape the API returns and the pages read."""
from __future__ import annotations

from sqlalchemy.orm import Session

from eligibility.applications import service


def application_dict(session: Session, application, language: str = "en") -> dict:
    account = service.account_of(session, application)
    determinations = []
    for ap in application.programs:
        d = ap.determination or {}
        determinations.append({
            "program": ap.program.code, "status": ap.status, "eligible": d.get("eligible"), "tier": d.get("tier"),
            "limit_cents": d.get("limit_cents"), "income_cents": d.get("income_cents"), "period": d.get("period"),
            "income_basis": d.get("income_basis"), "rule_version": d.get("rule_version"),
            "reasons": d.get("reasons", []), "explanation": service.explanation(d, language)})
    return {
        "id": application.id, "number": application.number, "status": application.status,
        "account_number": account.number, "programs": [ap.program.code for ap in application.programs],
        "household": application.household, "categorical": list(application.categorical),
        "determinations": determinations,
        "flags": [{"code": f.code, "program": f.program_code, "message": f.message} for f in application.flags],
        "notices": [{"kind": n.kind, "sent_at": n.created_at.isoformat(), "language": n.language,
                     "subject": n.subject} for n in application.notices],
        "documents": [{"id": a.document_id, "requirement": a.requirement, "status": a.document.status,
                       "filename": a.document.original_filename} for a in application.attachments],
        "submitted_on": application.submitted_on, "info_due_on": application.info_due_on,
        "info_checklist": application.info_checklist, "assigned_to": application.assigned_to_id,
        "version": application.version,
    }
