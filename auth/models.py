"""Users and their sign-in sessions and tokens.

A browser session and an API token are both rows in `user_sessions`, holding only a hash of
the secret the client keeps, so revoking a row ends that session everywhere at once.
"""
from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.access import EMPLOYEES, ROLES, STAFF
from core.database import Base, BigIntPK

SESSION_KINDS = ("browser", "api", "personal")


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), nullable=False, unique=True)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[str] = mapped_column(String(10), nullable=False, default="customer")
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    full_name: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(5), nullable=False, default="en")
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    email_confirmed_at: Mapped[datetime | None] = mapped_column()
    password_changed_at: Mapped[datetime] = mapped_column(nullable=False)
    failed_logins: Mapped[int] = mapped_column(nullable=False, default=0)  # in a row, from anywhere: for the record
    last_login_at: Mapped[datetime | None] = mapped_column()
    totp_secret: Mapped[str | None] = mapped_column(Text)  # encrypted with the document key
    totp_enabled_at: Mapped[datetime | None] = mapped_column()
    totp_last_step: Mapped[int | None] = mapped_column()  # stops a code being used twice
    # A customer a CSR took an application from by phone, on paper or at the counter, who has no
    # email login yet: the email is a placeholder nobody can receive or sign in with, and letters
    # go by post (the print runs) to the postal address, or the account's service address.
    postal_address: Mapped[str | None] = mapped_column(Text)
    letters_by_post: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())

    recovery_codes: Mapped[list[RecoveryCode]] = relationship(back_populates="user", cascade="all, delete-orphan")

    __table_args__ = (
        CheckConstraint(f"role IN ({', '.join(repr(r) for r in ROLES)})", name="role"),
        CheckConstraint("language IN ('en', 'es')", name="language"),
        CheckConstraint("failed_logins >= 0", name="failed_logins"),
    )

    # Set for the request by the session loader: the secret of the session or token in use.
    current_session_id = None

    @property
    def is_active(self) -> bool:  # flask-login
        return self.active

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF

    @property
    def is_employee(self) -> bool:
        """Staff or an inspector: signs in with two factors in production."""
        return self.role in EMPLOYEES

    @property
    def totp_enabled(self) -> bool:
        return self.totp_enabled_at is not None

    def get_id(self) -> str:
        # flask-login keeps this in the cookie: the session's id, never the user's.
        return str(self.current_session_id)


class UserSession(Base):
    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    secret_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    name: Mapped[str | None] = mapped_column(String(100))  # personal tokens are named
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(nullable=False)
    expires_at: Mapped[datetime] = mapped_column(nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column()
    revoked_reason: Mapped[str | None] = mapped_column(String(100))
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(300))

    user: Mapped[User] = relationship()

    __table_args__ = (
        CheckConstraint("kind IN ('browser', 'api', 'personal')", name="kind"),
        Index("ix_user_sessions_user_open", "user_id", "revoked_at"),
    )


class RecoveryCode(Base):
    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship(back_populates="recovery_codes")


class PendingSignIn(Base):
    """A sign-in between the right password and the two-factor code, kept on the server.

    The browser holds only a random secret whose hash is here. The step times out in minutes,
    counts wrong codes, and ends with the password it started from (`password_tag`), so an old
    cookie cannot finish a sign-in after the owner changed or reset the password.
    """

    __tablename__ = "pending_sign_ins"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    password_tag: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    expires_at: Mapped[datetime] = mapped_column(nullable=False)
    failures: Mapped[int] = mapped_column(nullable=False, default=0)
    next_url: Mapped[str | None] = mapped_column(String(500))
    ip_address: Mapped[str | None] = mapped_column(String(45))
    ended_at: Mapped[datetime | None] = mapped_column()
    ended_reason: Mapped[str | None] = mapped_column(String(100))

    user: Mapped[User] = relationship()

    __table_args__ = (CheckConstraint("failures >= 0", name="failures"),)


class SignInFailure(Base):
    """Failed sign-ins for one email from one address: the lock-out slows that guesser only.

    Keyed by the email as typed (normalized), whether or not an account has it, so a lock-out
    answers the same for known and unknown emails; the owner, signing in from another address,
    is never locked out by someone else's guesses.
    """

    __tablename__ = "sign_in_failures"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    ip_address: Mapped[str] = mapped_column(String(45), nullable=False)
    failures: Mapped[int] = mapped_column(nullable=False, default=0)
    first_failed_at: Mapped[datetime] = mapped_column(nullable=False)
    last_failed_at: Mapped[datetime] = mapped_column(nullable=False, index=True)
    locked_until: Mapped[datetime | None] = mapped_column()

    __table_args__ = (
        UniqueConstraint("email", "ip_address"),
        CheckConstraint("failures >= 0", name="failures"),
    )
