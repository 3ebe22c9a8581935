"""Sign-in operations. Each takes the caller's session, flushes, and leaves the commit to it."""
from __future__ import annotations

import functools
import hashlib
import os
import secrets
from datetime import datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from flask_babel import force_locale, gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from auth import rules
from auth.models import PendingSignIn, RecoveryCode, SignInFailure, User, UserSession
from core import audit, clock, crypto, outbox
from core.addresses import AddressError, clean_email
from core.access import EMPLOYEES, ROLES
from core.audit import Actor
from core.errors import Conflict, Invalid, NotFound
from core.web import external_url

PASSWORD_HASHING_SETTING = "ASSIST_PASSWORD_HASHING"


@functools.cache
def _password_hasher(cost: str) -> PasswordHasher:
    """Argon2 at the library's recommended cost, or, for the test suite only, a cheap one.

    Hashing at production cost is most of what a test that signs people in spends; the setting is
    refused when ASSIST_ENV=production (core.config).
    """
    if cost == "cheap":
        return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    return PasswordHasher()


class _Hasher:
    """The hasher the setting names, looked up at each use so a test can switch it."""

    def __getattr__(self, name):
        return getattr(_password_hasher(os.environ.get(PASSWORD_HASHING_SETTING, "")), name)


_hasher = _Hasher()


@functools.cache
def _dummy_hash(cost: str) -> str:
    """A fixed hash to verify against when the email is unknown, so both cases take the same time."""
    return _password_hasher(cost).hash(secrets.token_urlsafe(16))


class LoginFailed(Exception):
    """Wrong email or password; the message never says which."""


