"""Configuration from environment variables, with development defaults kept under `instance/`.

Development keys are generated once and stored in `instance/` so that several worker processes
share them; production refuses to start without real ones.
"""
from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cryptography.fernet import Fernet

from core.uploads import request_limit

ENVIRONMENTS = ("development", "test", "production")
MIN_SECRET_KEY_LENGTH = 32
WEAK_SECRETS = {"dev", "secret", "changeme", "change-me", "development", "test", "password"}


DEVELOPMENT_BASE_URL = "http://127.0.0.1:5000"


class ConfigError(RuntimeError):
    """The service must not start with this configuration.

    `problems` lists every setting that is missing or unsafe, as (variable, what to do), so one
    failed start names them all.
    """

    def __init__(self, message: str, problems: list[tuple[str, str]] | None = None) -> None:
        self.problems = problems or []
        if self.problems:
            message = message + "".join(f"\n  - {name}: {text}" for name, text in self.problems)
        super().__init__(message)


def _env_bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _program_codes(value: str | None) -> tuple[str, ...] | None:
    codes = tuple(dict.fromkeys(c.strip().upper() for c in (value or "").split(",") if c.strip()))
    return codes or None


def _instance_secret(instance_path: Path, name: str, make) -> str:
    """Read or create a development secret file shared by all local processes."""
    path = instance_path / name
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    value = make()
    # O_EXCL: if two processes race, the loser reads what the winner wrote.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(value + "\n")
    return value


def valid_document_key(value: str | None) -> bool:
    """A DOCUMENT_KEY is one or more Fernet keys separated by commas, newest first."""
    if not value:
        return False
    try:
        for part in value.split(","):
            raw = base64.urlsafe_b64decode(part.strip().encode())
            if len(raw) != 32:
                return False
    except (ValueError, TypeError):
        return False
    return True


# The utility's letterhead until it sets its own (UTILITY_NAME, UTILITY_ADDRESS, UTILITY_PHONE).
DEMO_UTILITY = {
    "UTILITY_NAME": "Assist Demo Utility",
    "UTILITY_ADDRESS": "PO Box 1000|Springfield, CA 94000",
    "UTILITY_PHONE": "1-800-555-0100",
}


def letter_settings(env) -> dict:
    """The letterhead from the environment; an address's lines are separated by `|`."""
    values = {key: ((env.get(key) or "").strip() or default) for key, default in DEMO_UTILITY.items()}
    values["UTILITY_ADDRESS"] = values["UTILITY_ADDRESS"].replace("|", "\n")
    for key in ("UTILITY_HOURS", "UTILITY_HOURS_ES", "UTILITY_WEB"):
        values[key] = (env.get(key) or "").strip() or None
    return values


