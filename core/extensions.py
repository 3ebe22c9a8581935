"""Flask extensions shared by every package: CSRF protection and rate limits.

Rate-limit counters live in Redis when `REDIS_URL` is set, so every worker process counts
together; the in-memory store is for a single development process only.

When Redis cannot be reached, the limits are counted in this process's memory instead (Flask-
Limiter's fallback, logged as "Rate limit storage unreachable - falling back to in-memory
storage") and Redis is tried again now and then: sign-in and the screener keep working, still
limited, rather than answering 500. Short socket timeouts keep an unreachable Redis from holding
requests.
"""
from __future__ import annotations

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

# Seconds to connect to and to wait on Redis: a down Redis must not hold a request for long.
REDIS_TIMEOUTS = {"socket_connect_timeout": 1.0, "socket_timeout": 1.0}

csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True,
                  strategy="moving-window")


def init_app(app: Flask) -> None:
    # CSRF is checked by the sign-in package once it knows whether a bearer token is used.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)
    app.config.setdefault("RATELIMIT_ENABLED", True)
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    if str(app.config.get("RATELIMIT_STORAGE_URI", "")).startswith(("redis://", "rediss://", "unix://")):
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", dict(REDIS_TIMEOUTS))
    limiter.init_app(app)


def client_address() -> str:
    return request.remote_addr or "unknown"