class AccountLocked(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


class EmailNotConfirmed(Exception):
    def __init__(self, user: User) -> None:
        super().__init__(user.email)
        self.user = user


class SecondFactorRequired(Exception):
    """The password was right; now the TOTP code (or a recovery code) is needed."""


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def actor_for(user: User) -> Actor:
    return Actor(label=user.email, user_id=user.id, role=user.role)


def _password_messages(codes: list[str]) -> list[str]:
    messages = {
        "too_short": _("Use at least %(n)s characters.", n=rules.MIN_PASSWORD_LENGTH),
        "too_long": _("Use at most %(n)s characters.", n=rules.MAX_PASSWORD_LENGTH),
        "common": _("This password is too common. Choose one that is harder to guess, such as a few unrelated words."),
        "is_email": _("Do not use your email address as your password."),
    }
    return [messages[c] for c in codes]


def check_new_password(password: str, email: str | None = None, field: str = "password") -> None:
    problems = rules.password_problems(password or "", email)
    if problems:
        raise Invalid(_("Choose a different password."), fields={field: _password_messages(problems)})


def valid_email(email: str, field: str = "email") -> str:
    """The address as stored, or Invalid with the reason under `field`: every way an address comes in
    (registration, `flask users create`, the admin page, an application for a customer) uses this."""
    try:
        return clean_email(email)
    except AddressError as exc:
        messages = {
            "control": _("An email address cannot contain line breaks or other control characters."),
            "comma": _("Enter one email address only, without commas or semicolons."),
            "too_long": _("An email address has at most %(n)s characters.", n=254),
        }
        message = messages.get(exc.code, _("Enter an email address like name@example.com."))
        raise Invalid(_("Enter a valid email address."), fields={field: [message]}) from exc


def create_user(session: Session, *, email: str, password: str, role: str = "customer",
                confirmed: bool = False, full_name: str | None = None, language: str = "en") -> User:
    email = valid_email(email)
    if role not in ROLES:
        raise Invalid(_("Unknown role."), fields={"role": [_("Choose one of: %(roles)s.", roles=", ".join(ROLES))]})
    check_new_password(password, email)
    if session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise Conflict(_("An account with this email already exists."), fields={"email": [_("An account with this email already exists.")]})
    now = clock.now()
    user = User(email=email, password_hash=_hasher.hash(password), role=role, active=True,
                full_name=(full_name or "").strip() or None, language=language if language in ("en", "es") else "en",
                created_at=now, password_changed_at=now, email_confirmed_at=now if confirmed else None,
                failed_logins=0)
    session.add(user)
    session.flush()
    audit.record(session, "user.created", obj=user, details={"role": role, "confirmed": confirmed})
    return user


# --- customers without an email login (phone, paper and walk-in applications) ---------------

# A placeholder address in a domain that can never receive mail (RFC 2606), so nobody can sign in
# with it or be mailed at it.
NO_LOGIN_DOMAIN = "no-login.invalid"


def has_login(user: User) -> bool:
    return not user.email.endswith("@" + NO_LOGIN_DOMAIN)


def create_customer_without_login(session: Session, *, full_name: str, language: str = "en",
                                  postal_address: str | None = None) -> User:
    """A customer record for an application taken by phone, on paper or at the counter: name,
    language and (when not the service address) postal address; letters go by post."""
    name = " ".join((full_name or "").split())
    if len(name) < 2:
        message = _("Enter the customer's full name.")
        raise Invalid(message, fields={"full_name": [message]})
    address = "\n".join(line.strip() for line in (postal_address or "").strip().splitlines() if line.strip())
    now = clock.now()
    user = User(email=f"customer-{secrets.token_hex(8)}@{NO_LOGIN_DOMAIN}",
                password_hash=_hasher.hash(secrets.token_urlsafe(32)), role="customer", active=True,
                full_name=name[:200], language=language if language in ("en", "es") else "en", created_at=now,
                password_changed_at=now, email_confirmed_at=None, failed_logins=0,
                postal_address=address[:1000] or None, letters_by_post=True)
    session.add(user)
    session.flush()
    audit.record(session, "user.created", obj=user, details={"role": "customer", "login": False,
                                                             "letters_by_post": True})
    return user


def invite_to_sign_in(session: Session, user: User, email: str) -> None:
    """A customer without a login gets one: their email is stored and sent a link to choose a
    password (which also confirms the email); from then on their letters come by email."""
    if user.role != "customer" or has_login(user):
        raise Conflict(_("This customer can already sign in."))
    email = valid_email(email, field="invite_email")
    if session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        message = _("Another login already has this email. Link the account to that login instead.")
        raise Conflict(message, fields={"invite_email": [message]})
    user.email = email
    user.letters_by_post = False
    user.password_hash = _hasher.hash(secrets.token_urlsafe(32))  # nobody knows it; the link sets one
    user.password_changed_at = clock.now()
    session.flush()
    audit.record(session, "user.invited_to_sign_in", obj=user, details={"email": email})
    link = _reset_link(user)
    with force_locale(user.language):
        outbox.queue_message(
            session, to=user.email, kind="auth.invitation", language=user.language, user_id=user.id, secret=True,
            subject=_("Sign in to Assist to follow your application"),
            body=_("You applied for help with your utility bill with our staff. You can now follow your "
                   "application, answer our questions and read your letters online.\n\nTo choose a password, "
                   "open this link within one hour:\n%(link)s\n\nAfter that, use “Forgot your password?” on "
                   "the sign-in page with this email address to get a new link.", link=link),
        )


# --- email confirmation and password reset -------------------------------------------------

def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def send_confirmation(session: Session, user: User) -> None:
    token = _serializer("confirm-email").dumps({"u": user.id, "e": user.email})
    link = external_url("auth.confirm_email", token=token)
    with force_locale(user.language):
        outbox.queue_message(
            session, to=user.email, kind="auth.confirm_email", language=user.language, user_id=user.id, secret=True,
            subject=_("Confirm your email for Assist"),
            body=_("Welcome to Assist.\n\nTo confirm your email address, open this link within 7 days:\n%(link)s\n\n"
                   "If you did not create an account, you can ignore this message.", link=link),
        )


def register_customer(session: Session, *, email: str, password: str, language: str = "en",
                      full_name: str | None = None) -> User | None:
    """A new customer waiting for the emailed confirmation; None when the email already had an account.

    Both cases answer alike (the same page, the same work: one password hash, one message) so
    registration never tells who has an account: the owner of an existing one gets an email
    instead (a new confirmation link while it is unconfirmed).
    """
    address = valid_email(email)
    check_new_password(password, address)
    existing = session.scalar(select(User).where(User.email == address))
    if existing is None:
        user = create_user(session, email=address, password=password, role="customer", language=language,
                           full_name=full_name)
        send_confirmation(session, user)
        return user
    _hasher.hash(password)  # the work a new account costs, so the answer takes as long
    if existing.email_confirmed_at is None and existing.active:
        send_confirmation(session, existing)
    else:
        with force_locale(existing.language):
            outbox.queue_message(
                session, to=existing.email, kind="auth.already_registered", language=existing.language,
                user_id=existing.id, secret=True,
                subject=_("Someone tried to create an Assist account with your email"),
                body=_("Someone tried to create a new Assist account with this email address, which already "
                       "has one.\n\nIf it was you, sign in, or reset your password if you forgot it:\n%(link)s\n\n"
                       "If it was not you, you can ignore this message: nothing has changed.",
                       link=external_url("auth.forgot_password")),
            )
    audit.record(session, "user.registration_repeated", obj=existing, actor=Actor(label=existing.email))
    return None


def confirm_email(session: Session, token: str) -> User:
    try:
        data = _serializer("confirm-email").loads(token, max_age=int(rules.CONFIRM_TOKEN_MAX_AGE.total_seconds()))
    except SignatureExpired as exc:
        raise Invalid(_("This confirmation link has expired. Ask for a new one.")) from exc
    except BadSignature as exc:
        raise Invalid(_("This confirmation link is not valid.")) from exc
    user = session.get(User, data.get("u"))
    if user is None or user.email != data.get("e"):
        raise Invalid(_("This confirmation link is not valid."))
    if user.email_confirmed_at is None:
        user.email_confirmed_at = clock.now()
        audit.record(session, "user.email_confirmed", obj=user, actor=actor_for(user))
    return user


def _reset_link(user: User) -> str:
    """A one-hour link that works once: it is bound to the password it replaces."""
    token = _serializer("reset-password").dumps({"u": user.id, "p": user.password_hash[-20:]})
    return external_url("auth.reset_password", token=token)


def request_password_reset(session: Session, email: str) -> None:
    """Send a reset link if the account exists; say nothing either way."""
    user = session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None or not user.active:
        return
    link = _reset_link(user)
    with force_locale(user.language):
        outbox.queue_message(
            session, to=user.email, kind="auth.reset_password", language=user.language, user_id=user.id, secret=True,
            subject=_("Reset your Assist password"),
            body=_("Someone asked to reset the password of your Assist account.\n\nTo choose a new password, "
                   "open this link within one hour:\n%(link)s\n\nIf it was not you, ignore this message: "
                   "your password has not changed.", link=link),
        )
    audit.record(session, "user.password_reset_requested", obj=user, actor=actor_for(user))


def reset_password(session: Session, token: str, new_password: str) -> User:
    try:
        data = _serializer("reset-password").loads(token, max_age=int(rules.RESET_TOKEN_MAX_AGE.total_seconds()))
    except SignatureExpired as exc:
        raise Invalid(_("This reset link has expired. Ask for a new one.")) from exc
    except BadSignature as exc:
        raise Invalid(_("This reset link is not valid.")) from exc
    user = session.get(User, data.get("u"))
    if user is None or not user.active or user.password_hash[-20:] != data.get("p"):
        raise Invalid(_("This reset link has already been used or is not valid. Ask for a new one."))
    _set_password(session, user, new_password, "password reset")
    # Proving control of the mailbox also confirms it.
    user.email_confirmed_at = user.email_confirmed_at or clock.now()
    user.failed_logins = 0
    # The owner proved control of the mailbox: locks on this email from every address end.
    session.execute(delete(SignInFailure).where(SignInFailure.email == user.email))
    audit.record(session, "user.password_reset", obj=user, actor=actor_for(user))
    return user


def _set_password(session: Session, user: User, new_password: str, reason: str) -> None:
    check_new_password(new_password, user.email, field="new_password")
    user.password_hash = _hasher.hash(new_password)
    user.password_changed_at = clock.now()
    revoke_all_sessions(session, user, reason)
    end_pending_sign_ins(session, user, reason)


def change_password(session: Session, user: User, current_password: str, new_password: str) -> None:
    if not _verify_password(user.password_hash, current_password or ""):
        raise Invalid(_("Your current password is not right."),
                      fields={"current_password": [_("Your current password is not right.")]})
    _set_password(session, user, new_password, "password changed")
    audit.record(session, "user.password_changed", obj=user, actor=actor_for(user))


# --- signing in ------------------------------------------------------------------------------

def _verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def authenticate(session: Session, email: str, password: str, *, address: str | None = None) -> User:
    """Check email and password; failures count towards a lock-out of this email from this address.

    Known and unknown emails take the same path: one password verification (against a fixed hash
    when nobody has the email), the same failure counting, the same lock-out and answers.
    """
    now = clock.now()
    key = normalize_email(email)
    wait = lock_wait(session, key, address, now)
    if wait:
        raise AccountLocked(wait)
    user = session.scalar(select(User).where(User.email == key)) if key else None
    if not _verify_password(user.password_hash if user is not None else _dummy_hash(os.environ.get(PASSWORD_HASHING_SETTING, "")), password or "") or user is None:
        record_failure(session, key, address, user, now)
        raise LoginFailed()
    if not user.active:
        raise LoginFailed()
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    if user.email_confirmed_at is None:
        raise EmailNotConfirmed(user)
    if not (second_factor_needed(user) and user.totp_enabled):  # else cleared once the code is right too
        clear_failures(session, key, address)
        user.failed_logins = 0
    return user


def _address(address: str | None) -> str:
    return (address or "unknown")[:45]


def lock_wait(session: Session, email: str, address: str | None, now: datetime | None = None) -> int:
    """Seconds this address must wait before trying this email again; 0 when it may."""
    row = session.scalar(select(SignInFailure).where(SignInFailure.email == normalize_email(email)[:254],
                                                     SignInFailure.ip_address == _address(address)))
    return rules.lock_state(row.locked_until, now or clock.now()) if row is not None else 0


def record_failure(session: Session, email: str, address: str | None, user: User | None,
                   now: datetime | None = None) -> None:
    """A wrong password or two-factor code for `email` from `address`; the fifth in the window locks the pair.

    The owner (when the email has an account) is told by email when a pair locks.
    """
    now = now or clock.now()
    key, where = normalize_email(email)[:254], _address(address)
    session.execute(delete(SignInFailure).where(SignInFailure.last_failed_at < now - rules.FAILURE_ROWS_KEPT))
    row = session.scalar(select(SignInFailure).where(SignInFailure.email == key, SignInFailure.ip_address == where))
    if row is None:
        try:
            with session.begin_nested():
                row = SignInFailure(email=key, ip_address=where, failures=0, first_failed_at=now, last_failed_at=now)
                session.add(row)
        except IntegrityError:  # another process made the row first: count on it
            row = session.scalar(select(SignInFailure).where(SignInFailure.email == key,
                                                             SignInFailure.ip_address == where))
    failures, restart = rules.failures_after(row.failures, row.first_failed_at, now)
    if restart:
        row.failures, row.first_failed_at = 1, now
    else:
        # One UPDATE so two processes counting at once both count.
        session.execute(update(SignInFailure).where(SignInFailure.id == row.id)
                        .values(failures=SignInFailure.failures + 1))
        session.refresh(row)
    row.last_failed_at = now
    locked = row.failures >= rules.LOCK_AFTER_FAILURES
    if locked:
        row.locked_until = now + rules.LOCK_DURATION
        row.failures, row.first_failed_at = 0, now
    if user is not None:
        session.execute(update(User).where(User.id == user.id).values(failed_logins=User.failed_logins + 1))
        session.refresh(user)
        audit.record(session, "user.login_failed", obj=user, actor=Actor(label=user.email),
                     details={"failed_logins": user.failed_logins, "address": where})
        if locked:
            _lock_notice(session, user, where)
    session.flush()


def _lock_notice(session: Session, user: User, address: str) -> None:
    audit.record(session, "user.locked", obj=user, actor=Actor(label="system"),
                 reason=f"{rules.LOCK_AFTER_FAILURES} failed sign-in attempts from {address}",
                 details={"address": address})
    with force_locale(user.language):
        outbox.queue_message(
            session, to=user.email, kind="auth.locked", language=user.language, user_id=user.id,
            subject=_("Sign-in attempts to your Assist account were stopped"),
            body=_("After %(n)s failed sign-in attempts from the address %(address)s, we stopped sign-in to your "
                   "Assist account from that address for %(minutes)s minutes. You can still sign in from your "
                   "usual devices.\n\nIf it was you, wait and try again, or reset your password. If it was not "
                   "you, someone may be guessing your password: choose a strong one if yours is weak.",
                   n=rules.LOCK_AFTER_FAILURES, address=address,
                   minutes=int(rules.LOCK_DURATION.total_seconds() // 60)),
        )


def clear_failures(session: Session, email: str, address: str | None) -> None:
    """A right password from this address: its earlier failures no longer count."""
    session.execute(delete(SignInFailure).where(SignInFailure.email == normalize_email(email)[:254],
                                                SignInFailure.ip_address == _address(address)))


def second_factor_needed(user: User) -> bool:
    return user.role in EMPLOYEES and (user.totp_enabled or current_app.config.get("PRODUCTION", False))


def must_enrol(user: User) -> bool:
    """Where two-factor is required (staff in production) and not set up yet: enrolment comes first."""
    return user.role in EMPLOYEES and bool(current_app.config.get("PRODUCTION")) and not user.totp_enabled


def _password_tag(user: User) -> str:
    return hash_secret("pending-sign-in:" + user.password_hash)


def begin_pending_sign_in(session: Session, user: User, *, next_url: str | None = None,
                          address: str | None = None) -> str:
    """The right password, now the code: a server-side step; returns the secret the browser keeps."""
    now = clock.now()
    secret = secrets.token_urlsafe(32)
    session.add(PendingSignIn(user_id=user.id, secret_hash=hash_secret(secret), password_tag=_password_tag(user),
                              created_at=now, expires_at=now + rules.PENDING_SIGN_IN_TIMEOUT, failures=0,
                              next_url=(next_url or "")[:500] or None, ip_address=address and address[:45]))
    session.flush()
    return secret


def load_pending_sign_in(session: Session, secret: str | None) -> PendingSignIn | None:
    """The step for a secret while it can still be finished; a step that can no longer be is ended."""
    if not secret or not isinstance(secret, str):
        return None
    row = session.scalar(select(PendingSignIn).where(PendingSignIn.secret_hash == hash_secret(secret)))
    if row is None:
        return None
    problem = rules.pending_sign_in_problem(
        created_at=row.created_at, expires_at=row.expires_at, ended_at=row.ended_at, failures=row.failures,
        password_tag=row.password_tag, current_password_tag=_password_tag(row.user), active=row.user.active,
        now=clock.now())
    if problem:
        _end_pending(row, problem)
        return None
    return row


def _end_pending(row: PendingSignIn, reason: str) -> None:
    if row.ended_at is None:
        row.ended_at = clock.now()
        row.ended_reason = reason[:100]


def end_pending_sign_ins(session: Session, user: User, reason: str) -> None:
    session.execute(update(PendingSignIn).where(PendingSignIn.user_id == user.id, PendingSignIn.ended_at.is_(None))
                    .values(ended_at=clock.now(), ended_reason=reason[:100]))


def finish_pending_sign_in(session: Session, row: PendingSignIn, code: str, *, address: str | None = None) -> User | None:
    """The user when the code is right (the step ends); None when not: the wrong code counts towards
    the step's limit and the lock-out of this email from this address."""
    user = row.user
    if verify_second_factor(session, user, code):
        _end_pending(row, "completed")
        second_factor_passed(session, user, address)
        return user
    session.execute(update(PendingSignIn).where(PendingSignIn.id == row.id)
                    .values(failures=PendingSignIn.failures + 1))
    session.refresh(row)
    if row.failures >= rules.PENDING_SIGN_IN_MAX_FAILURES:
        _end_pending(row, "too many wrong codes")
    record_failure(session, user.email, address, user)
    return None


def second_factor_passed(session: Session, user: User, address: str | None) -> None:
    """Password and code were both right: this address's earlier failures for the email no longer count."""
    clear_failures(session, user.email, address)
    user.failed_logins = 0
    session.flush()


def second_factor_failed(session: Session, user: User, address: str | None) -> None:
    """A wrong code at API sign-in counts like a wrong password."""
    record_failure(session, user.email, address, user)


def verify_second_factor(session: Session, user: User, code: str) -> bool:
    """A current TOTP code (each usable once) or an unused recovery code."""
    code = (code or "").strip().replace(" ", "").replace("-", "")
    if not user.totp_enabled or not code:
        return False
    if code.isascii() and code.isdigit() and len(code) == 6:
        totp = pyotp.TOTP(crypto.decrypt_text(user.totp_secret))
        at = clock.now()
        for offset in (-1, 0, 1):
            step = int(at.timestamp()) // 30 + offset
            if secrets.compare_digest(totp.at(step * 30), code) and (user.totp_last_step or 0) < step:
                user.totp_last_step = step
                session.flush()
                return True
        return False
    digest = hash_secret(code.lower())
    for recovery in user.recovery_codes:
        if recovery.used_at is None and secrets.compare_digest(recovery.code_hash, digest):
            recovery.used_at = clock.now()
            audit.record(session, "user.recovery_code_used", obj=user, actor=actor_for(user))
            session.flush()
            return True
    return False


def open_session(session: Session, user: User, *, kind: str, ip: str | None = None,
                 user_agent: str | None = None, name: str | None = None, days: int | None = None) -> tuple[UserSession, str]:
    """Start a browser session, an API token or a personal token; returns the row and its secret."""
    now = clock.now()
    secret = secrets.token_urlsafe(32)
    if kind == "personal":
        days = min(max(1, days or rules.PERSONAL_TOKEN_DAYS), rules.PERSONAL_TOKEN_MAX_DAYS)
        expires = now + timedelta(days=days)
    else:
        expires = now + rules.ABSOLUTE_TIMEOUT
    row = UserSession(user_id=user.id, kind=kind, secret_hash=hash_secret(secret), name=name,
                      created_at=now, last_seen_at=now, expires_at=expires,
                      ip_address=ip, user_agent=(user_agent or "")[:300] or None)
    session.add(row)
    if kind != "personal":
        user.last_login_at = now
    session.flush()
    audit.record(session, f"session.opened.{kind}", obj=user, actor=actor_for(user),
                 details={"session_id": row.id, **({"name": name} if name else {})})
    return row, secret


def load_session(session: Session, secret: str, kinds: tuple[str, ...]) -> tuple[UserSession | None, str | None]:
    """The live session for a secret, or (None, why) when it is unknown, revoked or timed out."""
    if not secret:
        return None, None
    # The user comes in the same statement: every signed-in request needs both.
    row = session.scalar(select(UserSession).options(joinedload(UserSession.user))
                         .where(UserSession.secret_hash == hash_secret(secret)))
    if row is None or row.kind not in kinds:
        return None, None
    if row.revoked_at is not None:
        return None, "revoked"
    user = row.user
    if not user.active:
        return None, "revoked"
    now = clock.now()
    why = rules.session_expired(row.kind, user.role, row.created_at, row.last_seen_at, row.expires_at, now)
    if why:
        row.revoked_at = now
        row.revoked_reason = why
        return None, why
    if now - row.last_seen_at >= rules.TOUCH_INTERVAL:
        row.last_seen_at = now
    return row, None


def revoke_session(session: Session, row: UserSession, reason: str) -> None:
    if row.revoked_at is None:
        row.revoked_at = clock.now()
        row.revoked_reason = reason
        audit.record(session, f"session.revoked.{row.kind}", obj=row.user, reason=reason,
                     details={"session_id": row.id})


def revoke_all_sessions(session: Session, user: User, reason: str) -> int:
    """End every browser session and token of a user at once (password change, deactivation)."""
    result = session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=clock.now(), revoked_reason=reason)
    )
    audit.record(session, "session.revoked_all", obj=user, reason=reason, details={"count": result.rowcount})
    return result.rowcount


# --- two-factor enrolment ----------------------------------------------------------------------

def begin_totp(session: Session, user: User) -> str:
    """A fresh secret, stored encrypted but not yet switched on until a code proves it works."""
    if user.totp_enabled:
        raise Conflict(_("Two-factor sign-in is already on."))
    secret = pyotp.random_base32()
    user.totp_secret = crypto.encrypt_text(secret)
    session.flush()
    return secret


def pending_totp_secret(user: User) -> str | None:
    if user.totp_secret and not user.totp_enabled:
        return crypto.decrypt_text(user.totp_secret)
    return None


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name="Assist")


