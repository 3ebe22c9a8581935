"""The kinds of application, registered by the areas that own them (assistance by `eligibility`, later
rebates by `rebates`), so the shared lifecycle asks the kind instead of branching on it and never
imports the areas above it.

A kind says what is decided on an application (its lines: programs, items), which files it asks
for, how it is evaluated, what approving or denying a line does, what its letters say about a
line, which panel the review page shows, and which extra filters the queue offers.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from flask_babel import gettext as _

from core.errors import Invalid


def _nothing(*_args, **_kwargs):
    return None


@dataclass(frozen=True)
class Kind:
    code: str
    label: Any  # a lazy string, "Assistance"
    # The lines decided one by one; each has `code`, `status`, `decided_at`, `decided_by_id`,
    # `reason_code`, `note` and `message` (an ApplicationProgram for assistance).
    lines: Callable[[Any], list]
    requirements: tuple[str, ...] = ()
    # The requirements in words, for the history ("sent without: proof of income").
    requirement_words: Callable[[], dict] = lambda: {}
    # The requirements still without a file (the submit page warns; the CSR sees a flag).
    missing_documents: Callable[[Any], list[str]] = lambda application: []
    # Refuses a submission that is not complete enough to be read (raises Invalid).
    check_submit: Callable[[Any], None] = _nothing
    # The preliminary determination and flags from what is on file now: (session, application).
    evaluate: Callable[..., None] = _nothing
    # What approving a line does (enroll, renew; commit a budget): (session, application, line).
    grant: Callable[..., Any] = _nothing
    # After a line is decided: (session, application, line, approved) -> True when the kind wrote
    # the customer's letter itself (a verification), else the lifecycle sends approval/denial.
    decided: Callable[..., bool] = lambda session, application, line, approved: False
    # What the letters say about a line: (session, application, line, language) -> dict with
    # `name` (the program or item in words), and for an approval `benefit` and `period`, for a
    # denial `explanation` (each optional).
    letter_context: Callable[..., dict] = lambda session, application, line, language: {}
    # The applications close-overdue leaves open when their information is late, as a select of
    # application ids, or None (a verification request is handled by its own job instead).
    kept_open_when_overdue: Callable[[], Any] = lambda: None
    # The review page's panel for this kind (a Jinja include) and what it shows:
    # (session, application, language) -> dict of template values.
    panel: str = ""
    panel_context: Callable[..., dict] = lambda session, application, language: {}
    # The enrollment (or other record) a letter about this application also belongs to, or None.
    enrollment_of: Callable[[Any], Any] = lambda application: None
    # Loader options for what lists of applications show of this kind (the programs' codes).
    list_load: Callable[[], tuple] = lambda: ()
    # Extra queue filters by name: each takes (session, value) and returns an SQL condition on
    # `Application` that includes `Application.kind == code`.
    queue_filters: dict[str, Callable] = field(default_factory=dict)
    # Kinds with their own API shape (rebates): starting and changing a draft from the raw JSON
    # body, (session, user, body) and (session, application, body); a file with its form fields,
    # (session, user, application, file, form) -> (link, duplicate); the reply's dict,
    # (session, application, language, staff) -> dict. None: the assistance API's own.
    create: Callable | None = None
    update: Callable | None = None
    attach: Callable | None = None
    present: Callable | None = None
    # The customer's page of an application of this kind: (application, errors, form, status) -> response.
    customer_page: Callable | None = None
    # Checks a decision's kind-specific fields (a rebate's `amount`) before the lifecycle decides:
    # (session, application, data).
    before_decision: Callable[..., None] = _nothing
    # After the customer withdrew it (release what it held): (session, application).
    withdrawn: Callable[..., None] = _nothing
    # After `close-overdue` closed it for no answer (release what it held): (session, application).
    closed: Callable[..., None] = _nothing


_KINDS: dict[str, Kind] = {}
# The request bodies of kinds with their own API shape, for the OpenAPI document: {"create"|"update": [schema]}.
_REQUEST_SCHEMAS: dict[str, list] = {"create": [], "update": []}


def declare_request_schemas(create=None, update=None) -> None:
    """A kind's own body shapes for `POST /applications` and `PATCH /applications/{id}` (imported early,
    so they are known when the API module is imported)."""
    for key, schema in (("create", create), ("update", update)):
        if schema is not None and schema not in _REQUEST_SCHEMAS[key]:
            _REQUEST_SCHEMAS[key].append(schema)


def request_schemas(which: str) -> tuple:
    return tuple(_REQUEST_SCHEMAS[which])


def register(kind: Kind) -> Kind:
    """Called by an area's init; registering the same code again replaces it (tests build several apps)."""
    _KINDS[kind.code] = kind
    return kind


def get(code: str) -> Kind:
    try:
        return _KINDS[code]
    except KeyError:
        message = _("Unknown kind of application.")
        raise Invalid(message, fields={"kind": [message]}) from None


def of(application) -> Kind:
    return get(application.kind)


def all_kinds() -> list[Kind]:
    return list(_KINDS.values())
