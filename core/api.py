"""The JSON API under /api/v1: one error shape, marshmallow in and out, an OpenAPI document.

Conventions every endpoint follows: dollars in as decimal strings, cents out as integers in
fields ending `_cents`, ISO dates, and errors as {"error": {"code", "message", "fields"}}.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Response, current_app, jsonify, request
from marshmallow import Schema, ValidationError, fields
from sqlalchemy import text

from core.access import public
from core.database import db
from core.errors import AssistError
from core.schemas import Dollars

api = Blueprint("api", __name__, url_prefix="/api/v1")

API_VERSION = "1.0.0"


class ErrorDetail(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    fields = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetail, required=True)


def error_response(status: int, code: str, message: str,
                   field_errors: dict[str, Any] | None = None) -> Response:
    response = jsonify({"error": {"code": code, "message": message, "fields": field_errors or {}}})
    response.status_code = status
    return response


def load_json(schema: Schema) -> dict:
    """Parse the request body with `schema`: 400 when it is not JSON, 422 when it breaks a rule."""
    payload = request.get_json(silent=True)
    if payload is None:
        raise AssistError("The request body must be a JSON object.")
    try:
        return schema.load(payload)
    except ValidationError as exc:
        raise InvalidPayload(exc.normalized_messages()) from exc


class InvalidPayload(AssistError):
    status = 422
    code = "invalid"

    def __init__(self, messages: dict) -> None:
        super().__init__("Some fields are missing or not valid.", fields=_flatten(messages))


def _flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, (dict,)):
                out.update(_flatten(value, name))
            else:
                out[name] = [str(v) for v in (value if isinstance(value, list) else [value])]
    else:
        out[prefix or "_schema"] = [str(messages)]
    return out


@dataclass
class Operation:
    rule: str
    method: str
    summary: str
    tags: list[str]
    request: type[Schema] | None = None
    response: type[Schema] | tuple[type[Schema], ...] | None = None
    status: int = 200
    roles: frozenset[str] | None = None
    errors: tuple[int, ...] = ()
    extra: dict = field(default_factory=dict)
    view: Callable | None = None
    query: dict[str, dict] = field(default_factory=dict)


_operations: list[Operation] = []


def documented(rule: str, method: str, *, summary: str, tags: list[str],
               request: type[Schema] | tuple[type[Schema], ...] | Callable[[], tuple] | None = None,
               response: type[Schema] | tuple[type[Schema], ...] | None = None, status: int = 200, errors: tuple[int, ...] = (),
               query: dict[str, dict] | None = None) -> Callable:
    """Record an endpoint for the OpenAPI document (put it above the route decorator).

    `query` maps each query parameter to its JSON schema; path parameters are declared from the
    route's converters. A tuple of request schemas is a body of any of those shapes (one per kind
    of application); a function returning one is asked when the document is built, after every
    area has declared its shapes.
    """

    def mark(view: Callable) -> Callable:
        _operations.append(Operation(rule, method.lower(), summary, tags, request, response, status,
                                     getattr(view, "allowed_roles", None), errors, view=view,
                                     query=dict(query or {})))
        return view

    return mark


_PARAM = re.compile(r"<(?:([a-zA-Z_]+)(?:\([^)]*\))?:)?([a-zA-Z_]+)>")


def _openapi_path(rule: str) -> str:
    return _PARAM.sub(r"{\2}", rule)


def _converter_schema(converter: str) -> dict:
    """What a route converter of `core.inputs` takes, as a JSON schema."""
    from core.inputs import MAX_ID, MAX_PATH_TEXT

    if converter == "int":
        return {"type": "integer", "minimum": 0, "maximum": MAX_ID}
    return {"type": "string", "minLength": 1, "maxLength": MAX_PATH_TEXT, "pattern": r"^[^/\x00-\x1f\x7f]+$"}


def _path_parameters(op: Operation) -> list[dict]:
    """Each `{name}` of the documented path, typed by the converter of the route serving it."""
    names = re.findall(r"\{([a-zA-Z_]+)\}", op.rule)
    converters: list[str] = []
    for rule in current_app.url_map.iter_rules():
        if current_app.view_functions.get(rule.endpoint) is op.view and op.method.upper() in (rule.methods or ()):
            converters = [conv or "default" for conv, _name in _PARAM.findall(rule.rule)]
            break
    params = []
    for index, name in enumerate(names):
        converter = converters[index] if index < len(converters) else "default"
        params.append({"name": name, "in": "path", "required": True, "schema": _converter_schema(converter)})
    return params


def _field_attributes(self, field, ret: dict, **kwargs) -> dict:
    """The patterns the API enforces: dollars as decimal strings, dates as YYYY-MM-DD."""
    from core.schemas import Dollars, IsoDate, dollars_pattern

    if isinstance(field, Dollars):
        text = {"type": "string", "pattern": dollars_pattern(field.allow_negative),
                "example": "-84.17" if field.allow_negative else "84.17"}
        if field.numbers:
            ret.pop("type", None)
            return {"oneOf": [text, {"type": "number", "multipleOf": 0.01}]}
        return text
    if isinstance(field, IsoDate):
        return {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
    return {}


def build_openapi() -> dict:
    plugin = MarshmallowPlugin()
    spec = APISpec(
        title="Assist API", version=API_VERSION, openapi_version="3.0.3", plugins=[plugin],
        info={"description": "Money in requests is a decimal string of dollars (\"84.17\"); in "
                             "responses an integer of cents in a field ending `_cents`. Dates are "
                             "YYYY-MM-DD. Errors are {\"error\": {\"code\", \"message\", \"fields\"}}."},
        servers=[{"url": "/api/v1"}],
    )
    plugin.map_to_openapi_type(Dollars, "string", None)
    plugin.converter.add_attribute_function(_field_attributes)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", schema=ErrorSchema)
    error_ref = {"content": {"application/json": {"schema": "Error"}}}
    paths: dict[str, dict] = {}
    for op in _operations:
        item: dict[str, Any] = {"summary": op.summary, "tags": op.tags, "responses": {}}
        parameters = _path_parameters(op) + [
            {"name": name, "in": "query", "required": False, "schema": schema} for name, schema in op.query.items()]
        if parameters:
            item["parameters"] = parameters
        request = op.request() if callable(op.request) and not isinstance(op.request, type) else op.request
        if isinstance(request, tuple):
            item["requestBody"] = {"required": True,
                                   "content": {"application/json": {"schema": {"anyOf": list(request)}}}}
        elif request is not None:
            item["requestBody"] = {"required": True,
                                   "content": {"application/json": {"schema": request}}}
        ok: dict[str, Any] = {"description": "OK"}
        if isinstance(op.response, tuple):  # one shape for staff, another for the customer
            ok["description"] = "OK: " + " for staff, ".join(schema.__name__ for schema in op.response) + " for the customer"
            ok["content"] = {"application/json": {"schema": {"anyOf": list(op.response)}}}
        elif op.response is not None:
            ok["content"] = {"application/json": {"schema": op.response}}
        item["responses"][str(op.status)] = ok
        # A body is parsed by load_json, which answers 422 when a field breaks its rule.
        for status in sorted(set(op.errors) | {400, 401, 403, 429} | ({422} if op.request else set())):
            item["responses"][str(status)] = {"description": "Error", **error_ref}
        if op.roles is not None:
            item["x-roles"] = sorted(op.roles)
            if "anonymous" not in op.roles:
                item["security"] = [{"bearer": []}]
        paths.setdefault(_openapi_path(op.rule), {})[op.method] = item
    for path, operations in sorted(paths.items()):
        spec.path(path=path, operations=operations)
    return spec.to_dict()


class HealthSchema(Schema):
    status = fields.String(required=True, metadata={"description": "ok, or degraded when a dependency is not"})
    database = fields.String(required=True, metadata={"description": "ok or unavailable"})
    redis = fields.String(required=True, metadata={"description": "ok, unavailable, or not_configured"})
    workers = fields.String(required=True, metadata={
        "description": "ok (an RQ worker was seen recently), none_seen, unknown (Redis is down), or "
                       "not_configured (jobs run in the web process)"})
    workers_seen = fields.Integer(required=True, allow_none=True)
    version = fields.String(required=True)


# A worker heartbeats at least every few minutes even when idle (RQ's worker_ttl is 420 s).
WORKER_SEEN_SECONDS = 600


def _redis_for_health():
    """A Redis client with short timeouts, so a health check never hangs on a lost Redis."""
    from redis import Redis

    from core.extensions import REDIS_TIMEOUTS

    client = current_app.extensions.get("assist.health_redis")
    if client is None:
        client = current_app.extensions["assist.health_redis"] = Redis.from_url(
            current_app.config["REDIS_URL"], **REDIS_TIMEOUTS)
    return client


def check_dependencies() -> dict:
    """The state of each dependency: the database, Redis, and the RQ workers."""
    import logging
    from datetime import datetime, timedelta, timezone

    log = logging.getLogger(__name__)
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # noqa: BLE001 - any failure means the database is unreachable
        log.warning("health: the database is unreachable", exc_info=True)
        db.session.rollback()
        database = "unavailable"
    redis, workers, seen = "not_configured", "not_configured", None
    if current_app.config.get("REDIS_URL"):
        try:
            from rq import Worker

            conn = _redis_for_health()
            conn.ping()
            redis = "ok"
            cutoff = datetime.now(timezone.utc) - timedelta(seconds=WORKER_SEEN_SECONDS)
            seen = 0
            for worker in Worker.all(connection=conn):
                beat = worker.last_heartbeat
                if beat is not None and beat.tzinfo is None:
                    beat = beat.replace(tzinfo=timezone.utc)
                if beat is not None and beat >= cutoff:
                    seen += 1
            workers = "ok" if seen else "none_seen"
        except Exception:  # noqa: BLE001 - connection refused, timeout, authentication...
            log.warning("health: Redis at REDIS_URL is unreachable", exc_info=True)
            redis, workers = "unavailable", "unknown"
    healthy = database == "ok" and redis in ("ok", "not_configured") and workers in ("ok", "not_configured")
    return {"status": "ok" if healthy else "degraded", "database": database, "redis": redis,
            "workers": workers, "workers_seen": seen, "version": API_VERSION}


@documented("/health", "get", summary="Is the service up? The state of its database, Redis and workers",
            tags=["platform"], response=HealthSchema, errors=(503,))
@api.get("/health")
@public
def health():
    body = check_dependencies()
    return jsonify(HealthSchema().dump(body)), (200 if body["status"] == "ok" else 503)


@api.get("/openapi.json")
@public
def openapi():
    spec = current_app.extensions.get("assist.openapi")
    if spec is None:
        spec = current_app.extensions["assist.openapi"] = build_openapi()
    return jsonify(spec)