def confirm_totp(session: Session, user: User, code: str) -> list[str]:
    """Switch two-factor on once a code matches; returns recovery codes, shown only this once."""
    secret = pending_totp_secret(user)
    code = (code or "").strip().replace(" ", "")
    if secret is None or not pyotp.TOTP(secret).verify(code, for_time=clock.now(), valid_window=1):
        raise Invalid(_("That code did not match. Check the time on your phone and try again."),
                      fields={"code": [_("That code did not match. Check the time on your phone and try again.")]})
    user.totp_enabled_at = clock.now()
    user.totp_last_step = int(clock.now().timestamp()) // 30
    codes = new_recovery_codes(session, user)
    audit.record(session, "user.totp_enabled", obj=user, actor=actor_for(user))
    return codes


def new_recovery_codes(session: Session, user: User) -> list[str]:
    for old in list(user.recovery_codes):
        session.delete(old)
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _n in range(rules.RECOVERY_CODE_COUNT)]
    for code in codes:
        user.recovery_codes.append(RecoveryCode(code_hash=hash_secret(code.replace("-", ""))))
    session.flush()
    return codes


def disable_totp(session: Session, user: User, reason: str) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    for old in list(user.recovery_codes):
        session.delete(old)
    end_pending_sign_ins(session, user, "two-factor switched off")
    audit.record(session, "user.totp_disabled", obj=user, reason=reason)