def load_config(instance_path: str | os.PathLike, environ: dict | None = None) -> dict:
    """Build the Flask config mapping from the environment."""
    env = os.environ if environ is None else environ
    instance = Path(instance_path)
    assist_env = env.get("ASSIST_ENV", "development").strip().lower() or "development"
    if assist_env not in ENVIRONMENTS:
        raise ConfigError(f"ASSIST_ENV must be one of {', '.join(ENVIRONMENTS)}, not {assist_env!r}")
    production = assist_env == "production"

    secret_key = env.get("SECRET_KEY") or None
    document_key = env.get("DOCUMENT_KEY") or None
    if not production:
        secret_key = secret_key or _instance_secret(instance, "secret_key", lambda: secrets.token_urlsafe(48))
        document_key = document_key or _instance_secret(
            instance, "document_key", lambda: Fernet.generate_key().decode()
        )

    timezone = env.get("ASSIST_TIMEZONE", "America/Los_Angeles")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"ASSIST_TIMEZONE {timezone!r} is not a known time zone") from exc

    database_url = env.get("DATABASE_URL") or f"sqlite:///{(instance / 'assist.db').resolve()}"
    database_url = _normalize_database_url(database_url)
    upload_dir = env.get("UPLOAD_DIR") or str((instance / "uploads").resolve())
    redis_url = env.get("REDIS_URL") or None

    try:
        max_upload_mb = int(env.get("MAX_UPLOAD_MB", "15"))
        mail_port = int(env.get("MAIL_PORT", "25"))
        max_pages = int(env.get("MAX_UPLOAD_PAGES", "30"))
        parse_seconds = float(env.get("PARSE_TIME_LIMIT", "20"))
        parse_memory_mb = int(env.get("PARSE_MEMORY_MB", "1024"))
        proxy_count = int(env.get("PROXY_COUNT", "0"))
    except ValueError as exc:
        raise ConfigError(f"MAX_UPLOAD_MB, MAIL_PORT, MAX_UPLOAD_PAGES, PARSE_TIME_LIMIT, PARSE_MEMORY_MB and PROXY_COUNT must be "
                          f"numbers: {exc}") from exc
    if not 0 <= proxy_count <= 5:
        raise ConfigError(f"PROXY_COUNT is the number of proxies in front of the service (0 to 5), not {proxy_count}")
    from core.money import MoneyError, parse_dollars

    try:
        approval_limit = parse_dollars(env.get("ADJUSTMENT_APPROVAL_LIMIT", "500.00"), allow_negative=False)
    except MoneyError as exc:
        raise ConfigError(f"ADJUSTMENT_APPROVAL_LIMIT: {exc}") from exc

    return {
        "ASSIST_ENV": assist_env,
        "PRODUCTION": production,
        # Read by auth.service from the environment; here so that production can refuse it.
        "PASSWORD_HASHING": env.get("ASSIST_PASSWORD_HASHING") or None,
        "TESTING": assist_env == "test",
        "SECRET_KEY": secret_key,
        "DOCUMENT_KEY": document_key,
        "DATABASE_URL": database_url,
        # PostgreSQL: the role migrations create for the web processes and workers to connect as.
        "DATABASE_APP_ROLE": (env.get("DATABASE_APP_ROLE") or "assist_app").strip(),
        "UPLOAD_DIR": upload_dir,
        "REDIS_URL": redis_url,
        "ASSIST_TIMEZONE": timezone,
        "ASSIST_DEMO": _env_bool(env.get("ASSIST_DEMO")),
        # The programs this deployment runs (codes, comma-separated); unset: every loaded program.
        "ASSIST_PROGRAMS": _program_codes(env.get("ASSIST_PROGRAMS")),
        "MAX_UPLOAD_MB": max_upload_mb,
        # Per request: the file limit and room for the form's other fields (core/uploads.py).
        "MAX_CONTENT_LENGTH": request_limit(max_upload_mb),
        "MAX_UPLOAD_PAGES": max_pages,
        "PARSE_TIME_LIMIT": parse_seconds,
        "PARSE_MEMORY_MB": parse_memory_mb,
        "MAIL_SERVER": env.get("MAIL_SERVER") or None,
        "MAIL_PORT": mail_port,
        "MAIL_USERNAME": env.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _env_bool(env.get("MAIL_USE_TLS")),
        "MAIL_USE_SSL": _env_bool(env.get("MAIL_USE_SSL")),
        "MAIL_DEFAULT_SENDER": env.get("MAIL_DEFAULT_SENDER", "Assist <no-reply@localhost>"),
        # Links in mail and letters come from here, never from the request's Host header.
        "BASE_URL": (env.get("BASE_URL") or "").strip().rstrip("/") or (
            None if production else f"http://127.0.0.1:{env.get('PORT') or '5000'}"),
        # Proxies in front of the service that set X-Forwarded-For/-Proto: the client's address (rate
        # limits, lock-out, the audit log) is taken from the header that many hops back; 0 trusts no header.
        "PROXY_COUNT": proxy_count,
        "ADJUSTMENT_APPROVAL_LIMIT_CENTS": approval_limit,
        "CREDIT_EXPORT_COLUMNS": env.get("CREDIT_EXPORT_COLUMNS") or None,
        # Check payment files for accounts payable: columns like CREDIT_EXPORT_COLUMNS (rebates.rules).
        "REBATE_PAYMENT_COLUMNS": env.get("REBATE_PAYMENT_COLUMNS") or None,
        # Rebates to one customer in a calendar year from which a W-9 is needed before payment.
        "REBATE_1099_THRESHOLD": env.get("REBATE_1099_THRESHOLD") or "2000.00",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_NAME": "__Host-assist" if production else "assist_session",
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": timezone,
        "LANGUAGES": ("en", "es"),
        # The letterhead of every letter (core.letters): demo values until the utility sets its own.
        **letter_settings(env),
    }


