"""Sign-in rules as plain data and functions: password policy, timeouts, lock-out."""
from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256  # long passphrases are welcome; the cap only stops abuse of the hasher

IDLE_TIMEOUT = {"customer": timedelta(minutes=60), "csr": timedelta(minutes=30),
                "manager": timedelta(minutes=30), "admin": timedelta(minutes=30),
                "inspector": timedelta(minutes=30)}
ABSOLUTE_TIMEOUT = timedelta(hours=12)
PERSONAL_TOKEN_DAYS = 90
PERSONAL_TOKEN_MAX_DAYS = 365
TOUCH_INTERVAL = timedelta(seconds=60)  # how often a session's last-seen time is written

# Lock-out is per (email, address) pair: five wrong passwords or codes within the window stop
# that address trying that email for a while; the owner elsewhere signs in as usual.
LOCK_AFTER_FAILURES = 5
LOCK_DURATION = timedelta(minutes=15)
FAILURE_WINDOW = timedelta(minutes=15)  # failures older than this no longer count
FAILURE_ROWS_KEPT = timedelta(days=1)  # rows of failures this old are removed

PENDING_SIGN_IN_TIMEOUT = timedelta(minutes=5)  # from the right password to the two-factor code
PENDING_SIGN_IN_MAX_FAILURES = 5  # wrong codes before the step ends and the password is asked again

CONFIRM_TOKEN_MAX_AGE = timedelta(days=7)
RESET_TOKEN_MAX_AGE = timedelta(hours=1)
RECOVERY_CODE_COUNT = 10


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords from zxcvbn's published frequency list."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problems(password: str, email: str | None = None) -> list[str]:
    """Codes for what is wrong with a new password; empty when it is acceptable."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append("too_short")
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append("too_long")
    lowered = password.lower()
    if lowered in common_passwords() or lowered.strip() in common_passwords():
        problems.append("common")
    if email and lowered == email.lower():
        problems.append("is_email")
    return problems


def session_expired(kind: str, role: str, created_at: datetime, last_seen_at: datetime,
                    expires_at: datetime, now: datetime) -> str | None:
    """Why a session no longer counts ('idle', 'expired'), or None while it is good."""
    if now >= expires_at:
        return "expired"
    if kind != "personal" and now - last_seen_at > IDLE_TIMEOUT.get(role, timedelta(minutes=30)):
        return "idle"
    if kind != "personal" and now - created_at > ABSOLUTE_TIMEOUT:
        return "expired"
    return None


def lock_state(locked_until: datetime | None, now: datetime) -> int:
    """Seconds until the pair may try again; 0 when it is not locked."""
    if locked_until is not None and locked_until > now:
        return max(1, int((locked_until - now).total_seconds() + 0.999))
    return 0


def failures_after(failures: int, first_failed_at: datetime | None, now: datetime) -> tuple[int, bool]:
    """The count after one more failure (a stale window starts again) and whether that fresh count starts a new window."""
    if first_failed_at is None or now - first_failed_at > FAILURE_WINDOW:
        return 1, True
    return failures + 1, False


def pending_sign_in_problem(*, created_at: datetime, expires_at: datetime, ended_at: datetime | None,
                            failures: int, password_tag: str, current_password_tag: str, active: bool,
                            now: datetime) -> str | None:
    """Why a half-finished sign-in can no longer be finished, or None while it can."""
    if ended_at is not None:
        return "ended"
    if not active:
        return "deactivated"
    if password_tag != current_password_tag:
        return "password changed"
    if now >= expires_at or now - created_at > PENDING_SIGN_IN_TIMEOUT:
        return "timed out"
    if failures >= PENDING_SIGN_IN_MAX_FAILURES:
        return "too many wrong codes"
    return None