# --- administration ----------------------------------------------------------------------------

def find_customer(session: Session, email: str, field: str = "email") -> User:
    """The customer login with this email, as staff look one up (to link an account, to apply for
    them); Invalid naming `field` when the address is not valid or no customer has it."""
    address = valid_email(email, field=field)
    customer = session.scalar(select(User).where(User.email == address, User.role == "customer"))
    if customer is None:
        message = _("No customer login has this email.")
        raise Invalid(message, fields={field: [message]})
    return customer


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(_("No such user."))
    return user


def change_role(session: Session, user: User, role: str, reason: str | None = None) -> None:
    if role not in ROLES:
        raise Invalid(_("Unknown role."), fields={"role": [_("Choose one of: %(roles)s.", roles=", ".join(ROLES))]})
    if role == user.role:
        return
    old = user.role
    user.role = role
    # Permissions changed: sessions opened under the old role end.
    revoke_all_sessions(session, user, "role changed")
    audit.record(session, "user.role_changed", obj=user, reason=reason, details={"from": old, "to": role})


def admin_reset_password(session: Session, user: User, reason: str | None = None) -> None:
    """An admin ends a user's password: every session, token and half-finished sign-in ends, and
    the user is told by email, with a link (withheld on staff pages) to choose a new one."""
    user.password_hash = _hasher.hash(secrets.token_urlsafe(32))  # nobody knows it
    user.password_changed_at = clock.now()
    revoke_all_sessions(session, user, "password reset by an admin")
    end_pending_sign_ins(session, user, "password reset by an admin")
    audit.record(session, "user.password_reset_by_admin", obj=user, reason=reason)
    link = _reset_link(user)
    with force_locale(user.language):
        outbox.queue_message(
            session, to=user.email, kind="auth.reset_password", language=user.language, user_id=user.id, secret=True,
            subject=_("An administrator reset your Assist password"),
            body=_("An administrator of Assist reset the password of your account, and signed you out everywhere."
                   "\n\nTo choose a new password, open this link within one hour:\n%(link)s\n\nAfter that, ask "
                   "for a new link from the sign-in page. If you did not expect this, tell your supervisor.", link=link),
        )


