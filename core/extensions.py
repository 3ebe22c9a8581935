"""Flask extensions shared by every package: CSRF protection and rate limits.

Rate-limit counters live in Redis when `REDIS_URL` is set, so every worker process counts
together; the in-memory store is for a single development process only.
"""
from __future__ import annotations

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True,
                  strategy="moving-window")


def init_app(app: Flask) -> None:
    # CSRF is checked by the sign-in package once it knows whether a bearer token is used.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)
    app.config.setdefault("RATELIMIT_ENABLED", True)
    limiter.init_app(app)


def client_address() -> str:
    return request.remote_addr or "unknown"