def base_url_problem(value: str | None, *, production: bool) -> str | None:
    """What is wrong with a BASE_URL, or None: an absolute http(s) address, https in production."""
    if not value:
        return ("must be set to the public address of the service (like https://assist.example.org); "
                "links in mail and letters are built from it, never from the request's Host header")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return f"{value!r} is not a valid address"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{value!r} must be an absolute address like https://assist.example.org"
    if parts.username or parts.password or parts.query or parts.fragment:
        return f"{value!r} must not carry a user name, password, query or fragment"
    if production and parts.scheme != "https":
        return f"{value!r} must start with https:// when ASSIST_ENV=production"
    return None


def validate_config(config: dict) -> None:
    """Refuse to start with settings that would be unsafe (checked after test overrides).

    Every problem is collected first, so one refusal names every setting to fix.
    """
    if config.get("ASSIST_ENV") not in ENVIRONMENTS:
        raise ConfigError(f"ASSIST_ENV must be one of {', '.join(ENVIRONMENTS)}")
    production = config.get("ASSIST_ENV") == "production"
    problems: list[tuple[str, str]] = []
    if production:
        secret_key = config.get("SECRET_KEY") or ""
        if len(secret_key) < MIN_SECRET_KEY_LENGTH or secret_key.lower() in WEAK_SECRETS:
            problems.append(("SECRET_KEY", f"must be set to a random value of at least {MIN_SECRET_KEY_LENGTH} "
                                           "characters when ASSIST_ENV=production"))
        if not valid_document_key(config.get("DOCUMENT_KEY")):
            problems.append(("DOCUMENT_KEY", "must be set to a Fernet key (32 url-safe base64 bytes; several "
                                             "separated by commas during rotation) when ASSIST_ENV=production"))
        if not config.get("REDIS_URL"):
            problems.append(("REDIS_URL", "must be set when ASSIST_ENV=production: rate limits and jobs are "
                                          "shared by every worker process through Redis"))
        if config.get("PASSWORD_HASHING"):
            problems.append(("ASSIST_PASSWORD_HASHING", "is for the test suite only; unset it when "
                                                        "ASSIST_ENV=production"))
    elif not valid_document_key(config.get("DOCUMENT_KEY")):
        problems.append(("DOCUMENT_KEY", "is not a valid Fernet key"))
    from core.database import valid_role_name

    if not valid_role_name(config.get("DATABASE_APP_ROLE", "assist_app")):
        problems.append(("DATABASE_APP_ROLE", "must be a plain PostgreSQL role name (lower-case letters, digits, _)"))
    base_problem = base_url_problem(config.get("BASE_URL"), production=production)
    if base_problem:
        problems.append(("BASE_URL", base_problem))
    if problems:
        where = "ASSIST_ENV=production" if production else f"ASSIST_ENV={config.get('ASSIST_ENV')}"
        raise ConfigError(f"Assist will not start with {where}; fix these settings:", problems)


def _normalize_database_url(url: str) -> str:
    """Heroku-style `postgres://` URLs name the psycopg 3 driver we ship."""
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://"):]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url