def admin_reset_two_factor(session: Session, user: User, reason: str | None = None) -> None:
    """An admin switches off a user's two-factor sign-in (a lost phone): every session ends, where
    two-factor is required the next sign-in leads to enrolment first, and the user is told."""
    disable_totp(session, user, reason or "reset by an admin")
    revoke_all_sessions(session, user, "two-factor reset by an admin")
    audit.record(session, "user.two_factor_reset_by_admin", obj=user, reason=reason)
    with force_locale(user.language):
        outbox.queue_message(
            session, to=user.email, kind="auth.two_factor_reset", language=user.language, user_id=user.id,
            subject=_("An administrator reset your two-factor sign-in"),
            body=_("An administrator of Assist switched off the two-factor sign-in of your account and signed "
                   "you out everywhere. The next time you sign in, you will set it up again with your "
                   "authenticator app before anything else.\n\nIf you did not ask for this, tell your "
                   "supervisor now."),
        )


def set_active(session: Session, user: User, active: bool, reason: str | None = None) -> None:
    if user.active == active:
        return
    user.active = active
    if not active:
        revoke_all_sessions(session, user, "deactivated")
    audit.record(session, "user.activated" if active else "user.deactivated", obj=user, reason=reason)


def set_language(session: Session, user: User, language: str) -> None:
    if language in ("en", "es") and user.language != language:
        user.language = language
        session.flush()
